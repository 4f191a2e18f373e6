using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;

namespace RamDataEngine.Grains.Models;

/// <summary>A features layer read whole: its row groups, encoder and region count.</summary>
public sealed record FeaturesLayer(IReadOnlyList<FeaturesShardBatch> Batches, string EncoderId, int Regions, int Dimension);

/// <summary>Tag id lists of one layer, flattened (offsets into one array: no object per row), with optional scores.</summary>
public sealed class TagRows
{
    public required long[] Ids { get; init; }

    public required int[] Offsets { get; init; }

    public required int[] Tags { get; init; }

    /// <summary>A score per tag, aligned with <see cref="Tags"/>; null for layers without scores.</summary>
    public float[]? Scores { get; init; }

    public string? VocabularyId { get; init; }

    public string? ModelId { get; init; }

    public int Count => Ids.Length;

    public ReadOnlySpan<int> Row(int row) => Tags.AsSpan(Offsets[row], Offsets[row + 1] - Offsets[row]);

    public ReadOnlySpan<float> RowScores(int row) => Scores is null ? default : Scores.AsSpan(Offsets[row], Offsets[row + 1] - Offsets[row]);
}

/// <summary>Reads whole layer files of one shard (a shard is small: thousands of rows).</summary>
public static class ShardLayers
{
    private static readonly string[] SourceOnly = ["source"];
    private static readonly string[] TruthOnly = ["truth_labels", "truth_known"];

    public static async Task<FeaturesLayer> ReadFeaturesAsync(DatasetCatalog catalog, ShardFileRef file, CancellationToken cancellationToken)
    {
        await using var reader = await ShardReader<FeaturesShardBatch>.OpenAsync(catalog.Store, file.Path, file.Sha256, cancellationToken).ConfigureAwait(false);
        string encoderId = reader.Metadata.GetValueOrDefault(ShardMetadataKeys.EncoderId) ?? throw new InvalidDataException($"Features layer '{file.Path}' does not name its encoder.");
        var batches = new List<FeaturesShardBatch>();
        int regions = 0, dimension = 0;
        await foreach (var batch in reader.ReadBatchesAsync(cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            batches.Add(batch);
            dimension = Math.Max(dimension, batch.Dimension);
            foreach (int r in batch.RegionCounts) regions = Math.Max(regions, r);
        }

        return new FeaturesLayer(batches, encoderId, regions, dimension);
    }

    /// <summary>
    /// The tags of a parsed-tags layer (<paramref name="labels"/> false: parsed_tag_ids) or a labels layer (the final
    /// tag_ids with their scores, dropping those scored below <paramref name="minConfidence"/>).
    /// </summary>
    public static async Task<TagRows> ReadTagsAsync(DatasetCatalog catalog, ShardFileRef file, bool labels, float? minConfidence, CancellationToken cancellationToken)
    {
        var ids = new List<long>();
        var offsets = new List<int> { 0 };
        var tags = new List<int>();
        var scores = labels ? new List<float>() : null;
        string? vocabulary, model;
        if (labels)
        {
            await using var reader = await ShardReader<LabelsShardBatch>.OpenAsync(catalog.Store, file.Path, file.Sha256, cancellationToken).ConfigureAwait(false);
            (vocabulary, model) = (reader.Provenance.VocabularyId, reader.Provenance.ModelId);
            await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                for (int row = 0; row < batch.Count; row++)
                {
                    ids.Add(batch.Ids[row]);
                    var rowTags = batch.TagIds[row];
                    var rowScores = batch.TagScores[row];
                    for (int i = 0; i < rowTags.Length; i++)
                    {
                        if (minConfidence is { } min && rowScores[i] < min) continue;
                        tags.Add(rowTags[i]);
                        scores!.Add(rowScores[i]);
                    }

                    offsets.Add(tags.Count);
                }
            }
        }
        else
        {
            await using var reader = await ShardReader<ParsedTagsShardBatch>.OpenAsync(catalog.Store, file.Path, file.Sha256, cancellationToken).ConfigureAwait(false);
            (vocabulary, model) = (reader.Provenance.VocabularyId, null);
            await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, cancellationToken: cancellationToken).ConfigureAwait(false))
            {
                for (int row = 0; row < batch.Count; row++)
                {
                    ids.Add(batch.Ids[row]);
                    foreach (int tag in batch.ParsedTagIds[row]) tags.Add(tag);
                    offsets.Add(tags.Count);
                }
            }
        }

        return new TagRows { Ids = ids.ToArray(), Offsets = offsets.ToArray(), Tags = tags.ToArray(), Scores = scores?.ToArray(), VocabularyId = vocabulary, ModelId = model };
    }

    public static async Task<string[]> ReadSourcesAsync(DatasetCatalog catalog, ShardFileRef file, CancellationToken cancellationToken)
    {
        var sources = new List<string>();
        await using var reader = await ShardReader<BaseShardBatch>.OpenAsync(catalog.Store, file.Path, file.Sha256, cancellationToken).ConfigureAwait(false);
        await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, columns: SourceOnly, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            foreach (var source in batch.Sources) sources.Add(source.ToString());
        }

        return sources.ToArray();
    }

    /// <summary>The ground-truth label names of each row of a base file (null where unknown).</summary>
    public static async Task<(long[] Ids, string[]?[] Labels)> ReadTruthAsync(DatasetCatalog catalog, ShardFileRef file, CancellationToken cancellationToken)
    {
        var ids = new List<long>();
        var labels = new List<string[]?>();
        await using var reader = await ShardReader<BaseShardBatch>.OpenAsync(catalog.Store, file.Path, file.Sha256, cancellationToken).ConfigureAwait(false);
        await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, columns: TruthOnly, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            for (int row = 0; row < batch.Count; row++)
            {
                ids.Add(batch.Ids[row]);
                labels.Add(batch.TruthKnown[row] ? batch.TruthLabels[row].ToArray().Select(m => m.ToString()).ToArray() : null);
            }
        }

        return (ids.ToArray(), labels.ToArray());
    }
}
