using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Datasets;

/// <summary>The single writer of one dataset: commits run one at a time here, and the blob CAS guards the rest.</summary>
public sealed class DatasetGrain(DatasetCatalog catalog) : Grain, IDatasetGrain
{
    private string Dataset => this.GetPrimaryKeyString();

    public async Task<DatasetVersionInfo?> GetHeadAsync(CancellationToken cancellationToken = default)
    {
        int? head = await catalog.GetHeadVersionAsync(Dataset, cancellationToken);
        return head is null ? null : ToInfo(await catalog.OpenAsync(Dataset, head, cancellationToken));
    }

    public async Task<DatasetVersionInfo> CommitAsync(DatasetCommitRequest request, CancellationToken cancellationToken = default)
    {
        // Batches are read and split into entries in parallel (off the grain's scheduler), then joined in their listed
        // order; entries stay as their JSON bytes, which the catalog copies into the new segments.
        var batches = new List<RawShardEntry>[request.EntryBatchPaths.Count];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = 8, TaskScheduler = TaskScheduler.Default, CancellationToken = cancellationToken };
        await Parallel.ForAsync(0, batches.Length, parallel, async (i, ct) =>
        {
            string path = request.EntryBatchPaths[i];
            var content = await catalog.Store.ReadAsync(path, ct) ?? throw new BlobNotFoundException(catalog.Store.Location, path);
            batches[i] = RawShardEntry.ParseArray(content.Data, $"entry batch '{path}'");
        });
        var entries = new List<RawShardEntry>(batches.Sum(b => b.Count));
        foreach (var batch in batches) entries.AddRange(batch);

        var commit = new DatasetCommit
        {
            Dataset = Dataset,
            ParentVersion = request.ParentVersion,
            Lineage = new VersionLineage
            {
                Operation = request.Operation,
                CampaignId = request.CampaignId,
                ConfigHash = request.ConfigHash,
                VocabularyId = request.Properties.GetValueOrDefault("vocabulary"),
                ModelId = request.Properties.GetValueOrDefault("model"),
                Properties = request.Properties,
            },
            Shards = [],
            RawShards = entries,
            RemovedShards = request.QuarantinedShards
                .Select(q => new RemovedShard(q.ShardId, q.Stage, q.Reason, q.Rows))
                .ToList(),
            Quarantine = request.Quarantine is { } q ? new ShardFileRef(q.Path, q.Sha256, q.Bytes, q.Rows) : null,
        };
        try
        {
            return ToInfo(await catalog.CommitAsync(commit, cancellationToken));
        }
        catch (DatasetConflictException e)
        {
            // The campaign's own earlier commit (it landed, then its silo died before the campaign recorded it): the
            // same commit again is that version, not a conflict. A campaign commits once, so its id names it.
            return await EarlierCommitAsync(request, cancellationToken) ?? throw new CommitConflictException(e.Message);
        }
    }

    private async Task<DatasetVersionInfo?> EarlierCommitAsync(DatasetCommitRequest request, CancellationToken cancellationToken)
    {
        if (request.CampaignId is null) return null;
        int version = (request.ParentVersion ?? 0) + 1;
        if (await catalog.GetHeadVersionAsync(Dataset, cancellationToken) is not { } head || head < version) return null;
        var root = await catalog.OpenAsync(Dataset, version, cancellationToken);
        if (root.Lineage.CampaignId != request.CampaignId || root.Lineage.ConfigHash != request.ConfigHash) return null;
        // The earlier attempt may have stopped between its version and HEAD: finish its work.
        await catalog.RepairHeadAsync(Dataset, cancellationToken);
        return ToInfo(root);
    }

    internal static DatasetVersionInfo ToInfo(VersionRoot root) => new(
        root.Dataset, root.Version, root.ParentVersion, root.Shards, root.Rows, root.QuarantinedRows, root.Lineage.Operation, root.CreatedAt);
}
