using RamDataEngine.Contracts;
using RamDataEngine.Core.Synthetic;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Ingest;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Grains.Tests.Campaigns;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Grains.Tests.Models;

/// <summary>Featurize, train, annotate and relabel through the orchestrator on the 3-silo cluster, with small generated data.</summary>
[Collection(nameof(ThreeSiloCollection))]
public sealed class ModelPipelineTests(ThreeSiloFixture fixture)
{
    private const string Dataset = "model-pipeline";
    private static readonly SemaphoreSlim PrepareGate = new(1, 1);
    private readonly DatasetCatalog _catalog = new(new LocalFolderBlobStore(fixture.Storage.Path), TimeProvider.System);

    [Fact]
    public async Task FeaturizeTrainAnnotate_GeneratedDataset_CommitsVersionsWithTheRightLayers()
    {
        await PrepareAsync();
        var v1 = await _catalog.OpenAsync(Dataset, 1);
        var v3 = await _catalog.OpenAsync(Dataset, 3);
        Assert.Equal("featurize", v3.Lineage.Operation);
        var baseFiles = await FilesAsync(v1, ShardFileKinds.Base);
        Assert.Equal(baseFiles, await FilesAsync(v3, ShardFileKinds.Base));
        var firstFeatures = (await _catalog.GetShardAsync(v3, 0)).Files[ShardFileKinds.Features];
        var layer = await ShardLayers.ReadFeaturesAsync(_catalog, firstFeatures, default);
        Assert.Equal("resnet18-onnx/fmap-2x2", layer.EncoderId);
        Assert.Equal(512, layer.Dimension);
        Assert.Equal(4, layer.Regions);
        Assert.All(layer.Batches, b => Assert.All(b.RegionCounts.ToArray(), r => Assert.Equal(4, r)));

        // Train from scratch on the parsed tags: the model version records its lineage.
        var model = await TrainAsync("job-pipeline-train", new TrainingJobSpec { Operation = "train", Dataset = Dataset, DatasetVersion = 3, MaxEpochs = 4 });
        Assert.Equal(Dataset, model.Dataset);
        Assert.Equal(3, model.DatasetVersion);
        Assert.Null(model.ParentModel);
        Assert.Equal("train", model.Operation);
        Assert.Equal(VocabularySources.SceneTags().Id, model.VocabularyId);
        Assert.Equal(layer.EncoderId, model.EncoderId);
        Assert.Equal("parsed", model.Hyperparameters["labels"]);
        Assert.True(model.Metrics["epochs"] >= 1);
        var manifest = await new ModelStore(_catalog.Store).GetManifestAsync(model.Id);
        Assert.NotNull(manifest);
        Assert.Equal(model.TagCount, manifest.Thresholds.Length);
        Assert.NotNull(await _catalog.Store.GetPropertiesAsync(ModelStore.HeadPath(model.Id)));

        // Annotate: a labels layer; per-tag counts of the final labels in the manifest; other files untouched.
        var v4 = await AnnotateAsync("c-pipeline-annotate", model, 3);
        Assert.Equal("relabel", v4.Lineage.Operation);
        Assert.Equal(model.Id, v4.Lineage.ModelId);
        foreach (string kind in new[] { ShardFileKinds.Base, ShardFileKinds.Parsed, ShardFileKinds.Features })
        {
            Assert.Equal(await FilesAsync(v3, kind), await FilesAsync(v4, kind));
        }

        var counted = new Dictionary<int, long>();
        long added = 0;
        await foreach (var entry in _catalog.ReadShardsAsync(v4))
        {
            var parsed = await ShardLayers.ReadTagsAsync(_catalog, entry.Files[ShardFileKinds.Parsed], labels: false, null, default);
            var labelsFile = entry.Files[ShardFileKinds.Labels];
            await using var reader = await ShardReader<LabelsShardBatch>.OpenAsync(_catalog.Store, labelsFile.Path, labelsFile.Sha256);
            Assert.Equal(model.Id, reader.Provenance.ModelId);
            int index = 0;
            await foreach (var batch in reader.ReadBatchesAsync())
            {
                for (int row = 0; row < batch.Count; row++, index++)
                {
                    Assert.Equal(parsed.Row(index).ToArray(), batch.ParsedTagIds[row].ToArray());
                    var final = batch.TagIds[row].ToArray();
                    Assert.Subset(final.ToHashSet(), parsed.Row(index).ToArray().ToHashSet());
                    foreach (float s in batch.AddedScores[row]) Assert.True(s >= AnnotateStage.DefaultFloor);
                    Assert.Empty(batch.AddedTagIds[row].ToArray().Intersect(parsed.Row(index).ToArray()));
                    // The layer holds decisions: every added tag is a final tag, and nothing else is listed as added.
                    Assert.Equal(final.Except(parsed.Row(index).ToArray()).Order(), batch.AddedTagIds[row].ToArray().Order());
                    Assert.Empty(batch.CandidateTagIds[row].ToArray());
                    added += final.Length - parsed.Row(index).Length;
                    foreach (int tag in final) counted[tag] = counted.GetValueOrDefault(tag) + 1;
                }
            }
        }

        Assert.Equal(counted.OrderBy(p => p.Key), v4.TagCounts.OrderBy(p => p.Key));
        Assert.True(added >= 0);

        // Evaluate against the generator's truth: parsed, model and final side by side.
        var vocabularies = new VocabularyStore(_catalog.Store);
        var evaluation = await DatasetEvaluator.EvaluateAsync(_catalog, v4, id => vocabularies.LoadAsync(id), new ModelStore(_catalog.Store));
        Assert.Equal(120, evaluation.Rows);
        Assert.Equal(["parsed", "model", "final"], evaluation.Sources.Select(s => s.Name).ToArray());
        Assert.Equal(model.Id, evaluation.ModelId);
        Assert.NotNull(evaluation.CaptionMissedRecall);
        Assert.Equal(added, evaluation.AddedLabels);
        Assert.InRange(evaluation.Sources[0].Map.Mean, 0.01, 1);

        // Relabel with a fine-tuned model: only a new labels layer; images are not copied.
        var tuned = await TrainAsync(
            "job-pipeline-finetune",
            new TrainingJobSpec { Operation = "finetune", Dataset = Dataset, DatasetVersion = 4, FromModel = model.Id, Filter = "split=train", MaxEpochs = 2 });
        Assert.Equal(model.Id, tuned.ParentModel);
        Assert.Equal("finetune", tuned.Operation);
        Assert.Equal("split=train", tuned.Filter);
        Assert.Equal("labels", tuned.Hyperparameters["labels"]);
        var v5 = await AnnotateAsync("c-pipeline-relabel", tuned, 4);
        Assert.Equal(5, v5.Version);
        Assert.Equal(tuned.Id, v5.Lineage.ModelId);
        foreach (string kind in new[] { ShardFileKinds.Base, ShardFileKinds.Parsed, ShardFileKinds.Features })
        {
            Assert.Equal(await FilesAsync(v4, kind), await FilesAsync(v5, kind));
        }

        Assert.Empty((await FilesAsync(v5, ShardFileKinds.Labels)).Intersect(await FilesAsync(v4, ShardFileKinds.Labels)));
        var registry = fixture.Cluster.Grains.GetGrain<IModelRegistryGrain>(IModelRegistryGrain.DefaultKey);
        var all = await registry.ListAsync();
        Assert.Contains(all, m => m.Id == model.Id);
        Assert.Contains(all, m => m.Id == tuned.Id && m.ParentModel == model.Id);
    }

    private async Task PrepareAsync()
    {
        await PrepareGate.WaitAsync();
        try
        {
            await ModelTestData.PrepareAsync(fixture.Cluster, _catalog, Dataset);
        }
        finally
        {
            PrepareGate.Release();
        }
    }

    private async Task<ModelRecord> TrainAsync(string jobId, TrainingJobSpec spec)
    {
        var (status, record) = await ModelTestData.TrainAsync(fixture.Cluster, jobId, spec);
        // Training jobs prefer the gpu silo (GpuPreferredPlacement).
        Assert.Equal(RamTestCluster.GpuSiloName, fixture.Cluster.SiloAddresses()[status.Silo!]);
        return record;
    }

    private async Task<VersionRoot> AnnotateAsync(string campaignId, ModelRecord model, int inputVersion)
    {
        var status = await RunAsync(campaignId, ModelPlanners.Annotate(Dataset, model, inputVersion));
        return await _catalog.OpenAsync(Dataset, status.OutputVersion!.Value);
    }

    private async Task<string[]> FilesAsync(VersionRoot root, string kind)
    {
        var paths = new List<string>();
        await foreach (var entry in _catalog.ReadShardsAsync(root)) paths.Add(entry.Files[kind].Path + "#" + entry.Files[kind].Sha256);
        return paths.ToArray();
    }

    private Task<CampaignStatus> RunAsync(string id, CampaignSpec spec) => ModelTestData.RunCampaignAsync(fixture.Cluster, id, spec);
}
