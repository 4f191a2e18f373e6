using System.ComponentModel;
using RamDataEngine.Cli.Commands;
using RamDataEngine.Core.Trust;
using RamDataEngine.Grains.Trust;
using RamDataEngine.Storage;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Infrastructure;

/// <summary>The trust-gate options a command takes (annotate, clean, engine start).</summary>
public interface IGateSettings
{
    bool NoGates { get; }

    double AddPrecision { get; }

    int MinSupport { get; }

    double CleanConfirm { get; }

    double MinCaptionRecall { get; }

    double ConfidenceZ { get; }

    double RemovePrecision { get; }

    string? Audit { get; }

    string? AuditExclude { get; }
}

/// <summary>Turning gate options into a campaign's trust plan, once for every command that takes them.</summary>
public static class Gates
{
    public static TrustOptions OptionsOf(IGateSettings settings) => new()
    {
        AddPrecision = settings.AddPrecision,
        MinSupport = settings.MinSupport,
        CleanConfirm = settings.CleanConfirm,
        MinCaptionRecall = settings.MinCaptionRecall,
        Z = settings.ConfidenceZ,
        RemovePrecision = settings.RemovePrecision,
    };

    /// <summary>The stored audit's blob path (the JSONL counted with <paramref name="vocabularyId"/>'s parser), or null without --audit.</summary>
    public static async Task<string?> AuditAsync(IBlobStore store, IGateSettings settings, string? vocabularyId, CancellationToken cancellationToken)
    {
        if (settings.Audit is not { } file) return null;
        if (vocabularyId is null) throw new ArgumentException("--audit needs the vocabulary the captions are parsed with: give --vocab.");
        return (await Audits.StoreAsync(store, file, vocabularyId, settings.AuditExclude, cancellationToken)).Path;
    }

    /// <summary>The plan of a standalone annotate or clean: its own statistics phase (with the audit), or another campaign's statistics.</summary>
    public static async Task<TrustPlan> PlanAsync(IBlobStore store, IGateSettings settings, string vocabularyId, string? statsOfCampaign, CancellationToken cancellationToken)
    {
        if (settings.NoGates) return new TrustPlan { Off = true };
        var options = OptionsOf(settings);
        options.Validate();
        if (statsOfCampaign is not null)
        {
            string path = TrustConfig.MergedStats(statsOfCampaign);
            if (await store.GetPropertiesAsync(path, cancellationToken) is null) throw new ArgumentException($"Campaign '{statsOfCampaign}' has no trust statistics ({path}).");
            return new TrustPlan { Options = options, StatsPath = path };
        }

        return new TrustPlan { Options = options, AuditPath = await AuditAsync(store, settings, vocabularyId, cancellationToken) };
    }
}

/// <summary>Options of the commands that change labels with a model: the trust gates, and which heads judge which rows.</summary>
public abstract class GateSettings : EngineSettings, IGateSettings
{
    [CommandOption("--no-gates")]
    [Description("Let the model add and remove wherever its scores say, with no per-tag trust gate (for comparison).")]
    public bool NoGates { get; init; }

    [CommandOption("--add-precision <P>")]
    [Description("Generation adds a tag only where the estimated precision of its additions reaches P. Default: 0.8.")]
    public double AddPrecision { get; init; } = 0.8;

    [CommandOption("--min-support <N>")]
    [Description("Tags named by fewer captions than N are left as the captions say. Default: 50.")]
    public int MinSupport { get; init; } = TrustOptions.DefaultMinSupport;

    [CommandOption("--clean-confirm <C>")]
    [Description("Cleaning touches a tag only where the model confirms at least this share of its caption labels. Default: 0.9.")]
    public double CleanConfirm { get; init; } = 0.9;

    [CommandOption("--remove-precision <P>")]
    [Description("Cleaning needs an audit's reviewed labels to show captions wrong often enough to explain this share of the model's disagreements. Default: 0.5.")]
    public double RemovePrecision { get; init; } = TrustOptions.DefaultRemovePrecision;

    [CommandOption("--min-caption-recall <R>")]
    [Description("Generation adds only tags that captions name at least this often when present. Default: 0.3.")]
    public double MinCaptionRecall { get; init; } = 0.3;

    [CommandOption("--confidence-z <Z>")]
    [Description("z of the one-sided confidence bounds on the estimated rates. Default: 0.25 (1.645 = 95%).")]
    public double ConfidenceZ { get; init; } = TrustOptions.DefaultZ;

    [CommandOption("--audit <FILE.jsonl>")]
    [Description("Images with several captions or reviewed labels (see `ram audit`): the caption recall per tag that generation's gate needs.")]
    public string? Audit { get; init; }

    [CommandOption("--audit-exclude <FILE.jsonl>")]
    [Description("Leave out of the audit the images whose image_id is in this JSONL.")]
    public string? AuditExclude { get; init; }

    [CommandOption("--trust-from <CAMPAIGN>")]
    [Description("Gate with the trust statistics another campaign gathered (e.g. the annotate campaign before this clean) instead of gathering them again.")]
    public string? TrustFrom { get; init; }
}
