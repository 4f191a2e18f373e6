using RamDataEngine.Core.Evaluation;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Cleaning;

/// <summary>
/// One shard as both cleaning phases see it: its labels, the model's verdict on each label (kept or
/// <c>model-disagrees</c>), and for each kept label the region that scores highest for that tag. Both phases build it
/// with the same code from the same files, so phase 2 tests exactly the regions phase 1 sampled.
/// </summary>
internal sealed class ShardCleaning
{
    public const string DisagreesReason = "model-disagrees";
    public const string OutlierReason = "outlier";

    private readonly List<LabelsShardBatch> _labels;
    private readonly (int Batch, int Row)[] _labelRows;
    private readonly FeaturesLayer _features;
    private readonly (int Batch, int Row)[] _featureRows;
    private readonly Verdict[][] _verdicts;

    private ShardCleaning(
        List<LabelsShardBatch> labels, (int, int)[] labelRows, FeaturesLayer features, (int, int)[] featureRows, Verdict[][] verdicts, ShardProvenance provenance)
    {
        _labels = labels;
        _labelRows = labelRows;
        _features = features;
        _featureRows = featureRows;
        _verdicts = verdicts;
        Provenance = provenance;
    }

    public int Rows => _labelRows.Length;

    public int Dimension => _features.Dimension;

    /// <summary>The input labels layer's provenance (the model that added tags, the vocabulary).</summary>
    public ShardProvenance Provenance { get; }

    public long Id(int row) => Labels(row).Batch.Ids[Labels(row).Row];

    /// <summary>The labels that survived disagreement, each with its best region (null for a row whose image was rejected).</summary>
    public ReadOnlySpan<Verdict> Kept(int row) => _verdicts[row];

    public ReadOnlySpan<float> Region(int row, int region)
    {
        var (batch, index) = _featureRows[row];
        return _features.Batches[batch].RegionEmbedding(index, region);
    }

    /// <summary>Reads the shard's features and labels layers and judges every label with <paramref name="model"/>.</summary>
    public static async Task<ShardCleaning> LoadAsync(ShardStageContext context, LoadedModel model, CleanOptions options, CancellationToken cancellationToken)
    {
        var input = context.RequireInput();
        var catalog = new DatasetCatalog(context.Store, TimeProvider.System);
        var featuresFile = input.Files.GetValueOrDefault(ShardFileKinds.Features) ?? throw new ShardInputException($"Shard {context.ShardId} has no features layer: run featurize first.");
        var labelsFile = input.Files.GetValueOrDefault(ShardFileKinds.Labels) ?? throw new ShardInputException($"Shard {context.ShardId} has no labels layer: run annotate first.");
        var features = await ShardLayers.ReadFeaturesAsync(catalog, featuresFile, cancellationToken);
        var record = model.Manifest.Record;
        if (features.EncoderId != record.EncoderId)
            throw new ShardInputException($"Shard {context.ShardId} has features of encoder '{features.EncoderId}'; model '{record.Id}' reads '{record.EncoderId}'.");

        var labels = new List<LabelsShardBatch>();
        ShardProvenance provenance;
        await using (var reader = await ShardReader<LabelsShardBatch>.OpenAsync(context.Store, labelsFile.Path, labelsFile.Sha256, cancellationToken))
        {
            provenance = reader.Provenance;
            await foreach (var batch in reader.ReadBatchesAsync(cancellationToken: cancellationToken)) labels.Add(batch);
        }

        if (provenance.VocabularyId is { } vocabulary && vocabulary != record.VocabularyId)
            throw new ShardInputException($"Shard {context.ShardId} is labelled with vocabulary '{vocabulary}'; model '{record.Id}' scores vocabulary '{record.VocabularyId}'.");

        var labelRows = Flatten(labels.Select(b => b.Count));
        var featureRows = Flatten(features.Batches.Select(b => b.Count));
        if (labelRows.Length != featureRows.Length)
            throw new ShardInputException($"Shard {context.ShardId}: the features layer has {featureRows.Length} rows, the labels layer {labelRows.Length}.");

        float[] floors = Floors(model, options);
        var verdicts = new Verdict[labelRows.Length][];
        int first = 0;
        foreach (var batch in features.Batches)
        {
            var global = await model.ScoreAsync(model.InputsOf(batch, features.Regions), cancellationToken);
            var rejected = new bool[batch.Count];
            var withRegions = new List<int>();
            for (int i = 0; i < batch.Count; i++)
            {
                int row = first + i;
                var (lb, lr) = labelRows[row];
                long id = labels[lb].Ids[lr];
                if (batch.Ids[i] != id) throw new ShardInputException($"Shard {context.ShardId}: row {row} is id {batch.Ids[i]} in the features layer but {id} in the labels layer.");
                rejected[i] = FeaturizeStage.IsRejected(batch, i, features.Regions);
                if (!rejected[i] && features.Regions > 0) withRegions.Add(i);
            }

            var regionScores = withRegions.Count > 0
                ? await model.ScoreAsync(model.RegionInputsOf(batch, withRegions.ToArray(), features.Regions), cancellationToken)
                : null;
            for (int i = 0, j = 0; i < batch.Count; i++)
            {
                int row = first + i;
                var (lb, lr) = labelRows[row];
                bool hasRegions = j < withRegions.Count && withRegions[j] == i;
                var regions = hasRegions ? new RegionScores(regionScores!, j++, features.Regions) : default;
                verdicts[row] = Judge(labels[lb].TagIds[lr], global.Row(i), floors, rejected[i], regions, context.ShardId, labels[lb].Ids[lr]);
            }

            first += batch.Count;
        }

        return new ShardCleaning(labels, labelRows, features, featureRows, verdicts, provenance);
    }

    /// <summary>Writes the cleaned labels layer: kept labels with fresh scores, provenance carried over, removals added with their reasons.</summary>
    public async Task<ShardStageResult> WriteAsync(ShardStageContext context, Func<int, Verdict, bool> isOutlier, CancellationToken cancellationToken)
    {
        var input = context.RequireInput();
        var provenance = Provenance with { CampaignId = context.Task.CampaignId, Stage = context.Task.Stage };
        await using var writer = await ShardWriter<LabelsShardBatch>.CreateAsync(context.Store, context.OutputPath(), provenance.ToMetadata(), cancellationToken: cancellationToken);
        var output = new LabelsShardBatch();
        var tagCounts = new Dictionary<int, long>();
        var tags = new List<int>();
        var tagScores = new List<float>();
        var removed = new List<int>();
        var reasons = new List<string>();
        for (int row = 0; row < Rows; row++)
        {
            var (batch, index) = Labels(row);
            tags.Clear();
            tagScores.Clear();
            removed.Clear();
            reasons.Clear();
            removed.AddRange(batch.RemovedTagIds[index]);
            foreach (var reason in batch.RemovedReasons[index]) reasons.Add(reason.ToString());
            foreach (int tag in batch.TagIds[index])
            {
                int kept = IndexOf(_verdicts[row], tag);
                if (kept < 0)
                {
                    removed.Add(tag);
                    reasons.Add(DisagreesReason);
                }
                else if (isOutlier(row, _verdicts[row][kept]))
                {
                    removed.Add(tag);
                    reasons.Add(OutlierReason);
                }
                else
                {
                    tags.Add(tag);
                    tagScores.Add(_verdicts[row][kept].Score);
                    tagCounts[tag] = tagCounts.GetValueOrDefault(tag) + 1;
                }
            }

            output.Add(batch.Ids[index], Span(tags), Span(tagScores), batch.ParsedTagIds[index], batch.AddedTagIds[index], batch.AddedScores[index], Span(removed), Span(reasons));
            if (output.Count >= 4096)
            {
                await writer.WriteAsync(output, cancellationToken);
                output.Clear();
            }
        }

        if (output.Count > 0 || Rows == 0) await writer.WriteAsync(output, cancellationToken);
        var file = await writer.CompleteAsync(cancellationToken: cancellationToken);
        return new ShardStageResult(input.WithLayer(ShardFileKinds.Labels, new ShardFileRef(file.Path, file.Sha256, file.Bytes, file.Rows), tagCounts), file.Rows);
    }

    private (LabelsShardBatch Batch, int Row) Labels(int row)
    {
        var (batch, index) = _labelRows[row];
        return (_labels[batch], index);
    }

    /// <summary>Per tag: the global floor, or the model's threshold for the tag scaled down.</summary>
    private static float[] Floors(LoadedModel model, CleanOptions options)
    {
        var thresholds = model.Manifest.Thresholds;
        return options.DisagreeFloor is { } floor
            ? Enumerable.Repeat(floor, thresholds.Length).ToArray()
            : thresholds.Select(t => t * options.DisagreeThresholdScale).ToArray();
    }

    private static Verdict[] Judge(ReadOnlySpan<int> tags, ReadOnlySpan<float> scores, float[] floors, bool rejected, RegionScores regions, int shard, long id)
    {
        var kept = new List<Verdict>(tags.Length);
        foreach (int tag in tags)
        {
            if ((uint)tag >= (uint)scores.Length) throw new ShardInputException($"Shard {shard}: row {id} has tag id {tag}; the model has {scores.Length} tags.");

            // A rejected image has nothing to disagree with: its labels stay as they are, scored 0 as annotate scores them.
            // The model's evidence is its best view of the tag: the whole image or one region (a small object may show
            // only there).
            int best = regions.Best(tag);
            float evidence = best < 0 ? scores[tag] : Math.Max(scores[tag], regions.Score(best, tag));
            if (!rejected && evidence < floors[tag]) continue;
            kept.Add(new Verdict(tag, best, rejected ? 0f : scores[tag]));
        }

        return kept.ToArray();
    }

    /// <summary>The head's scores of one row's regions (each scored as an image of its own); default = the row has none.</summary>
    private readonly record struct RegionScores(ScoreMatrix? Matrix, int Row, int Regions)
    {
        public int Best(int tag)
        {
            if (Matrix is null) return -1;
            int first = Row * Regions, best = 0;
            for (int r = 1; r < Regions; r++)
            {
                if (Matrix[first + r, tag] > Matrix[first + best, tag]) best = r;
            }

            return best;
        }

        public float Score(int region, int tag) => Matrix![(Row * Regions) + region, tag];
    }

    private static int IndexOf(Verdict[] verdicts, int tag)
    {
        for (int i = 0; i < verdicts.Length; i++)
        {
            if (verdicts[i].Tag == tag) return i;
        }

        return -1;
    }

    private static (int, int)[] Flatten(IEnumerable<int> batchSizes)
    {
        var rows = new List<(int, int)>();
        int batch = 0;
        foreach (int size in batchSizes)
        {
            for (int row = 0; row < size; row++) rows.Add((batch, row));
            batch++;
        }

        return rows.ToArray();
    }

    private static Span<T> Span<T>(List<T> list) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list);

    /// <summary>
    /// A label that survived disagreement, the region scoring highest for its tag (-1: no regions to test) and the model's
    /// score of the tag on the whole image (what the cleaned layer records).
    /// </summary>
    public readonly record struct Verdict(int Tag, int Region, float Score)
    {
        public bool HasRegion => Region >= 0;
    }
}
