using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Evaluation;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Model;
using RamDataEngine.Model.Heads;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Models;

/// <summary>What <c>models/{id}/model.json</c> holds: the registry record plus the per-tag thresholds.</summary>
public sealed record ModelManifest(ModelRecord Record, float[] Thresholds);

/// <summary>
/// Models as immutable artifacts in the blob store: <c>models/{id}/head.bin</c> (the tag head's weights) and
/// <c>models/{id}/model.json</c> (lineage, hyperparameters, metrics, thresholds), both written if-not-exists.
/// Training checkpoints live under <c>models/jobs/{job}/</c>. Loaded heads are cached per silo.
/// </summary>
public sealed class ModelStore(IBlobStore store)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly ConcurrentDictionary<string, Lazy<Task<LoadedModel>>> _loaded = new(StringComparer.Ordinal);

    public IBlobStore Store => store;

    public static string HeadPath(string modelId) => $"models/{BlobPath.ValidateSegment(modelId, "model id")}/head.bin";

    public static string ManifestPath(string modelId) => $"models/{BlobPath.ValidateSegment(modelId, "model id")}/model.json";

    public static string CheckpointPath(string jobId) => $"models/jobs/{BlobPath.ValidateSegment(jobId, "job id")}/checkpoint.bin";

    /// <summary>Stores head and manifest; returns the record with the head's hash. Saving the same id again keeps the first.</summary>
    public async Task<ModelRecord> SaveAsync(ModelRecord record, TagHead head, float[] thresholds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(head);
        if (thresholds.Length != head.TagCount) throw new ArgumentException($"Model '{record.Id}' has {head.TagCount} tags but {thresholds.Length} thresholds.", nameof(thresholds));
        using var buffer = new MemoryStream();
        head.Save(buffer);
        var bytes = buffer.ToArray();
        record = record with { HeadSha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)), TagCount = head.TagCount };
        if (await GetManifestAsync(record.Id, cancellationToken).ConfigureAwait(false) is { } existing) return existing.Record;
        await WriteOnceAsync(HeadPath(record.Id), bytes, cancellationToken).ConfigureAwait(false);
        await WriteOnceAsync(ManifestPath(record.Id), JsonSerializer.SerializeToUtf8Bytes(new ModelManifest(record, thresholds), Json), cancellationToken).ConfigureAwait(false);
        return record;
    }

    /// <summary>Every stored model's manifest, by id (the artifacts themselves, without a silo).</summary>
    public async IAsyncEnumerable<ModelManifest> ListAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var blob in store.ListAsync("models/", cancellationToken).ConfigureAwait(false))
        {
            if (!blob.Path.EndsWith("/model.json", StringComparison.Ordinal)) continue;
            if ((await store.ReadJsonAsync<ModelManifest>(blob.Path, Json, cancellationToken).ConfigureAwait(false))?.Value is { } manifest) yield return manifest;
        }
    }

    public async Task<ModelManifest?> GetManifestAsync(string modelId, CancellationToken cancellationToken = default)
        => (await store.ReadJsonAsync<ModelManifest>(ManifestPath(modelId), Json, cancellationToken).ConfigureAwait(false))?.Value;

    /// <summary>The model's manifest and head, loaded once per silo (models never change).</summary>
    public Task<LoadedModel> LoadAsync(string modelId, CancellationToken cancellationToken = default)
    {
        var lazy = _loaded.GetOrAdd(modelId, id => new Lazy<Task<LoadedModel>>(() => LoadCoreAsync(id)));
        var task = lazy.Value;
        // A failed load (missing model) is not cached: the model may be stored later.
        if (task.IsFaulted) _loaded.TryRemove(new KeyValuePair<string, Lazy<Task<LoadedModel>>>(modelId, lazy));
        return task.WaitAsync(cancellationToken);
    }

    private async Task<LoadedModel> LoadCoreAsync(string modelId)
    {
        var manifest = await GetManifestAsync(modelId).ConfigureAwait(false)
            ?? throw new KeyNotFoundException($"No model '{modelId}' in {store.Location} (expected {ManifestPath(modelId)}).");
        var bytes = await store.ReadAllBytesAsync(HeadPath(modelId)).ConfigureAwait(false);
        string sha = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (manifest.Record.HeadSha256 is { } expected && expected != sha)
        {
            throw new InvalidDataException($"Model '{modelId}': head.bin has SHA-256 {sha}, the manifest says {expected}.");
        }

        using var stream = new MemoryStream(bytes);
        return new LoadedModel(manifest, TagHead.Load(stream, ComputeDevice.Cpu));
    }

    private async Task WriteOnceAsync(string path, byte[] bytes, CancellationToken cancellationToken)
    {
        try
        {
            await store.WriteAsync(path, bytes, BlobCondition.IfNotExists, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobConditionFailedException)
        {
            // A retried save of the same model: the first write stands (models are immutable).
        }
    }
}

/// <summary>A model ready to score: its manifest and its head, shared by the shards scoring on a silo.</summary>
public sealed class LoadedModel(ModelManifest manifest, TagHead head)
{
    public ModelManifest Manifest { get; } = manifest;

    public TagHead Head { get; } = head;

    /// <summary>Taken around every use of <see cref="Head"/>: TorchSharp modules are not meant for concurrent forward passes.</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Scores the images (one forward pass at a time per model).</summary>
    public async Task<ScoreMatrix> ScoreAsync(ImageFeatures features, CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Head.Score(features, cancellationToken: cancellationToken);
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>The head's input for every row of a features batch: the global embedding and the region tokens the head reads.</summary>
    /// <exception cref="ShardInputException">The layer's dimension or region count does not fit the head.</exception>
    public ImageFeatures InputsOf(FeaturesShardBatch batch, int regions)
    {
        int tokens = CheckFits(batch, regions);
        var features = new ImageFeatures(batch.Count, tokens - 1, Head.Config.Dimension);
        for (int row = 0; row < batch.Count; row++)
        {
            batch.Embedding(row).CopyTo(features.Global(row));
            int have = batch.RegionCounts[row];
            for (int r = 0; r < tokens - 1 && r < have; r++) batch.RegionEmbedding(row, r).CopyTo(features.Region(row, r));
        }

        return features;
    }

    /// <summary>
    /// Each region of the given rows as an image of its own (image <c>i * regions + r</c> = region r of <c>rows[i]</c>,
    /// in every token the head reads), so the head scores what each region shows.
    /// </summary>
    public ImageFeatures RegionInputsOf(FeaturesShardBatch batch, ReadOnlySpan<int> rows, int regions)
    {
        int tokens = CheckFits(batch, regions);
        var features = new ImageFeatures(rows.Length * regions, tokens - 1, Head.Config.Dimension);
        for (int i = 0; i < rows.Length; i++)
        {
            for (int r = 0; r < regions; r++)
            {
                var region = batch.RegionEmbedding(rows[i], r);
                int image = (i * regions) + r;
                region.CopyTo(features.Global(image));
                for (int t = 0; t < tokens - 1; t++) region.CopyTo(features.Region(image, t));
            }
        }

        return features;
    }

    private int CheckFits(FeaturesShardBatch batch, int regions)
    {
        int dimension = Head.Config.Dimension;
        int tokens = Head.Config.TokenCount;
        if (batch.Count > 0 && batch.Dimension != dimension) throw new ShardInputException($"Features of {batch.Dimension} floats; model '{Manifest.Record.Id}' reads {dimension}.");
        if (tokens > 1 + regions) throw new ShardInputException($"Model '{Manifest.Record.Id}' reads {tokens} tokens per image; the features layer has {1 + regions}.");
        return tokens;
    }
}
