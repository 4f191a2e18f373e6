using System.Collections.Concurrent;
using System.Globalization;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Storage;

namespace RamDataEngine.Datasets.Versions;

/// <summary>A file collection found unreferenced: deleted, or listed by a dry run.</summary>
public sealed record CollectedFile(string Path, long Bytes);

/// <summary>What a collection did (or, dry, would do): the files, and what it kept because campaigns are running.</summary>
public sealed record CollectionResult(IReadOnlyList<CollectedFile> Files, IReadOnlyList<RunningCampaign> Running, int KeptYoung)
{
    public long Bytes => Files.Sum(f => f.Bytes);
}

/// <summary>What an expiry did (or would do): the versions removed, those kept, and the collection that followed.</summary>
public sealed record ExpiryResult(IReadOnlyList<int> Expired, IReadOnlyList<int> Kept, IReadOnlyList<int> KeptForCampaigns, CollectionResult Collection);

/// <summary>What a deletion removed (or would remove).</summary>
public sealed record DeletionResult(int Versions, int Files, long Bytes);

/// <summary>One file of a version that is not what the version says.</summary>
public sealed record VerifyProblem(string Path, string Problem);

/// <summary>A version's files checked against the checksums its manifests record.</summary>
public sealed record VerifyResult(string Dataset, int Version, int Files, long Bytes, IReadOnlyList<VerifyProblem> Problems)
{
    public bool Intact => Problems.Count == 0;
}

/// <summary>
/// A dataset's life after its versions are committed, as table formats do it (Iceberg's expire_snapshots and
/// remove_orphan_files, lakeFS garbage collection): delete a dataset, expire old versions, collect the files that no kept
/// version and no running campaign references, and verify a version's files against their checksums.
/// </summary>
/// <remarks>
/// Collection deletes only shard files, manifest segments and quarantine files under the dataset's folder, and only when
/// (1) no version still in the store references them, (2) they are not under the folder of a campaign running on the
/// dataset (its outputs, which its commit will name), (3) they are older than a minimum age (files of a commit in progress
/// elsewhere), and, for manifest segments, (4) no campaign is running on the dataset at all (its commit writes segments
/// before its version). It never deletes version roots, the head, markers or claims. The listing of files comes first,
/// the running campaigns second and the versions last, so a campaign that commits meanwhile is seen by its version, and
/// one that starts meanwhile wrote its marker before its first file. A version whose manifest cannot be read stops the
/// collection: it would not know what that version needs.
/// </remarks>
public sealed class DatasetLifecycle(DatasetCatalog catalog, TimeProvider time)
{
    /// <summary>Default minimum age of a collected file.</summary>
    public static readonly TimeSpan DefaultMinAge = TimeSpan.FromHours(1);

    private const int Parallelism = 8;

    private IBlobStore Store => catalog.Store;

    /// <summary>Campaigns running, or interrupted and to be resumed, on the dataset.</summary>
    public async Task<IReadOnlyList<RunningCampaign>> RunningAsync(string dataset, CancellationToken cancellationToken = default)
    {
        var running = new List<RunningCampaign>();
        await foreach (var blob in Store.ListAsync(DatasetPaths.RunningPrefix(dataset), cancellationToken).ConfigureAwait(false))
        {
            if ((await Store.ReadJsonAsync<RunningCampaign>(blob.Path, DatasetJson.Options, cancellationToken).ConfigureAwait(false))?.Value is { } marker) running.Add(marker);
        }

        return running;
    }

    /// <summary>
    /// Deletes every blob of the dataset: the head and versions first (oldest first, so readers see it gone at once), then
    /// files, markers and claims. Refuses (<see cref="DatasetBusyException"/>) while campaigns run on it.
    /// </summary>
    public async Task<DeletionResult> DeleteAsync(string dataset, bool dryRun, CancellationToken cancellationToken = default)
    {
        var running = await RunningAsync(dataset, cancellationToken).ConfigureAwait(false);
        if (running.Count > 0)
        {
            throw new DatasetBusyException($"Dataset '{dataset}' has {running.Count} campaign(s) running or interrupted on it ({string.Join(", ", running.Select(r => $"{r.CampaignId} ({r.Kind})"))}): cancel them first (`ram campaign cancel ID`), or delete with --force to cancel them.");
        }

        var blobs = await Store.ListAsync(DatasetPaths.Dataset(dataset) + "/", cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        var versions = blobs.Where(b => b.Path.StartsWith(DatasetPaths.VersionsPrefix(dataset), StringComparison.Ordinal) && DatasetPaths.TryParseVersion(b.Path, out _))
            .OrderBy(b => { DatasetPaths.TryParseVersion(b.Path, out int v); return v; }).ToList();
        if (versions.Count == 0 && blobs.Count == 0) throw new DatasetNotFoundException($"Dataset '{dataset}' does not exist in {Store.Location}.");
        var result = new DeletionResult(versions.Count, blobs.Count, blobs.Sum(b => b.Length));
        if (dryRun) return result;

        string head = DatasetPaths.Head(dataset);
        await Store.DeleteAsync(head, cancellationToken).ConfigureAwait(false);
        foreach (var version in versions) await Store.DeleteAsync(version.Path, cancellationToken).ConfigureAwait(false);
        var rest = blobs.Where(b => b.Path != head && !versions.Contains(b)).ToList();
        await Parallel.ForEachAsync(rest, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
            async (blob, ct) => await Store.DeleteAsync(blob.Path, ct).ConfigureAwait(false)).ConfigureAwait(false);
        return result;
    }

    /// <summary>
    /// Expires versions: those beyond the <paramref name="keep"/> newest and, with <paramref name="olderThan"/>, created
    /// before that long ago (both conditions when both are given). The head and the versions running campaigns read are
    /// always kept. Then collects what the expired versions alone referenced.
    /// </summary>
    public async Task<ExpiryResult> ExpireAsync(string dataset, int? keep, TimeSpan? olderThan, bool dryRun, TimeSpan? minAge = null, CancellationToken cancellationToken = default)
    {
        if (keep is null && olderThan is null) throw new ArgumentException("Say which versions expire: --keep N (the newest N stay), --older-than DURATION, or both.");
        if (keep is < 1) throw new ArgumentException($"--keep {keep} must be at least 1 (the head always stays).");
        var roots = await catalog.ListVersionsAsync(dataset, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        if (roots.Count == 0) throw new DatasetNotFoundException($"Dataset '{dataset}' has no committed version in {Store.Location}.");
        var running = await RunningAsync(dataset, cancellationToken).ConfigureAwait(false);
        var inputs = running.Where(r => r.InputVersion is not null).Select(r => r.InputVersion!.Value).ToHashSet();
        var now = time.GetUtcNow();
        var newestFirst = roots.OrderByDescending(r => r.Version).ToList();
        var expired = new List<int>();
        var keptForCampaigns = new List<int>();
        for (int i = 1; i < newestFirst.Count; i++) // index 0, the head, always stays
        {
            var root = newestFirst[i];
            bool beyondKeep = keep is null || i >= keep;
            bool old = olderThan is null || root.CreatedAt < now - olderThan.Value;
            if (!beyondKeep || !old) continue;
            if (inputs.Contains(root.Version)) keptForCampaigns.Add(root.Version);
            else expired.Add(root.Version);
        }

        if (!dryRun)
        {
            foreach (int version in expired) await Store.DeleteAsync(DatasetPaths.Version(dataset, version), cancellationToken).ConfigureAwait(false);
        }

        var collection = await CollectAsync(dataset, minAge ?? DefaultMinAge, dryRun, expired.ToHashSet(), cancellationToken).ConfigureAwait(false);
        var kept = roots.Select(r => r.Version).Except(expired).Order().ToList();
        return new ExpiryResult(expired.Order().ToList(), kept, keptForCampaigns.Order().ToList(), collection);
    }

    /// <summary>Collects (or, dry, lists) the dataset's files that no version and no running campaign references.</summary>
    public Task<CollectionResult> CollectAsync(string dataset, TimeSpan minAge, bool dryRun, CancellationToken cancellationToken = default)
        => CollectAsync(dataset, minAge, dryRun, new HashSet<int>(), cancellationToken);

    private async Task<CollectionResult> CollectAsync(string dataset, TimeSpan minAge, bool dryRun, HashSet<int> assumeGone, CancellationToken cancellationToken)
    {
        if (minAge < TimeSpan.Zero) throw new ArgumentException($"The minimum age {minAge} is negative.");
        string root = DatasetPaths.Dataset(dataset) + "/";
        string shards = root + "shards/", manifests = root + "manifests/", quarantine = root + "quarantine/";

        // 1. The files that may go. 2. The campaigns running. 3. The versions. (This order is what makes it safe; see remarks.)
        var candidates = new List<BlobProperties>();
        foreach (string prefix in new[] { shards, manifests, quarantine })
        {
            await foreach (var blob in Store.ListAsync(prefix, cancellationToken).ConfigureAwait(false)) candidates.Add(blob);
        }

        var running = await RunningAsync(dataset, cancellationToken).ConfigureAwait(false);
        var referenced = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        var roots = await catalog.ListVersionsAsync(dataset, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
        foreach (var version in roots.Where(r => !assumeGone.Contains(r.Version)))
        {
            if (version.Quarantine is { } file) referenced.TryAdd(file.Path, 0);
            await Parallel.ForEachAsync(version.Segments, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (segment, ct) =>
            {
                referenced.TryAdd(segment.Path, 0);
                // A segment that cannot be read (missing, damaged) throws: collecting without knowing its files could delete them.
                var loaded = await catalog.ReadSegmentAsync(dataset, segment, ct).ConfigureAwait(false);
                foreach (var entry in loaded.Shards)
                {
                    foreach (var f in entry.Files.Values) referenced.TryAdd(f.Path, 0);
                    if (entry.Quarantine is { } q) referenced.TryAdd(q.Path, 0);
                }
            }).ConfigureAwait(false);
        }

        var protectedPrefixes = running.SelectMany(r => new[] { DatasetPaths.CampaignShards(dataset, r.CampaignId), DatasetPaths.Quarantine(dataset, r.CampaignId) }).ToList();
        var cutoff = time.GetUtcNow() - minAge;
        var garbage = new List<CollectedFile>();
        int young = 0;
        foreach (var blob in candidates)
        {
            if (referenced.ContainsKey(blob.Path)) continue;
            if (protectedPrefixes.Any(p => blob.Path.StartsWith(p, StringComparison.Ordinal))) continue;
            if (running.Count > 0 && blob.Path.StartsWith(manifests, StringComparison.Ordinal)) continue;
            if (blob.LastModified > cutoff)
            {
                young++;
                continue;
            }

            garbage.Add(new CollectedFile(blob.Path, blob.Length));
        }

        if (!dryRun)
        {
            await Parallel.ForEachAsync(garbage, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
                async (file, ct) => await Store.DeleteAsync(file.Path, ct).ConfigureAwait(false)).ConfigureAwait(false);
        }

        return new CollectionResult(garbage, running, young);
    }

    /// <summary>Checks every file of a version (manifest segments, shard files, quarantine files) against the SHA-256 it records.</summary>
    public async Task<VerifyResult> VerifyAsync(string dataset, int? version, CancellationToken cancellationToken = default)
    {
        var root = await catalog.OpenAsync(dataset, version, cancellationToken).ConfigureAwait(false);
        var problems = new ConcurrentBag<VerifyProblem>();
        var files = new ConcurrentBag<ShardFileRef>();
        long bytes = 0;
        int count = 0;
        if (root.Quarantine is { } quarantine) files.Add(quarantine);
        await Parallel.ForEachAsync(root.Segments, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (segment, ct) =>
        {
            Interlocked.Increment(ref count);
            ManifestSegment loaded;
            try
            {
                loaded = await catalog.ReadSegmentAsync(dataset, segment, ct).ConfigureAwait(false);
                Interlocked.Add(ref bytes, (await Store.GetPropertiesAsync(segment.Path, ct).ConfigureAwait(false))?.Length ?? 0);
            }
            catch (Exception e) when (e is DatasetNotFoundException or ChecksumMismatchException or InvalidDataException or System.Text.Json.JsonException)
            {
                problems.Add(new VerifyProblem(segment.Path, $"manifest segment of shards {segment.FirstShardId}-{segment.LastShardId}: {e.Message}"));
                return;
            }

            foreach (var entry in loaded.Shards)
            {
                foreach (var file in entry.Files.Values) files.Add(file);
                if (entry.Quarantine is { } q) files.Add(q);
            }
        }).ConfigureAwait(false);

        await Parallel.ForEachAsync(files, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (file, ct) =>
        {
            Interlocked.Increment(ref count);
            if (await Store.GetPropertiesAsync(file.Path, ct).ConfigureAwait(false) is not { } properties)
            {
                problems.Add(new VerifyProblem(file.Path, "missing"));
                return;
            }

            Interlocked.Add(ref bytes, properties.Length);
            string actual = await ShardFiles.ComputeSha256Async(Store, file.Path, ct).ConfigureAwait(false);
            if (actual != file.Sha256) problems.Add(new VerifyProblem(file.Path, string.Create(CultureInfo.InvariantCulture, $"checksum mismatch: recorded SHA-256 {file.Sha256}, found {actual} ({properties.Length:N0} bytes, recorded {file.Bytes:N0})")));
        }).ConfigureAwait(false);

        return new VerifyResult(dataset, root.Version, count, bytes, problems.OrderBy(p => p.Path, StringComparer.Ordinal).ToList());
    }
}
