using System.Text;

namespace RamDataEngine.Model.Encoders;

/// <summary>
/// Minimal ONNX protobuf surgery: exposes the input of the node that produces a given graph output as an extra graph
/// output. ResNet18.onnx only outputs the pooled 512-d vector; its input is the 512x7x7 feature map, whose cells give
/// region embeddings in the same forward pass. Written by hand because the protobuf runtime is not otherwise needed.
/// </summary>
internal static class OnnxGraphEditor
{
    private const int ModelGraphField = 7;
    private const int GraphNodeField = 1;
    private const int GraphOutputField = 12;
    private const int NodeInputField = 1;
    private const int NodeOutputField = 2;
    private const int OnnxFloat = 1;

    /// <summary>Returns a copy of <paramref name="model"/> with the first input of <paramref name="outputName"/>'s producer added as a float output, and that input's name.</summary>
    public static (byte[] Model, string AddedOutput) ExposeProducerInput(byte[] model, string outputName)
    {
        var (graphStart, graphLength, keyStart) = FindField(model, 0, model.Length, ModelGraphField)
            ?? throw new InvalidDataException("The ONNX model has no graph.");
        string? producerInput = null;
        int pos = graphStart, end = graphStart + graphLength;
        while (pos < end)
        {
            var (field, wire) = ReadKey(model, ref pos);
            if (field == GraphNodeField && wire == 2)
            {
                int length = checked((int)ReadVarint(model, ref pos));
                var (inputs, outputs) = ReadNode(model, pos, length);
                if (outputs.Contains(outputName) && inputs.Count > 0) producerInput = inputs[0];
                pos += length;
            }
            else
            {
                Skip(model, ref pos, wire);
            }
        }

        if (producerInput is null) throw new InvalidDataException($"No node of the ONNX graph produces '{outputName}'.");

        // ValueInfoProto { name = 1; type = 2 { tensor_type = 1 { elem_type = 1 } } }
        var valueInfo = new List<byte>();
        WriteString(valueInfo, 1, producerInput);
        byte[] tensorType = [(1 << 3) | 0, OnnxFloat];
        var type = new List<byte>();
        WriteBytes(type, 1, tensorType);
        WriteBytes(valueInfo, 2, [.. type]);
        var addition = new List<byte>();
        WriteBytes(addition, GraphOutputField, [.. valueInfo]);

        var result = new List<byte>(model.Length + addition.Count + 8);
        result.AddRange(model.AsSpan(0, keyStart));
        WriteVarint(result, (ModelGraphField << 3) | 2UL);
        WriteVarint(result, (ulong)(graphLength + addition.Count));
        result.AddRange(model.AsSpan(graphStart, graphLength));
        result.AddRange(addition);
        result.AddRange(model.AsSpan(end));
        return ([.. result], producerInput);
    }

    private static (List<string> Inputs, List<string> Outputs) ReadNode(byte[] data, int start, int length)
    {
        var inputs = new List<string>();
        var outputs = new List<string>();
        int pos = start, end = start + length;
        while (pos < end)
        {
            var (field, wire) = ReadKey(data, ref pos);
            if (wire == 2 && field is NodeInputField or NodeOutputField)
            {
                int n = checked((int)ReadVarint(data, ref pos));
                var text = Encoding.UTF8.GetString(data, pos, n);
                (field == NodeInputField ? inputs : outputs).Add(text);
                pos += n;
            }
            else
            {
                Skip(data, ref pos, wire);
            }
        }

        return (inputs, outputs);
    }

    private static (int Start, int Length, int KeyStart)? FindField(byte[] data, int start, int end, int wanted)
    {
        int pos = start;
        while (pos < end)
        {
            int keyStart = pos;
            var (field, wire) = ReadKey(data, ref pos);
            if (field == wanted && wire == 2)
            {
                int length = checked((int)ReadVarint(data, ref pos));
                return (pos, length, keyStart);
            }

            Skip(data, ref pos, wire);
        }

        return null;
    }

    private static (int Field, int Wire) ReadKey(byte[] data, ref int pos)
    {
        ulong key = ReadVarint(data, ref pos);
        return ((int)(key >> 3), (int)(key & 7));
    }

    private static ulong ReadVarint(byte[] data, ref int pos)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length) throw new InvalidDataException("Truncated varint in the ONNX model.");
            byte b = data[pos++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return value;
        }

        throw new InvalidDataException("Malformed varint in the ONNX model.");
    }

    private static void Skip(byte[] data, ref int pos, int wire)
    {
        switch (wire)
        {
            case 0: ReadVarint(data, ref pos); break;
            case 1: pos += 8; break;
            case 2:
                int length = checked((int)ReadVarint(data, ref pos)); // read before adding: pos moves past the varint
                pos += length;
                break;
            case 5: pos += 4; break;
            default: throw new InvalidDataException($"Unsupported protobuf wire type {wire} in the ONNX model.");
        }

        if (pos > data.Length) throw new InvalidDataException("A field runs past the end of the ONNX model.");
    }

    private static void WriteVarint(List<byte> output, ulong value)
    {
        while (value >= 0x80)
        {
            output.Add((byte)(value | 0x80));
            value >>= 7;
        }

        output.Add((byte)value);
    }

    private static void WriteBytes(List<byte> output, int field, byte[] bytes)
    {
        WriteVarint(output, (ulong)((field << 3) | 2));
        WriteVarint(output, (ulong)bytes.Length);
        output.AddRange(bytes);
    }

    private static void WriteString(List<byte> output, int field, string text) => WriteBytes(output, field, Encoding.UTF8.GetBytes(text));
}
