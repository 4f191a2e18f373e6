using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Grains.Tests.Campaigns;

/// <summary>Campaigns surviving silo deaths and a whole-cluster restart; each test owns its cluster.</summary>
public sealed class CampaignFailoverTests : IDisposable
{
    private readonly TempDirectory _storage = new("failover");
    private readonly DatasetCatalog _catalog;

    public CampaignFailoverTests() => _catalog = new DatasetCatalog(new LocalFolderBlobStore(_storage.Path), TimeProvider.System);

    public void Dispose() => _storage.Dispose();

    [Fact]
    public async Task Campaign_SiloHostingItKilled_CompletesWithoutRedoingSavedShards()
    {
        await using var cluster = await RamTestCluster.StartAsync(_storage.Path);
        var input = await IdsDatasets.CreateAsync(_catalog, "kill", shards: 120, rowsPerShard: 3);
        // A campaign whose grain lives on a secondary silo: the primary also hosts the test membership table.
        var (id, campaign) = await PickCampaignOffPrimaryAsync(cluster, "c-kill");
        await campaign.StartAsync(SlowSpec("kill"));
        await Eventually.UntilAsync(() => campaign.GetStatusAsync(), s => s.ShardsDone >= 40, TimeSpan.FromMinutes(1), "40 shards done");
        var host = (await campaign.GetStatusAsync()).Silo!;
        var saved = await SavedShardsAsync(id);

        await cluster.Cluster.KillSiloAsync(cluster.Cluster.Silos.Single(s => host.Contains(s.SiloAddress.ToString(), StringComparison.Ordinal)));

        await WaitForVersionAsync("kill", 2);
        await AssertReconciledAsync(input, await _catalog.OpenAsync("kill", 2));
        Assert.NotEmpty(saved);
        Assert.All(saved, shard => Assert.Single(IdsDatasets.RunsOf(id), r => r.ShardId == shard));
    }

    [Fact]
    public async Task Campaign_WholeClusterRestarted_ResumesByReminderAndCompletes()
    {
        string id = "c-restart";
        var input = await IdsDatasets.CreateAsync(_catalog, "restart", shards: 120, rowsPerShard: 3);
        HashSet<int> saved;
        await using (var first = await RamTestCluster.StartAsync(_storage.Path))
        {
            var campaign = first.Grains.GetGrain<ICampaignGrain>(id);
            await campaign.StartAsync(SlowSpec("restart"));
            await Eventually.UntilAsync(() => campaign.GetStatusAsync(), s => s.ShardsDone >= 40, TimeSpan.FromMinutes(1), "40 shards done");
            saved = await SavedShardsAsync(id);
        }

        Assert.Equal(1, await _catalog.GetHeadVersionAsync("restart"));
        await using var second = await RamTestCluster.StartAsync(_storage.Path);

        // Nothing calls the campaign: its reminder must wake it on the new cluster.
        await WaitForVersionAsync("restart", 2);
        await AssertReconciledAsync(input, await _catalog.OpenAsync("restart", 2));
        Assert.NotEmpty(saved);
        Assert.All(saved, shard => Assert.Single(IdsDatasets.RunsOf(id), r => r.ShardId == shard));
    }

    [Fact]
    public async Task Campaign_FaultsInGrainStateWritesAndTheCommitPath_CompletesWithEveryRowExactlyOnce()
    {
        await using var cluster = await RamTestCluster.StartAsync(_storage.Path, settings: new Dictionary<string, string?> { ["Ram:Test:Faults"] = "state-and-commit" });
        var input = await IdsDatasets.CreateAsync(_catalog, "drill", shards: 80, rowsPerShard: 3);
        var campaign = cluster.Grains.GetGrain<ICampaignGrain>("c-drill");

        await campaign.StartAsync(CampaignGrainTests.Spec("drill", "copy-ids") with { MaxInFlight = 6 });
        var status = await CampaignRuns.WaitAsync(campaign);

        Assert.True(status.Phase == CampaignPhase.Completed, status.Message);
        Assert.Equal(2, status.OutputVersion);
        await WaitForVersionAsync("drill", 2);
        var output = await _catalog.OpenAsync("drill", 2);
        await AssertReconciledAsync(input, output);
        var ids = await IdsDatasets.ReadIdsAsync(_catalog, output);
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Null(await _catalog.Store.GetPropertiesAsync(DatasetPaths.Version("drill", 3)));
        Assert.Contains("\"version\":2", System.Text.Encoding.UTF8.GetString(await _catalog.Store.ReadAllBytesAsync(DatasetPaths.Head("drill"))));
        foreach (var kind in new[] { TargetedFaultStore.GrainState, TargetedFaultStore.VersionFile, TargetedFaultStore.Head })
        {
            Assert.True(TargetedFaultStore.Injected.Keys.Any(k => k.StartsWith(kind, StringComparison.Ordinal)), $"no fault was injected in {kind} writes: {string.Join(", ", TargetedFaultStore.Injected)}");
        }

        Assert.True(TargetedFaultStore.Injected.ContainsKey($"{TargetedFaultStore.GrainState}/after"), "a lost response on a grain-state write was injected");
        Assert.True(TargetedFaultStore.Injected.ContainsKey($"{TargetedFaultStore.VersionFile}/after"), "a lost response on the commit point was injected");
    }

    private static CampaignSpec SlowSpec(string dataset)
        => CampaignGrainTests.Spec(dataset, "slow-copy-ids", ("delayMs", "100")) with { MaxInFlight = 6 };

    private static async Task<(string Id, ICampaignGrain Campaign)> PickCampaignOffPrimaryAsync(RamTestCluster cluster, string prefix)
    {
        string primary = cluster.Cluster.Primary!.SiloAddress.ToString();
        for (int i = 0; ; i++)
        {
            var campaign = cluster.Grains.GetGrain<ICampaignGrain>($"{prefix}-{i}");
            var status = await campaign.GetStatusAsync();
            if (status.Silo is { } silo && !silo.Contains(primary, StringComparison.Ordinal)) return ($"{prefix}-{i}", campaign);
        }
    }

    /// <summary>Shards whose results the campaign had saved (listed in a result batch) at this moment.</summary>
    private async Task<HashSet<int>> SavedShardsAsync(string campaignId)
    {
        var saved = new HashSet<int>();
        await foreach (var blob in _catalog.Store.ListAsync($"campaigns/{campaignId}/stage-"))
        {
            var entries = System.Text.Json.JsonSerializer.Deserialize<List<ShardEntry>>(await _catalog.Store.ReadAllBytesAsync(blob.Path), DatasetJson.Options)!;
            saved.UnionWith(entries.Select(e => e.ShardId));
        }

        return saved;
    }

    private Task WaitForVersionAsync(string dataset, int version)
        => Eventually.UntilAsync(() => _catalog.GetHeadVersionAsync(dataset), v => v == version, TimeSpan.FromMinutes(2), $"{dataset} version {version}");

    private async Task AssertReconciledAsync(VersionRoot input, VersionRoot output)
    {
        var expected = await IdsDatasets.ReadIdsAsync(_catalog, input);
        var actual = await IdsDatasets.ReadIdsAsync(_catalog, output);
        Assert.Equal(expected.Order(), actual.Order());
        Assert.Equal(input.Shards, output.Shards);
    }
}
