using System.ComponentModel.DataAnnotations;

namespace RamDataEngine.Grains.Execution;

/// <summary>How much shard work one silo runs at once.</summary>
public sealed class ShardExecutorOptions
{
    public const string SectionName = "Ram:Executor";

    /// <summary>CPU-stage tasks running at once on this silo.</summary>
    [Range(1, 1024)]
    public int CpuConcurrency { get; set; } = Environment.ProcessorCount;

    /// <summary>GPU devices of this silo; each gets its own queue running one task at a time. 0 on cpu silos.</summary>
    [Range(0, 64)]
    public int GpuDevices { get; set; }

    /// <summary>Attempts to report a finished task to its campaign before giving up (the campaign re-dispatches lost tasks).</summary>
    [Range(1, 100)]
    public int ReportAttempts { get; set; } = 5;

    /// <summary>Most outcomes sent in one report call; more wait for the next call.</summary>
    [Range(1, 100_000)]
    public int MaxReportBatch { get; set; } = 1024;
}
