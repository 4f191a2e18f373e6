using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Synthetic;
using RamDataEngine.Grains.Ingest;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Hosting.Tests;

/// <summary>A real silo host process-in-a-test: its dashboard in a real browser, its metrics, its guards.</summary>
public sealed class RamSiloHostTests : IDisposable
{
    private readonly TempDirectory _dir = new("host");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Dashboard_AfterACampaign_ListsTheCampaignGrainTypesInABrowser()
    {
        await using var host = await StartAsync();
        await RunIngestAsync(host);

        string dom = await Chromium.DumpDomAsync(new Uri(host.DashboardAddress, "#/grains").ToString(), TimeSpan.FromSeconds(15));

        Assert.Contains("CampaignGrain", dom);
        Assert.Contains("DatasetGrain", dom);
    }

    [Fact]
    public async Task Metrics_AfterACampaign_ExportShardCountersForPrometheus()
    {
        await using var host = await StartAsync();
        await RunIngestAsync(host);
        using var http = new HttpClient();

        string health = await http.GetStringAsync(new Uri(host.HttpAddress, "health"));
        string metrics = await Eventually.UntilAsync(() => http.GetStringAsync(new Uri(host.HttpAddress, "metrics")),
            m => m.Contains("ram_shards_completed", StringComparison.Ordinal), TimeSpan.FromSeconds(30), "shard metrics");

        Assert.Equal("ok", health);
        Assert.Contains("ram_rows_processed", metrics);
        Assert.Contains("ram_campaign=\"c-host\"", metrics);
        Assert.Equal("127.0.0.1", host.HttpAddress.Host);
    }

    [Fact]
    public void Create_HttpBeyondLoopbackWithoutApiKey_IsRefused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => RamSiloHost.Create(c => c.AddInMemoryCollection(Settings(("Ram:Silo:HttpAddress", "0.0.0.0")))));

        Assert.Contains("Ram:Silo:ApiKey", error.Message);
    }

    [Fact]
    public async Task Http_BeyondLoopbackWithApiKey_RequiresTheKey()
    {
        await using var host = await StartAsync(("Ram:Silo:HttpAddress", "0.0.0.0"), ("Ram:Silo:ApiKey", StrongKey));
        using var http = new HttpClient();
        var health = new Uri($"http://127.0.0.1:{host.HttpAddress.Port}/health");

        var refused = await http.GetAsync(health);
        using var request = new HttpRequestMessage(HttpMethod.Get, health) { Headers = { { "X-Api-Key", StrongKey } } };
        var allowed = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Theory]
    [InlineData("x", "1 characters")]
    [InlineData("                                        ", "white space")]
    [InlineData("s3cret", "6 characters")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "lowercase letter")]
    [InlineData("12345678901234567890123456789012", "digit")]
    [InlineData("correct horse battery staple XYZ 1234", "white space")]
    public void Create_WeakApiKey_IsRefusedAtStart(string key, string why)
    {
        var error = Assert.Throws<InvalidOperationException>(() => RamSiloHost.Create(c => c.AddInMemoryCollection(Settings(("Ram:Silo:HttpAddress", "0.0.0.0"), ("Ram:Silo:ApiKey", key)))));

        Assert.Contains("Ram:Silo:ApiKey is too weak", error.Message);
        Assert.Contains(why, error.Message);
        if (key.Length > 1) Assert.DoesNotContain(key, error.Message);
    }

    [Fact]
    public void Create_WeakApiKeyOnLoopback_IsRefusedToo()
    {
        var error = Assert.Throws<InvalidOperationException>(() => RamSiloHost.Create(c => c.AddInMemoryCollection(Settings(("Ram:Silo:ApiKey", "abc")))));

        Assert.Contains("Ram:Silo:ApiKey is too weak", error.Message);
    }

    private const string StrongKey = "V7q0mXb2Lr9TzK4pW1cN8yHs5Dj3Fg6A";

    private async Task<RamSiloHost> StartAsync(params (string Key, string Value)[] extra)
    {
        var host = RamSiloHost.Create(c => c.AddInMemoryCollection(Settings(extra)));
        await host.StartAsync();
        return host;
    }

    private Dictionary<string, string?> Settings(params (string Key, string Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Ram:Storage:LocalPath"] = _dir.Combine("data"),
            ["Ram:Silo:SiloPort"] = Ports.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ram:Silo:GatewayPort"] = Ports.Free().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ram:Silo:ClusterId"] = $"test-{Guid.NewGuid():N}",
        };
        foreach (var (key, value) in extra) settings[key] = value;
        return settings;
    }

    private async Task RunIngestAsync(RamSiloHost host)
    {
        var generated = await SceneDatasetWriter.WriteAsync(_dir.Combine("src"), 20, new SceneGeneratorOptions { Seed = 5 });
        var store = host.Services.GetRequiredService<IBlobStore>();
        var spec = await IngestPlanner.PlanAsync(store, "c-host", "hosted", generated.JsonlPath, rowsPerShard: 10);
        var campaign = host.Grains.GetGrain<ICampaignGrain>("c-host");
        await campaign.StartAsync(spec);
        var status = await Eventually.UntilAsync(() => campaign.GetStatusAsync(), s => s.IsFinished, TimeSpan.FromMinutes(1), "the ingest");
        Assert.Equal(CampaignPhase.Completed, status.Phase);
    }

}
