using System.Text.Json;
using System.Text.Json.Serialization;

namespace RamDataEngine.Datasets.Versions;

/// <summary>One file of a shard: its blob path, SHA-256 (hex) and size, and how many rows it holds.</summary>
public sealed record ShardFileRef(string Path, string Sha256, long Bytes, long Rows);

/// <summary>
/// One shard of a dataset version: its base file, the layer files aligned with it by row order, and the rows
/// that were quarantined on the way (kept in their own file with reasons).
/// </summary>
public sealed record ShardEntry
{
    public required int ShardId { get; init; }

    /// <summary>Rows in the shard's base file (and so in every layer).</summary>
    public required long Rows { get; init; }

    /// <summary>Files by kind: "base", then layers such as "parsed", "features", "labels".</summary>
    public required IReadOnlyDictionary<string, ShardFileRef> Files { get; init; }

    /// <summary>Rows of this shard's source that were quarantined, with the file listing them and why.</summary>
    public long QuarantinedRows { get; init; }

    public ShardFileRef? Quarantine { get; init; }

    /// <summary>Per-tag row counts of this shard's current labels (tag id -> rows), empty before tags exist.</summary>
    public IReadOnlyDictionary<int, long> TagCounts { get; init; } = EmptyCounts;

    internal static readonly IReadOnlyDictionary<int, long> EmptyCounts = new Dictionary<int, long>();

    /// <summary>This entry with one layer file added or replaced; the base and other layers stay as they were.</summary>
    public ShardEntry WithLayer(string kind, ShardFileRef file, IReadOnlyDictionary<int, long>? tagCounts = null)
    {
        if (kind == ShardFileKinds.Base) throw new ArgumentException("The base file of a shard is written once and never replaced.", nameof(kind));
        if (file.Rows != Rows) throw new ArgumentException($"Layer '{kind}' of shard {ShardId} has {file.Rows} rows, the shard has {Rows}.", nameof(file));
        var files = new Dictionary<string, ShardFileRef>(Files) { [kind] = file };
        return this with { Files = files, TagCounts = tagCounts ?? TagCounts };
    }
}

/// <summary>Well-known shard file kinds.</summary>
public static class ShardFileKinds
{
    public const string Base = "base";
    public const string Parsed = "parsed";
    public const string Features = "features";
    public const string Labels = "labels";
}

/// <summary>Where a segment of a version's shard list lives, with what it sums to.</summary>
public sealed record SegmentRef(string Path, string Sha256, int FirstShardId, int LastShardId, int Shards, long Rows, long QuarantinedRows);

/// <summary>A manifest segment: the entries of a contiguous range of shard ids, stored content-addressed.</summary>
public sealed record ManifestSegment(IReadOnlyList<ShardEntry> Shards, IReadOnlyDictionary<int, long> TagCounts);

/// <summary>Where a version came from: the campaign and configuration that produced it.</summary>
public sealed record VersionLineage
{
    /// <summary>What produced the version: "ingest", "parse", "relabel", ...</summary>
    public required string Operation { get; init; }

    public string? CampaignId { get; init; }

    public string? ConfigHash { get; init; }

    public string? VocabularyId { get; init; }

    public string? ModelId { get; init; }

    /// <summary>Free-form details worth keeping (source path, row counts, options).</summary>
    public IReadOnlyDictionary<string, string> Properties { get; init; } = new Dictionary<string, string>();
}

/// <summary>
/// The immutable root of one dataset version: lineage, totals and the segment list. Small at any size: a
/// version of 100,000 shards has ~100 segment references; opening one shard reads the root and one segment.
/// </summary>
public sealed record VersionRoot
{
    public const int CurrentFormat = 1;

    public int Format { get; init; } = CurrentFormat;

    public required string Dataset { get; init; }

    public required int Version { get; init; }

    public int? ParentVersion { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public required VersionLineage Lineage { get; init; }

    public required int SegmentSize { get; init; }

    public required IReadOnlyList<SegmentRef> Segments { get; init; }

    public int Shards => Segments.Sum(s => s.Shards);

    public long Rows => Segments.Sum(s => s.Rows);

    /// <summary>Rows quarantined on the way: single rows inside shards plus whole shards left out.</summary>
    public long QuarantinedRows => Segments.Sum(s => s.QuarantinedRows) + RemovedShards.Sum(s => s.Rows);

    /// <summary>Shards of the parent (or of the source) that this version left out, with why.</summary>
    public IReadOnlyList<RemovedShard> RemovedShards { get; init; } = [];

    /// <summary>Rows per tag id over the whole version.</summary>
    public IReadOnlyDictionary<int, long> TagCounts { get; init; } = ShardEntry.EmptyCounts;

    /// <summary>
    /// The file listing every row (and whole shard) the campaign that made this version quarantined, with reasons; its
    /// <see cref="ShardFileRef.Rows"/> is that count. Null when it quarantined nothing (earlier versions keep their own).
    /// </summary>
    public ShardFileRef? Quarantine { get; init; }
}

/// <summary>A shard that a campaign could not process: left out of the version, its rows quarantined with the reason.</summary>
public sealed record RemovedShard(int ShardId, string Stage, string Reason, long Rows);

/// <summary>
/// A campaign running on a dataset (or interrupted, to be resumed): written when it starts, deleted when it ends. While it
/// exists, garbage collection keeps the campaign's files and its input version, and the dataset cannot be deleted.
/// </summary>
public sealed record RunningCampaign(string CampaignId, string Kind, int? InputVersion, DateTimeOffset StartedAt);

/// <summary>The dataset head: the latest committed version, a cache over the version files themselves.</summary>
public sealed record DatasetHead(string Dataset, int Version, DateTimeOffset UpdatedAt);

/// <summary>JSON settings of every manifest, head and entry batch file.</summary>
public static class DatasetJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = false,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
