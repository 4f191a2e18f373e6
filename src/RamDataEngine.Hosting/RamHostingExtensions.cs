using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime.Hosting;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Serialization;
using Orleans.Storage;
using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Campaigns;
using RamDataEngine.Grains.Cleaning;
using RamDataEngine.Grains.Execution;
using RamDataEngine.Grains.Ingest;
using RamDataEngine.Grains.Mining;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Grains.Persistence;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Grains.Trust;
using RamDataEngine.Storage;
using RamDataEngine.Storage.Azure;

namespace RamDataEngine.Hosting;

/// <summary>Wires RamDataEngine into a host: storage, catalog, stages, executors, grain storage and reminders.</summary>
public static class RamHostingExtensions
{
    /// <summary>The grain storage every RamDataEngine grain uses.</summary>
    public const string GrainStorageName = "ram";

    /// <summary>The blob store and dataset catalog alone, for tools that read datasets without a silo.</summary>
    public static IServiceCollection AddRamStorage(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<RamStorageOptions>().Bind(configuration.GetSection(RamStorageOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IBlobStore>(sp => CreateBlobStore(sp.GetRequiredService<IOptions<RamStorageOptions>>().Value, sp));
        services.AddHostedService<BlobStoreInitializer>();
        services.TryAddSingleton(sp => new DatasetCatalog(sp.GetRequiredService<IBlobStore>(), sp.GetRequiredService<TimeProvider>()));
        return services;
    }

    /// <summary>Everything a silo of the engine needs except clustering, which the host chooses.</summary>
    public static ISiloBuilder AddRamDataEngine(this ISiloBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var services = builder.Services;
        var silo = configuration.GetSection(RamSiloOptions.SectionName).Get<RamSiloOptions>() ?? new RamSiloOptions();
        services.AddOptions<RamSiloOptions>().Bind(configuration.GetSection(RamSiloOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.AddRamStorage(configuration);
        services.AddRamExceptionSerialization();

        services.AddOptions<CampaignOptions>().Bind(configuration.GetSection(CampaignOptions.SectionName)).ValidateDataAnnotations();
        services.AddOptions<ShardExecutorOptions>()
            .Configure(o => o.GpuDevices = silo.Role == "gpu" ? silo.GpuDevices : 0)
            .Bind(configuration.GetSection(ShardExecutorOptions.SectionName))
            .ValidateDataAnnotations();
        services.TryAddSingleton<StageRegistry>();
        services.TryAddSingleton<ShardInputResolver>();
        services.TryAddSingleton<SiloRoles>();
        services.TryAddSingleton<ShardExecutor>();
        services.AddHostedService(sp => sp.GetRequiredService<ShardExecutor>());
        services.AddRamStages();
        services.AddOptions<FeaturizeOptions>().Bind(configuration.GetSection(FeaturizeOptions.SectionName)).ValidateDataAnnotations();

        string serviceId = silo.ServiceId;
        services.AddGrainStorage(GrainStorageName, (sp, name) => new BlobGrainStorage(
            name, serviceId, sp.GetRequiredService<IBlobStore>(), new OrleansGrainStorageSerializer(sp.GetRequiredService<Serializer>())));
        builder.AddReminders();
        services.AddSingleton<IReminderTable>(sp => new BlobReminderTable(sp.GetRequiredService<IBlobStore>(), serviceId));
        services.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));

        services.AddPlacementDirector<GpuPreferredPlacement, GpuPreferredPlacementDirector>();
        builder.UseSiloMetadata(new Dictionary<string, string> { [SiloRoles.MetadataKey] = silo.Role });
        if (silo.Role != "gpu")
        {
            // GPU workers exist only on gpu silos, so Orleans places them nowhere else.
            services.PostConfigure<GrainTypeOptions>(o => o.Classes.Remove(typeof(GpuShardWorkerGrain)));
        }

        return builder;
    }

    /// <summary>The stage plug-ins that ship with the engine.</summary>
    public static IServiceCollection AddRamStages(this IServiceCollection services)
    {
        services.TryAddSingleton<VocabularyStore>();
        services.TryAddSingleton<EncoderProvider>();
        services.TryAddSingleton<ModelStore>();
        services.TryAddSingleton<TrustProvider>();
        services.TryAddSingleton<TrainingRunner>();
        // The silo's stop (even a killed silo's) cancels the trainings running on it.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILifecycleParticipant<ISiloLifecycle>, TrainingRunner>(sp => sp.GetRequiredService<TrainingRunner>()));
        return services
            .AddShardStage<IngestStage>()
            .AddShardStage<ParseStage>()
            .AddShardStage<MineTermsStage>()
            .AddShardStage<FeaturizeStage>()
            .AddShardStage<TrustStatsStage>()
            .AddShardStage<AnnotateStage>()
            .AddShardStage<CleanSampleStage>()
            .AddShardStage<CleanApplyStage>();
    }

    private static IBlobStore CreateBlobStore(RamStorageOptions options, IServiceProvider services) => options.Kind switch
    {
        "azure" => AzureBlobStore.Create(
            new AzureBlobStoreOptions
            {
                ConnectionString = options.AzureConnectionString
                    ?? throw new OptionsValidationException(RamStorageOptions.SectionName, typeof(RamStorageOptions), ["Ram:Storage:AzureConnectionString is required when Ram:Storage:Kind is 'azure'."]),
                ContainerName = options.AzureContainer,
            },
            services.GetService<ILogger<AzureBlobStore>>(),
            services.GetService<TimeProvider>()),
        _ => new LocalFolderBlobStore(options.LocalPath),
    };

    /// <summary>Creates the Azure container at startup, before any grain touches storage.</summary>
    private sealed class BlobStoreInitializer(IBlobStore store) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
            => store is AzureBlobStore azure ? azure.EnsureContainerAsync(cancellationToken) : Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
