using Orleans.Concurrency;

namespace RamDataEngine.Contracts;

/// <summary>Runs one campaign (key: campaign id): stages over every shard, then one commit.</summary>
public interface ICampaignGrain : IGrainWithStringKey
{
    /// <summary>Starts the campaign; a second call with the same spec is a no-op, with another spec an error.</summary>
    Task<CampaignStatus> StartAsync(CampaignSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Current progress. Never waits behind shard work.</summary>
    [AlwaysInterleave]
    Task<CampaignStatus> GetStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>Progress snapshots until the campaign ends (the last one is final).</summary>
    [AlwaysInterleave]
    IAsyncEnumerable<CampaignStatus> WatchAsync(TimeSpan interval, CancellationToken cancellationToken = default);

    /// <summary>Stops dispatching; shards already running finish; the head is left where it was.</summary>
    Task<CampaignStatus> CancelAsync(string reason, CancellationToken cancellationToken = default);

    /// <summary>
    /// Called by shard executors when shard tasks end, on whatever silo they ran: one call carries the outcomes the
    /// executor gathered for this campaign while its previous report was on the way.
    /// </summary>
    Task ReportAsync(IReadOnlyList<ShardOutcome> outcomes, CancellationToken cancellationToken = default);

    /// <summary>Wakes the campaign after a restart; harmless when it is running or finished.</summary>
    Task ResumeAsync(CancellationToken cancellationToken = default);
}

/// <summary>What a campaign does: which stages run over which input, and how hard it tries.</summary>
[GenerateSerializer, Immutable, Alias("ram.CampaignSpec")]
public sealed record CampaignSpec
{
    /// <summary>The dataset read and written (a new one for ingest).</summary>
    [Id(0)] public required string Dataset { get; init; }

    /// <summary>What kind of campaign: "ingest", "parse", "relabel", ... (recorded in lineage).</summary>
    [Id(1)] public required string Kind { get; init; }

    /// <summary>Stage plug-in names, run in order; stage k+1 starts when every shard finished stage k.</summary>
    [Id(2)] public required IReadOnlyList<string> Stages { get; init; }

    /// <summary>Input: a committed version of <see cref="Dataset"/>; null with a source plan (ingest) or for the head.</summary>
    [Id(3)] public int? InputVersion { get; init; }

    /// <summary>Input for source stages: a blob listing one source chunk per shard.</summary>
    [Id(4)] public string? SourcePlanPath { get; init; }

    /// <summary>Options passed to every stage.</summary>
    [Id(5)] public IReadOnlyDictionary<string, string> Config { get; init; } = new Dictionary<string, string>();

    [Id(6)] public int MaxInFlight { get; init; } = 8;

    /// <summary>Attempts per shard and stage before the shard is quarantined.</summary>
    [Id(7)] public int MaxAttempts { get; init; } = 3;

    /// <summary>Create the dataset (ingest): its first version has no parent.</summary>
    [Id(8)] public bool CreatesDataset { get; init; }

    /// <summary>
    /// Commit a new version when every shard is done (the default). False for an analysis campaign (e.g. vocabulary
    /// mining), whose stages hand their results elsewhere: it ends Completed with no version and leaves the head alone.
    /// </summary>
    [Id(9)] public bool Commits { get; init; } = true;

    /// <summary>
    /// Shards that may be quarantined (left out, for a reason that is not their rows' fault: input missing or damaged,
    /// stage misconfigured or failing) before the campaign fails instead of committing without them. Default 0.
    /// </summary>
    [Id(10)] public int MaxQuarantinedShards { get; init; }

    /// <summary>Share of the input's rows (0 to 1) that may be quarantined, row by row or with their shards, before the campaign fails. Default 0.5.</summary>
    [Id(11)] public double MaxQuarantinedRowShare { get; init; } = 0.5;

    /// <summary>How long dispatching may keep failing (no silo takes the shards) before the campaign fails; null: the silo's <c>Ram:Campaigns:DispatchTimeout</c>.</summary>
    [Id(12)] public TimeSpan? DispatchTimeout { get; init; }
}

public enum CampaignPhase
{
    Pending,
    Running,
    Committing,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>A campaign's progress; compact enough to poll often.</summary>
[GenerateSerializer, Immutable, Alias("ram.CampaignStatus")]
public sealed record CampaignStatus
{
    [Id(0)] public required string CampaignId { get; init; }

    [Id(1)] public required CampaignPhase Phase { get; init; }

    [Id(2)] public string? Dataset { get; init; }

    [Id(3)] public string? Kind { get; init; }

    /// <summary>Index and name of the running stage.</summary>
    [Id(4)] public int StageIndex { get; init; }

    [Id(5)] public string? StageName { get; init; }

    [Id(6)] public int StageCount { get; init; }

    [Id(7)] public int Shards { get; init; }

    [Id(8)] public int ShardsDone { get; init; }

    [Id(9)] public int ShardsQuarantined { get; init; }

    [Id(10)] public int ShardsInFlight { get; init; }

    /// <summary>Failed attempts so far (retried or quarantined).</summary>
    [Id(11)] public int FailedAttempts { get; init; }

    [Id(12)] public long RowsProcessed { get; init; }

    [Id(13)] public DateTimeOffset? StartedAt { get; init; }

    [Id(14)] public DateTimeOffset? EndedAt { get; init; }

    /// <summary>Rows per second over the running stage.</summary>
    [Id(15)] public double RowsPerSecond { get; init; }

    /// <summary>Estimated time left in the running stage.</summary>
    [Id(16)] public TimeSpan? EstimatedRemaining { get; init; }

    /// <summary>The version committed, once completed.</summary>
    [Id(17)] public int? OutputVersion { get; init; }

    /// <summary>Why it failed or was cancelled, or what it waits for.</summary>
    [Id(18)] public string? Message { get; init; }

    [Id(19)] public IReadOnlyList<QuarantinedShard> Quarantined { get; init; } = [];

    /// <summary>The silo the campaign grain is active on.</summary>
    [Id(20)] public string? Silo { get; init; }

    /// <summary>Rows the campaign read: its input version's rows, or the rows of its source (known once every shard is done).</summary>
    [Id(21)] public long RowsIn { get; init; }

    /// <summary>Rows in the output (of the last stage so far).</summary>
    [Id(22)] public long RowsKept { get; init; }

    /// <summary>Rows the campaign quarantined: bad rows its stages left out plus the rows of quarantined shards.</summary>
    [Id(23)] public long RowsQuarantined { get; init; }

    /// <summary>The blob listing every row (and shard) the campaign quarantined, with reasons; null when it quarantined none.</summary>
    [Id(24)] public string? QuarantineFile { get; init; }

    /// <summary>Where <see cref="QuarantineFile"/> is for a reader of the store (a local path for the local store).</summary>
    [Id(25)] public string? QuarantineLocation { get; init; }

    public bool IsFinished => Phase is CampaignPhase.Completed or CampaignPhase.Failed or CampaignPhase.Cancelled;
}

/// <summary>One shard task sent to an executor: small, names blobs, never carries data.</summary>
[GenerateSerializer, Immutable, Alias("ram.ShardTask")]
public sealed record ShardTask(
    [property: Id(0)] string CampaignId,
    [property: Id(1)] int StageIndex,
    [property: Id(2)] string Stage,
    [property: Id(3)] int ShardId,
    [property: Id(4)] int Attempt,
    [property: Id(5)] ShardInput Input,
    [property: Id(6)] IReadOnlyDictionary<string, string> Config);

/// <summary>Where a shard task finds its input entry.</summary>
/// <param name="Kind">Version: shard of a committed version; Batch: entry in a result batch of the previous stage; Source: chunk of a source plan.</param>
[GenerateSerializer, Immutable, Alias("ram.ShardInput")]
public sealed record ShardInput(
    [property: Id(0)] ShardInputKind Kind,
    [property: Id(1)] string Dataset,
    [property: Id(2)] int Version,
    [property: Id(3)] string? Path);

public enum ShardInputKind
{
    Version,
    Batch,
    Source,
}

/// <summary>The end of one shard task, reported to its campaign.</summary>
[GenerateSerializer, Immutable, Alias("ram.ShardOutcome")]
public sealed record ShardOutcome
{
    [Id(0)] public required int StageIndex { get; init; }

    [Id(1)] public required int ShardId { get; init; }

    [Id(2)] public required int Attempt { get; init; }

    /// <summary>The shard's new manifest entry as UTF-8 JSON, on success: written into a result batch as it is.</summary>
    [Id(3)] public byte[]? EntryJson { get; init; }

    /// <summary>Why it failed, on failure.</summary>
    [Id(4)] public string? Error { get; init; }

    /// <summary>True when retrying cannot help (bad input): quarantine at once.</summary>
    [Id(5)] public bool Permanent { get; init; }

    [Id(6)] public long Rows { get; init; }

    [Id(7)] public required string Silo { get; init; }

    [Id(8)] public TimeSpan Elapsed { get; init; }

    /// <summary>Rows in the shard's new entry, on success.</summary>
    [Id(9)] public long RowsKept { get; init; }

    /// <summary>Rows this task quarantined (bad rows it left out, each in the shard's quarantine file with its reason).</summary>
    [Id(10)] public long RowsQuarantined { get; init; }

    public bool Succeeded => EntryJson is not null;
}

/// <summary>Takes shard tasks on the silo it is placed on and runs them off the grain scheduler.</summary>
public interface IShardWorkerGrain : IGrainWithStringKey
{
    /// <summary>Queues the tasks on this silo's executor and returns the silo's address at once.</summary>
    Task<string> EnqueueAsync(IReadOnlyList<ShardTask> tasks, CancellationToken cancellationToken = default);
}
