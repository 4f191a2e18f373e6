using RamDataEngine.Contracts;
using RamDataEngine.Grains.Cleaning;
using RamDataEngine.Grains.Trust;

namespace RamDataEngine.Grains.Models;

/// <summary>Specs of the featurize and annotate (relabel) campaigns over a dataset version.</summary>
public static class ModelPlanners
{
    /// <summary>Featurize: a features layer for every shard; <paramref name="device"/> is cpu or cuda.</summary>
    public static CampaignSpec Featurize(string dataset, int? inputVersion = null, string device = "cpu", int maxInFlight = 8)
    {
        _ = FeaturizeStage.ParseDevice(device);
        return new CampaignSpec
        {
            Dataset = dataset,
            Kind = FeaturizeStage.StageName,
            Stages = [FeaturizeStage.StageName],
            InputVersion = inputVersion,
            MaxInFlight = maxInFlight,
            Config = new Dictionary<string, string> { [FeaturizeStage.DeviceKey] = device },
        };
    }

    /// <summary>
    /// Relabel: a labels layer from <paramref name="model"/> (annotate), then, with <paramref name="clean"/>, the same
    /// model's cleaning of it (<see cref="CleanPlanner"/>'s two stages) before the one commit. <paramref name="folds"/>
    /// (fold 0's model id first) judges each row by the head that did not train on it; null = <paramref name="model"/>
    /// judges every row. Unless <paramref name="trust"/> is off or names stored statistics, a <c>trust-stats</c> phase
    /// comes first and the model adds (and cleans) only where the trust gates allow. Thresholds: <paramref name="threshold"/>
    /// (global), else <paramref name="thresholdFile"/> (a RAM-format file in the blob store), as a lower bound on the gates'.
    /// </summary>
    public static CampaignSpec Annotate(
        string dataset, ModelRecord model, int? inputVersion = null, float? threshold = null, string? thresholdFile = null, float? floor = null, int maxInFlight = 8,
        CleanOptions? clean = null, IReadOnlyList<string>? folds = null, TrustPlan? trust = null, int candidates = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        trust ??= TrustPlan.Default;
        string modelIds = folds is { Count: > 0 } ? string.Join(',', folds) : model.Id;
        _ = CrossFitting.ModelIds(modelIds, AnnotateStage.ModelKey);
        var config = new Dictionary<string, string> { [AnnotateStage.ModelKey] = modelIds, ["vocabulary"] = model.VocabularyId };
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        if (threshold is { } t) config[AnnotateStage.ThresholdKey] = t.ToString(invariant);
        if (thresholdFile is not null) config[AnnotateStage.ThresholdFileKey] = thresholdFile;
        if (floor is { } f) config[AnnotateStage.FloorKey] = f.ToString(invariant);
        if (candidates != 0) config[AnnotateStage.CandidatesKey] = candidates.ToString(invariant);
        _ = AnnotateStage.CandidatesOf(config);
        foreach (var (key, value) in trust.ToConfig()) config[key] = value;
        string[] stages = trust.NeedsStatsPhase ? [TrustStatsStage.StageName, AnnotateStage.StageName] : [AnnotateStage.StageName];
        if (clean is not null)
        {
            // The same campaign's statistics gate the cleaning: no second statistics phase.
            foreach (var (key, value) in CleanPlanner.ConfigOf(modelIds, clean)) config[key] = value;
            stages = [.. stages, CleanPlanner.SampleStage, CleanPlanner.ApplyStage];
        }

        _ = TrustConfig.OptionsFrom(config);
        return new CampaignSpec
        {
            Dataset = dataset,
            Kind = "relabel",
            Stages = stages,
            InputVersion = inputVersion,
            MaxInFlight = maxInFlight,
            Config = config,
        };
    }
}
