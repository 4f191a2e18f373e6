using System.Collections.Concurrent;
using System.Text.Json;
using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Execution;

/// <summary>
/// Finds a shard task's input: its entry in a committed version or in a previous stage's result batch, or its
/// source chunk. Everything it reads is immutable once named, so it is cached per silo.
/// </summary>
public sealed class ShardInputResolver(DatasetCatalog catalog, IBlobStore store)
{
    private const int MaxCachedBlobs = 256;
    private readonly ConcurrentDictionary<string, Task<object>> _cache = new(StringComparer.Ordinal);

    public async Task<(ShardEntry? Entry, string? SourceChunk)> ResolveAsync(ShardTask task, CancellationToken cancellationToken)
    {
        var input = task.Input;
        switch (input.Kind)
        {
            case ShardInputKind.Version:
                var root = (VersionRoot)await CachedAsync($"version:{input.Dataset}@{input.Version}",
                    async () => await catalog.OpenAsync(input.Dataset, input.Version, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                return (await catalog.GetShardAsync(root, task.ShardId, cancellationToken).ConfigureAwait(false), null);

            case ShardInputKind.Batch:
                var batch = (Dictionary<int, ShardEntry>)await CachedAsync(Require(input.Path, task), async () =>
                {
                    var bytes = await store.ReadAllBytesAsync(input.Path!, cancellationToken).ConfigureAwait(false);
                    var entries = JsonSerializer.Deserialize<List<ShardEntry>>(bytes, DatasetJson.Options) ?? [];
                    return entries.ToDictionary(e => e.ShardId);
                }).ConfigureAwait(false);
                return batch.TryGetValue(task.ShardId, out var entry)
                    ? (entry, null)
                    : throw new InvalidDataException($"Result batch '{input.Path}' has no entry for shard {task.ShardId}.");

            case ShardInputKind.Source:
                var plan = (SourcePlan)await CachedAsync(Require(input.Path, task),
                    async () => await SourcePlan.ReadAsync(store, input.Path!, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                return (null, plan.Chunk(task.ShardId));

            default:
                throw new ArgumentOutOfRangeException(nameof(task), input.Kind, "Unknown shard input kind.");
        }
    }

    private static string Require(string? path, ShardTask task)
        => path ?? throw new ArgumentException($"Shard task {task.ShardId} of campaign '{task.CampaignId}' has no input path.");

    private async Task<object> CachedAsync(string key, Func<Task<object>> load)
    {
        if (_cache.Count > MaxCachedBlobs) _cache.Clear();
        var task = _cache.GetOrAdd(key, _ => load());
        try
        {
            return await task.ConfigureAwait(false);
        }
        catch
        {
            _cache.TryRemove(key, out _);
            throw;
        }
    }
}

/// <summary>The chunks a source campaign (ingest) is cut into: chunk i becomes shard i.</summary>
public sealed record SourcePlan(IReadOnlyList<string> Chunks)
{
    public string Chunk(int shardId) => shardId >= 0 && shardId < Chunks.Count
        ? Chunks[shardId]
        : throw new ArgumentOutOfRangeException(nameof(shardId), shardId, $"The source plan has {Chunks.Count} chunks.");

    public static async Task<SourcePlan> ReadAsync(IBlobStore store, string path, CancellationToken cancellationToken)
    {
        var bytes = await store.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        var chunks = JsonSerializer.Deserialize<List<JsonElement>>(bytes)
            ?? throw new InvalidDataException($"Source plan '{path}' is empty.");
        return new SourcePlan(chunks.Select(c => c.GetRawText()).ToList());
    }

    public Task WriteAsync(IBlobStore store, string path, CancellationToken cancellationToken)
    {
        var json = "[" + string.Join(",", Chunks) + "]";
        return store.WriteAsync(path, System.Text.Encoding.UTF8.GetBytes(json), BlobCondition.None, cancellationToken);
    }
}
