using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RamDataEngine.Datasets.Versions;

/// <summary>
/// Writes and reads one <see cref="ShardEntry"/> as JSON by hand, in exactly the form <see cref="DatasetJson.Options"/>
/// gives it: campaigns convert an entry per shard, and System.Text.Json's per-call costs (its read and write stacks,
/// metadata lookups) were the largest part of that per-shard work.
/// </summary>
public static class ShardEntryJson
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>The entry as UTF-8 JSON, byte for byte what <c>JsonSerializer.SerializeToUtf8Bytes(entry, DatasetJson.Options)</c> writes.</summary>
    public static byte[] ToUtf8(ShardEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(1024);
        var writer = t_writer ??= new Utf8JsonWriter(buffer);
        buffer.ResetWrittenCount();
        writer.Reset(buffer);
        Write(writer, entry);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(Utf8JsonWriter writer, ShardEntry entry)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(entry);
        writer.WriteStartObject();
        writer.WriteNumber("shardId"u8, entry.ShardId);
        writer.WriteNumber("rows"u8, entry.Rows);
        writer.WritePropertyName("files"u8);
        writer.WriteStartObject();
        foreach (var (kind, file) in entry.Files)
        {
            writer.WritePropertyName(kind);
            WriteFile(writer, file);
        }

        writer.WriteEndObject();
        writer.WriteNumber("quarantinedRows"u8, entry.QuarantinedRows);
        if (entry.Quarantine is { } quarantine)
        {
            writer.WritePropertyName("quarantine"u8);
            WriteFile(writer, quarantine);
        }

        writer.WritePropertyName("tagCounts"u8);
        writer.WriteStartObject();
        Span<char> digits = stackalloc char[11];
        foreach (var (tag, count) in entry.TagCounts)
        {
            tag.TryFormat(digits, out int length, provider: CultureInfo.InvariantCulture);
            writer.WriteNumber(digits[..length], count);
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>Reads an entry written by <see cref="Write"/> or by System.Text.Json (any property name case, numbers also as strings).</summary>
    public static ShardEntry Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read()) throw new InvalidDataException("A shard entry is empty.");
            var entry = Read(ref reader);
            if (reader.Read()) throw new InvalidDataException($"A shard entry has data after its end (byte {reader.TokenStartIndex}).");
            return entry;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"A shard entry is not valid JSON: {e.Message}", e);
        }
    }

    private static ShardEntry Read(ref Utf8JsonReader reader)
    {
        Expect(ref reader, JsonTokenType.StartObject, "a shard entry");
        int? shardId = null;
        long? rows = null;
        Dictionary<string, ShardFileRef>? files = null;
        long quarantinedRows = 0;
        ShardFileRef? quarantine = null;
        IReadOnlyDictionary<int, long> tagCounts = ShardEntry.EmptyCounts;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (Is(ref reader, "shardId"u8))
            {
                reader.Read();
                long id = ReadInt64(ref reader, "shardId");
                shardId = id is >= int.MinValue and <= int.MaxValue ? (int)id : throw new InvalidDataException($"A shard entry has shard id {id}, outside the 32-bit range.");
            }
            else if (Is(ref reader, "rows"u8))
            {
                reader.Read();
                rows = ReadInt64(ref reader, "rows");
            }
            else if (Is(ref reader, "files"u8))
            {
                reader.Read();
                Expect(ref reader, JsonTokenType.StartObject, "'files'");
                files = new Dictionary<string, ShardFileRef>(2, StringComparer.Ordinal);
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string kind = reader.GetString()!;
                    reader.Read();
                    files[kind] = ReadFile(ref reader, kind);
                }
            }
            else if (Is(ref reader, "quarantinedRows"u8))
            {
                reader.Read();
                quarantinedRows = ReadInt64(ref reader, "quarantinedRows");
            }
            else if (Is(ref reader, "quarantine"u8))
            {
                reader.Read();
                quarantine = reader.TokenType == JsonTokenType.Null ? null : ReadFile(ref reader, "quarantine");
            }
            else if (Is(ref reader, "tagCounts"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null) continue;
                Expect(ref reader, JsonTokenType.StartObject, "'tagCounts'");
                Dictionary<int, long>? counts = null;
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string key = reader.GetString()!;
                    if (!int.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int tag)) throw new InvalidDataException($"A shard entry has tag id '{key}' that is not an integer.");
                    reader.Read();
                    (counts ??= [])[tag] = ReadInt64(ref reader, "tagCounts");
                }

                tagCounts = counts ?? ShardEntry.EmptyCounts;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        Expect(ref reader, JsonTokenType.EndObject, "the end of a shard entry");
        return new ShardEntry
        {
            ShardId = shardId ?? throw new InvalidDataException("A shard entry has no 'shardId'."),
            Rows = rows ?? throw new InvalidDataException($"Shard entry {shardId} has no 'rows'."),
            Files = files ?? throw new InvalidDataException($"Shard entry {shardId} has no 'files'."),
            QuarantinedRows = quarantinedRows,
            Quarantine = quarantine,
            TagCounts = tagCounts,
        };
    }

    private static void WriteFile(Utf8JsonWriter writer, ShardFileRef file)
    {
        writer.WriteStartObject();
        writer.WriteString("path"u8, file.Path);
        writer.WriteString("sha256"u8, file.Sha256);
        writer.WriteNumber("bytes"u8, file.Bytes);
        writer.WriteNumber("rows"u8, file.Rows);
        writer.WriteEndObject();
    }

    private static ShardFileRef ReadFile(ref Utf8JsonReader reader, string what)
    {
        Expect(ref reader, JsonTokenType.StartObject, $"file '{what}'");
        string? path = null, sha = null;
        long bytes = 0, rows = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (Is(ref reader, "path"u8))
            {
                reader.Read();
                path = reader.GetString();
            }
            else if (Is(ref reader, "sha256"u8))
            {
                reader.Read();
                sha = reader.GetString();
            }
            else if (Is(ref reader, "bytes"u8))
            {
                reader.Read();
                bytes = ReadInt64(ref reader, "bytes");
            }
            else if (Is(ref reader, "rows"u8))
            {
                reader.Read();
                rows = ReadInt64(ref reader, "rows");
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new ShardFileRef(
            path ?? throw new InvalidDataException($"File '{what}' of a shard entry has no 'path'."),
            sha ?? throw new InvalidDataException($"File '{what}' of a shard entry has no 'sha256'."),
            bytes,
            rows);
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type, string what)
    {
        if (reader.TokenType != type) throw new InvalidDataException($"Expected {what} ({type}) at byte {reader.TokenStartIndex} of a shard entry, found {reader.TokenType}.");
    }

    private static bool Is(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
        => reader.ValueTextEquals(name) || (!reader.ValueIsEscaped && !reader.HasValueSequence && Ascii.EqualsIgnoreCase(reader.ValueSpan, name));

    private static long ReadInt64(ref Utf8JsonReader reader, string what)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long value)) return value;
        if (reader.TokenType == JsonTokenType.String && long.TryParse(reader.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)) return value;
        throw new InvalidDataException($"A shard entry has '{what}' that is not a 64-bit integer.");
    }
}
