using System.ComponentModel.DataAnnotations;

namespace RamDataEngine.Grains.Campaigns;

/// <summary>How campaigns pace themselves; the defaults suit production, tests shorten the times.</summary>
public sealed class CampaignOptions
{
    public const string SectionName = "Ram:Campaigns";

    /// <summary>How often a campaign flushes results, checks leases and dispatches due retries.</summary>
    public TimeSpan TickInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Completed shards buffered before a write of their entries as one result batch starts; while that write runs,
    /// later results gather for the next one, so batches grow with the storage's write latency (and a tick writes
    /// whatever is buffered).
    /// </summary>
    [Range(1, 100_000)]
    public int FlushBatchSize { get; set; } = 512;

    /// <summary>A dispatched shard not reported within this time is dispatched again.</summary>
    public TimeSpan ShardLease { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>First retry delay of a failed shard; doubles per attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Period of the reminder that wakes a campaign after its silo or the whole cluster restarted.</summary>
    public TimeSpan ResumeReminderPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// With no "gpu" silo in the cluster: false (embedded default) runs GPU stages on CPU silos with a warning;
    /// true (a cluster configured to require GPUs) makes GPU stages wait, visibly, for a gpu silo.
    /// </summary>
    public bool RequireGpuSilos { get; set; }

    /// <summary>
    /// How long shards may keep failing to be dispatched (no silo takes them: none hosts their worker, a stage no silo
    /// has, a gpu silo required and absent) before the campaign fails with the last error. A campaign's spec may set its own.
    /// </summary>
    public TimeSpan DispatchTimeout { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Worker grain slots per device kind; activations spread over silos, so more slots spread wider.</summary>
    [Range(1, 4096)]
    public int WorkerSlots { get; set; } = 64;
}
