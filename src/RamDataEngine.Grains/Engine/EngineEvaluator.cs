using System.Globalization;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Evaluation;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Model;

namespace RamDataEngine.Grains.Engine;

/// <summary>
/// The engine's evaluate step: label quality of each step's version and quality of each model, on the held-out test
/// split, against the truth carried in the base file. Label sets are scored by <see cref="DatasetEvaluator"/>; models
/// score the test rows' features and are judged with the same metric code at their own thresholds.
/// </summary>
public static class EngineEvaluator
{
    public const string Split = "test";

    /// <summary>The name of the label step whose version is the cleaned one (the step before it is the annotated one).</summary>
    public const string CleaningStep = "+cleaning";

    /// <summary>Cleaning that removes more than this share of the labels it was given gets a warning in the report.</summary>
    public const double CleaningWarningShare = 0.2;

    /// <summary>
    /// The label versions (parsed, +generation, +cleaning unless clean was skipped) and models (preliminary, retrained,
    /// fine-tuned) a finished run's report judges, read from the run's recorded status: what judging the run again needs,
    /// whether or not its first report had truth to fill its tables.
    /// </summary>
    public static (IReadOnlyList<(string Name, int Version)> Labels, IReadOnlyList<(string Name, string ModelId)> Models) Judged(EngineStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        EngineStepStatus Step(string name) => status.Step(name)
            ?? throw new InvalidDataException($"Engine run {status.EngineId} has no '{name}' step in its status.");
        int VersionOf(string name) => Step(name).OutputVersion
            ?? throw new InvalidDataException($"Engine run {status.EngineId}: step '{name}' recorded no output version (the run is {status.Phase}).");
        string ModelOf(string name) => Step(name).OutputModel
            ?? throw new InvalidDataException($"Engine run {status.EngineId}: step '{name}' recorded no model (the run is {status.Phase}).");

        var labels = new List<(string, int)> { ("parsed", VersionOf(EngineSteps.Parse)), ("+generation", VersionOf(EngineSteps.Annotate)) };
        // A skipped clean step passes the annotated version on: its "+cleaning" row would only repeat "+generation".
        if (Step(EngineSteps.Clean).State != EngineStepState.Skipped) labels.Add((CleaningStep, VersionOf(EngineSteps.Clean)));
        var models = new List<(string, string)> { ("preliminary", ModelOf(EngineSteps.Train)), ("retrained", ModelOf(EngineSteps.Retrain)), ("fine-tuned", ModelOf(EngineSteps.Finetune)) };
        return (labels, models);
    }

    public static async Task<EngineReport> EvaluateAsync(
        DatasetCatalog catalog, VocabularyStore vocabularies, ModelStore models, string engineId, string dataset,
        IReadOnlyList<(string Name, int Version)> labelSteps, IReadOnlyList<(string Name, string ModelId)> modelSteps, DateTimeOffset now,
        IReadOnlyDictionary<long, string[]>? truth = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(labelSteps);
        ArgumentNullException.ThrowIfNull(modelSteps);
        var report = new EngineReport { EngineId = engineId, Dataset = dataset, Split = Split, CreatedAt = now };
        if (labelSteps.Count == 0) return report with { Message = "Nothing to evaluate." };
        report = report with { Warning = await CleaningWarningAsync(catalog, dataset, labelSteps, cancellationToken) };
        var filter = RowFilter.Parse("split=" + Split);
        bool hasTruth = truth is not null
            ? truth.Keys.Any(RowFilter.IsTestRow)
            : await HasTestTruthAsync(catalog, await catalog.OpenAsync(dataset, labelSteps[0].Version, cancellationToken), cancellationToken);
        if (!hasTruth)
        {
            return report with
            {
                Message = truth is null
                    ? $"No truth: {dataset} carries no truth_labels on its {Split} split, so quality cannot be measured (the engine's outputs are still versioned)."
                    : $"No truth: none of the {truth.Count} rows of the given truth is on the {Split} split of {dataset} (are they its row ids?).",
            };
        }

        var labels = new List<EngineQualityRow>();
        DatasetEvaluation? last = null;
        VersionRoot? lastRoot = null;
        for (int i = 0; i < labelSteps.Count; i++)
        {
            var (name, version) = labelSteps[i];
            var root = await catalog.OpenAsync(dataset, version, cancellationToken);
            var evaluation = await DatasetEvaluator.EvaluateAsync(
                catalog, root, id => vocabularies.LoadAsync(id, cancellationToken), models, truth, filter, cancellationToken);
            // The first step's row is its parsed tags; later steps are judged by their final labels.
            var source = i == 0 ? evaluation.Sources[0] : evaluation.Sources.FirstOrDefault(s => s.Name == "final") ?? evaluation.Sources[0];
            labels.Add(Row(name, $"{dataset}@{version}", evaluation.Rows, source.Report, source.Map));
            (last, lastRoot) = (evaluation, root);
        }

        var modelRows = new List<EngineQualityRow>();
        if (modelSteps.Count > 0)
        {
            var features = await TestFeaturesAsync(catalog, lastRoot!, truth, cancellationToken);
            if (features.Rows != last!.Rows)
            {
                throw new InvalidDataException($"{dataset}@{lastRoot!.Version}: {features.Rows} test rows with features but {last.Rows} with truth.");
            }

            foreach (var (name, modelId) in modelSteps)
            {
                var model = await models.LoadAsync(modelId, cancellationToken);
                var scores = await ScoreAsync(model, features, cancellationToken);
                var thresholds = model.Manifest.Thresholds;
                modelRows.Add(Row(name, modelId, features.Rows, MultiLabelMetrics.AtThresholds(scores, last.Truth, thresholds), AveragePrecision.Compute(scores, last.Truth)));
            }
        }

        return report with { HasTruth = true, Labels = labels, Models = modelRows, UnknownTruthNames = new Dictionary<string, int>(last!.UnknownTruthNames) };
    }

    /// <summary>
    /// Labels in the annotated and the cleaned versions (their manifests' per-tag counts): a model that rejects many of
    /// the labels it was trained on is too weak to judge them (coco_mini: docs/engine.md). Needs no truth.
    /// </summary>
    private static async Task<string?> CleaningWarningAsync(
        DatasetCatalog catalog, string dataset, IReadOnlyList<(string Name, int Version)> labelSteps, CancellationToken cancellationToken)
    {
        int clean = labelSteps.ToList().FindIndex(s => s.Name == CleaningStep);
        if (clean < 1) return null;
        var (beforeVersion, afterVersion) = (labelSteps[clean - 1].Version, labelSteps[clean].Version);
        long before = (await catalog.OpenAsync(dataset, beforeVersion, cancellationToken)).TagCounts.Values.Sum();
        long after = (await catalog.OpenAsync(dataset, afterVersion, cancellationToken)).TagCounts.Values.Sum();
        return CleaningWarning(dataset, beforeVersion, before, afterVersion, after);
    }

    /// <summary>The warning for a cleaning that took <paramref name="before"/> labels to <paramref name="after"/>, or null when it removed at most <see cref="CleaningWarningShare"/>.</summary>
    internal static string? CleaningWarning(string dataset, int beforeVersion, long before, int afterVersion, long after)
    {
        if (before <= 0 || (before - after) <= CleaningWarningShare * before) return null;
        double share = (before - after) / (double)before;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"Cleaning removed {before - after:N0} of {before:N0} labels ({share:P0}): the preliminary model rejects many labels, a sign it is too weak to judge them (too little data?). See `ram datasets diff {dataset}@{beforeVersion} {dataset}@{afterVersion}`; consider --skip-clean or a lower --clean-floor.");
    }

    private static EngineQualityRow Row(string name, string source, int rows, ClassificationReport report, MeanAveragePrecisionResult map) => new()
    {
        Name = name,
        Source = source,
        Rows = rows,
        Map = map.Mean,
        MicroPrecision = report.Micro.Precision,
        MicroRecall = report.Micro.Recall,
        MicroF1 = report.Micro.F1,
        MacroF1 = report.Macro.F1,
    };

    private static async Task<bool> HasTestTruthAsync(DatasetCatalog catalog, VersionRoot root, CancellationToken cancellationToken)
    {
        await foreach (var entry in catalog.ReadShardsAsync(root, cancellationToken))
        {
            var (ids, truth) = await ShardLayers.ReadTruthAsync(catalog, entry.Files[ShardFileKinds.Base], cancellationToken);
            for (int row = 0; row < ids.Length; row++)
            {
                if (truth[row] is not null && RowFilter.IsTestRow(ids[row])) return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The test rows with known truth (in <paramref name="truth"/> when given, else in the base file), in the order
    /// <see cref="DatasetEvaluator"/> lists them (shard order), with every feature token.
    /// </summary>
    private static async Task<TestFeatures> TestFeaturesAsync(
        DatasetCatalog catalog, VersionRoot root, IReadOnlyDictionary<long, string[]>? truth, CancellationToken cancellationToken)
    {
        var values = new List<float>();
        var rejected = new List<bool>();
        int regions = -1, dimension = 0;
        await foreach (var entry in catalog.ReadShardsAsync(root, cancellationToken))
        {
            var featuresFile = entry.Files.GetValueOrDefault(ShardFileKinds.Features)
                ?? throw new InvalidOperationException($"{root.Dataset}@{root.Version} shard {entry.ShardId} has no features layer.");
            var layer = await ShardLayers.ReadFeaturesAsync(catalog, featuresFile, cancellationToken);
            if (regions < 0) (regions, dimension) = (layer.Regions, layer.Dimension);
            var (ids, baseTruth) = await ShardLayers.ReadTruthAsync(catalog, entry.Files[ShardFileKinds.Base], cancellationToken);
            int index = 0;
            foreach (var batch in layer.Batches)
            {
                for (int row = 0; row < batch.Count; row++, index++)
                {
                    if (batch.Ids[row] != ids[index]) throw new InvalidDataException($"Shard {entry.ShardId}: row {index} is id {ids[index]} in the base file but {batch.Ids[row]} in the features layer.");
                    bool known = truth is not null ? truth.ContainsKey(ids[index]) : baseTruth[index] is not null;
                    if (!known || !RowFilter.IsTestRow(ids[index])) continue;
                    rejected.Add(FeaturizeStage.IsRejected(batch, row, regions));
                    values.AddRange(batch.Embedding(row));
                    int have = batch.RegionCounts[row];
                    for (int r = 0; r < regions; r++)
                    {
                        if (r < have) values.AddRange(batch.RegionEmbedding(row, r));
                        else values.AddRange(new float[dimension]);
                    }
                }
            }
        }

        return new TestFeatures(rejected.Count, Math.Max(0, regions), dimension, values.ToArray(), rejected.ToArray());
    }

    private static async Task<ScoreMatrix> ScoreAsync(LoadedModel model, TestFeatures all, CancellationToken cancellationToken)
    {
        int tokens = model.Head.Config.TokenCount;
        if (model.Head.Config.Dimension != all.Dimension) throw new InvalidOperationException($"Model '{model.Manifest.Record.Id}' reads {model.Head.Config.Dimension} floats per token; the features have {all.Dimension}.");
        if (tokens > 1 + all.Regions) throw new InvalidOperationException($"Model '{model.Manifest.Record.Id}' reads {tokens} tokens per image; the features have {1 + all.Regions}.");
        var features = new ImageFeatures(all.Rows, tokens - 1, all.Dimension);
        int stride = (1 + all.Regions) * all.Dimension;
        for (int row = 0; row < all.Rows; row++)
        {
            all.Values.AsSpan(row * stride, tokens * all.Dimension).CopyTo(features.Tokens(row));
        }

        var scores = await model.ScoreAsync(features, cancellationToken);

        // As annotate does: a row whose image was rejected gets no model scores.
        for (int row = 0; row < all.Rows; row++)
        {
            if (all.Rejected[row]) scores.Values.AsSpan(row * scores.TagCount, scores.TagCount).Clear();
        }

        return scores;
    }

    private sealed record TestFeatures(int Rows, int Regions, int Dimension, float[] Values, bool[] Rejected);
}
