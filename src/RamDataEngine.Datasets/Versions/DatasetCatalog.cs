using System.Buffers;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using RamDataEngine.Storage;

namespace RamDataEngine.Datasets.Versions;

/// <summary>What a commit adds to a dataset: the shards it writes and where the new version came from.</summary>
public sealed record DatasetCommit
{
    public required string Dataset { get; init; }

    /// <summary>The version this commit is based on; null creates the dataset's first version.</summary>
    public required int? ParentVersion { get; init; }

    public required VersionLineage Lineage { get; init; }

    /// <summary>Shard entries to add or replace, by shard id; shards not named keep the parent's entry.</summary>
    public required IReadOnlyCollection<ShardEntry> Shards { get; init; }

    /// <summary>More entries to add or replace, kept as their JSON (a campaign's result batches): copied, not re-serialized.</summary>
    public IReadOnlyCollection<RawShardEntry> RawShards { get; init; } = [];

    /// <summary>Shards to leave out of the new version (quarantined by the campaign), with why.</summary>
    public IReadOnlyCollection<RemovedShard> RemovedShards { get; init; } = [];

    /// <summary>The campaign's quarantine file (see <see cref="VersionRoot.Quarantine"/>).</summary>
    public ShardFileRef? Quarantine { get; init; }
}

/// <summary>
/// Versioned datasets over a blob store: commit, list, open any version (time travel), read shard entries.
/// </summary>
/// <remarks>
/// The commit point is the creation of <c>versions/{n}.json</c> with an if-not-exists write: of two commits on
/// the same parent exactly one creates version n+1, the other gets <see cref="DatasetConflictException"/>.
/// Segments are content-addressed, so a commit writes only the segments whose shards changed, and a failed
/// commit leaves nothing visible. HEAD.json is moved by compare-and-swap afterwards as a fast pointer; readers
/// step past it when a committer died between the two writes.
/// </remarks>
public sealed class DatasetCatalog(IBlobStore store, TimeProvider timeProvider, int segmentSize = DatasetCatalog.DefaultSegmentSize)
{
    public const int DefaultSegmentSize = 1_000;

    /// <summary>Segments written at once by a commit: each write waits mostly on the store (an fsync, a round trip).</summary>
    private const int MaxParallelSegmentWrites = 32;

    public IBlobStore Store => store;

    /// <summary>Names of the datasets that have at least one committed version.</summary>
    public async IAsyncEnumerable<string> ListDatasetsAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? last = null;
        await foreach (var blob in store.ListAsync(DatasetPaths.Root + "/", cancellationToken).ConfigureAwait(false))
        {
            var parts = blob.Path.Split('/');
            if (parts.Length == 4 && parts[2] == "versions" && parts[1] != last)
            {
                last = parts[1];
                yield return last;
            }
        }
    }

    /// <summary>The latest committed version number, or null when the dataset has none.</summary>
    public async Task<int?> GetHeadVersionAsync(string dataset, CancellationToken cancellationToken = default)
    {
        var head = await store.ReadJsonAsync<DatasetHead>(DatasetPaths.Head(dataset), DatasetJson.Options, cancellationToken).ConfigureAwait(false);
        int version = head?.Value.Version ?? 0;
        // HEAD may trail by a version if a committer died after the commit point; step forward to the truth.
        while (await store.GetPropertiesAsync(DatasetPaths.Version(dataset, version + 1), cancellationToken).ConfigureAwait(false) is not null)
        {
            version++;
        }

        return version == 0 ? null : version;
    }

    /// <summary>Every committed version's root, oldest first.</summary>
    public async IAsyncEnumerable<VersionRoot> ListVersionsAsync(string dataset, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var numbers = new List<int>();
        await foreach (var blob in store.ListAsync(DatasetPaths.VersionsPrefix(dataset), cancellationToken).ConfigureAwait(false))
        {
            if (DatasetPaths.TryParseVersion(blob.Path, out int v)) numbers.Add(v);
        }

        numbers.Sort();
        foreach (int v in numbers) yield return await OpenAsync(dataset, v, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Opens a version's root (the head when <paramref name="version"/> is null): reads one small file.</summary>
    public async Task<VersionRoot> OpenAsync(string dataset, int? version = null, CancellationToken cancellationToken = default)
    {
        int number = version ?? await GetHeadVersionAsync(dataset, cancellationToken).ConfigureAwait(false)
            ?? throw new DatasetNotFoundException($"Dataset '{dataset}' has no committed version in {store.Location}.");
        var root = await store.ReadJsonAsync<VersionRoot>(DatasetPaths.Version(dataset, number), DatasetJson.Options, cancellationToken).ConfigureAwait(false)
            ?? throw new DatasetNotFoundException($"Dataset '{dataset}' has no version {number} in {store.Location}.");
        return root.Value;
    }

    /// <summary>Every shard entry of a version in shard-id order, reading one segment at a time.</summary>
    public async IAsyncEnumerable<ShardEntry> ReadShardsAsync(VersionRoot root, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var segment in root.Segments)
        {
            var loaded = await ReadSegmentAsync(root.Dataset, segment, cancellationToken).ConfigureAwait(false);
            foreach (var shard in loaded.Shards) yield return shard;
        }
    }

    /// <summary>One shard's entry: reads only the segment that holds it.</summary>
    public async Task<ShardEntry> GetShardAsync(VersionRoot root, int shardId, CancellationToken cancellationToken = default)
    {
        var segment = SegmentOf(root, shardId);
        var entry = segment is null ? null
            : (await ReadSegmentAsync(root.Dataset, segment, cancellationToken).ConfigureAwait(false)).Shards.FirstOrDefault(s => s.ShardId == shardId);
        return entry ?? throw new DatasetNotFoundException($"Dataset '{root.Dataset}' version {root.Version} has no shard {shardId}.");
    }

    /// <summary>The segment whose shard-id range holds <paramref name="shardId"/>, or null (segments are sorted and disjoint).</summary>
    public static SegmentRef? SegmentOf(VersionRoot root, int shardId)
    {
        ArgumentNullException.ThrowIfNull(root);
        var segments = root.Segments;
        int lo = 0, hi = segments.Count - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            var segment = segments[mid];
            if (shardId < segment.FirstShardId) hi = mid - 1;
            else if (shardId > segment.LastShardId) lo = mid + 1;
            else return segment;
        }

        return null;
    }

    /// <summary>
    /// Commits a new version on <see cref="DatasetCommit.ParentVersion"/>. Throws <see cref="DatasetConflictException"/>
    /// when another commit got there first; nothing it wrote becomes visible then.
    /// </summary>
    public async Task<VersionRoot> CommitAsync(DatasetCommit commit, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commit);
        string dataset = commit.Dataset;
        int? head = await GetHeadVersionAsync(dataset, cancellationToken).ConfigureAwait(false);
        if (head != commit.ParentVersion) throw new DatasetConflictException(dataset, commit.ParentVersion, head ?? 0);

        var parent = commit.ParentVersion is { } p ? await OpenAsync(dataset, p, cancellationToken).ConfigureAwait(false) : null;
        if (parent is not null && parent.SegmentSize != segmentSize)
        {
            throw new InvalidOperationException($"Dataset '{dataset}' uses segments of {parent.SegmentSize} shards; this catalog writes {segmentSize}.");
        }

        var changes = new List<RawShardEntry>(commit.Shards.Count + commit.RawShards.Count);
        foreach (var entry in commit.Shards) changes.Add(RawShardEntry.From(entry));
        changes.AddRange(commit.RawShards);
        var (segments, tagCounts) = await WriteSegmentsAsync(dataset, parent, changes, commit.RemovedShards, cancellationToken).ConfigureAwait(false);
        var root = new VersionRoot
        {
            Dataset = dataset,
            Version = (commit.ParentVersion ?? 0) + 1,
            ParentVersion = commit.ParentVersion,
            CreatedAt = timeProvider.GetUtcNow(),
            Lineage = commit.Lineage,
            SegmentSize = segmentSize,
            Segments = segments,
            TagCounts = tagCounts,
            RemovedShards = [.. commit.RemovedShards],
            Quarantine = commit.Quarantine,
        };

        try
        {
            await store.WriteJsonAsync(DatasetPaths.Version(dataset, root.Version), root, DatasetJson.Options, BlobCondition.IfNotExists, cancellationToken).ConfigureAwait(false);
        }
        catch (BlobConditionFailedException)
        {
            int now = await GetHeadVersionAsync(dataset, cancellationToken).ConfigureAwait(false) ?? root.Version;
            throw new DatasetConflictException(dataset, commit.ParentVersion, now);
        }

        await AdvanceHeadAsync(dataset, root.Version, cancellationToken).ConfigureAwait(false);
        return root;
    }

    private async Task<(List<SegmentRef> Segments, Dictionary<int, long> TagCounts)> WriteSegmentsAsync(
        string dataset, VersionRoot? parent, List<RawShardEntry> changes, IReadOnlyCollection<RemovedShard> removals, CancellationToken cancellationToken)
    {
        var changesBySegment = new SortedDictionary<int, List<RawShardEntry>>();
        var removedIds = removals.Select(r => r.ShardId).ToHashSet();
        foreach (int id in removedIds) changesBySegment.TryAdd(id / segmentSize, []);
        var seen = new HashSet<int>();
        foreach (var entry in changes)
        {
            if (entry.ShardId < 0) throw new ArgumentException($"Shard id {entry.ShardId} is negative.", nameof(changes));
            if (!seen.Add(entry.ShardId) || removedIds.Contains(entry.ShardId)) throw new ArgumentException($"Shard {entry.ShardId} appears twice in one commit.", nameof(changes));
            if (!entry.HasBase) throw new ArgumentException($"Shard {entry.ShardId} has no base file.", nameof(changes));
            int index = entry.ShardId / segmentSize;
            if (!changesBySegment.TryGetValue(index, out var list)) changesBySegment[index] = list = [];
            list.Add(entry);
        }

        // Untouched segments are reused by reference without being read; the version's tag counts are the
        // parent's, less what the replaced segments counted, plus what their replacements count. A parent segment
        // whose every shard id is replaced or removed is not read either: nothing of it survives, and when that holds
        // for every parent segment (a campaign over the whole version) the counts are summed afresh instead.
        var segments = parent?.Segments.ToDictionary(s => s.FirstShardId / segmentSize) ?? [];
        bool recount = parent is null || parent.Segments.All(s => Covers(s, changesBySegment.GetValueOrDefault(s.FirstShardId / segmentSize), removedIds));
        var tagCounts = recount ? [] : new Dictionary<int, long>(parent!.TagCounts);
        var rewritten = new (int Index, SegmentRef? Ref, IReadOnlyDictionary<int, long> Removed, IReadOnlyDictionary<int, long> Added)[changesBySegment.Count];
        await Parallel.ForEachAsync(changesBySegment.Select((pair, position) => (pair.Key, pair.Value, position)),
            // On the thread pool even when called from a single-threaded scheduler (a grain): serializing and hashing
            // segments is CPU work that should use every core.
            new ParallelOptions { MaxDegreeOfParallelism = MaxParallelSegmentWrites, TaskScheduler = TaskScheduler.Default, CancellationToken = cancellationToken },
            async (item, ct) =>
            {
                var (index, updates, position) = item;
                List<RawShardEntry> merged;
                IReadOnlyDictionary<int, long> removed = ShardEntry.EmptyCounts;
                if (segments.TryGetValue(index, out var old) && !Covers(old, updates, removedIds))
                {
                    var oldSegment = await ReadSegmentAsync(dataset, old, ct).ConfigureAwait(false);
                    var byId = new Dictionary<int, RawShardEntry>(oldSegment.Shards.Count + updates.Count);
                    foreach (var entry in oldSegment.Shards) byId[entry.ShardId] = RawShardEntry.From(entry);
                    foreach (var entry in updates) byId[entry.ShardId] = entry;
                    foreach (int id in removedIds) byId.Remove(id);
                    merged = [.. byId.Values];
                    removed = oldSegment.TagCounts;
                }
                else
                {
                    // Nothing of the old segment (if any) survives; its counts matter only if others are kept.
                    if (old is not null && !recount) removed = (await ReadSegmentAsync(dataset, old, ct).ConfigureAwait(false)).TagCounts;
                    merged = [.. updates];
                }

                if (merged.Count == 0)
                {
                    rewritten[position] = (index, null, removed, ShardEntry.EmptyCounts);
                    return;
                }

                merged.Sort(static (a, b) => a.ShardId.CompareTo(b.ShardId));
                var (reference, added) = await WriteSegmentAsync(dataset, merged, ct).ConfigureAwait(false);
                rewritten[position] = (index, reference, removed, added);
            }).ConfigureAwait(false);

        foreach (var (index, reference, removed, added) in rewritten)
        {
            if (reference is null) segments.Remove(index);
            else segments[index] = reference;
            foreach (var (tag, count) in removed) tagCounts[tag] -= count;
            foreach (var (tag, count) in added) tagCounts[tag] = tagCounts.GetValueOrDefault(tag) + count;
        }

        foreach (var tag in tagCounts.Where(p => p.Value == 0).Select(p => p.Key).ToList()) tagCounts.Remove(tag);
        return ([.. segments.OrderBy(p => p.Key).Select(p => p.Value)], tagCounts);
    }

    /// <summary>True when the commit replaces or removes every shard id the segment's range can hold, so none of it survives.</summary>
    private static bool Covers(SegmentRef segment, List<RawShardEntry>? updates, HashSet<int> removedIds)
    {
        if (updates is null) return false;
        int covered = 0;
        foreach (var entry in updates)
        {
            if (entry.ShardId >= segment.FirstShardId && entry.ShardId <= segment.LastShardId) covered++;
        }

        if (removedIds.Count > 0)
        {
            for (int id = segment.FirstShardId; id <= segment.LastShardId; id++)
            {
                if (removedIds.Contains(id)) covered++;
            }
        }

        return covered == segment.LastShardId - segment.FirstShardId + 1;
    }

    private async Task<(SegmentRef, IReadOnlyDictionary<int, long>)> WriteSegmentAsync(string dataset, List<RawShardEntry> shards, CancellationToken cancellationToken)
    {
        var tagCounts = new SortedDictionary<int, long>();
        long rows = 0, quarantinedRows = 0;
        foreach (var shard in shards)
        {
            foreach (var (tag, count) in shard.TagCounts) tagCounts[tag] = tagCounts.GetValueOrDefault(tag) + count;
            rows += shard.Rows;
            quarantinedRows += shard.QuarantinedRows;
        }

        // A ManifestSegment as System.Text.Json writes it, assembled from the entries' own bytes; the buffer is pooled
        // because a segment of 1,000 entries is a few hundred KB, which would otherwise land on the large object heap.
        byte[] counts = JsonSerializer.SerializeToUtf8Bytes(tagCounts, DatasetJson.Options);
        int length = "{\"shards\":[],\"tagCounts\":}".Length + counts.Length + shards.Count;
        foreach (var shard in shards) length += shard.Json.Length;
        byte[] buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int at = Append(buffer, 0, "{\"shards\":["u8);
            for (int i = 0; i < shards.Count; i++)
            {
                if (i > 0) buffer[at++] = (byte)',';
                at = Append(buffer, at, shards[i].Json.Span);
            }

            at = Append(buffer, at, "],\"tagCounts\":"u8);
            at = Append(buffer, at, counts);
            buffer[at++] = (byte)'}';
            var bytes = buffer.AsMemory(0, at);
            string sha = Convert.ToHexStringLower(SHA256.HashData(bytes.Span));
            string path = DatasetPaths.Segment(dataset, sha);
            if (await store.GetPropertiesAsync(path, cancellationToken).ConfigureAwait(false) is null)
            {
                try
                {
                    await store.WriteAsync(path, bytes, BlobCondition.IfNotExists, cancellationToken).ConfigureAwait(false);
                }
                catch (BlobConditionFailedException)
                {
                    // Content-addressed: whoever wrote it first wrote these same bytes.
                }
            }

            var reference = new SegmentRef(path, sha, shards[0].ShardId, shards[^1].ShardId, shards.Count, rows, quarantinedRows);
            return (reference, tagCounts);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static int Append(byte[] buffer, int at, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(buffer.AsSpan(at));
        return at + bytes.Length;
    }

    /// <summary>Reads one manifest segment of a dataset, verifying its checksum.</summary>
    public async Task<ManifestSegment> ReadSegmentAsync(string dataset, SegmentRef segment, CancellationToken cancellationToken = default)
    {
        var bytes = await ReadSegmentBytesAsync(dataset, segment, cancellationToken).ConfigureAwait(false);
        return JsonSerializer.Deserialize<ManifestSegment>(bytes.Span, DatasetJson.Options)
            ?? throw new InvalidDataException($"Manifest segment '{segment.Path}' is empty.");
    }

    /// <summary>One manifest segment's JSON, checksum verified (see <see cref="RawShardEntry.ParseSegment"/>).</summary>
    public async Task<ReadOnlyMemory<byte>> ReadSegmentBytesAsync(string dataset, SegmentRef segment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(segment);
        var content = await store.ReadAsync(segment.Path, cancellationToken).ConfigureAwait(false)
            ?? throw new DatasetNotFoundException($"Manifest segment '{segment.Path}' of dataset '{dataset}' is missing from {store.Location}.");
        string actual = Convert.ToHexStringLower(SHA256.HashData(content.Data.Span));
        if (actual != segment.Sha256) throw new ChecksumMismatchException(store.Location, segment.Path, segment.Sha256, actual);
        return content.Data;
    }

    /// <summary>Moves HEAD.json up to the latest committed version when it trails (a committer died, or lost the reply, between the two writes).</summary>
    public async Task RepairHeadAsync(string dataset, CancellationToken cancellationToken = default)
    {
        if (await GetHeadVersionAsync(dataset, cancellationToken).ConfigureAwait(false) is { } head) await AdvanceHeadAsync(dataset, head, cancellationToken).ConfigureAwait(false);
    }

    private async Task AdvanceHeadAsync(string dataset, int version, CancellationToken cancellationToken)
    {
        string path = DatasetPaths.Head(dataset);
        while (true)
        {
            var current = await store.ReadJsonAsync<DatasetHead>(path, DatasetJson.Options, cancellationToken).ConfigureAwait(false);
            if (current is { } c && c.Value.Version >= version) return;
            var condition = current is { } existing ? BlobCondition.IfMatch(existing.Properties.ETag) : BlobCondition.IfNotExists;
            try
            {
                await store.WriteJsonAsync(path, new DatasetHead(dataset, version, timeProvider.GetUtcNow()), DatasetJson.Options, condition, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (BlobConditionFailedException)
            {
                // A later commit moved it meanwhile (or a reader repaired it): look again.
            }
        }
    }
}
