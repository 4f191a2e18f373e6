using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;
using static TorchSharp.torch;

namespace RamDataEngine.Model.Heads;

/// <summary>
/// The on-stream layout of head files: a magic string, a format version, a length-prefixed UTF-8 JSON header, then
/// TorchSharp state dictionaries. Streams are left open (the caller owns the blob stream).
/// </summary>
internal static class TagHeadSerializer
{
    public const int FormatVersion = 1;

    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = false,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals, // NaN mAP when a split has no positives
        Converters = { new JsonStringEnumConverter() },
    };

    public static void WriteHeader<T>(BinaryWriter writer, string magic, T header)
    {
        writer.Write(Encoding.ASCII.GetBytes(magic));
        writer.Write(FormatVersion);
        var json = JsonSerializer.SerializeToUtf8Bytes(header, Json);
        writer.Write(json.Length);
        writer.Write(json);
    }

    public static T ReadHeader<T>(BinaryReader reader, string magic, string what)
    {
        var found = reader.ReadBytes(magic.Length);
        if (found.Length != magic.Length || Encoding.ASCII.GetString(found) != magic)
        {
            throw new InvalidDataException($"Not a {what}: the stream does not start with '{magic}'.");
        }

        int version = reader.ReadInt32();
        if (version != FormatVersion) throw new InvalidDataException($"{what} format version {version} is not supported (this build reads {FormatVersion}).");
        int length = reader.ReadInt32();
        if (length is <= 0 or > 16 * 1024 * 1024) throw new InvalidDataException($"{what} header length {length} is out of range.");
        var json = reader.ReadBytes(length);
        if (json.Length != length) throw new InvalidDataException($"{what} is truncated inside its header.");
        return JsonSerializer.Deserialize<T>(json, Json) ?? throw new InvalidDataException($"{what} header is empty.");
    }

    /// <summary>Copies every parameter and buffer of <paramref name="source"/> into <paramref name="target"/> (same architecture).</summary>
    public static void CopyState(nn.Module source, nn.Module target)
    {
        using var _ = no_grad();
        var from = source.state_dict();
        foreach (var (name, tensor) in target.state_dict())
        {
            tensor.copy_(from[name]);
        }
    }
}
