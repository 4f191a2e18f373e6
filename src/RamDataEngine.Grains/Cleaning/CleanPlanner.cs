using System.Globalization;
using RamDataEngine.Contracts;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Trust;

namespace RamDataEngine.Grains.Cleaning;

/// <summary>How a clean campaign judges labels (RAM's fourth step).</summary>
public sealed record CleanOptions
{
    /// <summary>
    /// A final tag whose model score (on the whole image or its best region) is below this floor is removed
    /// (<c>model-disagrees</c>); null = the model's per-tag thresholds scaled by <see cref="DisagreeThresholdScale"/>.
    /// </summary>
    public float? DisagreeFloor { get; init; } = 0.7f;

    /// <summary>With no global floor: per-tag floor = the model's threshold for the tag times this.</summary>
    public float DisagreeThresholdScale { get; init; } = 0.5f;

    /// <summary>Per tag, the share of its sampled regions cut as outliers (RAM: 10%); 0 turns outlier removal off.</summary>
    public double OutlierFraction { get; init; } = 0.10;

    /// <summary>Tags with fewer sampled regions than this are not outlier-cleaned.</summary>
    public int MinSamples { get; init; } = 20;

    /// <summary>Regions kept per tag in phase 1 (a bounded sample, whatever the dataset size).</summary>
    public int SampleCapacity { get; init; } = 512;

    public long Seed { get; init; } = 42;
}

/// <summary>Plans a clean campaign: phase 1 samples each tag's regions into its tag grain, phase 2 applies the cuts shard by shard.</summary>
public static class CleanPlanner
{
    public const string Kind = "clean";
    public const string SampleStage = "clean-sample";
    public const string ApplyStage = "clean-apply";

    public const string ModelKey = "model";
    public const string DisagreeFloorKey = "disagreeFloor";
    public const string DisagreeScaleKey = "disagreeScale";
    public const string OutlierFractionKey = "outlierFraction";
    public const string MinSamplesKey = "minSamples";
    public const string SampleCapacityKey = "sampleCapacity";
    public const string SeedKey = "seed";

    /// <summary>
    /// A campaign over <paramref name="dataset"/> (its version must have features and a labels layer from <paramref name="model"/>
    /// or any model of the same vocabulary). <paramref name="folds"/> (fold 0's model id first) judges each row by the
    /// head that did not train on it. Unless <paramref name="trust"/> is off or names stored statistics, a
    /// <c>trust-stats</c> phase comes first; only tags the gates allow are cleaned.
    /// </summary>
    public static CampaignSpec Plan(
        string dataset, ModelRecord model, int? inputVersion = null, CleanOptions? options = null, int maxInFlight = 8, IReadOnlyList<string>? folds = null, TrustPlan? trust = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataset);
        ArgumentNullException.ThrowIfNull(model);
        trust ??= TrustPlan.Default;
        string modelIds = folds is { Count: > 0 } ? string.Join(',', folds) : model.Id;
        var config = ConfigOf(modelIds, options ?? new CleanOptions());
        OptionsFrom(config);
        _ = CrossFitting.ModelIds(modelIds, ModelKey);
        foreach (var (key, value) in trust.ToConfig()) config[key] = value;
        config["vocabulary"] = model.VocabularyId;
        _ = TrustConfig.OptionsFrom(config);
        return new CampaignSpec
        {
            Dataset = dataset,
            Kind = Kind,
            Stages = trust.NeedsStatsPhase ? [TrustStatsStage.StageName, SampleStage, ApplyStage] : [SampleStage, ApplyStage],
            InputVersion = inputVersion,
            MaxInFlight = maxInFlight,
            Config = config,
        };
    }

    public static Dictionary<string, string> ConfigOf(string modelId, CleanOptions options)
    {
        var c = CultureInfo.InvariantCulture;
        var config = new Dictionary<string, string>
        {
            [ModelKey] = modelId,
            [DisagreeScaleKey] = options.DisagreeThresholdScale.ToString(c),
            [OutlierFractionKey] = options.OutlierFraction.ToString(c),
            [MinSamplesKey] = options.MinSamples.ToString(c),
            [SampleCapacityKey] = options.SampleCapacity.ToString(c),
            [SeedKey] = options.Seed.ToString(c),
        };
        if (options.DisagreeFloor is { } floor) config[DisagreeFloorKey] = floor.ToString(c);
        return config;
    }

    /// <summary>The options a campaign's config names; throws naming the key when a value is out of range.</summary>
    public static CleanOptions OptionsFrom(IReadOnlyDictionary<string, string> config)
    {
        var defaults = new CleanOptions();
        return new CleanOptions
        {
            DisagreeFloor = config.TryGetValue(DisagreeFloorKey, out var f) ? Number(f, DisagreeFloorKey, 0, 1) : null,
            DisagreeThresholdScale = config.TryGetValue(DisagreeScaleKey, out var s) ? Number(s, DisagreeScaleKey, 0, 1) : defaults.DisagreeThresholdScale,
            OutlierFraction = config.TryGetValue(OutlierFractionKey, out var o) ? Number(o, OutlierFractionKey, 0, 0.5) : defaults.OutlierFraction,
            MinSamples = config.TryGetValue(MinSamplesKey, out var m) ? (int)Number(m, MinSamplesKey, 2, 1_000_000) : defaults.MinSamples,
            SampleCapacity = config.TryGetValue(SampleCapacityKey, out var k) ? (int)Number(k, SampleCapacityKey, 2, 1_000_000) : defaults.SampleCapacity,
            Seed = config.TryGetValue(SeedKey, out var seed) ? long.Parse(seed, CultureInfo.InvariantCulture) : defaults.Seed,
        };
    }

    /// <summary>Refuses a campaign whose config a clean stage cannot run with: options out of range, no model, a model not stored.</summary>
    public static async Task ValidateAsync(CampaignSpec spec, Models.ModelStore models, string stage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        string modelId = Stages.StageSettingException.Require(spec, stage, ModelKey, "a model id; see `ram models list`");
        Stages.StageSettingException.Check(stage, () => OptionsFrom(spec.Config));
        await Models.ModelSettings.RequireModelsAsync(models, stage, ModelKey, modelId, cancellationToken).ConfigureAwait(false);
        await Models.ModelSettings.RequireTrustAsync(models, stage, spec.Config, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The model a clean campaign judges labels with.</summary>
    public static string ModelOf(IReadOnlyDictionary<string, string> config)
        => config.GetValueOrDefault(ModelKey) ?? throw new ArgumentException($"A clean campaign needs config '{ModelKey}' (a model id).");

    /// <summary>Each tag samples with its own priorities, so one row is not favoured for every tag at once.</summary>
    public static long SampleSeed(long seed, int tag) => seed ^ (long)(0x9E3779B97F4A7C15UL * (ulong)(tag + 1));

    private static float Number(string text, string key, double min, double max)
        => float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && v >= min && v <= max
            ? v
            : throw new ArgumentException($"Clean config '{key}' is '{text}'; it must be a number from {min} to {max}.");
}
