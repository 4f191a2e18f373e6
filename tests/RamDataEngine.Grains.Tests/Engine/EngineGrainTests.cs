using RamDataEngine.Contracts;
using RamDataEngine.Core.Synthetic;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Engine;
using RamDataEngine.Grains.Ingest;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Grains.Tests.Engine;

/// <summary>
/// The whole engine on the 3-silo test cluster over a small generated dataset: one uninterrupted run (the reference)
/// and one whose cluster is stopped between steps and started again on the same storage.
/// </summary>
public sealed class EngineGrainTests(EngineFixture fixture) : IClassFixture<EngineFixture>
{
    [Fact]
    public async Task EngineRun_GeneratedDataset_RecordsEveryStepsOutputWithLineage()
    {
        var (status, report) = await fixture.ReferenceAsync();
        var catalog = fixture.Catalog;

        Assert.True(status.Phase == EnginePhase.Completed, status.Message);
        Assert.Equal(EngineSteps.All, status.Steps.Select(s => s.Name).ToArray());
        bool cleanSkipped = EngineFixture.SkipClean;
        Assert.All(status.Steps, s => Assert.Equal(s.Name == EngineSteps.Clean && cleanSkipped ? EngineStepState.Skipped : EngineStepState.Completed, s.State));
        Assert.Equal($"{EngineFixture.ReferenceId}-{EngineSteps.Featurize}", status.Step(EngineSteps.Featurize)!.ChildId);

        // Versions chain: input -> parse -> featurize -> annotate -> clean, each the parent of the next.
        int parse = status.Step(EngineSteps.Parse)!.OutputVersion!.Value;
        int featurize = status.Step(EngineSteps.Featurize)!.OutputVersion!.Value;
        int annotate = status.Step(EngineSteps.Annotate)!.OutputVersion!.Value;
        int clean = status.Step(EngineSteps.Clean)!.OutputVersion!.Value;
        Assert.Equal(EngineFixture.InputVersion, (await catalog.OpenAsync(EngineFixture.Dataset, parse)).ParentVersion);
        Assert.Equal(parse, (await catalog.OpenAsync(EngineFixture.Dataset, featurize)).ParentVersion);
        var annotated = await catalog.OpenAsync(EngineFixture.Dataset, annotate);
        Assert.Equal(featurize, annotated.ParentVersion);
        Assert.Equal("relabel", annotated.Lineage.Operation);
        if (!cleanSkipped)
        {
            var cleaned = await catalog.OpenAsync(EngineFixture.Dataset, clean);
            Assert.Equal(annotate, cleaned.ParentVersion);
            Assert.Equal("clean", cleaned.Lineage.Operation);
        }

        // Models: preliminary on the featurized parsed tags, retrained on the cleaned version, fine-tuned from the retrained one.
        var store = new ModelStore(catalog.Store);
        var preliminary = (await store.GetManifestAsync(status.Step(EngineSteps.Train)!.OutputModel!))!.Record;
        var retrained = (await store.GetManifestAsync(status.Step(EngineSteps.Retrain)!.OutputModel!))!.Record;
        var tuned = (await store.GetManifestAsync(status.Step(EngineSteps.Finetune)!.OutputModel!))!.Record;
        Assert.Equal((featurize, "split=train", "parsed"), (preliminary.DatasetVersion, preliminary.Filter, preliminary.Hyperparameters["labels"]));
        Assert.Equal((clean, "split=train", "labels"), (retrained.DatasetVersion, retrained.Filter, retrained.Hyperparameters["labels"]));
        Assert.Equal((clean, retrained.Id, "finetune", EngineSpec.DefaultFinetuneFilter), (tuned.DatasetVersion, tuned.ParentModel, tuned.Operation, tuned.Filter));
        // Cross-fitting: one head per fold, each trained on the other folds' rows; they (not the preliminary model) judge.
        var folds = status.Step(EngineSteps.Folds)!.OutputModel!.Split(',');
        Assert.Equal(EngineSpec.DefaultFolds, folds.Length);
        for (int k = 0; k < folds.Length; k++)
        {
            var fold = (await store.GetManifestAsync(folds[k]))!.Record;
            Assert.Equal((featurize, $"out-of-fold={k}/{folds.Length}"), (fold.DatasetVersion, fold.Filter));
        }

        Assert.Equal(string.Join(',', folds), annotated.Lineage.ModelId);
        Assert.NotNull(report.Trust);
        Assert.Equal(EngineSpec.DefaultFolds, report.Trust.Folds);
        Assert.True(report.Trust.TagsJudged > 0);
        Assert.Equal(report.Labels.Count, report.LabelsAllRows.Count);

        // The report: label quality per step and model quality per model on the test split, stored as JSON too.
        Assert.True(report.HasTruth, report.Message);
        Assert.Equal(cleanSkipped ? ["parsed", "+generation"] : ["parsed", "+generation", "+cleaning"], report.Labels.Select(r => r.Name).ToArray());
        Assert.Equal(["preliminary", "retrained", "fine-tuned"], report.Models.Select(r => r.Name).ToArray());
        Assert.All(report.Labels.Concat(report.Models), r => Assert.InRange(r.Map, 0.01, 1));
        Assert.All(report.Labels.Concat(report.Models), r => Assert.True(r.Rows > 0));
        Assert.Equal(EngineSteps.ReportPath(EngineFixture.ReferenceId), status.ReportPath);
        var stored = await catalog.Store.ReadJsonAsync<EngineReport>(status.ReportPath!, EngineSteps.Json);
        Assert.NotNull(stored);
        Assert.Equal(report.Labels, stored.Value.Value.Labels);

        // `ram engine report --truth` judges what the run's status names: the same outputs the evaluate step judged.
        var (judgedLabels, judgedModels) = EngineEvaluator.Judged(status);
        Assert.Equal(report.Labels.Select(r => (r.Name, r.Source)), judgedLabels.Select(l => (l.Name, $"{EngineFixture.Dataset}@{l.Version}")));
        Assert.Equal(report.Models.Select(r => (r.Name, r.Source)), judgedModels);
    }

    [Fact]
    public async Task EngineRun_ClusterStoppedBetweenSteps_ResumesAndMatchesTheUninterruptedRun()
    {
        var (reference, referenceReport) = await fixture.ReferenceAsync();
        const string drillId = "engine-drill";
        const string drillDataset = "engine-scenes-drill";
        await using (var first = await RamTestCluster.StartAsync(fixture.Storage.Path, settings: EngineFixture.ClusterSettings))
        {
            // Its own copy of the input: a dataset's versions are a chain, and the reference run moved the first one's head.
            await fixture.IngestAsync(first, drillDataset);
            var engine = first.Grains.GetGrain<IEngineGrain>(drillId);
            await engine.StartAsync(EngineFixture.Spec(drillDataset));
            // Stop everything once the preliminary model is recorded: the next step may have started or not.
            await Eventually.UntilAsync(
                () => engine.GetStatusAsync(), s => s.IsFinished || s.Step(EngineSteps.Train)!.State == EngineStepState.Completed, TimeSpan.FromMinutes(3), "the train step");
        }

        var stopped = await fixture.Catalog.Store.ReadJsonAsync<EngineStatus>(EngineSteps.StatusPath(drillId), EngineSteps.Json);
        Assert.True(stopped!.Value.Value.Phase == EnginePhase.Running, stopped.Value.Value.Message);

        await using var second = await RamTestCluster.StartAsync(fixture.Storage.Path, settings: EngineFixture.ClusterSettings);
        var resumed = second.Grains.GetGrain<IEngineGrain>(drillId);
        var status = await Eventually.UntilAsync(() => resumed.GetStatusAsync(), s => s.IsFinished, TimeSpan.FromMinutes(4), "the resumed engine run");
        Assert.True(status.Phase == EnginePhase.Completed, status.Message);
        Assert.Equal(1, status.Step(EngineSteps.Train)!.Attempts);
        Assert.All(status.Steps, s => Assert.True(s.Attempts <= 1, $"{s.Name} ran {s.Attempts} times"));

        // The same final labels per row, the same model weights, the same report numbers.
        var catalog = fixture.Catalog;
        Assert.Equal(
            await FinalLabelsAsync(catalog, EngineFixture.Dataset, reference.Step(EngineSteps.Clean)!.OutputVersion!.Value),
            await FinalLabelsAsync(catalog, drillDataset, status.Step(EngineSteps.Clean)!.OutputVersion!.Value));
        var store = new ModelStore(catalog.Store);
        foreach (var step in new[] { EngineSteps.Train, EngineSteps.Retrain, EngineSteps.Finetune })
        {
            var a = (await store.GetManifestAsync(reference.Step(step)!.OutputModel!))!.Record;
            var b = (await store.GetManifestAsync(status.Step(step)!.OutputModel!))!.Record;
            Assert.Equal(a.HeadSha256, b.HeadSha256);
        }

        var report = (await resumed.GetReportAsync())!;
        Assert.Equal(referenceReport.Labels.Select(r => r with { Source = "" }), report.Labels.Select(r => r with { Source = "" }));
        Assert.Equal(referenceReport.Models.Select(r => r with { Source = "" }), report.Models.Select(r => r with { Source = "" }));
    }

    [Fact]
    public async Task Start_SameSpecTwiceOrBadInput_NoOpOrClearError()
    {
        await fixture.ReferenceAsync();
        await using var cluster = await RamTestCluster.StartAsync(fixture.Storage.Path, settings: EngineFixture.ClusterSettings);
        var engine = cluster.Grains.GetGrain<IEngineGrain>(EngineFixture.ReferenceId);

        var again = await engine.StartAsync(EngineFixture.Spec());

        Assert.Equal(EnginePhase.Completed, again.Phase);
        await Assert.ThrowsAsync<InvalidOperationException>(() => engine.StartAsync(EngineFixture.Spec() with { Seed = 7 }));
        await Assert.ThrowsAsync<ArgumentException>(() => cluster.Grains.GetGrain<IEngineGrain>("engine-old-input").StartAsync(EngineFixture.Spec()));

        await fixture.IngestAsync(cluster, "engine-unparsed");
        var unparsed = cluster.Grains.GetGrain<IEngineGrain>("engine-unparsed");
        var failed = await unparsed.StartAsync(EngineFixture.Spec("engine-unparsed") with { VocabularyId = null });
        failed = await Eventually.UntilAsync(() => unparsed.GetStatusAsync(), s => s.IsFinished, TimeSpan.FromMinutes(1), "the unparsed run");
        Assert.Equal(EnginePhase.Failed, failed.Phase);
        Assert.Equal(EngineSteps.Parse, failed.CurrentStep);
        Assert.Contains("has no parsed tags", failed.Message, StringComparison.Ordinal);
    }

    private static async Task<SortedDictionary<long, string>> FinalLabelsAsync(DatasetCatalog catalog, string dataset, int version)
    {
        var labels = new SortedDictionary<long, string>();
        await foreach (var entry in catalog.ReadShardsAsync(await catalog.OpenAsync(dataset, version)))
        {
            var rows = await ShardLayers.ReadTagsAsync(catalog, entry.Files[ShardFileKinds.Labels], labels: true, null, default);
            for (int row = 0; row < rows.Count; row++) labels[rows.Ids[row]] = string.Join(",", rows.Row(row).ToArray());
        }

        return labels;
    }
}

/// <summary>A small ingested dataset and one uninterrupted engine run over it, shared by the tests of a class.</summary>
public sealed class EngineFixture : IAsyncLifetime
{
    public const string Dataset = "engine-scenes";
    public const string ReferenceId = "engine-reference";
    public const int InputVersion = 1;

    public const bool SkipClean = false;

    public static readonly Dictionary<string, string?> ClusterSettings = new() { ["Ram:Campaigns:TickInterval"] = "00:00:00.200" };

    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly TempDirectory _source = new("engine-source");
    private (EngineStatus Status, EngineReport Report)? _reference;
    private SceneDataset? _generated;

    public TempDirectory Storage { get; } = new("engine");

    public DatasetCatalog Catalog { get; private set; } = null!;

    public static EngineSpec Spec(string dataset = Dataset) => new()
    {
        Dataset = dataset,
        InputVersion = InputVersion,
        VocabularyId = VocabularySources.SceneTags().Id,
        Epochs = 4,
        FinetuneEpochs = 2,
        Patience = 10,
        SkipClean = SkipClean,
        MaxInFlight = 4,
    };

    public Task InitializeAsync()
    {
        Catalog = new DatasetCatalog(new LocalFolderBlobStore(Storage.Path), TimeProvider.System);
        return Task.CompletedTask;
    }

    /// <summary>Ingests the dataset and runs the reference engine once, on a cluster stopped afterwards (tests start their own on the same storage).</summary>
    public async Task<(EngineStatus Status, EngineReport Report)> ReferenceAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_reference is { } done) return done;
            await using var cluster = await RamTestCluster.StartAsync(Storage.Path, settings: ClusterSettings);
            await IngestAsync(cluster, Dataset);
            await new VocabularyStore(Catalog.Store).SaveAsync(VocabularySources.SceneTags());

            var engine = cluster.Grains.GetGrain<IEngineGrain>(ReferenceId);
            await engine.StartAsync(Spec());
            var status = await Eventually.UntilAsync(() => engine.GetStatusAsync(), s => s.IsFinished, TimeSpan.FromMinutes(5), "the reference engine run");
            Assert.True(status.Phase == EnginePhase.Completed, status.Message);
            var report = await engine.GetReportAsync();
            Assert.NotNull(report);
            _reference = (status, report);
            return _reference.Value;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Ingests the generated images as a new dataset (the same rows and ids every time).</summary>
    public async Task IngestAsync(RamTestCluster cluster, string dataset)
    {
        _generated ??= await SceneDatasetWriter.WriteAsync(_source.Path, 150, new SceneGeneratorOptions { Seed = 11 });
        string id = $"c-ingest-{dataset}";
        var ingest = cluster.Grains.GetGrain<ICampaignGrain>(id);
        await ingest.StartAsync(await IngestPlanner.PlanAsync(Catalog.Store, id, dataset, _generated.JsonlPath, rowsPerShard: 50));
        var ingested = await CampaignRuns.WaitAsync(ingest);
        Assert.True(ingested.Phase == CampaignPhase.Completed, ingested.Message);
    }

    public Task DisposeAsync()
    {
        _source.Dispose();
        Storage.Dispose();
        return Task.CompletedTask;
    }
}
