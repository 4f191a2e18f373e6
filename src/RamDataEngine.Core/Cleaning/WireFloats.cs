using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace RamDataEngine.Core.Cleaning;

/// <summary>Little-endian float arrays for the compact byte forms, a block copy on little-endian machines.</summary>
internal static class WireFloats
{
    public static void Write(ReadOnlySpan<float> values, Span<byte> target)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(target);
            return;
        }

        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(target[(i * sizeof(float))..], values[i]);
    }

    public static float[] Read(ReadOnlySpan<byte> source, int count)
    {
        var values = new float[count];
        if (BitConverter.IsLittleEndian)
        {
            source[..(count * sizeof(float))].CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
            return values;
        }

        for (var i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(i * sizeof(float))..]);
        return values;
    }
}
