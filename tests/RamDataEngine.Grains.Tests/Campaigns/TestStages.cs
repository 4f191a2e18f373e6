using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Tests.Campaigns;

/// <summary>One run of a test stage: which campaign, stage, shard and silo.</summary>
public sealed record StageRun(string CampaignId, string Stage, int ShardId, int Attempt, string Silo);

/// <summary>Test datasets whose shard files are text files of row ids, and stages that copy them.</summary>
public static class IdsDatasets
{
    public const string IdsLayer = "ids";

    /// <summary>Every stage run, across all silos of the in-process cluster.</summary>
    public static ConcurrentBag<StageRun> Runs { get; } = [];

    public static IEnumerable<StageRun> RunsOf(string campaignId) => Runs.Where(r => r.CampaignId == campaignId);

    /// <summary>Commits version 1 of a dataset with <paramref name="shards"/> shards of <paramref name="rowsPerShard"/> ids each.</summary>
    public static async Task<VersionRoot> CreateAsync(DatasetCatalog catalog, string name, int shards, int rowsPerShard)
    {
        var entries = new List<ShardEntry>();
        for (int shard = 0; shard < shards; shard++)
        {
            var ids = Enumerable.Range(shard * rowsPerShard, rowsPerShard).Select(i => (long)i).ToList();
            var file = await WriteIdsAsync(catalog.Store, DatasetPaths.ShardFile(name, "seed", "base", shard, "ids"), ids);
            entries.Add(new ShardEntry { ShardId = shard, Rows = ids.Count, Files = new Dictionary<string, ShardFileRef> { [ShardFileKinds.Base] = file } });
        }

        return await catalog.CommitAsync(new DatasetCommit { Dataset = name, ParentVersion = null, Lineage = new VersionLineage { Operation = "test" }, Shards = entries });
    }

    /// <summary>All ids of a version, read from each shard's newest ids file.</summary>
    public static async Task<List<long>> ReadIdsAsync(DatasetCatalog catalog, VersionRoot root)
    {
        var all = new List<long>();
        await foreach (var entry in catalog.ReadShardsAsync(root)) all.AddRange(await ReadIdsAsync(catalog.Store, IdsFileOf(entry)));
        return all;
    }

    public static ShardFileRef IdsFileOf(ShardEntry entry)
        => entry.Files.TryGetValue(IdsLayer, out var layer) ? layer : entry.Files[ShardFileKinds.Base];

    public static async Task<List<long>> ReadIdsAsync(IBlobStore store, ShardFileRef file)
    {
        var bytes = await store.ReadAllBytesAsync(file.Path);
        string actual = Convert.ToHexStringLower(SHA256.HashData(bytes));
        if (actual != file.Sha256) throw new ChecksumMismatchException(store.Location, file.Path, file.Sha256, actual);
        return Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToList();
    }

    public static async Task<ShardFileRef> WriteIdsAsync(IBlobStore store, string path, IReadOnlyList<long> ids)
    {
        var bytes = Encoding.UTF8.GetBytes(string.Concat(ids.Select(i => i.ToString(CultureInfo.InvariantCulture) + "\n")));
        await store.WriteAsync(path, bytes);
        return new ShardFileRef(path, Convert.ToHexStringLower(SHA256.HashData(bytes)), bytes.Length, ids.Count);
    }
}

/// <summary>Copies a shard's ids into a new "ids" layer: the simplest real stage.</summary>
public class CopyIdsStage : IShardStage
{
    public virtual string Name => "copy-ids";

    public virtual StageDevice Device => StageDevice.Cpu;

    public async Task<ShardStageResult> RunAsync(ShardStageContext context, CancellationToken cancellationToken)
    {
        IdsDatasets.Runs.Add(new StageRun(context.Task.CampaignId, Name, context.ShardId, context.Task.Attempt, context.Silo));
        await BeforeCopyAsync(context, cancellationToken);
        var store = StoreFor(context);
        var input = context.RequireInput();
        var ids = await IdsDatasets.ReadIdsAsync(store, IdsDatasets.IdsFileOf(input));
        var file = await IdsDatasets.WriteIdsAsync(store, context.OutputPath("ids"), ids);
        return new ShardStageResult(input.WithLayer(IdsDatasets.IdsLayer, file), ids.Count);
    }

    protected virtual Task BeforeCopyAsync(ShardStageContext context, CancellationToken cancellationToken) => Task.CompletedTask;

    protected virtual IBlobStore StoreFor(ShardStageContext context) => context.Store;
}

public sealed class GpuCopyIdsStage : CopyIdsStage
{
    public override string Name => "gpu-copy-ids";

    public override StageDevice Device => StageDevice.Gpu;
}

/// <summary>Copies ids through a store that fails 10% of its calls with a transient error.</summary>
public sealed class FlakyCopyIdsStage : CopyIdsStage
{
    public override string Name => "flaky-copy-ids";

    protected override IBlobStore StoreFor(ShardStageContext context) => new FaultyBlobStore(context.Store, 0.10);
}

/// <summary>Fails every attempt on the shard named by config "poison".</summary>
public sealed class PoisonedCopyIdsStage : CopyIdsStage
{
    public override string Name => "poisoned-copy-ids";

    protected override Task BeforeCopyAsync(ShardStageContext context, CancellationToken cancellationToken)
        => context.Config.TryGetValue("poison", out var poison) && int.Parse(poison, CultureInfo.InvariantCulture) == context.ShardId
            ? throw new InvalidOperationException($"shard {context.ShardId} is poisoned")
            : Task.CompletedTask;
}

/// <summary>Takes config "delayMs" per shard, standing in for real work so silos can die mid-campaign.</summary>
public sealed class SlowCopyIdsStage : CopyIdsStage
{
    public override string Name => "slow-copy-ids";

    protected override Task BeforeCopyAsync(ShardStageContext context, CancellationToken cancellationToken)
        => Task.Delay(int.Parse(context.Config.GetValueOrDefault("delayMs", "50"), CultureInfo.InvariantCulture), cancellationToken);
}
