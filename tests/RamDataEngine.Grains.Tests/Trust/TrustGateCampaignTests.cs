using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Cleaning;
using RamDataEngine.Grains.Engine;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Grains.Tests.Campaigns;
using RamDataEngine.Grains.Tests.Models;
using RamDataEngine.Grains.Trust;
using RamDataEngine.Model;
using RamDataEngine.Model.Heads;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Tests.Trust;

/// <summary>
/// The trust gates through real relabel campaigns: heads that learnt nothing about the images (trained on features
/// shuffled across rows) must leave the captions' labels almost as they are and say why, where the same heads ungated
/// change many labels.
/// </summary>
[Collection(nameof(ThreeSiloCollection))]
public sealed class TrustGateCampaignTests(ThreeSiloFixture fixture)
{
    private const string Dataset = "trust-useless";
    private const int Folds = 3;

    private static readonly CleanOptions Clean = new() { DisagreeFloor = 0.7f, OutlierFraction = 0.02, MinSamples = 8 };

    private readonly DatasetCatalog _catalog = new(new LocalFolderBlobStore(fixture.Storage.Path), TimeProvider.System);

    [Fact]
    public async Task Relabel_HeadsTrainedOnShuffledFeatures_GatedChangesUnderOnePercentAndSaysWhy()
    {
        await ModelTestData.PrepareAsync(fixture.Cluster, _catalog, Dataset, images: 240);
        var folds = await ShuffledFoldHeadsAsync();
        var record = (await new ModelStore(_catalog.Store).GetManifestAsync(folds[0]))!.Record;

        var gated = await ModelTestData.RunCampaignAsync(
            fixture.Cluster, "c-trust-gated", ModelPlanners.Annotate(Dataset, record, 3, clean: Clean, folds: folds, trust: new TrustPlan { Options = new() { MinSupport = 5 } }));
        // On top of the gated version (each commit needs the head as its parent): annotate reads only its parsed tags and features.
        var ungated = await ModelTestData.RunCampaignAsync(
            fixture.Cluster, "c-trust-ungated", ModelPlanners.Annotate(Dataset, record, gated.OutputVersion, threshold: 0.5f, clean: Clean, folds: folds, trust: new TrustPlan { Off = true }));

        var (labels, changedGated) = await ChangesAsync(gated.OutputVersion!.Value);
        var (_, changedUngated) = await ChangesAsync(ungated.OutputVersion!.Value);
        Assert.True(changedGated < 0.01 * labels, $"gated: {changedGated} of {labels} labels changed");
        Assert.True(changedUngated > 0.1 * labels, $"ungated: only {changedUngated} of {labels} labels changed; the test's heads are not bad enough to show the gates");

        // Why: every tag the captions name has its gate and, where the model is not trusted, the reason.
        var gates = await TrustGateFile.ReadAsync(_catalog.Store, "c-trust-gated");
        Assert.NotNull(gates);
        Assert.Equal(string.Join(',', folds), gates.Models);
        Assert.NotEmpty(gates.Tags);
        Assert.All(gates.Tags.Where(t => !t.Trust.Add), t => Assert.False(string.IsNullOrEmpty(t.Trust.AddReason)));
        Assert.All(gates.Tags.Where(t => !t.Trust.Clean), t => Assert.False(string.IsNullOrEmpty(t.Trust.CleanReason)));
        Assert.True(gates.TagsTrustedToAdd <= 1, $"{gates.TagsTrustedToAdd} tags trusted to add");
    }

    /// <summary>One head per fold, each trained on its training rows' labels paired with other rows' features: label priors, no image signal.</summary>
    private async Task<string[]> ShuffledFoldHeadsAsync()
    {
        var root = await _catalog.OpenAsync(Dataset, 3);
        var vocabularies = new VocabularyStore(_catalog.Store);
        var models = new ModelStore(_catalog.Store);
        var ids = new string[Folds];
        for (int fold = 0; fold < Folds; fold++)
        {
            var data = await TrainingData.LoadAsync(_catalog, root, RowFilter.Parse($"out-of-fold={fold}/{Folds}"), async v => (await vocabularies.LoadAsync(v)).Count);
            int rows = data.Features.Count, width = data.Features.Values.Length / rows;
            var order = Enumerable.Range(0, rows).OrderBy(i => (i * 7919) % rows).Reverse().ToArray();
            var shuffled = new float[data.Features.Values.Length];
            for (int i = 0; i < rows; i++) data.Features.Values.AsSpan(order[i] * width, width).CopyTo(shuffled.AsSpan(i * width, width));
            var features = new ImageFeatures(rows, data.Features.RegionCount, data.Features.Dimension, shuffled);
            using var session = TagHeadTrainingSession.Start(new TagHeadTrainingOptions { MaxEpochs = 6, Patience = 6, Seed = 3 }, features, data.Labels, data.EncoderId);
            while (!session.IsFinished) session.RunEpoch();
            using var head = session.BestHead();
            ids[fold] = $"useless-f{fold}";
            var record = new ModelRecord
            {
                Id = ids[fold], VocabularyId = data.VocabularyId, EncoderId = data.EncoderId, Dataset = Dataset, DatasetVersion = 3, Operation = "train",
                Filter = $"out-of-fold={fold}/{Folds}", CreatedAt = DateTimeOffset.UnixEpoch,
            };
            await models.SaveAsync(record, head, Enumerable.Repeat(0.5f, head.TagCount).ToArray());
        }

        return ids;
    }

    /// <summary>Labels of the input (parsed) and labels added or removed by the version's campaign.</summary>
    private async Task<(long Labels, long Changed)> ChangesAsync(int version)
    {
        long labels = 0, changed = 0;
        await foreach (var entry in _catalog.ReadShardsAsync(await _catalog.OpenAsync(Dataset, version)))
        {
            var file = entry.Files[ShardFileKinds.Labels];
            await using var reader = await ShardReader<LabelsShardBatch>.OpenAsync(_catalog.Store, file.Path, file.Sha256);
            await foreach (var batch in reader.ReadBatchesAsync())
            {
                for (int row = 0; row < batch.Count; row++)
                {
                    labels += batch.ParsedTagIds[row].Length;
                    changed += batch.AddedTagIds[row].Length + batch.RemovedTagIds[row].Length;
                }
            }
        }

        return (labels, changed);
    }
}
