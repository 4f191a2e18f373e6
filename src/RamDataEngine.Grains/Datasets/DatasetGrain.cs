using System.Text.Json;
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
        var entries = new List<ShardEntry>();
        foreach (var path in request.EntryBatchPaths)
        {
            var bytes = await catalog.Store.ReadAllBytesAsync(path, cancellationToken);
            entries.AddRange(JsonSerializer.Deserialize<List<ShardEntry>>(bytes, DatasetJson.Options)
                ?? throw new InvalidDataException($"Entry batch '{path}' is empty."));
        }

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
            Shards = entries,
            RemovedShards = request.QuarantinedShards
                .Select(q => new RemovedShard(q.ShardId, q.Stage, q.Reason, q.Rows))
                .ToList(),
        };
        try
        {
            return ToInfo(await catalog.CommitAsync(commit, cancellationToken));
        }
        catch (DatasetConflictException e)
        {
            throw new CommitConflictException(e.Message);
        }
    }

    internal static DatasetVersionInfo ToInfo(VersionRoot root) => new(
        root.Dataset, root.Version, root.ParentVersion, root.Shards, root.Rows, root.QuarantinedRows, root.Lineage.Operation, root.CreatedAt);
}
