using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Tests.Campaigns;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Tests.Datasets;

/// <summary>Delete, expire, collect and verify, with real campaigns on the three-silo cluster, some of them running meanwhile.</summary>
[Collection(nameof(ThreeSiloCollection))]
public sealed class DatasetLifecycleTests(ThreeSiloFixture fixture)
{
    private readonly DatasetCatalog _catalog = new(new LocalFolderBlobStore(fixture.Storage.Path), TimeProvider.System);

    private DatasetLifecycle Lifecycle => new(_catalog, TimeProvider.System);

    [Fact]
    public async Task CollectAsync_DuringARunningCampaign_NeverDeletesItsInputsOrOutputs()
    {
        var input = await IdsDatasets.CreateAsync(_catalog, "gc-live", shards: 40, rowsPerShard: 3);
        string orphan = DatasetPaths.ShardFile("gc-live", "c-gone", "copy-ids", 1, "ids");
        await _catalog.Store.WriteAsync(orphan, "1\n"u8.ToArray());
        var campaign = fixture.Cluster.Grains.GetGrain<ICampaignGrain>("c-gc-live");
        await campaign.StartAsync(CampaignGrainTests.Spec("gc-live", "slow-copy-ids", ("delayMs", "40")) with { MaxInFlight = 2 });

        var collected = new List<string>();
        int rounds = 0;
        bool sawRunning = false;
        CampaignStatus status;
        while (!(status = await campaign.GetStatusAsync()).IsFinished)
        {
            var result = await Lifecycle.CollectAsync("gc-live", TimeSpan.Zero, dryRun: false);
            collected.AddRange(result.Files.Select(f => f.Path));
            sawRunning |= result.Running.Any(r => r.CampaignId == "c-gc-live");
            rounds++;
        }

        Assert.True(status.Phase == CampaignPhase.Completed, status.Message);
        Assert.True(rounds > 1, "collection ran while the campaign did");
        Assert.True(sawRunning, "collection saw the running campaign");
        Assert.Contains(orphan, collected);
        Assert.DoesNotContain(collected, p => p.StartsWith(DatasetPaths.CampaignShards("gc-live", "c-gc-live"), StringComparison.Ordinal));
        var output = await _catalog.OpenAsync("gc-live", 2);
        Assert.True((await Lifecycle.VerifyAsync("gc-live", 2)).Intact);
        Assert.Equal((await IdsDatasets.ReadIdsAsync(_catalog, input)).Order(), (await IdsDatasets.ReadIdsAsync(_catalog, output)).Order());
        Assert.Empty(await Lifecycle.RunningAsync("gc-live"));
    }

    [Fact]
    public async Task ExpireAsync_KeepOne_RemovesOldVersionsAndOnlyTheFilesNoKeptVersionUses()
    {
        var v1 = await IdsDatasets.CreateAsync(_catalog, "expire", shards: 6, rowsPerShard: 2);
        await CampaignRuns.RunAsync(fixture.Cluster.Grains, "c-expire-a", CampaignGrainTests.Spec("expire", "copy-ids"));
        await CampaignRuns.RunAsync(fixture.Cluster.Grains, "c-expire-b", CampaignGrainTests.Spec("expire", "copy-ids"));
        var v2Layers = await LayerPathsAsync(await _catalog.OpenAsync("expire", 2));
        var ids = await IdsDatasets.ReadIdsAsync(_catalog, v1);

        var dry = await Lifecycle.ExpireAsync("expire", keep: 1, olderThan: null, dryRun: true, minAge: TimeSpan.Zero);
        bool v1AfterDryRun = await _catalog.Store.GetPropertiesAsync(DatasetPaths.Version("expire", 1)) is not null;
        var wet = await Lifecycle.ExpireAsync("expire", keep: 1, olderThan: null, dryRun: false, minAge: TimeSpan.Zero);

        Assert.Equal([1, 2], dry.Expired);
        Assert.True(v1AfterDryRun, "a dry run changes nothing");
        Assert.Equal(dry.Collection.Files.Select(f => f.Path).Order(), wet.Collection.Files.Select(f => f.Path).Order());
        Assert.Equal([1, 2], wet.Expired);
        Assert.Equal([3], wet.Kept);
        Assert.Contains("expire", await _catalog.ListDatasetsAsync().ToListAsync());
        Assert.Equal([3], await _catalog.ListVersionsAsync("expire").Select(v => v.Version).ToListAsync());
        // v2's ids layers went; the base files v3 still uses stayed.
        Assert.DoesNotContain(wet.Collection.Files, f => f.Path.Contains("/seed/", StringComparison.Ordinal));
        Assert.All(v2Layers, p => Assert.Contains(p, wet.Collection.Files.Select(f => f.Path)));
        var v3 = await _catalog.OpenAsync("expire", 3);
        Assert.True((await Lifecycle.VerifyAsync("expire", 3)).Intact);
        Assert.Equal(ids.Order(), (await IdsDatasets.ReadIdsAsync(_catalog, v3)).Order());
    }

    [Fact]
    public async Task ExpireAsync_VersionARunningCampaignReads_IsKept()
    {
        await IdsDatasets.CreateAsync(_catalog, "expire-busy", shards: 20, rowsPerShard: 2);
        await CampaignRuns.RunAsync(fixture.Cluster.Grains, "c-expire-busy-a", CampaignGrainTests.Spec("expire-busy", "copy-ids"));
        var slow = fixture.Cluster.Grains.GetGrain<ICampaignGrain>("c-expire-busy-b");
        await slow.StartAsync(CampaignGrainTests.Spec("expire-busy", "slow-copy-ids", ("delayMs", "100")) with { InputVersion = 1, MaxInFlight = 1 });

        var result = await Lifecycle.ExpireAsync("expire-busy", keep: 1, olderThan: null, dryRun: false, minAge: TimeSpan.Zero);
        await slow.CancelAsync("test over");

        Assert.Empty(result.Expired);
        Assert.Equal([1], result.KeptForCampaigns);
        Assert.NotNull(await _catalog.Store.GetPropertiesAsync(DatasetPaths.Version("expire-busy", 1)));
        Assert.True((await Lifecycle.VerifyAsync("expire-busy", 1)).Intact);
    }

    [Fact]
    public async Task DeleteAsync_WhileACampaignRuns_IsRefusedThenDeletesEverything()
    {
        await IdsDatasets.CreateAsync(_catalog, "doomed", shards: 20, rowsPerShard: 2);
        var slow = fixture.Cluster.Grains.GetGrain<ICampaignGrain>("c-doomed");
        await slow.StartAsync(CampaignGrainTests.Spec("doomed", "slow-copy-ids", ("delayMs", "100")) with { MaxInFlight = 1 });

        var busy = await Assert.ThrowsAsync<DatasetBusyException>(() => Lifecycle.DeleteAsync("doomed", dryRun: false));
        await slow.CancelAsync("test over");
        var dry = await Lifecycle.DeleteAsync("doomed", dryRun: true);
        var deleted = await Lifecycle.DeleteAsync("doomed", dryRun: false);

        Assert.Contains("c-doomed", busy.Message);
        Assert.Equal(dry, deleted);
        Assert.Equal(1, deleted.Versions);
        Assert.Null(await _catalog.GetHeadVersionAsync("doomed"));
        Assert.Empty(await _catalog.Store.ListAsync("datasets/doomed/").ToListAsync());
        await Assert.ThrowsAsync<DatasetNotFoundException>(() => Lifecycle.DeleteAsync("doomed", dryRun: false));
    }

    [Fact]
    public async Task VerifyAsync_DamagedAndMissingFiles_AreEachNamed()
    {
        var root = await IdsDatasets.CreateAsync(_catalog, "verify", shards: 4, rowsPerShard: 2);
        var entries = await _catalog.ReadShardsAsync(root).ToListAsync();
        await _catalog.Store.WriteAsync(entries[1].Files["base"].Path, "7\n"u8.ToArray());
        await _catalog.Store.DeleteAsync(entries[3].Files["base"].Path);

        var result = await Lifecycle.VerifyAsync("verify", 1);

        Assert.False(result.Intact);
        Assert.Equal(5, result.Files);
        Assert.Collection(result.Problems,
            p => Assert.Equal((entries[1].Files["base"].Path, true), (p.Path, p.Problem.StartsWith("checksum mismatch", StringComparison.Ordinal))),
            p => Assert.Equal((entries[3].Files["base"].Path, "missing"), (p.Path, p.Problem)));
    }

    private async Task<List<string>> LayerPathsAsync(VersionRoot root)
        => await _catalog.ReadShardsAsync(root).Select(e => e.Files[IdsDatasets.IdsLayer].Path).ToListAsync();
}
