namespace RamDataEngine.Datasets.Shards;

/// <summary>How a shard writer cuts rows into row groups and where it stages the file before publishing it.</summary>
public sealed class ShardWriterOptions
{
    /// <summary>Most rows in one row group. A reader holds one row group in memory at a time.</summary>
    public int RowGroupMaxRows { get; init; } = 10_000;

    /// <summary>Most (estimated, uncompressed) bytes in one row group; a single larger row still gets a group of its own.</summary>
    public long RowGroupMaxBytes { get; init; } = 32L << 20;

    /// <summary>Page compression. Snappy is cheap and what most readers expect.</summary>
    public ShardCompression Compression { get; init; } = ShardCompression.Snappy;

    /// <summary>Folder for the local staging file; null for the system temp folder.</summary>
    public string? TempDirectory { get; init; }

    internal void Validate()
    {
        if (RowGroupMaxRows < 1) throw new ArgumentOutOfRangeException(nameof(RowGroupMaxRows), RowGroupMaxRows, "A row group holds at least one row.");
        if (RowGroupMaxBytes < 1) throw new ArgumentOutOfRangeException(nameof(RowGroupMaxBytes), RowGroupMaxBytes, "A row group's byte budget must be positive.");
        if (!Enum.IsDefined(Compression)) throw new ArgumentOutOfRangeException(nameof(Compression), Compression, "Unknown compression.");
    }
}

/// <summary>Page compression of shard files.</summary>
public enum ShardCompression
{
    None,
    Snappy,
    Zstd,
    Gzip,
}
