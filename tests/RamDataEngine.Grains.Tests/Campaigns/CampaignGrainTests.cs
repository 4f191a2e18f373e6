using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Grains.Tests.Campaigns;

/// <summary>The campaign orchestrator on a three-silo cluster (one gpu silo), shared by these tests.</summary>
[Collection(nameof(ThreeSiloCollection))]
public sealed class CampaignGrainTests(ThreeSiloFixture fixture)
{
    private readonly DatasetCatalog _catalog = new(new LocalFolderBlobStore(fixture.Storage.Path), TimeProvider.System);

    [Fact]
    public async Task Campaign_Over200Shards_CommitsEveryRowExactlyOnce()
    {
        var input = await IdsDatasets.CreateAsync(_catalog, "two-hundred", shards: 200, rowsPerShard: 7);

        var status = await RunAsync("c-two-hundred", Spec("two-hundred", "copy-ids"));

        Assert.Equal(CampaignPhase.Completed, status.Phase);
        Assert.Equal(2, status.OutputVersion);
        var output = await _catalog.OpenAsync("two-hundred", 2);
        Assert.Equal(200, output.Shards);
        var expected = await IdsDatasets.ReadIdsAsync(_catalog, input);
        var actual = await IdsDatasets.ReadIdsAsync(_catalog, output);
        Assert.Equal(expected.Order(), actual.Order());
        Assert.Equal(actual.Count, actual.Distinct().Count());
        Assert.All(await _catalog.ReadShardsAsync(output).ToListAsync(), e => Assert.True(e.Files.ContainsKey(IdsDatasets.IdsLayer)));
    }

    [Fact]
    public async Task Campaign_GpuStage_RunsOnlyOnTheGpuSilo()
    {
        await IdsDatasets.CreateAsync(_catalog, "gpu-only", shards: 40, rowsPerShard: 3);

        var status = await RunAsync("c-gpu-only", Spec("gpu-only", "gpu-copy-ids"));

        Assert.Equal(CampaignPhase.Completed, status.Phase);
        var silos = fixture.Cluster.SiloAddresses();
        var ranOn = IdsDatasets.RunsOf("c-gpu-only").Select(r => silos[r.Silo]).Distinct().ToList();
        Assert.True(ranOn.SequenceEqual([RamTestCluster.GpuSiloName]), $"ran on {string.Join(", ", ranOn)}");
    }

    [Fact]
    public async Task Campaign_CpuStage_SpreadsOverSilos()
    {
        await IdsDatasets.CreateAsync(_catalog, "spread", shards: 120, rowsPerShard: 2);

        await RunAsync("c-spread", Spec("spread", "copy-ids") with { MaxInFlight = 24 });

        var silos = fixture.Cluster.SiloAddresses();
        Assert.True(IdsDatasets.RunsOf("c-spread").Select(r => silos[r.Silo]).Distinct().Count() >= 2);
    }

    [Fact]
    public async Task Campaign_TransientStorageFaults_CompletesWithIdenticalOutput()
    {
        await IdsDatasets.CreateAsync(_catalog, "flaky-clean", shards: 60, rowsPerShard: 5);
        await IdsDatasets.CreateAsync(_catalog, "flaky-faults", shards: 60, rowsPerShard: 5);

        var clean = await RunAsync("c-flaky-clean", Spec("flaky-clean", "copy-ids"));
        var flaky = await RunAsync("c-flaky-faults", Spec("flaky-faults", "flaky-copy-ids") with { MaxAttempts = 20 });

        Assert.Equal(CampaignPhase.Completed, clean.Phase);
        Assert.Equal(CampaignPhase.Completed, flaky.Phase);
        Assert.True(flaky.FailedAttempts > 0, "the fault injection should have failed some attempts");
        var a = await _catalog.ReadShardsAsync(await _catalog.OpenAsync("flaky-clean", 2)).ToListAsync();
        var b = await _catalog.ReadShardsAsync(await _catalog.OpenAsync("flaky-faults", 2)).ToListAsync();
        Assert.Equal(60, b.Count);
        Assert.Equal(a.Select(e => e.Files[IdsDatasets.IdsLayer].Sha256), b.Select(e => e.Files[IdsDatasets.IdsLayer].Sha256));
    }

    [Fact]
    public async Task Campaign_PoisonedShard_FailsTheCampaignAndLeavesTheHead()
    {
        await IdsDatasets.CreateAsync(_catalog, "poison-fails", shards: 30, rowsPerShard: 4);

        var status = await RunAsync("c-poison-fails", Spec("poison-fails", "poisoned-copy-ids", ("poison", "17")) with { MaxAttempts = 3 });

        Assert.Equal(CampaignPhase.Failed, status.Phase);
        Assert.Contains("Shard 17 failed at stage 'poisoned-copy-ids'", status.Message);
        Assert.Contains("shard 17 is poisoned", status.Message);
        Assert.Contains("--max-quarantined-shards", status.Message);
        Assert.Contains("poison-fails stays at v1", status.Message);
        Assert.Null(status.OutputVersion);
        Assert.Equal(1, await _catalog.GetHeadVersionAsync("poison-fails"));
    }

    [Fact]
    public async Task Campaign_PoisonedShardAllowed_IsQuarantinedWithReasonAndTheRestCommit()
    {
        await IdsDatasets.CreateAsync(_catalog, "poison", shards: 30, rowsPerShard: 4);

        var status = await RunAsync("c-poison", Spec("poison", "poisoned-copy-ids", ("poison", "17")) with { MaxAttempts = 3, MaxQuarantinedShards = 1 });

        Assert.Equal(CampaignPhase.Completed, status.Phase);
        var quarantined = Assert.Single(status.Quarantined);
        Assert.Equal(17, quarantined.ShardId);
        Assert.Contains("shard 17 is poisoned", quarantined.Reason);
        Assert.Contains("gave up after 3 attempts", quarantined.Reason);
        Assert.Equal((120L, 116L, 4L), (status.RowsIn, status.RowsKept, status.RowsQuarantined));
        var output = await _catalog.OpenAsync("poison", 2);
        Assert.Equal(29, output.Shards);
        Assert.Equal(4, output.QuarantinedRows);
        Assert.Equal(29 * 4 + 4, output.Rows + output.QuarantinedRows);
        Assert.Contains("poisoned", Assert.Single(output.RemovedShards).Reason);
        var report = System.Text.Encoding.UTF8.GetString(await _catalog.Store.ReadAllBytesAsync(output.Quarantine!.Path));
        Assert.Contains("\"shard\":17", report);
        Assert.Equal(4, output.Quarantine.Rows);
    }

    [Fact]
    public async Task Campaign_DamagedInputFile_FailsAtOnceWithoutRetryAndLeavesTheHead()
    {
        var input = await IdsDatasets.CreateAsync(_catalog, "damaged", shards: 12, rowsPerShard: 3);
        var victim = await _catalog.GetShardAsync(input, 5);
        await _catalog.Store.WriteAsync(victim.Files["base"].Path, "999\n"u8.ToArray());

        var status = await RunAsync("c-damaged", Spec("damaged", "copy-ids") with { MaxAttempts = 3 });

        Assert.Equal(CampaignPhase.Failed, status.Phase);
        Assert.Contains("input damaged", status.Message);
        Assert.Contains(victim.Files["base"].Path, status.Message);
        Assert.Single(IdsDatasets.RunsOf("c-damaged"), r => r.ShardId == 5);
        Assert.Equal(1, await _catalog.GetHeadVersionAsync("damaged"));
    }

    [Fact]
    public async Task StartAsync_ManifestSegmentMissing_IsRefusedAndTheHeadStays()
    {
        var input = await IdsDatasets.CreateAsync(_catalog, "no-manifest", shards: 6, rowsPerShard: 2);
        foreach (var segment in input.Segments) await _catalog.Store.DeleteAsync(segment.Path);
        var campaign = fixture.Cluster.Grains.GetGrain<ICampaignGrain>("c-no-manifest");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => campaign.StartAsync(Spec("no-manifest", "copy-ids")));

        Assert.Contains("version 1 is damaged", error.Message);
        Assert.Contains("manifest segments are missing", error.Message);
        Assert.Equal(CampaignPhase.Pending, (await campaign.GetStatusAsync()).Phase);
        Assert.Empty(IdsDatasets.RunsOf("c-no-manifest"));
        Assert.Equal(1, await _catalog.GetHeadVersionAsync("no-manifest"));
    }

    [Fact]
    public async Task StartAsync_StageSettingMissing_IsRefusedBeforeAnyDispatch()
    {
        await IdsDatasets.CreateAsync(_catalog, "no-vocabulary", shards: 4, rowsPerShard: 2);
        var campaign = fixture.Cluster.Grains.GetGrain<ICampaignGrain>("c-no-vocabulary");

        var error = await Assert.ThrowsAnyAsync<ArgumentException>(() => campaign.StartAsync(Spec("no-vocabulary", "parse")));
        var again = await Assert.ThrowsAnyAsync<ArgumentException>(() => campaign.StartAsync(Spec("no-vocabulary", "parse", ("vocabulary", "nosuch"))));

        Assert.Contains("Stage 'parse' needs setting 'vocabulary'", error.Message);
        Assert.Contains("--set vocabulary=", error.Message);
        Assert.Contains("names vocabulary 'nosuch', which is not in the store", again.Message);
        var status = await campaign.GetStatusAsync();
        Assert.Equal(CampaignPhase.Pending, status.Phase);
        Assert.Null(status.Kind);
        Assert.Equal(1, await _catalog.GetHeadVersionAsync("no-vocabulary"));
    }

    [Fact]
    public async Task Campaign_DispatchNeverSucceeds_FailsAfterTheDispatchTimeoutWithTheLastError()
    {
        await IdsDatasets.CreateAsync(_catalog, "undispatchable", shards: 4, rowsPerShard: 2);

        var status = await RunAsync($"{RefuseDispatchFilter.Prefix}c", Spec("undispatchable", "copy-ids") with { DispatchTimeout = TimeSpan.FromSeconds(2) });

        Assert.Equal(CampaignPhase.Failed, status.Phase);
        Assert.Contains("dispatch timeout", status.Message);
        Assert.Contains(RefuseDispatchFilter.Error, status.Message);
        Assert.Equal(0, status.FailedAttempts);
        Assert.Equal(1, await _catalog.GetHeadVersionAsync("undispatchable"));
    }

    [Fact]
    public async Task Campaigns_TwoOnTheSameParent_OneWinsAndTheOtherFailsWithConflict()
    {
        await IdsDatasets.CreateAsync(_catalog, "contest", shards: 20, rowsPerShard: 2);

        var first = fixture.Cluster.Grains.GetGrain<ICampaignGrain>("c-contest-a");
        var second = fixture.Cluster.Grains.GetGrain<ICampaignGrain>("c-contest-b");
        await Task.WhenAll(
            first.StartAsync(Spec("contest", "copy-ids") with { InputVersion = 1 }),
            second.StartAsync(Spec("contest", "slow-copy-ids", ("delayMs", "5")) with { InputVersion = 1 }));
        var outcomes = await Task.WhenAll(WaitAsync(first), WaitAsync(second));

        Assert.Single(outcomes, s => s.Phase == CampaignPhase.Completed);
        var loser = Assert.Single(outcomes, s => s.Phase == CampaignPhase.Failed);
        Assert.Contains("conflicts", loser.Message);
        Assert.Equal(2, await _catalog.GetHeadVersionAsync("contest"));
    }

    [Fact]
    public async Task Campaign_Cancelled_StopsAndLeavesTheHead()
    {
        await IdsDatasets.CreateAsync(_catalog, "cancel", shards: 100, rowsPerShard: 2);
        var campaign = fixture.Cluster.Grains.GetGrain<ICampaignGrain>("c-cancel");
        await campaign.StartAsync(Spec("cancel", "slow-copy-ids", ("delayMs", "100")) with { MaxInFlight = 2 });

        var cancelled = await campaign.CancelAsync("operator asked");
        var runsAtCancel = IdsDatasets.RunsOf("c-cancel").Count();
        var final = await WaitAsync(campaign);

        Assert.Equal(CampaignPhase.Cancelled, final.Phase);
        Assert.Contains("operator asked", cancelled.Message);
        Assert.Equal(1, await _catalog.GetHeadVersionAsync("cancel"));
        Assert.True(IdsDatasets.RunsOf("c-cancel").Count() <= runsAtCancel + 2, "no new shards start after a cancel");
    }

    [Fact]
    public async Task WatchAsync_StreamsProgressUntilTheCampaignEnds()
    {
        await IdsDatasets.CreateAsync(_catalog, "watched", shards: 20, rowsPerShard: 2);
        var campaign = fixture.Cluster.Grains.GetGrain<ICampaignGrain>("c-watched");
        await campaign.StartAsync(Spec("watched", "slow-copy-ids", ("delayMs", "20")) with { MaxInFlight = 4 });

        var seen = new List<CampaignStatus>();
        await foreach (var status in campaign.WatchAsync(TimeSpan.FromMilliseconds(50))) seen.Add(status);

        Assert.Equal(CampaignPhase.Completed, seen[^1].Phase);
        Assert.True(seen.Count > 1);
        Assert.Equal(20, seen[^1].ShardsDone);
    }

    [Fact]
    public async Task StartAsync_UnknownStage_FailsClearly()
    {
        await IdsDatasets.CreateAsync(_catalog, "unknown-stage", shards: 1, rowsPerShard: 1);

        var error = await Assert.ThrowsAsync<KeyNotFoundException>(() =>
            fixture.Cluster.Grains.GetGrain<ICampaignGrain>("c-unknown").StartAsync(Spec("unknown-stage", "no-such-stage")));

        Assert.Contains("No stage named 'no-such-stage'", error.Message);
    }

    private Task<CampaignStatus> RunAsync(string id, CampaignSpec spec) => CampaignRuns.RunAsync(fixture.Cluster.Grains, id, spec);

    private static Task<CampaignStatus> WaitAsync(ICampaignGrain campaign) => CampaignRuns.WaitAsync(campaign);

    internal static CampaignSpec Spec(string dataset, string stage, params (string Key, string Value)[] config) => new()
    {
        Dataset = dataset,
        Kind = "test",
        Stages = [stage],
        Config = config.ToDictionary(p => p.Key, p => p.Value),
        MaxInFlight = 8,
    };
}

public sealed class ThreeSiloFixture : IAsyncLifetime
{
    public TempDirectory Storage { get; } = new("cluster");

    public RamTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await RamTestCluster.StartAsync(Storage.Path);

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Storage.Dispose();
    }
}

[CollectionDefinition(nameof(ThreeSiloCollection))]
public sealed class ThreeSiloCollection : ICollectionFixture<ThreeSiloFixture>;
