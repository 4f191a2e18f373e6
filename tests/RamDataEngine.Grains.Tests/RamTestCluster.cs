using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.TestingHost;
using RamDataEngine.Contracts;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Grains.Tests.Campaigns;
using RamDataEngine.Hosting;
using RamDataEngine.Testing;

namespace RamDataEngine.Grains.Tests;

/// <summary>
/// An in-process Orleans test cluster running the engine on a local folder store: by default three silos, the
/// last of them with the "gpu" role. Test stages are registered on every silo.
/// </summary>
public sealed class RamTestCluster : IAsyncDisposable
{
    public const string GpuSiloName = "Secondary_2";

    private RamTestCluster(TestCluster cluster, string storagePath)
    {
        Cluster = cluster;
        StoragePath = storagePath;
    }

    public TestCluster Cluster { get; }

    public string StoragePath { get; }

    public IGrainFactory Grains => Cluster.GrainFactory;

    /// <summary>Starts a cluster over <paramref name="storagePath"/> (a new one when null), so a restart can reuse it.</summary>
    public static async Task<RamTestCluster> StartAsync(string storagePath, int silos = 3, string gpuSilo = GpuSiloName, IDictionary<string, string?>? settings = null)
    {
        var builder = new TestClusterBuilder((short)silos);
        // Silos differ here: only the gpu silo has the GPU worker grain.
        builder.Options.AssumeHomogenousSilosForTesting = false;
        var config = new Dictionary<string, string?>
        {
            ["Ram:Storage:Kind"] = "local",
            ["Ram:Storage:LocalPath"] = storagePath,
            ["Ram:Silo:GpuSiloName"] = gpuSilo,
            ["Ram:Campaigns:TickInterval"] = "00:00:00.200",
            ["Ram:Campaigns:RetryBaseDelay"] = "00:00:00.020",
            ["Ram:Campaigns:RetryMaxDelay"] = "00:00:00.200",
            ["Ram:Campaigns:ResumeReminderPeriod"] = "00:00:02",
            ["Ram:Campaigns:FlushBatchSize"] = "16",
            ["Ram:Executor:CpuConcurrency"] = "4",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) config[key] = value;
        builder.ConfigureHostConfiguration(c => c.AddInMemoryCollection(config));
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new RamTestCluster(cluster, storagePath);
    }

    /// <summary>The silo address string (as executors report it) of each silo, by silo name.</summary>
    public IReadOnlyDictionary<string, string> SiloAddresses()
        => Cluster.Silos.ToDictionary(s => s.SiloAddress.ToParsableString(), s => s.Name);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Cluster.StopAllSilosAsync();
        }
        finally
        {
            await Cluster.DisposeAsync();
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(IConfiguration configuration, IClientBuilder clientBuilder) => clientBuilder.Services.AddRamExceptionSerialization();
    }

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder siloBuilder)
        {
            var configuration = siloBuilder.Configuration;
            bool gpu = configuration["Orleans:Name"] == configuration["Ram:Silo:GpuSiloName"];
            var overrides = new ConfigurationBuilder()
                .AddConfiguration(configuration)
                .AddInMemoryCollection(new Dictionary<string, string?> { ["Ram:Silo:Role"] = gpu ? "gpu" : "cpu" })
                .Build();
            if (configuration["Ram:Test:Faults"] == "state-and-commit")
            {
                // Registered before the engine's own store, which is only added when none is.
                string path = configuration["Ram:Storage:LocalPath"]!;
                siloBuilder.Services.AddSingleton<RamDataEngine.Storage.IBlobStore>(new TargetedFaultStore(new RamDataEngine.Storage.LocalFolderBlobStore(path)));
            }

            siloBuilder.AddRamDataEngine(overrides);
            // Declare a killed silo dead within seconds, not the production default of a minute or so.
            siloBuilder.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromMilliseconds(500);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
                o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(1);
            });
            siloBuilder.AddIncomingGrainCallFilter<RefuseDispatchFilter>();
            siloBuilder.Services.AddShardStage<CopyIdsStage>();
            siloBuilder.Services.AddShardStage<GpuCopyIdsStage>();
            siloBuilder.Services.AddShardStage<FlakyCopyIdsStage>();
            siloBuilder.Services.AddShardStage<PoisonedCopyIdsStage>();
            siloBuilder.Services.AddShardStage<SlowCopyIdsStage>();
        }
    }
}
