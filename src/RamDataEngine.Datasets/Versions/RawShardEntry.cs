using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RamDataEngine.Datasets.Versions;

/// <summary>
/// A shard entry kept as its manifest JSON, with the few fields a commit needs read out of it: a commit of
/// 100,000 entries then neither builds 100,000 objects nor serializes them again, it copies their bytes.
/// </summary>
public sealed class RawShardEntry
{
    private RawShardEntry(int shardId, long rows, long quarantinedRows, bool hasBase, IReadOnlyDictionary<int, long> tagCounts, ReadOnlyMemory<byte> json)
    {
        ShardId = shardId;
        Rows = rows;
        QuarantinedRows = quarantinedRows;
        HasBase = hasBase;
        TagCounts = tagCounts;
        Json = json;
    }

    public int ShardId { get; }

    public long Rows { get; }

    public long QuarantinedRows { get; }

    /// <summary>Whether the entry names a base file (every committed shard must).</summary>
    public bool HasBase { get; }

    public IReadOnlyDictionary<int, long> TagCounts { get; }

    /// <summary>The entry as UTF-8 JSON (a <see cref="ShardEntry"/> in <see cref="DatasetJson.Options"/>).</summary>
    public ReadOnlyMemory<byte> Json { get; }

    /// <summary>The entry of an object.</summary>
    public static RawShardEntry From(ShardEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new RawShardEntry(
            entry.ShardId, entry.Rows, entry.QuarantinedRows, entry.Files.ContainsKey(ShardFileKinds.Base), entry.TagCounts,
            ShardEntryJson.ToUtf8(entry));
    }

    /// <summary>Reads one entry (a JSON object); <paramref name="source"/> names where it came from in errors.</summary>
    public static RawShardEntry Parse(ReadOnlyMemory<byte> json, string source)
    {
        var reader = new Utf8JsonReader(json.Span);
        try
        {
            if (!reader.Read()) throw new InvalidDataException($"Shard entry in {source} is empty.");
            var entry = ReadEntry(ref reader, json, source);
            if (reader.Read()) throw new InvalidDataException($"Shard entry in {source} has data after its end (byte {reader.TokenStartIndex}).");
            return entry;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Shard entry in {source} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Reads a JSON array of entries (a result batch); the entries share <paramref name="json"/>'s memory.</summary>
    public static List<RawShardEntry> ParseArray(ReadOnlyMemory<byte> json, string source)
    {
        var entries = new List<RawShardEntry>();
        var reader = new Utf8JsonReader(json.Span);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) throw new InvalidDataException($"{Capitalize(source)} is not a JSON array of shard entries.");
            ReadEntries(ref reader, json, source, entries);
            return entries;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Capitalize(source)} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>Reads the entries of a manifest segment (<see cref="ManifestSegment"/> JSON) without building them.</summary>
    public static List<RawShardEntry> ParseSegment(ReadOnlyMemory<byte> json, string source)
    {
        var entries = new List<RawShardEntry>();
        var reader = new Utf8JsonReader(json.Span);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) throw new InvalidDataException($"{Capitalize(source)} is not a JSON object.");
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool shards = Is(ref reader, "shards"u8);
                reader.Read();
                if (shards && reader.TokenType == JsonTokenType.StartArray) ReadEntries(ref reader, json, source, entries);
                else reader.Skip();
            }

            return entries;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{Capitalize(source)} is not valid JSON: {e.Message}", e);
        }
    }

    /// <summary>The entry as an object.</summary>
    public ShardEntry ToEntry() => ShardEntryJson.Read(Json.Span);

    private static void ReadEntries(ref Utf8JsonReader reader, ReadOnlyMemory<byte> json, string source, List<RawShardEntry> entries)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) entries.Add(ReadEntry(ref reader, json, source));
    }

    /// <summary>Writes entries as a JSON array.</summary>
    public static void WriteArray(IBufferWriter<byte> output, IReadOnlyList<RawShardEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(entries);
        output.Write("["u8);
        for (int i = 0; i < entries.Count; i++)
        {
            if (i > 0) output.Write(","u8);
            output.Write(entries[i].Json.Span);
        }

        output.Write("]"u8);
    }

    private static RawShardEntry ReadEntry(ref Utf8JsonReader reader, ReadOnlyMemory<byte> json, string source)
    {
        long start = reader.TokenStartIndex;
        if (reader.TokenType != JsonTokenType.StartObject) throw Bad(source, start, "is not a JSON object");
        int? shardId = null;
        long? rows = null;
        long quarantinedRows = 0;
        bool hasBase = false;
        IReadOnlyDictionary<int, long> tagCounts = ShardEntry.EmptyCounts;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            // Names as System.Text.Json's web defaults read them: camelCase written, any case accepted.
            if (Is(ref reader, "shardId"u8))
            {
                reader.Read();
                long id = ReadInt64(ref reader, source, start, "shardId");
                shardId = id is >= 0 and <= int.MaxValue ? (int)id : throw Bad(source, start, $"has shard id {id}, outside 0..{int.MaxValue}");
            }
            else if (Is(ref reader, "rows"u8))
            {
                reader.Read();
                rows = ReadInt64(ref reader, source, start, "rows");
            }
            else if (Is(ref reader, "quarantinedRows"u8))
            {
                reader.Read();
                quarantinedRows = ReadInt64(ref reader, source, start, "quarantinedRows");
            }
            else if (Is(ref reader, "files"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject) throw Bad(source, start, "has 'files' that is not an object");
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    hasBase |= reader.ValueTextEquals(ShardFileKinds.Base);
                    reader.Read();
                    reader.Skip();
                }
            }
            else if (Is(ref reader, "tagCounts"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.Null) continue;
                if (reader.TokenType != JsonTokenType.StartObject) throw Bad(source, start, "has 'tagCounts' that is not an object");
                var counts = new Dictionary<int, long>();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string key = reader.GetString()!;
                    if (!int.TryParse(key, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int tag)) throw Bad(source, start, $"has tag id '{key}' that is not an integer");
                    reader.Read();
                    counts[tag] = ReadInt64(ref reader, source, start, "tagCounts");
                }

                tagCounts = counts;
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject) throw Bad(source, start, "ends early");
        long end = reader.BytesConsumed;
        if (shardId is null) throw Bad(source, start, "has no 'shardId'");
        if (rows is null) throw Bad(source, start, $"(shard {shardId}) has no 'rows'");
        return new RawShardEntry(shardId.Value, rows.Value, quarantinedRows, hasBase, tagCounts, json[(int)start..(int)end]);
    }

    private static bool Is(ref Utf8JsonReader reader, ReadOnlySpan<byte> name)
        => reader.ValueTextEquals(name) || (!reader.ValueIsEscaped && !reader.HasValueSequence && Ascii.EqualsIgnoreCase(reader.ValueSpan, name));

    private static long ReadInt64(ref Utf8JsonReader reader, string source, long start, string what)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long value)) return value;
        // The web defaults also read numbers written as strings.
        if (reader.TokenType == JsonTokenType.String && long.TryParse(reader.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value)) return value;
        throw Bad(source, start, $"has '{what}' that is not a 64-bit integer");
    }

    private static InvalidDataException Bad(string source, long at, string what) => new($"Shard entry at byte {at} of {source} {what}.");

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
