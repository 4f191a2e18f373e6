using RamDataEngine.Contracts;
using RamDataEngine.Grains.Cleaning;

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
    /// model's cleaning of it (<see cref="CleanPlanner"/>'s two stages) before the one commit. Thresholds:
    /// <paramref name="threshold"/> (global), else <paramref name="thresholdFile"/> (a RAM-format file in the blob
    /// store), else the model's.
    /// </summary>
    public static CampaignSpec Annotate(
        string dataset, ModelRecord model, int? inputVersion = null, float? threshold = null, string? thresholdFile = null, float? floor = null, int maxInFlight = 8,
        CleanOptions? clean = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var config = new Dictionary<string, string> { [AnnotateStage.ModelKey] = model.Id, ["vocabulary"] = model.VocabularyId };
        var invariant = System.Globalization.CultureInfo.InvariantCulture;
        if (threshold is { } t) config[AnnotateStage.ThresholdKey] = t.ToString(invariant);
        if (thresholdFile is not null) config[AnnotateStage.ThresholdFileKey] = thresholdFile;
        if (floor is { } f) config[AnnotateStage.FloorKey] = f.ToString(invariant);
        string[] stages = [AnnotateStage.StageName];
        if (clean is not null)
        {
            var cleaning = CleanPlanner.Plan(dataset, model, inputVersion, clean, maxInFlight);
            foreach (var (key, value) in cleaning.Config) config[key] = value;
            stages = [.. stages, .. cleaning.Stages];
        }

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
