using Orleans.Core.Internal;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Synthetic;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Ingest;
using RamDataEngine.Grains.Mining;
using RamDataEngine.Grains.Tests.Campaigns;
using RamDataEngine.Storage;
using RamDataEngine.Tagging;
using RamDataEngine.Testing;

namespace RamDataEngine.Grains.Tests.Mining;

/// <summary>Vocabulary mining through the orchestrator: per-shard counts merged once each in a grain, no version committed.</summary>
[Collection(nameof(ThreeSiloCollection))]
public sealed class MiningCampaignTests(ThreeSiloFixture fixture) : IDisposable
{
    private static readonly MiningOptions Exact = new() { WordCapacity = 100_000, PhraseCapacity = 200_000 };

    private readonly DatasetCatalog _catalog = new(new LocalFolderBlobStore(fixture.Storage.Path), TimeProvider.System);
    private readonly TempDirectory _source = new("mine-source");

    public void Dispose() => _source.Dispose();

    [Fact]
    public async Task Mine_GeneratedDatasetAcrossShards_RanksLikeOnePassOverAllCaptions()
    {
        var options = new SceneGeneratorOptions { Seed = 31 };
        var generated = await SceneDatasetWriter.WriteAsync(_source.Path, 120, options);
        await RunAsync("c-mine-ingest", await IngestPlanner.PlanAsync(_catalog.Store, "c-mine-ingest", "to-mine", generated.JsonlPath, rowsPerShard: 20));

        var status = await RunAsync("c-mine", MiningPlanner.Plan("to-mine", options: Exact));

        Assert.Equal(6, status.Shards);
        Assert.Equal(6, status.ShardsDone);
        Assert.Null(status.OutputVersion);
        Assert.Equal(1, await _catalog.GetHeadVersionAsync("to-mine"));

        var merged = await MiningPlanner.ReadSummaryAsync(fixture.Cluster.Grains, _catalog.Store, "c-mine");
        var generator = new SceneGenerator(options);
        var captions = Enumerable.Range(0, 120).SelectMany(i => generator.Generate(i).Captions).ToList();
        var single = VocabularyMiner.Count(captions, Exact);

        Assert.Equal(single.Captions, merged.Captions);
        Assert.Equal(single.Words.ToList(), merged.Words.ToList());
        Assert.Equal(single.Phrases.ToList(), merged.Phrases.ToList());
        var rankOptions = new MiningRankOptions { MinCount = 2 };
        var expectedTop = VocabularyMiner.Rank(single, rankOptions).Take(30).ToList();
        Assert.NotEmpty(expectedTop);
        Assert.Equal(expectedTop, VocabularyMiner.Rank(merged, rankOptions).Take(30).ToList());
        Assert.All(merged.Words.ToList(), t => Assert.Equal(0, t.Error));

        var info = await fixture.Cluster.Grains.GetGrain<IVocabularyMiningGrain>("c-mine").GetInfoAsync();
        Assert.Equal(6, info.Shards);
        Assert.Equal(captions.Count, info.Captions);
    }

    [Fact]
    public async Task Mine_SmallCapacities_KeepsTheMergedSummaryBoundedWithCountBounds()
    {
        var options = new SceneGeneratorOptions { Seed = 32 };
        var generated = await SceneDatasetWriter.WriteAsync(_source.Path, 80, options);
        await RunAsync("c-mine-small-ingest", await IngestPlanner.PlanAsync(_catalog.Store, "c-mine-small-ingest", "to-mine-small", generated.JsonlPath, rowsPerShard: 10));
        var small = new MiningOptions { WordCapacity = 12, PhraseCapacity = 20 };

        await RunAsync("c-mine-small", MiningPlanner.Plan("to-mine-small", options: small));

        var merged = await MiningPlanner.ReadSummaryAsync(fixture.Cluster.Grains, _catalog.Store, "c-mine-small");
        var generator = new SceneGenerator(options);
        var exact = VocabularyMiner.Count(Enumerable.Range(0, 80).SelectMany(i => generator.Generate(i).Captions), Exact);
        Assert.Equal(12, merged.Words.Count);
        Assert.Equal(20, merged.Phrases.Count);
        Assert.Equal(exact.Captions, merged.Captions);
        foreach (var term in merged.Words.ToList())
        {
            long truth = exact.Words.TryGet(term.Term, out var t) ? t.Count : 0;
            Assert.InRange(truth, term.GuaranteedCount, term.Count);
        }

        // The most frequent word of all is certainly held.
        Assert.True(merged.Words.TryGet(exact.Words.ToList()[0].Term, out _));
    }

    [Fact]
    public async Task Merge_DuplicatedShardReport_IsNotCountedTwice()
    {
        var grain = fixture.Cluster.Grains.GetGrain<IVocabularyMiningGrain>("m-duplicates");
        var first = VocabularyMiner.Count(["A dog runs on the beach.", "a red fire hydrant by the road"], Exact);
        var second = VocabularyMiner.Count(["Two cats sleep on a sofa", "a dog and a cat on a sofa"], Exact);
        var third = VocabularyMiner.Count(["a fire hydrant"], Exact);
        string blob = "tests/mining/second.summary";
        await _catalog.Store.WriteAsync(blob, VocabularyMiningGrain.Write(second), BlobCondition.None);

        Assert.True(await grain.MergeAsync(Report(0, first)));
        Assert.False(await grain.MergeAsync(Report(0, first)));
        Assert.True(await grain.MergeAsync(new VocabularyMiningReport(1, null, blob, Exact.WordCapacity, Exact.PhraseCapacity)));
        // Two copies of one shard at once (a task dispatched twice): exactly one counts.
        var racing = await Task.WhenAll(grain.MergeAsync(Report(2, third)), grain.MergeAsync(Report(2, third)));
        Assert.Single(racing, merged => merged);

        // A new activation reads the merged shards back from storage and still refuses the duplicate.
        await grain.AsReference<IGrainManagementExtension>().DeactivateOnIdle();
        Assert.False(await grain.MergeAsync(Report(1, second)));

        var info = await grain.GetInfoAsync();
        Assert.Equal(3, info.Shards);
        Assert.Equal(5, info.Captions);
        var merged = await MiningPlanner.ReadSummaryAsync(fixture.Cluster.Grains, _catalog.Store, "m-duplicates");
        var expected = MiningSummary.Merge([first, second, third], Exact.WordCapacity, Exact.PhraseCapacity);
        Assert.Equal(expected.Words.ToList(), merged.Words.ToList());
        Assert.Equal(expected.Phrases.ToList(), merged.Phrases.ToList());
        Assert.True(merged.Words.TryGet("dog", out var dog));
        Assert.Equal(2, dog.Count);
    }

    [Fact]
    public async Task Merge_ManyShardsAndCopiesAtOnce_CountsEachShardOnce()
    {
        var grain = fixture.Cluster.Grains.GetGrain<IVocabularyMiningGrain>("m-concurrent");
        var part = VocabularyMiner.Count(["a dog on a sofa", "a cat on a sofa"], Exact);

        // Every shard twice, all at once: merged in batches while writes are under way.
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => grain.MergeAsync(Report(i % 20, part))));

        Assert.Equal(20, results.Count(merged => merged));
        var info = await grain.GetInfoAsync();
        Assert.Equal(20, info.Shards);
        Assert.Equal(40, info.Captions);
        var merged = await MiningPlanner.ReadSummaryAsync(fixture.Cluster.Grains, _catalog.Store, "m-concurrent");
        Assert.True(merged.Words.TryGet("sofa", out var sofa));
        Assert.Equal(40, sofa.Count);
    }

    [Fact]
    public async Task Merge_OtherCapacitiesOrBadBytes_IsRefusedWithoutCounting()
    {
        var grain = fixture.Cluster.Grains.GetGrain<IVocabularyMiningGrain>("m-refused");
        var part = VocabularyMiner.Count(["a dog on a sofa"], Exact);
        Assert.True(await grain.MergeAsync(Report(0, part)));

        var capacities = await Assert.ThrowsAsync<ArgumentException>(() => grain.MergeAsync(new VocabularyMiningReport(1, VocabularyMiningGrain.Write(part), null, 10, 10)));
        Assert.Contains("capacities", capacities.Message);
        var corrupt = await Assert.ThrowsAsync<InvalidDataException>(() => grain.MergeAsync(new VocabularyMiningReport(2, [1, 2, 3], null, Exact.WordCapacity, Exact.PhraseCapacity)));
        Assert.Contains("shard 2", corrupt.Message);

        var info = await grain.GetInfoAsync();
        Assert.Equal(1, info.Shards);
        Assert.Equal(1, info.Captions);
    }

    private static VocabularyMiningReport Report(int shard, MiningSummary summary)
        => new(shard, VocabularyMiningGrain.Write(summary), null, Exact.WordCapacity, Exact.PhraseCapacity);

    private async Task<CampaignStatus> RunAsync(string id, CampaignSpec spec)
    {
        var campaign = fixture.Cluster.Grains.GetGrain<ICampaignGrain>(id);
        await campaign.StartAsync(spec);
        var status = await Eventually.UntilAsync(() => campaign.GetStatusAsync(), s => s.IsFinished, TimeSpan.FromMinutes(2), $"campaign {id}");
        Assert.True(status.Phase == CampaignPhase.Completed, status.Message);
        return status;
    }
}
