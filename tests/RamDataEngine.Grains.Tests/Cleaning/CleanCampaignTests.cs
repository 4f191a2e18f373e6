using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Cleaning;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Tests.Campaigns;
using RamDataEngine.Grains.Tests.Models;
using RamDataEngine.Grains.Trust;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Grains.Tests.Cleaning;

/// <summary>The two-phase clean campaign through the orchestrator: what it removes and why, and that 3 silos give what 1 gives.</summary>
[Collection(nameof(ThreeSiloCollection))]
public sealed class CleanCampaignTests(ThreeSiloFixture fixture)
{
    private const string Dataset = "clean";

    // Small data and a briefly trained model (scores 0.5-0.9), so the floor is set high enough to remove some labels and tags need only a few regions to get a cut.
    private static readonly CleanOptions Options = new() { DisagreeFloor = 0.75f, MinSamples = 8, OutlierFraction = 0.1 };

    // These tests check the cleaning rules themselves, so no trust gate holds them back (the gates have tests of their own).
    private static readonly TrustPlan Ungated = new() { Off = true };

    private readonly DatasetCatalog _catalog = new(new LocalFolderBlobStore(fixture.Storage.Path), TimeProvider.System);

    [Fact]
    public async Task Clean_ThreeSilosThenOneSilo_SameLabelsAndEveryLabelAccountedFor()
    {
        await ModelTestData.PrepareAsync(fixture.Cluster, _catalog, Dataset);
        var (_, model) = await ModelTestData.TrainAsync(fixture.Cluster, "job-clean-train", new TrainingJobSpec { Operation = "train", Dataset = Dataset, MaxEpochs = 6 });
        var annotated = await ModelTestData.RunCampaignAsync(fixture.Cluster, "c-clean-annotate", ModelPlanners.Annotate(Dataset, model, trust: Ungated));
        int input = annotated.OutputVersion!.Value;

        // A copy of the data as it is now, for the same campaign on a one-silo cluster below.
        using var copy = new TempDirectory("clean-one-silo");
        CopyData(fixture.Storage.Path, copy.Path);

        var threeSilos = await ModelTestData.RunCampaignAsync(fixture.Cluster, "c-clean-3", CleanPlanner.Plan(Dataset, model, input, Options, trust: Ungated));
        var cleaned = await _catalog.OpenAsync(Dataset, threeSilos.OutputVersion!.Value);
        Assert.Equal(CleanPlanner.Kind, cleaned.Lineage.Operation);
        var before = await ReadLabelsAsync(_catalog, await _catalog.OpenAsync(Dataset, input));
        var after = await ReadLabelsAsync(_catalog, cleaned);

        // Every row is still there; every label it had is either kept or removed with a reason; caption and model provenance carried over.
        Assert.Equal(before.Keys.Order(), after.Keys.Order());
        var reasons = new Dictionary<string, int>();
        foreach (var (id, row) in after)
        {
            var old = before[id];
            Assert.Equal(old.Tags.Order(), row.Tags.Concat(row.Removed).Order());
            Assert.Equal(old.Parsed, row.Parsed);
            Assert.Equal(old.Added, row.Added);
            foreach (string reason in row.Reasons) reasons[reason] = reasons.GetValueOrDefault(reason) + 1;
        }

        var scores = after.Values.SelectMany(r => r.Scores).Order().ToArray();
        Assert.True(reasons.GetValueOrDefault("model-disagrees") > 0, $"reasons: {string.Join(", ", reasons)}; labels before {before.Values.Sum(r => r.Tags.Length)}; score deciles {string.Join(" ", Enumerable.Range(0, 11).Select(d => scores[Math.Min(scores.Length - 1, d * scores.Length / 10)].ToString("F3")))}");
        Assert.True(reasons.GetValueOrDefault("outlier") > 0, $"reasons: {string.Join(", ", reasons)}");
        Assert.Equal(new[] { "model-disagrees", "outlier" }, reasons.Keys.Order());

        // The same campaign on a one-silo cluster over the copy gives the same labels, row by row.
        var oneCatalog = new DatasetCatalog(new LocalFolderBlobStore(copy.Path), TimeProvider.System);
        await using (var one = await RamTestCluster.StartAsync(copy.Path, silos: 1))
        {
            var oneSilo = await ModelTestData.RunCampaignAsync(one, "c-clean-1", CleanPlanner.Plan(Dataset, model, input, Options, trust: Ungated));
            var single = await ReadLabelsAsync(oneCatalog, await oneCatalog.OpenAsync(Dataset, oneSilo.OutputVersion!.Value));
            Assert.Equal(after.Count, single.Count);
            foreach (var (id, row) in after) Assert.Equal(row.ToString(), single[id].ToString());
        }
    }

    [Fact]
    public async Task Relabel_WithClean_AnnotatesAndCleansInOneCampaignAndOneCommit()
    {
        const string dataset = "relabel-clean";
        await ModelTestData.PrepareAsync(fixture.Cluster, _catalog, dataset);
        var (_, model) = await ModelTestData.TrainAsync(fixture.Cluster, "job-relabel-clean", new TrainingJobSpec { Operation = "train", Dataset = dataset, MaxEpochs = 6 });

        var spec = ModelPlanners.Annotate(dataset, model, clean: Options, trust: Ungated);
        var status = await ModelTestData.RunCampaignAsync(fixture.Cluster, "c-relabel-clean", spec);

        Assert.Equal([AnnotateStage.StageName, CleanPlanner.SampleStage, CleanPlanner.ApplyStage], spec.Stages);
        Assert.Equal(4, status.OutputVersion);
        var version = await _catalog.OpenAsync(dataset, 4);
        Assert.Equal("relabel", version.Lineage.Operation);
        var rows = await ReadLabelsAsync(_catalog, version);
        Assert.Contains(rows.Values, r => r.Added.Length > 0);
        Assert.Contains(rows.Values, r => r.Reasons.Contains("model-disagrees"));
    }

    /// <summary>Datasets, models and vocabularies, without the first cluster's grain state and reminders.</summary>
    private static void CopyData(string from, string to)
    {
        foreach (string directory in Directory.GetDirectories(from))
        {
            string name = Path.GetFileName(directory);
            if (name is "grains" or "reminders") continue;
            foreach (string file in Directory.GetFiles(directory, "*", SearchOption.AllDirectories))
            {
                string target = Path.Combine(to, Path.GetRelativePath(from, file));
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                File.Copy(file, target);
            }
        }
    }

    private static async Task<Dictionary<long, LabelRow>> ReadLabelsAsync(DatasetCatalog catalog, VersionRoot version)
    {
        var rows = new Dictionary<long, LabelRow>();
        await foreach (var entry in catalog.ReadShardsAsync(version))
        {
            var file = entry.Files[ShardFileKinds.Labels];
            await using var reader = await ShardReader<LabelsShardBatch>.OpenAsync(catalog.Store, file.Path, file.Sha256);
            await foreach (var batch in reader.ReadBatchesAsync())
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    rows[batch.Ids[i]] = new LabelRow(
                        batch.TagIds[i].ToArray(), batch.TagScores[i].ToArray(), batch.ParsedTagIds[i].ToArray(), batch.AddedTagIds[i].ToArray(),
                        batch.RemovedTagIds[i].ToArray(), batch.RemovedReasons[i].ToArray().Select(r => r.ToString()).ToArray());
                }
            }
        }

        return rows;
    }

    private sealed record LabelRow(int[] Tags, float[] Scores, int[] Parsed, int[] Added, int[] Removed, string[] Reasons)
    {
        public override string ToString()
            => $"tags {string.Join(",", Tags)} scores {string.Join(",", Scores)} removed {string.Join(",", Removed)} reasons {string.Join(",", Reasons)}";
    }
}
