namespace RamDataEngine.Contracts;

/// <summary>The single writer of one dataset's head (key: dataset name): every version is committed through it.</summary>
public interface IDatasetGrain : IGrainWithStringKey
{
    /// <summary>The head version, or null when the dataset has none.</summary>
    Task<DatasetVersionInfo?> GetHeadAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Commits the shard entries listed in <see cref="DatasetCommitRequest.EntryBatchPaths"/> on the request's parent.
    /// Fails with a conflict naming both versions when the head has moved since.
    /// </summary>
    Task<DatasetVersionInfo> CommitAsync(DatasetCommitRequest request, CancellationToken cancellationToken = default);
}

/// <summary>A commit: its parent, lineage, and blobs holding the shard entries to add or replace.</summary>
/// <param name="EntryBatchPaths">Blobs written by the campaign, each a JSON array of shard entries.</param>
/// <param name="QuarantinedShards">Shards left out of the version, with why.</param>
[GenerateSerializer, Immutable, Alias("ram.DatasetCommitRequest")]
public sealed record DatasetCommitRequest(
    [property: Id(0)] int? ParentVersion,
    [property: Id(1)] string Operation,
    [property: Id(2)] string? CampaignId,
    [property: Id(3)] string? ConfigHash,
    [property: Id(4)] IReadOnlyList<string> EntryBatchPaths,
    [property: Id(5)] IReadOnlyList<QuarantinedShard> QuarantinedShards,
    [property: Id(6)] IReadOnlyDictionary<string, string> Properties)
{
    /// <summary>The campaign's file of quarantined rows and shards, when it quarantined any.</summary>
    [Id(7)] public QuarantineFile? Quarantine { get; init; }
}

/// <summary>A blob listing quarantined rows (and shards) with reasons: where, its checksum and size, and how many rows.</summary>
[GenerateSerializer, Immutable, Alias("ram.QuarantineFile")]
public sealed record QuarantineFile(
    [property: Id(0)] string Path,
    [property: Id(1)] string Sha256,
    [property: Id(2)] long Bytes,
    [property: Id(3)] long Rows);

/// <summary>A shard that failed for good: its rows are accounted for here, not in the version.</summary>
[GenerateSerializer, Immutable, Alias("ram.QuarantinedShard")]
public sealed record QuarantinedShard(
    [property: Id(0)] int ShardId,
    [property: Id(1)] string Stage,
    [property: Id(2)] string Reason,
    [property: Id(3)] long Rows);

/// <summary>What a committed version is, in brief.</summary>
[GenerateSerializer, Immutable, Alias("ram.DatasetVersionInfo")]
public sealed record DatasetVersionInfo(
    [property: Id(0)] string Dataset,
    [property: Id(1)] int Version,
    [property: Id(2)] int? ParentVersion,
    [property: Id(3)] int Shards,
    [property: Id(4)] long Rows,
    [property: Id(5)] long QuarantinedRows,
    [property: Id(6)] string Operation,
    [property: Id(7)] DateTimeOffset CreatedAt);

/// <summary>A commit lost to another: the dataset's head moved since the commit's parent.</summary>
[GenerateSerializer, Alias("ram.CommitConflictException")]
public sealed class CommitConflictException : Exception
{
    public CommitConflictException(string message)
        : base(message)
    {
    }
}

/// <summary>
/// Refused because of the state of the store or cluster, not the request's form: the dataset already exists or is busy,
/// a campaign id was used with another spec, a source changed under a resumed ingest. Waiting, renaming or restarting helps.
/// </summary>
public sealed class ConflictException : InvalidOperationException
{
    public ConflictException(string message)
        : base(message)
    {
    }
}
