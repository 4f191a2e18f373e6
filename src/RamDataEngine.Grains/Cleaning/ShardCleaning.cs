using RamDataEngine.Core.Trust;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Grains.Trust;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Cleaning;

/// <summary>
/// One shard as both cleaning phases see it: its labels, the model's verdict on each label (kept or
/// <c>model-disagrees</c>), and for each kept label the region that scores highest for that tag. Both phases build it
/// with the same code from the same files, so phase 2 tests exactly the regions phase 1 sampled.
/// </summary>
/// <remarks>
/// Each row is judged out of fold (by the head that did not train on it), and only labels of tags the trust gates
/// allow cleaning of (<see cref="TagTrust.Clean"/>) can be removed at all: for the others the model's disagreement
/// means too little, and the labels stay as they are (no region either, so the outlier cut passes them by).
/// </remarks>
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

    /// <summary>The verdict on each of the row's labels; those kept carry their best region (-1: none to test).</summary>
    public ReadOnlySpan<Verdict> Verdicts(int row) => _verdicts[row];

    public ReadOnlySpan<float> Region(int row, int region)
    {
        var (batch, index) = _featureRows[row];
        return _features.Batches[batch].RegionEmbedding(index, region);
    }

    /// <summary>Reads the shard's features and labels layers and judges every label with <paramref name="model"/>.</summary>
    public static async Task<ShardCleaning> LoadAsync(ShardStageContext context, ModelStore models, TrustProvider trust, CleanOptions options, CancellationToken cancellationToken)
    {
        string modelIds = CleanPlanner.ModelOf(context.Config);
        var model = await FoldedModel.LoadAsync(models, CrossFitting.ModelIds(modelIds, CleanPlanner.ModelKey), cancellationToken);
        var gates = TrustConfig.GatesOff(context.Config) ? null : await trust.GatesAsync(context, model.Id, model.Record.VocabularyId, cancellationToken);
        return await LoadAsync(context, model, options, gates, cancellationToken);
    }

    /// <param name="gates">Per tag, whether cleaning may touch it; null = every tag (gates off).</param>
    private static async Task<ShardCleaning> LoadAsync(
        ShardStageContext context, FoldedModel model, CleanOptions options, IReadOnlyList<TagTrust>? gates, CancellationToken cancellationToken)
    {
        var input = context.RequireInput();
        var catalog = new DatasetCatalog(context.Store, TimeProvider.System);
        var featuresFile = input.Files.GetValueOrDefault(ShardFileKinds.Features) ?? throw new ShardInputException($"Shard {context.ShardId} has no features layer: run featurize first.");
        var labelsFile = input.Files.GetValueOrDefault(ShardFileKinds.Labels) ?? throw new ShardInputException($"Shard {context.ShardId} has no labels layer: run annotate first.");
        var features = await ShardLayers.ReadFeaturesAsync(catalog, featuresFile, cancellationToken);
        var record = model.Record;
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
            for (int i = 0; i < batch.Count; i++)
            {
                var (lb, lr) = labelRows[first + i];
                long id = labels[lb].Ids[lr];
                if (batch.Ids[i] != id) throw new ShardInputException($"Shard {context.ShardId}: row {first + i} is id {batch.Ids[i]} in the features layer but {id} in the labels layer.");
            }

            var scores = await BatchScores.ScoreAsync(model, batch, features.Regions, withRegions: true, cancellationToken);
            for (int i = 0; i < batch.Count; i++)
            {
                var (lb, lr) = labelRows[first + i];
                verdicts[first + i] = Judge(labels[lb].TagIds[lr], scores, i, floors, gates, context.ShardId, labels[lb].Ids[lr]);
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
        var removedScores = new List<float>();
        for (int row = 0; row < Rows; row++)
        {
            var (batch, index) = Labels(row);
            tags.Clear();
            tagScores.Clear();
            removed.Clear();
            reasons.Clear();
            removedScores.Clear();
            removed.AddRange(batch.RemovedTagIds[index]);
            foreach (var reason in batch.RemovedReasons[index]) reasons.Add(reason.ToString());
            removedScores.AddRange(batch.RemovedScores[index]);
            var rowTags = batch.TagIds[index];
            for (int i = 0; i < rowTags.Length; i++)
            {
                int tag = rowTags[i];
                var verdict = _verdicts[row][i];
                if (!verdict.Kept)
                {
                    removed.Add(tag);
                    reasons.Add(DisagreesReason);
                    removedScores.Add(verdict.Score);
                }
                else if (isOutlier(row, verdict))
                {
                    removed.Add(tag);
                    reasons.Add(OutlierReason);
                    removedScores.Add(verdict.Score);
                }
                else
                {
                    tags.Add(tag);
                    tagScores.Add(verdict.Score);
                    tagCounts[tag] = tagCounts.GetValueOrDefault(tag) + 1;
                }
            }

            output.Add(batch.Ids[index], Span(tags), Span(tagScores), batch.ParsedTagIds[index], batch.AddedTagIds[index], batch.AddedScores[index], Span(removed), Span(reasons), Span(removedScores), batch.CandidateTagIds[index], batch.CandidateScores[index]);
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
    private static float[] Floors(FoldedModel model, CleanOptions options)
    {
        var thresholds = model.Thresholds;
        return options.DisagreeFloor is { } floor
            ? Enumerable.Repeat(floor, thresholds.Length).ToArray()
            : thresholds.Select(t => t * options.DisagreeThresholdScale).ToArray();
    }

    private static Verdict[] Judge(ReadOnlySpan<int> tags, BatchScores scores, int row, float[] floors, IReadOnlyList<TagTrust>? gates, int shard, long id)
    {
        var verdicts = new Verdict[tags.Length];
        bool rejected = scores.Rejected[row];
        for (int i = 0; i < tags.Length; i++)
        {
            int tag = tags[i];
            if ((uint)tag >= (uint)floors.Length) throw new ShardInputException($"Shard {shard}: row {id} has tag id {tag}; the model has {floors.Length} tags.");

            // A rejected image has nothing to disagree with, and an untrusted tag's disagreement means too little: both
            // keep their labels, scored as annotate scores them, with no region for the outlier cut. The model's evidence
            // is its best view of the tag: the whole image or one region (a small object may show only there).
            float score = scores.Global[row, tag];
            if (rejected || (gates is not null && !gates[tag].Clean))
            {
                verdicts[i] = new Verdict(tag, -1, score, Kept: true);
                continue;
            }

            float evidence = scores.BestView(row, tag, out int best);
            verdicts[i] = new Verdict(tag, best, score, Kept: evidence >= floors[tag]);
        }

        return verdicts;
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
    /// A label's verdict: kept or disagreed with, the region scoring highest for its tag (-1: no regions to test, or the
    /// tag is not one cleaning may touch) and the model's score of the tag on the whole image (what the layer records).
    /// </summary>
    public readonly record struct Verdict(int Tag, int Region, float Score, bool Kept)
    {
        public bool HasRegion => Kept && Region >= 0;
    }
}
