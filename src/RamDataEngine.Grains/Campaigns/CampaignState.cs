using RamDataEngine.Contracts;

namespace RamDataEngine.Grains.Campaigns;

/// <summary>
/// A campaign's durable state: small at any size. Per-shard progress is not stored here but derived on
/// activation from the result batches it lists, so progress costs one write per batch, not per shard.
/// </summary>
[GenerateSerializer, Alias("ram.CampaignState")]
public sealed class CampaignState
{
    [Id(0)] public CampaignSpec? Spec { get; set; }

    [Id(1)] public CampaignPhase Phase { get; set; }

    [Id(2)] public int StageIndex { get; set; }

    /// <summary>Size of the shard id space: ids 0..ShardSpace-1, some possibly absent from the input.</summary>
    [Id(3)] public int ShardSpace { get; set; }

    /// <summary>The resolved input version (null for source campaigns).</summary>
    [Id(4)] public int? InputVersion { get; set; }

    /// <summary>Result batches of the running stage.</summary>
    [Id(5)] public List<string> Batches { get; set; } = [];

    /// <summary>Result batches of the previous stage: the running stage's input.</summary>
    [Id(6)] public List<string> InputBatches { get; set; } = [];

    [Id(7)] public List<QuarantinedShard> Quarantined { get; set; } = [];

    [Id(8)] public int FailedAttempts { get; set; }

    [Id(9)] public long RowsProcessed { get; set; }

    [Id(10)] public DateTimeOffset? StartedAt { get; set; }

    [Id(11)] public DateTimeOffset? StageStartedAt { get; set; }

    [Id(12)] public DateTimeOffset? EndedAt { get; set; }

    [Id(13)] public string? Message { get; set; }

    [Id(14)] public int? OutputVersion { get; set; }

    [Id(15)] public string? ConfigHash { get; set; }

    /// <summary>Shard ids absent from the input (a parent version that lost shards to quarantine).</summary>
    [Id(16)] public List<int> AbsentShards { get; set; } = [];

    [Id(17)] public int BatchCounter { get; set; }

    /// <summary>Rows processed before the running stage, so throughput covers only the running stage.</summary>
    [Id(18)] public long RowsAtStageStart { get; set; }

    /// <summary>Rows of the input: the input version's rows, or the lines the source plan lists.</summary>
    [Id(19)] public long RowsIn { get; set; }

    /// <summary>Rows in the saved entries of the running stage (written with the batches that hold them).</summary>
    [Id(20)] public long StageRowsKept { get; set; }

    /// <summary>Rows the stages quarantined one by one in saved entries, over every stage (quarantined shards' rows are in <see cref="Quarantined"/>).</summary>
    [Id(21)] public long RowsQuarantined { get; set; }

    /// <summary>The merged quarantine file written before the commit, once written.</summary>
    [Id(22)] public string? QuarantineFile { get; set; }

    /// <summary>
    /// True for campaigns started since rows are counted: a campaign started before (its state restored after an upgrade)
    /// has no row counts, so the row limits are not applied to it.
    /// </summary>
    [Id(23)] public bool CountsRows { get; set; }
}
