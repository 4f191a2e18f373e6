using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Grains.Tests.Campaigns;

/// <summary>GPU stages in clusters without a gpu silo: run on CPU by default, wait visibly when GPUs are required.</summary>
public sealed class GpuPlacementTests : IDisposable
{
    private readonly TempDirectory _storage = new("gpu");
    private readonly DatasetCatalog _catalog;

    public GpuPlacementTests() => _catalog = new DatasetCatalog(new LocalFolderBlobStore(_storage.Path), TimeProvider.System);

    public void Dispose() => _storage.Dispose();

    [Fact]
    public async Task GpuStage_NoGpuSiloInEmbeddedDefault_RunsOnCpuSilos()
    {
        await using var cluster = await RamTestCluster.StartAsync(_storage.Path, silos: 2, gpuSilo: "none");
        await IdsDatasets.CreateAsync(_catalog, "no-gpu", shards: 10, rowsPerShard: 2);
        var campaign = cluster.Grains.GetGrain<ICampaignGrain>("c-no-gpu");

        await campaign.StartAsync(CampaignGrainTests.Spec("no-gpu", "gpu-copy-ids"));
        var status = await Eventually.UntilAsync(() => campaign.GetStatusAsync(), s => s.IsFinished, TimeSpan.FromMinutes(1), "the campaign");

        Assert.Equal(CampaignPhase.Completed, status.Phase);
        Assert.Equal(10, IdsDatasets.RunsOf("c-no-gpu").Select(r => r.ShardId).Distinct().Count());
    }

    [Fact]
    public async Task GpuStage_NoGpuSiloWhenRequired_WaitsVisiblyWithoutFailing()
    {
        await using var cluster = await RamTestCluster.StartAsync(_storage.Path, silos: 2, gpuSilo: "none",
            settings: new Dictionary<string, string?> { ["Ram:Campaigns:RequireGpuSilos"] = "true" });
        await IdsDatasets.CreateAsync(_catalog, "need-gpu", shards: 10, rowsPerShard: 2);
        var campaign = cluster.Grains.GetGrain<ICampaignGrain>("c-need-gpu");

        await campaign.StartAsync(CampaignGrainTests.Spec("need-gpu", "gpu-copy-ids"));
        var waiting = await Eventually.UntilAsync(() => campaign.GetStatusAsync(), s => s.Message?.Contains("Waiting for a gpu silo") == true, TimeSpan.FromSeconds(30), "the wait message");

        Assert.Equal(CampaignPhase.Running, waiting.Phase);
        Assert.Equal(0, waiting.ShardsDone);
        Assert.Equal(0, waiting.FailedAttempts);
        Assert.Empty(IdsDatasets.RunsOf("c-need-gpu"));
        await campaign.CancelAsync("test over");
    }
}
