using System.Text.Json;
using DuckDB.NET.Data;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Synthetic;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Ingest;
using RamDataEngine.Grains.Tests.Campaigns;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Grains.Tests.Ingest;

/// <summary>Ingest as a campaign stage on the three-silo cluster: real generated images, real bad rows, real Parquet.</summary>
[Collection(nameof(ThreeSiloCollection))]
public sealed class IngestCampaignTests(ThreeSiloFixture fixture) : IDisposable
{
    private readonly DatasetCatalog _catalog = new(new LocalFolderBlobStore(fixture.Storage.Path), TimeProvider.System);
    private readonly TempDirectory _source = new("ingest-source");

    public void Dispose() => _source.Dispose();

    [Fact]
    public async Task Ingest_GeneratedDataWithBadRows_CommitsGoodRowsAndQuarantinesTheRestWithReasons()
    {
        var generated = await SceneDatasetWriter.WriteAsync(_source.Path, 120, new SceneGeneratorOptions { Seed = 7 });
        File.WriteAllBytes(_source.Combine("images", "truncated.png"), File.ReadAllBytes(_source.Combine("images", "000001.png"))[..200]);
        await File.AppendAllLinesAsync(generated.JsonlPath,
        [
            """{"image_file": "images/missing.png", "captions": ["a red circle"]}""",
            """{"image_file": "images/truncated.png", "captions": ["a blue star"]}""",
            """{"image_file": "images/000002.png", "captions": [""]}""",
            """{"image_file": "../../etc/passwd", "captions": ["a trick"]}""",
            """{"image_file": "images/000003.png", "captions": ["not closed""",
        ]);

        var spec = await IngestPlanner.PlanAsync(_catalog.Store, "c-ingest-generated", "generated", generated.JsonlPath, rowsPerShard: 25);
        var status = await RunAsync("c-ingest-generated", spec);

        Assert.Equal(CampaignPhase.Completed, status.Phase);
        var root = await _catalog.OpenAsync("generated", 1);
        Assert.Equal(120, root.Rows);
        Assert.Equal(5, root.QuarantinedRows);
        Assert.Equal(5, root.Shards);
        var reasons = await QuarantineReasonsAsync(root);
        Assert.Equal(["captions-empty", "image-missing", "image-path-invalid", "image-truncated", "json-malformed"], reasons.Order());
        Assert.Equal((125L, 120L, 5L), (status.RowsIn, status.RowsKept, status.RowsQuarantined));
        Assert.Equal(root.Quarantine!.Path, status.QuarantineFile);
        Assert.Equal(5, root.Quarantine.Rows);
        var merged = System.Text.Encoding.UTF8.GetString(await _catalog.Store.ReadAllBytesAsync(root.Quarantine.Path)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, merged.Length);
        Assert.True(File.Exists(status.QuarantineLocation), status.QuarantineLocation);
    }

    [Fact]
    public async Task Ingest_EveryRowRejected_FailsWithoutCreatingTheDatasetAndSaysWhereTheReasonsAre()
    {
        var generated = await SceneDatasetWriter.WriteAsync(_source.Path, 30, new SceneGeneratorOptions { Seed = 8 });
        // The JSONL moved away from its images: every image_file resolves to nothing.
        string moved = _source.Combine("elsewhere", "dataset.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(moved)!);
        File.Move(generated.JsonlPath, moved);

        var spec = await IngestPlanner.PlanAsync(_catalog.Store, "c-ingest-moved", "moved", moved, rowsPerShard: 10);
        var status = await RunAsync("c-ingest-moved", spec);

        Assert.Equal(CampaignPhase.Failed, status.Phase);
        Assert.Contains("All 30 rows were quarantined", status.Message);
        Assert.Contains("dataset 'moved' was not created", status.Message);
        Assert.Equal((30L, 0L, 30L), (status.RowsIn, status.RowsKept, status.RowsQuarantined));
        Assert.Null(await _catalog.GetHeadVersionAsync("moved"));
        var merged = System.Text.Encoding.UTF8.GetString(await _catalog.Store.ReadAllBytesAsync(status.QuarantineFile!));
        Assert.Equal(30, merged.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("image-missing", merged);
        Assert.Contains(status.QuarantineLocation!, status.Message);
    }

    [Fact]
    public async Task Ingest_MostRowsRejected_FailsOverTheRowLimitUnlessRaised()
    {
        var generated = await SceneDatasetWriter.WriteAsync(_source.Path, 10, new SceneGeneratorOptions { Seed = 9 });
        await File.AppendAllLinesAsync(generated.JsonlPath, Enumerable.Range(0, 15).Select(i => $$"""{"image_file": "images/gone-{{i}}.png", "captions": ["a cat"]}"""));

        var strict = await RunAsync("c-ingest-mostly-bad", await IngestPlanner.PlanAsync(_catalog.Store, "c-ingest-mostly-bad", "mostly-bad", generated.JsonlPath, rowsPerShard: 10));
        var lenient = await RunAsync("c-ingest-mostly-bad-ok",
            await IngestPlanner.PlanAsync(_catalog.Store, "c-ingest-mostly-bad-ok", "mostly-bad-ok", generated.JsonlPath, rowsPerShard: 10) with { MaxQuarantinedRowShare = 0.8 });

        Assert.Equal(CampaignPhase.Failed, strict.Phase);
        Assert.Contains("15 of 25 rows (60.0%) were quarantined, over the limit of 50%", strict.Message);
        Assert.Null(await _catalog.GetHeadVersionAsync("mostly-bad"));
        Assert.Equal(CampaignPhase.Completed, lenient.Phase);
        Assert.Equal(10, (await _catalog.OpenAsync("mostly-bad-ok", 1)).Rows);
    }

    [Fact]
    public async Task Ingest_SourceChangedAfterPlanning_FailsNamingTheChangedLinesAndCreatesNothing()
    {
        var generated = await SceneDatasetWriter.WriteAsync(_source.Path, 30, new SceneGeneratorOptions { Seed = 12 });
        var spec = await IngestPlanner.PlanAsync(_catalog.Store, "c-ingest-changed", "changed", generated.JsonlPath, rowsPerShard: 10);
        var lines = await File.ReadAllLinesAsync(generated.JsonlPath);
        await File.WriteAllLinesAsync(generated.JsonlPath, lines.Take(12).Concat(lines.Skip(14)));

        var status = await RunAsync("c-ingest-changed", spec);

        Assert.Equal(CampaignPhase.Failed, status.Phase);
        Assert.Contains("changed since it was planned", status.Message);
        Assert.Contains("--restart", status.Message);
        Assert.Null(await _catalog.GetHeadVersionAsync("changed"));
    }

    [Fact]
    public async Task Ingest_EmptySource_IsRefusedAtStart()
    {
        string empty = _source.Combine("empty.jsonl");
        await File.WriteAllTextAsync(empty, "");
        var spec = await IngestPlanner.PlanAsync(_catalog.Store, "c-ingest-empty", "empty", empty, rowsPerShard: 10);

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => fixture.Cluster.Grains.GetGrain<ICampaignGrain>("c-ingest-empty").StartAsync(spec));

        Assert.Contains("has no rows", error.Message);
        Assert.Null(await _catalog.GetHeadVersionAsync("empty"));
    }

    [Fact]
    public async Task Ingest_BaseFiles_ReadBackIdenticallyByDuckDb()
    {
        var generated = await SceneDatasetWriter.WriteAsync(_source.Path, 40, new SceneGeneratorOptions { Seed = 11 });
        var spec = await IngestPlanner.PlanAsync(_catalog.Store, "c-ingest-duck", "duck", generated.JsonlPath, rowsPerShard: 16);
        await RunAsync("c-ingest-duck", spec);
        var root = await _catalog.OpenAsync("duck", 1);
        var lines = await File.ReadAllLinesAsync(generated.JsonlPath);

        int rows = 0;
        await foreach (var entry in _catalog.ReadShardsAsync(root))
        {
            var file = entry.Files[ShardFileKinds.Base];
            using var connection = new DuckDBConnection("DataSource=:memory:");
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"SELECT id, captions, octet_length(image), width FROM read_parquet('{Path.Combine(fixture.Storage.Path, file.Path)}') ORDER BY id";
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                long id = reader.GetInt64(0);
                using var line = JsonDocument.Parse(lines[id - 1]);
                var captions = line.RootElement.GetProperty("captions").EnumerateArray().Select(c => c.GetString()!).ToList();
                Assert.Equal(captions, ((System.Collections.IEnumerable)reader.GetValue(1)).Cast<string>().ToList());
                var image = File.ReadAllBytes(Path.Combine(_source.Path, line.RootElement.GetProperty("image_file").GetString()!));
                Assert.Equal(image.Length, reader.GetInt64(2));
                rows++;
            }
        }

        Assert.Equal(40, rows);
    }

    [SharedDataFact]
    public async Task Ingest_CocoMini_Gives239RowsWithImagesAndCaptionsIntact()
    {
        string jsonl = SharedData.PathOf("coco_mini", "coco_mini.jsonl");
        var spec = await IngestPlanner.PlanAsync(_catalog.Store, "c-ingest-coco", "coco-mini", jsonl, rowsPerShard: 50);

        var status = await RunAsync("c-ingest-coco", spec);

        Assert.Equal(CampaignPhase.Completed, status.Phase);
        var root = await _catalog.OpenAsync("coco-mini", 1);
        Assert.Equal(239, root.Rows);
        Assert.Equal(0, root.QuarantinedRows);
        var lines = await File.ReadAllLinesAsync(jsonl);
        int checkedRows = 0;
        await foreach (var entry in _catalog.ReadShardsAsync(root))
        {
            var file = entry.Files[ShardFileKinds.Base];
            await using var reader = await ShardReader<BaseShardBatch>.OpenAsync(_catalog.Store, file.Path, file.Sha256);
            await foreach (var batch in reader.ReadBatchesAsync())
            {
                for (int i = 0; i < batch.Count; i++)
                {
                    using var line = JsonDocument.Parse(lines[batch.Ids[i] - 1]);
                    var image = File.ReadAllBytes(SharedData.PathOf("coco_mini", line.RootElement.GetProperty("image_file").GetString()!));
                    Assert.True(image.AsSpan().SequenceEqual(batch.Images[i]!.Value.Span));
                    Assert.Equal(5, batch.Captions[i].Length);
                    checkedRows++;
                }
            }
        }

        Assert.Equal(239, checkedRows);
    }

    private async Task<List<string>> QuarantineReasonsAsync(VersionRoot root)
    {
        var reasons = new List<string>();
        await foreach (var entry in _catalog.ReadShardsAsync(root))
        {
            if (entry.Quarantine is not { } file) continue;
            var text = System.Text.Encoding.UTF8.GetString(await _catalog.Store.ReadAllBytesAsync(file.Path));
            foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                using var record = JsonDocument.Parse(line);
                reasons.Add(record.RootElement.GetProperty("reason").GetString()!);
                Assert.False(string.IsNullOrEmpty(record.RootElement.GetProperty("location").GetString()));
            }
        }

        return reasons;
    }

    private Task<CampaignStatus> RunAsync(string id, CampaignSpec spec) => CampaignRuns.RunAsync(fixture.Cluster.Grains, id, spec);
}
