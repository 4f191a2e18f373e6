using DuckDB.NET.Data;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Synthetic;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Ingest;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Grains.Tests.Campaigns;
using RamDataEngine.Storage;
using RamDataEngine.Tagging;
using RamDataEngine.Testing;

namespace RamDataEngine.Grains.Tests.Parsing;

/// <summary>The parse stage through the orchestrator: captions of every shard become a parsed-tags layer.</summary>
[Collection(nameof(ThreeSiloCollection))]
public sealed class ParseCampaignTests(ThreeSiloFixture fixture) : IDisposable
{
    private readonly DatasetCatalog _catalog = new(new LocalFolderBlobStore(fixture.Storage.Path), TimeProvider.System);
    private readonly TempDirectory _source = new("parse-source");

    public void Dispose() => _source.Dispose();

    [Fact]
    public async Task Parse_GeneratedDataset_CommitsParsedLayerWithPerTagCountsInTheManifest()
    {
        var generated = await SceneDatasetWriter.WriteAsync(_source.Path, 90, new SceneGeneratorOptions { Seed = 21 });
        await RunAsync("c-parse-ingest", await IngestPlanner.PlanAsync(_catalog.Store, "c-parse-ingest", "to-parse", generated.JsonlPath, rowsPerShard: 30));
        var vocabulary = VocabularySources.SceneTags();
        var spec = await ParsePlanner.PlanAsync(new VocabularyStore(_catalog.Store), "to-parse", vocabulary);

        var status = await RunAsync("c-parse", spec);

        Assert.Equal(CampaignPhase.Completed, status.Phase);
        var v2 = await _catalog.OpenAsync("to-parse", 2);
        Assert.Equal("parse", v2.Lineage.Operation);
        Assert.Equal(vocabulary.Id, v2.Lineage.VocabularyId);
        Assert.Equal(90, v2.Rows);
        Assert.NotEmpty(v2.TagCounts);

        // Recount from the layer files, and check each row against the parser run directly on its captions.
        var parser = new CaptionParser(vocabulary);
        var counted = new Dictionary<int, long>();
        var generator = new SceneGenerator(new SceneGeneratorOptions { Seed = 21 });
        await foreach (var entry in _catalog.ReadShardsAsync(v2))
        {
            var layer = entry.Files[ShardFileKinds.Parsed];
            await using var reader = await ShardReader<ParsedTagsShardBatch>.OpenAsync(_catalog.Store, layer.Path, layer.Sha256);
            await foreach (var batch in reader.ReadBatchesAsync())
            {
                for (int row = 0; row < batch.Count; row++)
                {
                    foreach (int tag in batch.ParsedTagIds[row]) counted[tag] = counted.GetValueOrDefault(tag) + 1;
                    var captions = generator.Generate(batch.Ids[row] - 1).Captions;
                    var expected = captions.SelectMany(c => parser.Parse(c)).Select(t => t.TagId).Distinct().Order();
                    Assert.Equal(expected, batch.ParsedTagIds[row].ToArray());
                }
            }
        }

        Assert.Equal(counted.OrderBy(p => p.Key), v2.TagCounts.OrderBy(p => p.Key));
    }

    [Fact]
    public async Task Parse_LayerFile_ReadsInDuckDbAsNestedLists()
    {
        var generated = await SceneDatasetWriter.WriteAsync(_source.Path, 12, new SceneGeneratorOptions { Seed = 4, MinCaptions = 3, MaxCaptions = 3 });
        await RunAsync("c-duck-parse-ingest", await IngestPlanner.PlanAsync(_catalog.Store, "c-duck-parse-ingest", "duck-parse", generated.JsonlPath, rowsPerShard: 12));
        await RunAsync("c-duck-parse", await ParsePlanner.PlanAsync(new VocabularyStore(_catalog.Store), "duck-parse", VocabularySources.SceneTags()));

        var entry = await _catalog.GetShardAsync(await _catalog.OpenAsync("duck-parse", 2), 0);
        using var connection = new DuckDBConnection("DataSource=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT count(*), CAST(sum(len(caption_tag_ids)) AS BIGINT) FROM read_parquet('{Path.Combine(fixture.Storage.Path, entry.Files[ShardFileKinds.Parsed].Path)}')";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(12, reader.GetInt64(0));
        Assert.Equal(36, reader.GetInt64(1));
    }

    private async Task<CampaignStatus> RunAsync(string id, CampaignSpec spec)
    {
        var status = await CampaignRuns.RunAsync(fixture.Cluster.Grains, id, spec);
        Assert.True(status.Phase == CampaignPhase.Completed, status.Message);
        return status;
    }
}
