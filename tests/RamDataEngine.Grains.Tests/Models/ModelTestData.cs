using RamDataEngine.Contracts;
using RamDataEngine.Core.Synthetic;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Ingest;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Testing;

namespace RamDataEngine.Grains.Tests.Models;

/// <summary>A small generated dataset ingested, parsed and featurized through a cluster's campaigns (versions 1-3).</summary>
internal static class ModelTestData
{
    public static async Task PrepareAsync(RamTestCluster cluster, DatasetCatalog catalog, string dataset, int images = 120)
    {
        if (await catalog.GetHeadVersionAsync(dataset) is >= 3) return;
        using var source = new TempDirectory("model-source");
        var generated = await SceneDatasetWriter.WriteAsync(source.Path, images, new SceneGeneratorOptions { Seed = 5 });
        string ingest = $"c-{dataset}-ingest";
        await RunCampaignAsync(cluster, ingest, await IngestPlanner.PlanAsync(catalog.Store, ingest, dataset, generated.JsonlPath, rowsPerShard: 40));
        await RunCampaignAsync(cluster, $"c-{dataset}-parse", await ParsePlanner.PlanAsync(new VocabularyStore(catalog.Store), dataset, VocabularySources.SceneTags()));
        await RunCampaignAsync(cluster, $"c-{dataset}-featurize", ModelPlanners.Featurize(dataset));
    }

    public static async Task<CampaignStatus> RunCampaignAsync(RamTestCluster cluster, string id, CampaignSpec spec)
    {
        var campaign = cluster.Grains.GetGrain<ICampaignGrain>(id);
        await campaign.StartAsync(spec);
        var status = await Eventually.UntilAsync(() => campaign.GetStatusAsync(), s => s.IsFinished, TimeSpan.FromMinutes(3), $"campaign {id}");
        Assert.True(status.Phase == CampaignPhase.Completed, status.Message);
        return status;
    }

    /// <summary>Runs a training job to its end and returns its final status and the model version it registered.</summary>
    public static async Task<(TrainingJobStatus Status, ModelRecord Model)> TrainAsync(RamTestCluster cluster, string jobId, TrainingJobSpec spec)
    {
        var job = cluster.Grains.GetGrain<ITrainingJobGrain>(jobId);
        await job.StartAsync(spec);
        var status = await Eventually.UntilAsync(() => job.GetStatusAsync(), s => s.IsFinished, TimeSpan.FromMinutes(2), $"training job {jobId}");
        Assert.True(status.Phase == TrainingJobPhase.Completed, status.Message);
        var record = await cluster.Grains.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.DefaultKey).GetAsync(status.ModelId!);
        Assert.NotNull(record);
        return (status, record);
    }
}
