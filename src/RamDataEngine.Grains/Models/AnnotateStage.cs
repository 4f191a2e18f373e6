using System.Globalization;
using RamDataEngine.Core.Evaluation;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Model;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Models;

/// <summary>
/// RAM's pseudo-labelling step: scores every row of a shard with a model version and writes a labels layer.
/// </summary>
/// <remarks>
/// Per row: <c>parsed_tag_ids</c> are the caption tags; <c>added_tag_ids</c>/<c>added_scores</c> are every tag the
/// captions missed that the model scores at or above the floor (default 0.05), so thresholds can change later
/// without scoring again; <c>tag_ids</c>/<c>tag_scores</c> (the final labels, what training reads) are the parsed tags
/// plus the added tags at or above their threshold, each with the model's score. Thresholds: a global value
/// (config <c>threshold</c>), else a RAM-format threshold file in the blob store (<c>thresholds</c>), else the model's
/// own per-tag thresholds. Rows whose image was rejected at featurize keep their parsed tags and get no added ones.
/// Only the labels layer is written: the base and other layers stay the files they were.
/// </remarks>
public sealed class AnnotateStage(ModelStore models) : IShardStage
{
    public const string StageName = "annotate";
    public const string ModelKey = "model";
    public const string FloorKey = "floor";
    public const string ThresholdKey = "threshold";
    public const string ThresholdFileKey = "thresholds";
    public const float DefaultFloor = 0.05f;

    public string Name => StageName;

    public StageDevice Device => StageDevice.Cpu;

    public async Task ValidateAsync(RamDataEngine.Contracts.CampaignSpec spec, CancellationToken cancellationToken)
    {
        string modelId = StageSettingException.Require(spec, StageName, ModelKey, "a model id; see `ram models list`");
        StageSettingException.Check(StageName, () =>
        {
            ParseFloat(spec.Config.GetValueOrDefault(FloorKey), FloorKey);
            ParseFloat(spec.Config.GetValueOrDefault(ThresholdKey), ThresholdKey);
        });
        await ModelSettings.RequireModelAsync(models, StageName, ModelKey, modelId, cancellationToken);
        if (spec.Config.GetValueOrDefault(ThresholdFileKey) is { } path && !await ModelSettings.ExistsAsync(models, StageName, path, cancellationToken))
        {
            throw new StageSettingException($"Stage '{StageName}' setting '{ThresholdFileKey}' names '{path}', which is not in the store.");
        }
    }

    public async Task<ShardStageResult> RunAsync(ShardStageContext context, CancellationToken cancellationToken)
    {
        string modelId = context.Config.GetValueOrDefault(ModelKey) ?? throw new ArgumentException($"Stage '{StageName}' needs config '{ModelKey}' (a model id).");
        float floor = ParseFloat(context.Config.GetValueOrDefault(FloorKey), FloorKey) ?? DefaultFloor;
        var model = await models.LoadAsync(modelId, cancellationToken);
        var thresholds = await ThresholdsAsync(context, model, cancellationToken);
        var input = context.RequireInput();
        var catalog = new DatasetCatalog(context.Store, TimeProvider.System);
        var featuresFile = input.Files.GetValueOrDefault(ShardFileKinds.Features) ?? throw new ShardInputException($"Shard {context.ShardId} has no features layer: run featurize first.");
        var parsedFile = input.Files.GetValueOrDefault(ShardFileKinds.Parsed) ?? throw new ShardInputException($"Shard {context.ShardId} has no parsed-tags layer: run parse first.");
        var features = await ShardLayers.ReadFeaturesAsync(catalog, featuresFile, cancellationToken);
        var record = model.Manifest.Record;
        if (features.EncoderId != record.EncoderId)
        {
            throw new ShardInputException($"Shard {context.ShardId} has features of encoder '{features.EncoderId}'; model '{modelId}' reads '{record.EncoderId}'.");
        }

        var parsed = await ShardLayers.ReadTagsAsync(catalog, parsedFile, labels: false, minConfidence: null, cancellationToken);
        if (parsed.VocabularyId is { } vocabulary && vocabulary != record.VocabularyId)
        {
            throw new ShardInputException($"Shard {context.ShardId} was parsed with vocabulary '{vocabulary}'; model '{modelId}' scores vocabulary '{record.VocabularyId}'.");
        }

        var provenance = new ShardProvenance(ModelId: modelId, CampaignId: context.Task.CampaignId, Stage: StageName, VocabularyId: record.VocabularyId);
        await using var writer = await ShardWriter<LabelsShardBatch>.CreateAsync(context.Store, context.OutputPath(), provenance.ToMetadata(), cancellationToken: cancellationToken);
        var tagCounts = new Dictionary<int, long>();
        var output = new LabelsShardBatch();
        var finalTags = new List<int>();
        var finalScores = new List<float>();
        var addedTags = new List<int>();
        var addedScores = new List<float>();
        var parsedSet = new HashSet<int>();
        int tagCount = model.Head.TagCount;
        int index = 0;
        foreach (var batch in features.Batches)
        {
            var scores = await model.ScoreAsync(model.InputsOf(batch, features.Regions), cancellationToken);
            output.Clear();
            for (int row = 0; row < batch.Count; row++, index++)
            {
                long id = batch.Ids[row];
                if (parsed.Ids[index] != id) throw new ShardInputException($"Shard {context.ShardId}: row {index} is id {id} in the features layer but {parsed.Ids[index]} in the parsed layer.");
                var parsedTags = parsed.Row(index);
                parsedSet.Clear();
                finalTags.Clear();
                finalScores.Clear();
                addedTags.Clear();
                addedScores.Clear();
                bool rejected = FeaturizeStage.IsRejected(batch, row, features.Regions);
                var rowScores = scores.Row(row);
                foreach (int tag in parsedTags)
                {
                    if ((uint)tag >= (uint)tagCount) throw new ShardInputException($"Shard {context.ShardId}: row {id} has tag id {tag}; the model has {tagCount} tags.");
                    parsedSet.Add(tag);
                }

                for (int tag = 0; tag < tagCount; tag++)
                {
                    float score = rejected ? 0f : rowScores[tag];
                    if (parsedSet.Contains(tag))
                    {
                        finalTags.Add(tag);
                        finalScores.Add(score);
                    }
                    else if (!rejected && score >= floor)
                    {
                        addedTags.Add(tag);
                        addedScores.Add(score);
                        if (score >= thresholds[tag])
                        {
                            finalTags.Add(tag);
                            finalScores.Add(score);
                        }
                    }
                }

                foreach (int tag in finalTags) tagCounts[tag] = tagCounts.GetValueOrDefault(tag) + 1;
                output.Add(id, Span(finalTags), Span(finalScores), parsedTags, Span(addedTags), Span(addedScores));
            }

            await writer.WriteAsync(output, cancellationToken);
        }

        if (index != parsed.Count) throw new ShardInputException($"Shard {context.ShardId}: the features layer has {index} rows, the parsed layer {parsed.Count}.");
        var file = await writer.CompleteAsync(cancellationToken: cancellationToken);
        var layer = new ShardFileRef(file.Path, file.Sha256, file.Bytes, file.Rows);
        return new ShardStageResult(input.WithLayer(ShardFileKinds.Labels, layer, tagCounts), file.Rows);
    }

    private static Span<T> Span<T>(List<T> list) => System.Runtime.InteropServices.CollectionsMarshal.AsSpan(list);

    private static async Task<float[]> ThresholdsAsync(ShardStageContext context, LoadedModel model, CancellationToken cancellationToken)
    {
        int tags = model.Head.TagCount;
        if (ParseFloat(context.Config.GetValueOrDefault(ThresholdKey), ThresholdKey) is { } global) return Enumerable.Repeat(global, tags).ToArray();
        if (context.Config.GetValueOrDefault(ThresholdFileKey) is { } path)
        {
            var bytes = await context.Store.ReadAllBytesAsync(path, cancellationToken);
            using var reader = new StreamReader(new MemoryStream(bytes));
            return ThresholdFile.Read(reader, tags, path);
        }

        return model.Manifest.Thresholds;
    }

    private static float? ParseFloat(string? value, string key)
    {
        if (value is null) return null;
        return float.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out float f) && f is >= 0 and <= 1
            ? f
            : throw new ArgumentException($"Config '{key}' must be a number in [0, 1], got '{value}'.");
    }
}
