using System.Text.Json;
using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Execution;

/// <summary>
/// Finds a shard task's input: its entry in a committed version or in a previous stage's result batch, or its
/// source chunk. Everything it reads is immutable once named, so decoded manifests, segments and batches are kept
/// in a small least-recently-used cache per silo: campaigns dispatch shards in id order, so consecutive tasks hit the
/// same segment or batch, and a segment is read and parsed once, not once per shard.
/// </summary>
public sealed class ShardInputResolver(DatasetCatalog catalog, IBlobStore store)
{
    // Segments and batches are cached as their bytes with each entry's position (an entry is built only when its
    // shard runs, so the cache holds ~0.5 KB an entry, not a graph of objects the GC keeps promoting). In-order
    // dispatch needs the last one or two blobs per campaign, so several campaigns at once fit.
    private const int MaxCachedBlobs = 16;
    private readonly BlobCache _cache = new(MaxCachedBlobs);

    public async Task<(ShardEntry? Entry, string? SourceChunk)> ResolveAsync(ShardTask task, CancellationToken cancellationToken)
    {
        var input = task.Input;
        switch (input.Kind)
        {
            case ShardInputKind.Version:
                var root = (VersionRoot)await _cache.GetAsync($"version:{input.Dataset}@{input.Version}",
                    async () => await catalog.OpenAsync(input.Dataset, input.Version, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                var segment = DatasetCatalog.SegmentOf(root, task.ShardId)
                    ?? throw new DatasetNotFoundException($"Dataset '{root.Dataset}' version {root.Version} has no shard {task.ShardId}.");
                var entries = (Dictionary<int, RawShardEntry>)await _cache.GetAsync(segment.Path, async () =>
                {
                    var bytes = await catalog.ReadSegmentBytesAsync(root.Dataset, segment, cancellationToken).ConfigureAwait(false);
                    return RawShardEntry.ParseSegment(bytes, $"manifest segment '{segment.Path}'").ToDictionary(e => e.ShardId);
                }).ConfigureAwait(false);
                return entries.TryGetValue(task.ShardId, out var found)
                    ? (found.ToEntry(), null)
                    : throw new DatasetNotFoundException($"Dataset '{root.Dataset}' version {root.Version} has no shard {task.ShardId}.");

            case ShardInputKind.Batch:
                var batch = (Dictionary<int, RawShardEntry>)await _cache.GetAsync(Require(input.Path, task), async () =>
                {
                    var content = await store.ReadAsync(input.Path!, cancellationToken).ConfigureAwait(false)
                        ?? throw new BlobNotFoundException(store.Location, input.Path!);
                    return RawShardEntry.ParseArray(content.Data, $"result batch '{input.Path}'").ToDictionary(e => e.ShardId);
                }).ConfigureAwait(false);
                return batch.TryGetValue(task.ShardId, out var entry)
                    ? (entry.ToEntry(), null)
                    : throw new InvalidDataException($"Result batch '{input.Path}' has no entry for shard {task.ShardId}.");

            case ShardInputKind.Source:
                var plan = (SourcePlan)await _cache.GetAsync(Require(input.Path, task),
                    async () => await SourcePlan.ReadAsync(store, input.Path!, cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                return (null, plan.Chunk(task.ShardId));

            default:
                throw new ArgumentOutOfRangeException(nameof(task), input.Kind, "Unknown shard input kind.");
        }
    }

    private static string Require(string? path, ShardTask task)
        => path ?? throw new ArgumentException($"Shard task {task.ShardId} of campaign '{task.CampaignId}' has no input path.");

    /// <summary>Loads shared by key, least recently used evicted first; a failed load is forgotten so the next call retries.</summary>
    private sealed class BlobCache(int capacity)
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, LinkedListNode<(string Key, Task<object> Value)>> _nodes = new(StringComparer.Ordinal);
        private readonly LinkedList<(string Key, Task<object> Value)> _order = new();

        public async Task<object> GetAsync(string key, Func<Task<object>> load)
        {
            Task<object> task;
            lock (_gate)
            {
                if (_nodes.TryGetValue(key, out var node))
                {
                    _order.Remove(node);
                    _order.AddFirst(node);
                    task = node.Value.Value;
                }
                else
                {
                    task = load();
                    _nodes[key] = _order.AddFirst((key, task));
                    if (_nodes.Count > capacity)
                    {
                        _nodes.Remove(_order.Last!.Value.Key);
                        _order.RemoveLast();
                    }
                }
            }

            try
            {
                return await task.ConfigureAwait(false);
            }
            catch
            {
                lock (_gate)
                {
                    if (_nodes.TryGetValue(key, out var node) && node.Value.Value == task)
                    {
                        _nodes.Remove(key);
                        _order.Remove(node);
                    }
                }

                throw;
            }
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
