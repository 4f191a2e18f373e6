using RamDataEngine.Core.Trust;

namespace RamDataEngine.Grains.Trust;

/// <summary>How a generation or cleaning campaign gates its model: the targets, and where its statistics come from.</summary>
public sealed record TrustPlan
{
    public static readonly TrustPlan Default = new();

    public TrustOptions Options { get; init; } = new();

    /// <summary>Merged statistics to reuse (another campaign's <c>trust.bin</c>); null = gather them in a <c>trust-stats</c> phase.</summary>
    public string? StatsPath { get; init; }

    /// <summary>A stored caption-recall audit (<see cref="CaptionAudit"/>) to add to the statistics.</summary>
    public string? AuditPath { get; init; }

    /// <summary>No gates: the model adds and removes wherever its scores say (the behaviour before the gates; for comparison).</summary>
    public bool Off { get; init; }

    /// <summary>Whether the campaign needs its own statistics phase before the stages that gate.</summary>
    public bool NeedsStatsPhase => !Off && StatsPath is null;

    public Dictionary<string, string> ToConfig()
    {
        if (Off) return new() { [TrustConfig.GatesKey] = "off" };
        var config = TrustConfig.ConfigOf(Options);
        if (StatsPath is not null) config[TrustConfig.StatsKey] = StatsPath;
        if (AuditPath is not null) config[TrustConfig.AuditKey] = AuditPath;
        return config;
    }
}
