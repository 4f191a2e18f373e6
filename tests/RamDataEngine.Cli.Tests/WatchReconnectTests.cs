using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Synthetic;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Ingest;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Hosting;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Cli.Tests;

/// <summary>`ram campaign watch` while the silo it talks to is stopped and started again: it reconnects and ends with the outcome.</summary>
public sealed class WatchReconnectTests : IDisposable
{
    private readonly TempDirectory _dir = new("cli-watch");
    private readonly int _siloPort = Ports.Free();
    private readonly int _gateway = Ports.Free();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task CampaignWatch_SiloRestartedMidway_ReconnectsAndEndsWithTheOutcome()
    {
        var first = await StartSiloAsync();
        var generated = await SceneDatasetWriter.WriteAsync(_dir.Combine("src"), 40, new SceneGeneratorOptions { Seed = 3 });
        var ingest = first.Grains.GetGrain<ICampaignGrain>("ingest-w");
        await ingest.StartAsync(await IngestPlanner.PlanAsync(first.Services.GetRequiredService<IBlobStore>(), "ingest-w", "w", generated.JsonlPath, rowsPerShard: 2));
        await Eventually.UntilAsync(() => ingest.GetStatusAsync(), s => s.IsFinished, TimeSpan.FromMinutes(1), "the ingest");
        var (started, startOut) = await RamAppTests.RunAsync("campaign", "start", "slow", "--dataset", "w", "--stage", PauseStage.StageName, "--id", "slow-w", "--max-in-flight", "2", "--gateway", $"{_gateway}");
        Assert.True(started == 0, startOut);

        var watch = RamAppTests.RunSplitAsync("campaign", "watch", "slow-w", "--gateway", $"{_gateway}");
        var campaign = first.Grains.GetGrain<ICampaignGrain>("slow-w");
        await Eventually.UntilAsync(() => campaign.GetStatusAsync(), s => s.ShardsDone >= 2, TimeSpan.FromMinutes(1), "some shards done");
        await first.DisposeAsync();
        await using var second = await StartSiloAsync();
        var (code, output, error) = await watch;

        Assert.True(code == 0, output + error);
        Assert.Contains("Lost the connection to the cluster while watching campaign slow-w", output);
        Assert.Contains("Reconnected", output);
        Assert.Contains("Completed", output);
        Assert.Contains("Committed w@2", output);
        Assert.Equal("", error);
        var catalog = new DatasetCatalog(new LocalFolderBlobStore(_dir.Combine("data")), TimeProvider.System);
        Assert.Equal(40, (await catalog.OpenAsync("w", 2)).Rows);
    }

    private async Task<RamSiloHost> StartSiloAsync()
    {
        var host = RamSiloHost.Create(
            c => c.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Ram:Storage:LocalPath"] = _dir.Combine("data"),
                ["Ram:Silo:SiloPort"] = _siloPort.ToString(CultureInfo.InvariantCulture),
                ["Ram:Silo:GatewayPort"] = _gateway.ToString(CultureInfo.InvariantCulture),
                ["Ram:Campaigns:TickInterval"] = "00:00:00.200",
                ["Ram:Campaigns:ResumeReminderPeriod"] = "00:00:02",
            }),
            silo => silo.Services.AddShardStage<PauseStage>());
        await host.StartAsync();
        return host;
    }

    /// <summary>Passes each shard through unchanged after a pause, so a campaign lasts long enough to restart its silo.</summary>
    private sealed class PauseStage : IShardStage
    {
        public const string StageName = "pause";

        public string Name => StageName;

        public StageDevice Device => StageDevice.Cpu;

        public async Task<ShardStageResult> RunAsync(ShardStageContext context, CancellationToken cancellationToken)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(150), cancellationToken);
            var input = context.RequireInput();
            return new ShardStageResult(input, input.Rows);
        }
    }
}
