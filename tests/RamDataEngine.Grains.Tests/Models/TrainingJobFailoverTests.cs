using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;
using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Models;
using RamDataEngine.Storage;
using RamDataEngine.Testing;
using Xunit.Abstractions;

namespace RamDataEngine.Grains.Tests.Models;

/// <summary>A training job whose silo is killed mid-way; the test owns its cluster, since it kills a silo.</summary>
public sealed class TrainingJobFailoverTests(ITestOutputHelper output) : IDisposable
{
    private const string Dataset = "train-kill";
    private readonly TempDirectory _storage = new("train-kill");

    public void Dispose() => _storage.Dispose();

    [Fact]
    public async Task TrainingJob_SiloKilledAfterACheckpoint_ResumesElsewhereAndMatchesAnUninterruptedRun()
    {
        await using var cluster = await RamTestCluster.StartAsync(_storage.Path);
        var catalog = new DatasetCatalog(new LocalFolderBlobStore(_storage.Path), TimeProvider.System);
        await ModelTestData.PrepareAsync(cluster, catalog, Dataset);
        // Small batches and no early stop: enough epochs that the kill lands mid-way.
        var spec = new TrainingJobSpec { Operation = "train", Dataset = Dataset, DatasetVersion = 3, MaxEpochs = 40, Patience = 40, BatchSize = 2 };
        var reference = await TrainToEndAsync(cluster, "job-kill-reference", spec);

        var job = cluster.Grains.GetGrain<ITrainingJobGrain>("job-kill");
        await job.StartAsync(spec);
        var before = await Eventually.UntilAsync(() => job.GetStatusAsync(), s => s.Epoch >= 1 || s.IsFinished, TimeSpan.FromMinutes(2), "a first checkpointed epoch");
        Assert.False(before.IsFinished, "The job finished before the kill: give it more epochs.");
        var silo = (InProcessSiloHandle)cluster.Cluster.Silos.Single(s => s.SiloAddress.ToParsableString() == before.Silo);
        Assert.Equal(RamTestCluster.GpuSiloName, silo.Name);
        var runner = silo.SiloHost.Services.GetRequiredService<TrainingRunner>();
        Assert.Equal(1, runner.RunningCount);

        await cluster.Cluster.KillSiloAsync(silo);

        // The killed silo's stop ended its training: nothing writes from there any more.
        Assert.True(runner.IsSiloStopping);
        Assert.Equal(0, runner.RunningCount);
        var status = await Eventually.UntilAsync(() => StatusOrNullAsync(job), s => s is { IsFinished: true }, TimeSpan.FromMinutes(3), "the resumed job");
        output.WriteLine($"killed after epoch {before.Epoch}; resumed from epoch {status!.ResumedFromEpoch}, run {status.Runs}, on {status.Silo}");
        Assert.True(status.Phase == TrainingJobPhase.Completed, status.Message);
        Assert.NotEqual(before.Silo, status.Silo);
        Assert.True(status.ResumedFromEpoch >= 1, $"resumed from epoch {status.ResumedFromEpoch}");
        Assert.True(status.Runs >= 2, $"{status.Runs} runs");
        var resumed = await cluster.Grains.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.DefaultKey).GetAsync(status.ModelId!);
        Assert.NotNull(resumed);
        // Training is seeded and the checkpoint holds the optimizer state: the resumed run ends with the same weights.
        Assert.Equal(reference.HeadSha256, resumed.HeadSha256);
        Assert.Equal(reference.Metrics["validation_map"], resumed.Metrics["validation_map"]);
    }

    private static async Task<ModelRecord> TrainToEndAsync(RamTestCluster cluster, string jobId, TrainingJobSpec spec)
    {
        var job = cluster.Grains.GetGrain<ITrainingJobGrain>(jobId);
        await job.StartAsync(spec);
        var status = await Eventually.UntilAsync(() => job.GetStatusAsync(), s => s.IsFinished, TimeSpan.FromMinutes(3), $"training job {jobId}");
        Assert.True(status.Phase == TrainingJobPhase.Completed, status.Message);
        var record = await cluster.Grains.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.DefaultKey).GetAsync(status.ModelId!);
        Assert.NotNull(record);
        return record;
    }

    /// <summary>Until the cluster declares the killed silo dead, a call can fail on it: that is a poll without an answer.</summary>
    private static async Task<TrainingJobStatus?> StatusOrNullAsync(ITrainingJobGrain job)
    {
        try
        {
            return await job.GetStatusAsync();
        }
        catch (Exception e) when (e is OrleansException or TimeoutException)
        {
            return null;
        }
    }
}
