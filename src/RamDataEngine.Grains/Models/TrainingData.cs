using RamDataEngine.Core.Evaluation;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Model;

namespace RamDataEngine.Grains.Models;

/// <summary>A dataset version's features and training targets in memory, for a tag head.</summary>
public sealed class TrainingData
{
    public required ImageFeatures Features { get; init; }

    public required LabelMatrix Labels { get; init; }

    public required long[] Ids { get; init; }

    public required string EncoderId { get; init; }

    public required string VocabularyId { get; init; }

    /// <summary>"labels" or "parsed": which layer the targets came from.</summary>
    public required string LabelSource { get; init; }

    /// <summary>Rows left out because their image was rejected at featurize.</summary>
    public int RejectedRows { get; init; }

    /// <summary>
    /// Reads every shard's features layer and its targets: the labels layer when the version has one, else the
    /// parsed-tags layer; applies <paramref name="filter"/>; <paramref name="tagCountOf"/> gives the tag count of the layer's vocabulary. Rows whose image was rejected are left out.
    /// </summary>
    public static async Task<TrainingData> LoadAsync(DatasetCatalog catalog, VersionRoot root, RowFilter filter, Func<string, Task<int>> tagCountOf, CancellationToken cancellationToken = default)
    {
        var values = new List<float>();
        var offsets = new List<int> { 0 };
        var tagIds = new List<int>();
        var ids = new List<long>();
        string? encoderId = null, vocabularyId = null, labelSource = null;
        int regions = -1, dimension = 0, rejected = 0;
        await foreach (var entry in catalog.ReadShardsAsync(root, cancellationToken).ConfigureAwait(false))
        {
            if (!entry.Files.TryGetValue(ShardFileKinds.Features, out var featuresFile))
            {
                throw new InvalidOperationException($"{root.Dataset}@{root.Version} shard {entry.ShardId} has no features layer: run featurize first.");
            }

            bool useLabels = entry.Files.ContainsKey(ShardFileKinds.Labels);
            string kind = useLabels ? ShardFileKinds.Labels : ShardFileKinds.Parsed;
            if (!entry.Files.TryGetValue(kind, out var targetsFile))
            {
                throw new InvalidOperationException($"{root.Dataset}@{root.Version} shard {entry.ShardId} has neither a labels nor a parsed-tags layer: run parse first.");
            }

            labelSource ??= kind;
            var shardFeatures = await ShardLayers.ReadFeaturesAsync(catalog, featuresFile, cancellationToken).ConfigureAwait(false);
            encoderId ??= shardFeatures.EncoderId;
            if (encoderId != shardFeatures.EncoderId) throw new InvalidOperationException($"{root.Dataset}@{root.Version} mixes features of encoders '{encoderId}' and '{shardFeatures.EncoderId}'.");
            if (regions < 0) (regions, dimension) = (shardFeatures.Regions, shardFeatures.Dimension);

            var targets = await ShardLayers.ReadTagsAsync(catalog, targetsFile, useLabels, filter.MinConfidence, cancellationToken).ConfigureAwait(false);
            vocabularyId ??= targets.VocabularyId;
            string[]? sources = filter.NeedsSource ? await ShardLayers.ReadSourcesAsync(catalog, entry.Files[ShardFileKinds.Base], cancellationToken).ConfigureAwait(false) : null;

            int index = 0;
            foreach (var batch in shardFeatures.Batches)
            {
                for (int row = 0; row < batch.Count; row++, index++)
                {
                    long id = batch.Ids[row];
                    if (targets.Ids[index] != id) throw new InvalidDataException($"Shard {entry.ShardId}: row {index} is id {id} in the features layer but {targets.Ids[index]} in the {kind} layer.");
                    if (!filter.Accepts(id, sources is null ? default : sources[index].AsSpan())) continue;
                    if (FeaturizeStage.IsRejected(batch, row, regions))
                    {
                        rejected++;
                        continue;
                    }

                    var tags = targets.Row(index);
                    if (filter.MinConfidence is not null && tags.IsEmpty) continue;
                    ids.Add(id);
                    values.AddRange(batch.Embedding(row));
                    for (int r = 0; r < regions; r++) values.AddRange(batch.RegionEmbedding(row, r));
                    foreach (int tag in tags) tagIds.Add(tag);
                    offsets.Add(tagIds.Count);
                }
            }
        }

        if (vocabularyId is null) throw new InvalidDataException($"{root.Dataset}@{root.Version}: the {labelSource} layer does not name its vocabulary.");
        int tagCount = await tagCountOf(vocabularyId).ConfigureAwait(false);
        if (ids.Count == 0) throw new InvalidOperationException($"{root.Dataset}@{root.Version} has no rows to train on with filter '{filter.Text}'.");
        return new TrainingData
        {
            Features = new ImageFeatures(ids.Count, regions, dimension, values.ToArray()),
            Labels = new LabelMatrix(tagCount, offsets.ToArray(), tagIds.ToArray()),
            Ids = ids.ToArray(),
            EncoderId = encoderId!,
            VocabularyId = vocabularyId,
            LabelSource = labelSource!,
            RejectedRows = rejected,
        };
    }
}
