using System.Globalization;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Evaluation;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Datasets;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Grains.Trust;
using RamDataEngine.Tagging;
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
        var allRows = new List<EngineQualityRow>();
        DatasetEvaluation? last = null;
        VersionRoot? lastRoot = null;
        for (int i = 0; i < labelSteps.Count; i++)
        {
            var (name, version) = labelSteps[i];
            var root = await catalog.OpenAsync(dataset, version, cancellationToken);
            var evaluation = await DatasetEvaluator.EvaluateAsync(
                catalog, root, id => vocabularies.LoadAsync(id, cancellationToken), models, truth, filter, cancellationToken);
            labels.Add(LabelRow(name, $"{dataset}@{version}", evaluation, parsedOnly: i == 0));
            var everyRow = await DatasetEvaluator.EvaluateAsync(
                catalog, root, id => vocabularies.LoadAsync(id, cancellationToken), models, truth, null, cancellationToken);
            allRows.Add(LabelRow(name, $"{dataset}@{version}", everyRow, parsedOnly: i == 0));
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

        return report with
        {
            HasTruth = true, Labels = labels, LabelsAllRows = allRows, Models = modelRows, UnknownTruthNames = new Dictionary<string, int>(last!.UnknownTruthNames),
        };
    }

    /// <summary>A label step's row: the parsed tags (first step) or the final labels, with what changed against the parsed tags.</summary>
    private static EngineQualityRow LabelRow(string name, string source, DatasetEvaluation evaluation, bool parsedOnly)
    {
        var judged = parsedOnly ? evaluation.Sources[0] : evaluation.Sources.FirstOrDefault(s => s.Name == "final") ?? evaluation.Sources[0];
        var row = Row(name, source, evaluation.Rows, judged.Report, judged.Map);
        if (parsedOnly || judged.Name != "final") return row;
        return row with
        {
            Added = evaluation.AddedLabels,
            AddedPrecision = evaluation.AddedLabels == 0 ? null : evaluation.AddedPrecision,
            MissedRecovered = evaluation.CaptionMissedRecall,
            Removed = evaluation.RemovedLabels,
            RemovedSupported = evaluation.RemovedLabels == 0 ? null : evaluation.RemovedSupported,
            EmptyRows = evaluation.EmptyRows,
        };
    }

    /// <summary>
    /// The trust gates of a run, from its annotate and clean campaigns' gate files (<see cref="TrustGateFile"/>), with what
    /// the run did to each tag (the diff of the parsed version and the final one). Needs no truth.
    /// </summary>
    public static async Task<EngineTrustSummary?> TrustSummaryAsync(
        DatasetCatalog catalog, string dataset, int parsedVersion, int finalVersion, string annotateCampaign, string? cleanCampaign, int folds, CancellationToken cancellationToken = default)
    {
        var annotate = await TrustGateFile.ReadAsync(catalog.Store, annotateCampaign, cancellationToken);
        if (annotate is null) return null;
        var clean = cleanCampaign is null ? null : await TrustGateFile.ReadAsync(catalog.Store, cleanCampaign, cancellationToken);
        var diff = await LabelDiff.CompareAsync(
            catalog, await catalog.OpenAsync(dataset, parsedVersion, cancellationToken), await catalog.OpenAsync(dataset, finalVersion, cancellationToken), cancellationToken: cancellationToken);
        var changes = diff.Tags.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var cleanGates = (clean ?? annotate).Tags.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var tags = annotate.Tags.Select(g =>
        {
            var c = cleanGates.GetValueOrDefault(g.Name)?.Trust ?? g.Trust;
            var changed = changes.GetValueOrDefault(g.Name);
            return new EngineTagTrust
            {
                Name = g.Name,
                Support = g.Trust.Support,
                CaptionRecall = g.Trust.CaptionRecall,
                AddPrecision = g.Trust.AddPrecision,
                Threshold = g.Trust.Threshold,
                ConfirmRate = c.ConfirmRate,
                Add = g.Trust.Add,
                Clean = clean is not null && c.Clean,
                AddReason = g.Trust.AddReason,
                CleanReason = clean is null ? "no clean step" : c.CleanReason,
                Added = changed?.Added ?? 0,
                Removed = changed?.Removed ?? 0,
            };
        }).ToList();
        var supported = annotate.Tags.Where(t => t.Trust.Support > 0).ToList();
        return new EngineTrustSummary
        {
            Folds = folds,
            TagsJudged = supported.Count,
            TagsTrustedToAdd = annotate.TagsTrustedToAdd,
            TagsTrustedToClean = clean?.TagsTrustedToClean ?? 0,
            AddAbstentions = supported.Where(t => t.Trust.AddBlock is not null).GroupBy(t => t.Trust.AddBlock!).ToDictionary(g => g.Key, g => g.Count()),
            CleanAbstentions = clean is null ? new Dictionary<string, int>()
                : clean.Tags.Where(t => t.Trust.Support > 0 && t.Trust.CleanBlock is not null).GroupBy(t => t.Trust.CleanBlock!).ToDictionary(g => g.Key, g => g.Count()),
            Tags = tags.OrderByDescending(t => t.Added + t.Removed).ThenByDescending(t => t.Support).Take(20).ToList(),
            GateFiles = clean is null ? [TrustConfig.Gates(annotateCampaign)] : [TrustConfig.Gates(annotateCampaign), TrustConfig.Gates(cleanCampaign!)],
            Audit = annotate.Audit,
        };
    }

    /// <summary>
    /// What cleaning removed, per split (a model judges the rows it trained on more kindly, so a share over all rows can
    /// hide a large one on the held-out rows): a warning for each split where it removed more than
    /// <see cref="CleaningWarningShare"/> of the labels it was given, naming the tags it removed most. Needs no truth.
    /// </summary>
    private static async Task<string?> CleaningWarningAsync(
        DatasetCatalog catalog, string dataset, IReadOnlyList<(string Name, int Version)> labelSteps, CancellationToken cancellationToken)
    {
        int clean = labelSteps.ToList().FindIndex(s => s.Name == CleaningStep);
        if (clean < 1) return null;
        var (beforeVersion, afterVersion) = (labelSteps[clean - 1].Version, labelSteps[clean].Version);
        var root = await catalog.OpenAsync(dataset, afterVersion, cancellationToken);
        var splits = new[] { new SplitRemovals(Split), new SplitRemovals("train") };
        TagVocabulary? vocabulary = null;
        await foreach (var entry in catalog.ReadShardsAsync(root, cancellationToken))
        {
            if (!entry.Files.TryGetValue(ShardFileKinds.Labels, out var file)) continue;
            await using var reader = await ShardReader<LabelsShardBatch>.OpenAsync(catalog.Store, file.Path, file.Sha256, cancellationToken);
            vocabulary ??= reader.Provenance.VocabularyId is { } v ? await new VocabularyStore(catalog.Store).LoadAsync(v, cancellationToken) : null;
            await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, columns: RemovalColumns, cancellationToken: cancellationToken))
            {
                for (int row = 0; row < batch.Count; row++)
                {
                    var split = splits[RowFilter.IsTestRow(batch.Ids[row]) ? 0 : 1];
                    split.Kept += batch.TagIds[row].Length;
                    foreach (int tag in batch.RemovedTagIds[row]) split.Removed[tag] = split.Removed.GetValueOrDefault(tag) + 1;
                }
            }
        }

        var warnings = splits.Select(s => CleaningWarning(dataset, beforeVersion, afterVersion, s.Name, s.Kept + s.Removed.Values.Sum(), s.Removed, t => vocabulary?[t].Name ?? $"#{t}"))
            .OfType<string>().ToList();
        return warnings.Count == 0 ? null : string.Join(Environment.NewLine, warnings);
    }

    private static readonly string[] RemovalColumns = ["id", "tag_ids", "removed_tag_ids"];

    private sealed class SplitRemovals(string name)
    {
        public string Name { get; } = name;

        public long Kept { get; set; }

        public Dictionary<int, long> Removed { get; } = [];
    }

    /// <summary>
    /// The warning for a cleaning that removed <paramref name="removed"/> (per tag) of the <paramref name="before"/> labels
    /// of a split, or null when it removed at most <see cref="CleaningWarningShare"/>.
    /// </summary>
    internal static string? CleaningWarning(
        string dataset, int beforeVersion, int afterVersion, string split, long before, IReadOnlyDictionary<int, long> removed, Func<int, string> nameOf)
    {
        long total = removed.Values.Sum();
        if (before <= 0 || total <= CleaningWarningShare * before) return null;
        double share = total / (double)before;
        var worst = string.Join(", ", removed.OrderByDescending(r => r.Value).ThenBy(r => r.Key).Take(5).Select(r => string.Create(CultureInfo.InvariantCulture, $"{nameOf(r.Key)} ({r.Value:N0})")));
        return string.Create(
            CultureInfo.InvariantCulture,
            $"Cleaning removed {total:N0} of {before:N0} labels ({share:P0}) on the {split} split, most of {worst}: the model rejects many labels, a sign it is too weak to judge them (too little data?). See `ram datasets diff {dataset}@{beforeVersion} {dataset}@{afterVersion}`; consider a higher --clean-confirm or --skip-clean.");
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
