using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Core.Synthetic;
using RamDataEngine.Grains.Ingest;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Hosting;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Cli.Tests;

/// <summary>`ram campaign ...` talking as an Orleans client to a silo host running beside it.</summary>
public sealed class CampaignCommandsTests : IAsyncLifetime
{
    private readonly TempDirectory _dir = new("cli-campaign");
    private readonly int _gateway = Ports.Free();
    private RamSiloHost _host = null!;

    public async Task InitializeAsync()
    {
        _host = RamSiloHost.Create(c => c.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ram:Storage:LocalPath"] = _dir.Combine("data"),
            ["Ram:Silo:SiloPort"] = Ports.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ram:Silo:GatewayPort"] = _gateway.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }));
        await _host.StartAsync();
        var generated = await SceneDatasetWriter.WriteAsync(_dir.Combine("src"), 40, new SceneGeneratorOptions { Seed = 9 });
        var spec = await IngestPlanner.PlanAsync(_host.Services.GetRequiredService<IBlobStore>(), "ingest-cli", "cli", generated.JsonlPath, rowsPerShard: 10);
        var campaign = _host.Grains.GetGrain<ICampaignGrain>("ingest-cli");
        await campaign.StartAsync(spec);
        await Eventually.UntilAsync(() => campaign.GetStatusAsync(), s => s.IsFinished, TimeSpan.FromMinutes(1), "the ingest");
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task CampaignStart_WithWatch_RunsOnTheRunningSiloAndCommits()
    {
        string vocabulary = await _host.Services.GetRequiredService<VocabularyStore>().SaveAsync(VocabularySources.SceneTags());

        var (code, output) = await RamAppTests.RunAsync("campaign", "start", "parse", "--dataset", "cli", "--set", $"vocabulary={vocabulary}",
            "--id", "parse-cli", "--watch", "--gateway", $"{_gateway}", "--data", _dir.Combine("data"));
        var (listed, list) = await RamAppTests.RunAsync("campaign", "list", "--gateway", $"{_gateway}", "--data", _dir.Combine("data"));
        var (statusCode, status) = await RamAppTests.RunAsync("campaign", "status", "parse-cli", "--gateway", $"{_gateway}");

        Assert.True(code == 0, output);
        Assert.Contains("Committed cli@2", output);
        Assert.Equal(0, listed);
        Assert.Contains("parse-cli", list);
        Assert.Contains("ingest-cli", list);
        Assert.Equal(0, statusCode);
        Assert.Contains("Completed", status);
    }

    [Fact]
    public async Task CampaignStatus_NoSiloOnTheGateway_FailsWithOneClearLine()
    {
        var (code, output, error) = await RamAppTests.RunSplitAsync("campaign", "status", "x", "--gateway", "1");

        Assert.Equal(ExitCodes.Unavailable, code);
        Assert.StartsWith("error: Could not reach a silo", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal("", output);
    }

    [Theory]
    [InlineData("status")]
    [InlineData("watch")]
    [InlineData("cancel")]
    public async Task Campaign_NeverStarted_IsNotFound(string verb)
    {
        var (code, output, error) = await RamAppTests.RunSplitAsync("campaign", verb, "nosuch", "--gateway", $"{_gateway}", "--data", _dir.Combine("data"));

        Assert.Equal(ExitCodes.NotFound, code);
        Assert.StartsWith("error: No campaign 'nosuch'", error);
        Assert.DoesNotContain("Pending", output);
    }

    [Fact]
    public async Task CampaignStart_StageSettingMissing_IsRefusedBeforeAnythingRunsAndTheHeadStays()
    {
        var (code, output, error) = await RamAppTests.RunSplitAsync("campaign", "start", "parse", "--dataset", "cli", "--id", "parse-no-vocab", "--watch",
            "--gateway", $"{_gateway}", "--data", _dir.Combine("data"));
        var (statusCode, _, _) = await RamAppTests.RunSplitAsync("campaign", "status", "parse-no-vocab", "--gateway", $"{_gateway}");

        Assert.Equal(ExitCodes.Usage, code);
        Assert.StartsWith("error: Stage 'parse' needs setting 'vocabulary'", error);
        Assert.DoesNotContain("Started", output);
        Assert.Equal(ExitCodes.NotFound, statusCode);
        Assert.Equal(1, await new DatasetCatalog(_host.Services.GetRequiredService<IBlobStore>(), TimeProvider.System).GetHeadVersionAsync("cli"));
    }

}
