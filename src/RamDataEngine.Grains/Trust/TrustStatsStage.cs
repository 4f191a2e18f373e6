using RamDataEngine.Core.Trust;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Trust;

/// <summary>
/// Trust, phase 1 (<c>trust-stats</c>): scores each row of the shard with the head of its fold (out of fold), and counts,
/// per tag, the scores of the rows whose captions name it and of those whose captions do not (whole image and best
/// view), plus caption-recall evidence from rows with several captions. Writes the counts beside the campaign; the
/// shard's entry passes through unchanged to phase 2, which gates with the sum (<see cref="TrustProvider"/>).
/// </summary>
public sealed class TrustStatsStage(ModelStore models) : IShardStage
{
    public const string StageName = "trust-stats";

    /// <summary>The config key naming the judging heads (one id, or one per fold joined by ',').</summary>
    public const string ModelKey = "model";

    public string Name => StageName;

    public StageDevice Device => StageDevice.Cpu;

    public async Task ValidateAsync(Contracts.CampaignSpec spec, CancellationToken cancellationToken)
    {
        string modelIds = StageSettingException.Require(spec, StageName, ModelKey, "a model id, or one per fold joined by ','; see `ram models list`");
        await ModelSettings.RequireModelsAsync(models, StageName, ModelKey, modelIds, cancellationToken);
        await ModelSettings.RequireTrustAsync(models, StageName, spec.Config, cancellationToken);
    }

    public async Task<ShardStageResult> RunAsync(ShardStageContext context, CancellationToken cancellationToken)
    {
        string ids = context.Config.GetValueOrDefault(ModelKey) ?? throw new ArgumentException($"Stage '{StageName}' needs config '{ModelKey}' (model ids).");
        var model = await FoldedModel.LoadAsync(models, CrossFitting.ModelIds(ids, ModelKey), cancellationToken);
        var input = context.RequireInput();
        var catalog = new DatasetCatalog(context.Store, TimeProvider.System);
        var featuresFile = input.Files.GetValueOrDefault(ShardFileKinds.Features) ?? throw new ShardInputException($"Shard {context.ShardId} has no features layer: run featurize first.");
        var parsedFile = input.Files.GetValueOrDefault(ShardFileKinds.Parsed) ?? throw new ShardInputException($"Shard {context.ShardId} has no parsed-tags layer: run parse first.");
        var features = await ShardLayers.ReadFeaturesAsync(catalog, featuresFile, cancellationToken);
        if (features.EncoderId != model.Record.EncoderId)
            throw new ShardInputException($"Shard {context.ShardId} has features of encoder '{features.EncoderId}'; model '{model.Record.Id}' reads '{model.Record.EncoderId}'.");

        var captions = await ReadCaptionTagsAsync(context, parsedFile, model.Record.VocabularyId, cancellationToken);
        var stats = new TrustStats(model.TagCount);
        var captioned = new bool[model.TagCount];
        int index = 0;
        foreach (var batch in features.Batches)
        {
            var scores = await BatchScores.ScoreAsync(model, batch, features.Regions, withRegions: true, cancellationToken);
            for (int row = 0; row < batch.Count; row++, index++)
            {
                if (index >= captions.Count || captions[index].Id != batch.Ids[row])
                    throw new ShardInputException($"Shard {context.ShardId}: row {index} of the features layer (id {batch.Ids[row]}) has no match in the parsed layer.");
                var (_, union, perCaption) = captions[index];
                stats.AddCaptionSet(perCaption.Count);
                if (perCaption.Count >= 2) stats.AddRecallEvidence(perCaption, null);
                if (scores.Rejected[row]) continue;

                stats.Rows++;
                foreach (int tag in union)
                {
                    if ((uint)tag >= (uint)captioned.Length) throw new ShardInputException($"Shard {context.ShardId}: row {batch.Ids[row]} has tag id {tag}; the model has {captioned.Length} tags.");
                    captioned[tag] = true;
                }

                for (int tag = 0; tag < captioned.Length; tag++) stats.Add(tag, captioned[tag], scores.Global[row, tag], scores.BestView(row, tag, out _));
                foreach (int tag in union) captioned[tag] = false;
            }
        }

        if (index != captions.Count) throw new ShardInputException($"Shard {context.ShardId}: the features layer has {index} rows, the parsed layer {captions.Count}.");
        await context.Store.WriteAsync(TrustConfig.ShardStats(context.Task.CampaignId, context.ShardId), stats.ToBytes(), BlobCondition.None, cancellationToken);
        return new ShardStageResult(input, index);
    }

    private static async Task<List<(long Id, int[] Union, IReadOnlyList<IReadOnlySet<int>> PerCaption)>> ReadCaptionTagsAsync(
        ShardStageContext context, ShardFileRef file, string vocabularyId, CancellationToken cancellationToken)
    {
        var rows = new List<(long, int[], IReadOnlyList<IReadOnlySet<int>>)>();
        await using var reader = await ShardReader<ParsedTagsShardBatch>.OpenAsync(context.Store, file.Path, file.Sha256, cancellationToken);
        if (reader.Provenance.VocabularyId is { } vocabulary && vocabulary != vocabularyId)
            throw new ShardInputException($"Shard {context.ShardId} was parsed with vocabulary '{vocabulary}'; the model scores vocabulary '{vocabularyId}'.");
        await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, cancellationToken: cancellationToken))
        {
            for (int row = 0; row < batch.Count; row++)
            {
                int count = batch.CaptionTagIds.ListCount(row);
                var perCaption = new IReadOnlySet<int>[count];
                for (int c = 0; c < count; c++) perCaption[c] = batch.CaptionTagIds.Get(row, c).ToArray().ToHashSet();
                rows.Add((batch.Ids[row], batch.ParsedTagIds[row].ToArray(), perCaption));
            }
        }

        return rows;
    }
}
