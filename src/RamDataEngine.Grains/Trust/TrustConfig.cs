using System.Globalization;
using RamDataEngine.Core.Trust;
using RamDataEngine.Grains.Cleaning;

namespace RamDataEngine.Grains.Trust;

/// <summary>The campaign config keys of the trust gates, and where a campaign keeps its trust files.</summary>
public static class TrustConfig
{
    /// <summary>Blob path of merged trust statistics to reuse (e.g. the annotate campaign's, for the clean that follows); absent = the campaign gathers its own in a <c>trust-stats</c> phase.</summary>
    public const string StatsKey = "trust";

    /// <summary>Blob path of a caption-recall audit (<see cref="CaptionAudit"/>) to merge into the statistics.</summary>
    public const string AuditKey = "audit";

    /// <summary>"off": the model changes whatever its scores say, with no gate (the old behaviour, for comparison).</summary>
    public const string GatesKey = "gates";

    public const string AddPrecisionKey = "addPrecision";
    public const string MinSupportKey = "minSupport";
    public const string MinRecallTrialsKey = "minRecallTrials";
    public const string CleanConfirmKey = "cleanConfirm";
    public const string MinAddThresholdKey = "minAddThreshold";
    public const string MinCaptionRecallKey = "minCaptionRecall";
    public const string ZKey = "confidenceZ";
    public const string MaxCaptionRecallKey = "maxCaptionRecall";
    public const string RemovePrecisionKey = "removePrecision";

    public static string Folder(string campaignId) => $"{Campaigns.CampaignPaths.Campaign(campaignId)}/trust";

    /// <summary>Phase 1's statistics of one shard (deterministic: a retried shard overwrites its own).</summary>
    public static string ShardStats(string campaignId, int shardId) => $"{Folder(campaignId)}/{RamDataEngine.Datasets.Versions.DatasetPaths.ShardName(shardId)}.bin";

    /// <summary>Every shard's statistics summed (and the audit's recall counts), written once phase 2 first needs them.</summary>
    public static string MergedStats(string campaignId) => $"{Campaigns.CampaignPaths.Campaign(campaignId)}/trust.bin";

    /// <summary>The gates per tag as applied, readable: what `ram engine report` shows.</summary>
    public static string Gates(string campaignId) => $"{Campaigns.CampaignPaths.Campaign(campaignId)}/gates.json";

    public static bool GatesOff(IReadOnlyDictionary<string, string> config) => config.GetValueOrDefault(GatesKey) == "off";

    /// <summary>The options a campaign's config names (the cleaning floor from the clean config); throws naming the key when a value is out of range.</summary>
    public static TrustOptions OptionsFrom(IReadOnlyDictionary<string, string> config)
    {
        var defaults = new TrustOptions();
        var options = new TrustOptions
        {
            AddPrecision = Number(config, AddPrecisionKey, defaults.AddPrecision),
            MinSupport = (int)Number(config, MinSupportKey, defaults.MinSupport),
            MinRecallTrials = (int)Number(config, MinRecallTrialsKey, defaults.MinRecallTrials),
            CleanConfirm = Number(config, CleanConfirmKey, defaults.CleanConfirm),
            MinAddThreshold = (float)Number(config, MinAddThresholdKey, defaults.MinAddThreshold),
            MinCaptionRecall = Number(config, MinCaptionRecallKey, defaults.MinCaptionRecall),
            Z = Number(config, ZKey, defaults.Z),
            MaxCaptionRecall = Number(config, MaxCaptionRecallKey, defaults.MaxCaptionRecall),
            RemovePrecision = Number(config, RemovePrecisionKey, defaults.RemovePrecision),
            CleanFloor = (float)Number(config, CleanPlanner.DisagreeFloorKey, defaults.CleanFloor),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"Trust config: {e.Message}", e);
        }

        return options;
    }

    /// <summary>The config entries of <paramref name="options"/> (only those that differ from the defaults, so specs stay short).</summary>
    public static Dictionary<string, string> ConfigOf(TrustOptions options)
    {
        var d = new TrustOptions();
        var c = CultureInfo.InvariantCulture;
        var config = new Dictionary<string, string>();
        if (options.AddPrecision != d.AddPrecision) config[AddPrecisionKey] = options.AddPrecision.ToString(c);
        if (options.MinSupport != d.MinSupport) config[MinSupportKey] = options.MinSupport.ToString(c);
        if (options.MinRecallTrials != d.MinRecallTrials) config[MinRecallTrialsKey] = options.MinRecallTrials.ToString(c);
        if (options.CleanConfirm != d.CleanConfirm) config[CleanConfirmKey] = options.CleanConfirm.ToString(c);
        if (options.MinAddThreshold != d.MinAddThreshold) config[MinAddThresholdKey] = options.MinAddThreshold.ToString(c);
        if (options.MinCaptionRecall != d.MinCaptionRecall) config[MinCaptionRecallKey] = options.MinCaptionRecall.ToString(c);
        if (options.Z != d.Z) config[ZKey] = options.Z.ToString(c);
        if (options.MaxCaptionRecall != d.MaxCaptionRecall) config[MaxCaptionRecallKey] = options.MaxCaptionRecall.ToString(c);
        if (options.RemovePrecision != d.RemovePrecision) config[RemovePrecisionKey] = options.RemovePrecision.ToString(c);
        return config;
    }

    private static double Number(IReadOnlyDictionary<string, string> config, string key, double fallback)
    {
        if (!config.TryGetValue(key, out var text)) return fallback;
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && double.IsFinite(v)
            ? v
            : throw new ArgumentException($"Trust config '{key}' is '{text}'; it must be a number.");
    }
}
