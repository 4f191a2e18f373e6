using System.Text.Json;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Core.Synthetic;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Ingest;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Cli.Tests;

/// <summary>`ram ingest` as a user runs it: interrupted and resumed, a source changed under it, names reused, bad sources.</summary>
public sealed class IngestCommandTests : IDisposable
{
    private readonly TempDirectory _dir = new("cli-ingest");

    public void Dispose() => _dir.Dispose();

    private string Data => _dir.Combine("data");

    private string Jsonl => _dir.Combine("src", "dataset.jsonl");

    [Fact]
    public async Task Ingest_InterruptedThenSourceChanged_RefusesWithWhatChangedAndRestartStartsOver()
    {
        await SceneDatasetWriter.WriteAsync(_dir.Combine("src"), 800, new SceneGeneratorOptions { Seed = 31 });
        await InterruptIngestAsync("big");
        var lines = await File.ReadAllLinesAsync(Jsonl);
        await File.WriteAllLinesAsync(Jsonl, lines.Take(10).Concat(lines.Skip(40)));

        var (refused, refusedOut, refusedErr) = await RamAppTests.RunSplitAsync(IngestArgs("big"));
        var (restarted, restartedOut, restartedErr) = await RamAppTests.RunSplitAsync([.. IngestArgs("big"), "--restart"]);

        Assert.True(refused == ExitCodes.Conflict, refusedOut + refusedErr);
        Assert.StartsWith("error: ", refusedErr);
        Assert.Contains("changed since it was planned", refusedErr);
        Assert.Contains("size", refusedErr);
        Assert.Contains("--restart", refusedErr);
        Assert.DoesNotContain("Committed", refusedOut);
        Assert.True(restarted == 0, restartedOut + restartedErr);
        Assert.Contains("Cancelling the interrupted run", restartedOut);
        Assert.Contains("Committed big@1", restartedOut);
        var root = await Catalog().OpenAsync("big", 1);
        Assert.Equal(770, root.Rows);
        Assert.Equal(await FileShaAsync(Jsonl), root.Lineage.Properties[IngestPlanner.SourceShaKey]);
        // Exactly the rows of the file as it is now: its captions, once each.
        var captions = lines.Take(10).Concat(lines.Skip(40)).Select(l => JsonDocument.Parse(l).RootElement.GetProperty("captions")[0].GetString()!).Order().ToList();
        Assert.Equal(captions, (await CaptionsAsync(root)).Order().ToList());
    }

    [Fact]
    public async Task Ingest_InterruptedAndRerunOnTheSameSource_SaysItResumedAndFromWhere()
    {
        await SceneDatasetWriter.WriteAsync(_dir.Combine("src"), 800, new SceneGeneratorOptions { Seed = 32 });
        await InterruptIngestAsync("again");

        var (code, output, error) = await RamAppTests.RunSplitAsync(IngestArgs("again"));

        Assert.True(code == 0, output + error);
        Assert.Matches(@"Resumed the interrupted ingest ingest-again-\S+ of .*dataset\.jsonl \(unchanged since it was planned\): [1-9]\d* of 200 shards were done", output);
        Assert.Contains("Committed again@1", output);
        Assert.Contains("Rows: 800 in, 800 kept, 0 quarantined", output);
        var root = await Catalog().OpenAsync("again", 1);
        Assert.Equal(800, root.Rows);
        Assert.Equal(800, (await CaptionsAsync(root)).Count);
    }

    [Fact]
    public async Task Ingest_TwoAtOnceIntoOneName_TheSecondIsRefusedWithOneLine()
    {
        await SceneDatasetWriter.WriteAsync(_dir.Combine("src"), 400, new SceneGeneratorOptions { Seed = 33 });
        var first = RamAppTests.RunSplitAsync(IngestArgs("twice"));
        await Eventually.UntilAsync(() => Task.FromResult(File.Exists(Path.Combine(Data, "datasets", "twice", "ingest.json"))), exists => exists, TimeSpan.FromMinutes(1), "the first ingest's claim");

        var (code, output, error) = await RamAppTests.RunSplitAsync(IngestArgs("twice"));
        var (firstCode, firstOut, firstErr) = await first;

        Assert.Equal(ExitCodes.Conflict, code);
        Assert.StartsWith("error: Dataset 'twice' is being ingested by another process", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("   at ", output + error);
        Assert.True(firstCode == 0, firstOut + firstErr);
        Assert.Equal(400, (await Catalog().OpenAsync("twice", 1)).Rows);
    }

    [Fact]
    public async Task Ingest_DatasetFolderDeleted_TheNameIsIngestedAgainWithOtherOptions()
    {
        await SceneDatasetWriter.WriteAsync(_dir.Combine("src"), 20, new SceneGeneratorOptions { Seed = 34 });
        Assert.Equal(0, (await RamAppTests.RunAsync("ingest", Jsonl, "--dataset", "good", "--data", Data)).Code);
        Directory.Delete(Path.Combine(Data, "datasets", "good"), recursive: true);

        var (code, output) = await RamAppTests.RunAsync("ingest", Jsonl, "--dataset", "good", "--rows-per-shard", "7", "--data", Data);
        var (_, list) = await RamAppTests.RunAsync("datasets", "list", "--data", Data);

        Assert.True(code == 0, output);
        Assert.Contains("Committed good@1", output);
        Assert.Contains("good", list);
        Assert.Equal(3, (await Catalog().OpenAsync("good", 1)).Shards);
    }

    [Fact]
    public async Task Ingest_JsonlMovedAwayFromItsImages_FailsAndSaysWhereTheReasonsAre()
    {
        await SceneDatasetWriter.WriteAsync(_dir.Combine("src"), 30, new SceneGeneratorOptions { Seed = 35 });
        string moved = _dir.Combine("moved", "dataset.jsonl");
        Directory.CreateDirectory(_dir.Combine("moved"));
        File.Move(Jsonl, moved);

        var (code, output, error) = await RamAppTests.RunSplitAsync("ingest", moved, "--dataset", "moved", "--rows-per-shard", "10", "--data", Data);
        var (_, list) = await RamAppTests.RunAsync("datasets", "list", "--data", Data);

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Matches(@"Rows: 30 in, 0 kept, 30 quarantined \(reasons: .*quarantine.ingest-moved-\S+\.jsonl\)", output);
        Assert.StartsWith("error: campaign ingest-moved-", error);
        Assert.Contains("All 30 rows were quarantined", error);
        Assert.DoesNotContain("Committed", output);
        Assert.Contains("No datasets", list);
        string file = System.Text.RegularExpressions.Regex.Match(output, @"reasons: (\S+\.jsonl)").Groups[1].Value;
        Assert.Equal(30, File.ReadAllLines(file).Length);
        Assert.All(File.ReadAllLines(file), l => Assert.Contains("image-missing", l));
    }

    [Theory]
    [InlineData("", ExitCodes.Damaged, "dataset.jsonl has no rows")]
    [InlineData("\n  \n\n", ExitCodes.Failed, "The input has no rows")]
    public async Task Ingest_EmptyFile_FailsWithoutCommitting(string content, int expected, string message)
    {
        Directory.CreateDirectory(_dir.Combine("src"));
        await File.WriteAllTextAsync(Jsonl, content);

        var (code, output, error) = await RamAppTests.RunSplitAsync(IngestArgs("empty"));

        Assert.True(code == expected, output + error);
        Assert.StartsWith("error: ", error);
        Assert.Contains(message, error);
        Assert.Null(await Catalog().GetHeadVersionAsync("empty"));
        Assert.DoesNotContain("Committed", output);
    }

    [Fact]
    public async Task Ingest_DuplicateIds_KeepsTheFirstReportsThemAndShowsTheQuarantine()
    {
        await SceneDatasetWriter.WriteAsync(_dir.Combine("src"), 20, new SceneGeneratorOptions { Seed = 36 });
        var lines = await File.ReadAllLinesAsync(Jsonl);
        await File.AppendAllLinesAsync(Jsonl, [lines[2], lines[5]]);

        var (failed, failedOut, failedErr) = await RamAppTests.RunSplitAsync([.. IngestArgs("strict"), "--duplicates", "fail"]);
        var (code, output, error) = await RamAppTests.RunSplitAsync(IngestArgs("dups"));
        var (_, show) = await RamAppTests.RunAsync("datasets", "show", "dups", "--data", Data);

        Assert.Equal(ExitCodes.Damaged, failed);
        Assert.Contains("has 2 rows whose id an earlier row has: line 21 repeats line 3", failedErr);
        Assert.Null(await Catalog().GetHeadVersionAsync("strict"));
        Assert.True(code == 0, output + error);
        Assert.Contains("Duplicate ids: 2 rows repeat", output);
        Assert.Contains("Rows: 22 in, 20 kept, 2 quarantined", output);
        Assert.Matches(@"quarantined rows\s+2", show);
        Assert.Matches(@"quarantine file \(v1\)\s+2 rows: .*ingest-dups-\S+\.jsonl", show);
        var root = await Catalog().OpenAsync("dups", 1);
        var records = File.ReadAllLines(Path.Combine(Data, root.Quarantine!.Path));
        Assert.All(records, r => Assert.Contains("duplicate-id", r));
        Assert.Contains(records, r => r.Contains("line 3", StringComparison.Ordinal));
    }

    private string[] IngestArgs(string dataset) => ["ingest", Jsonl, "--dataset", dataset, "--rows-per-shard", "4", "--max-in-flight", "1", "--data", Data, "--config", SlowConfig()];

    /// <summary>One shard at a time, each saved as it ends: an ingest long enough to stop midway, with progress to resume.</summary>
    private string SlowConfig()
    {
        string path = _dir.Combine("slow.json");
        if (!File.Exists(path)) File.WriteAllText(path, """{"Ram": {"Campaigns": {"FlushBatchSize": 1}, "Executor": {"CpuConcurrency": 1}}}""");
        return path;
    }

    /// <summary>Runs an ingest and stops it (as Ctrl+C does) once some of its results are saved.</summary>
    private async Task InterruptIngestAsync(string dataset)
    {
        using var interrupt = new CancellationTokenSource();
        var run = RamApp.RunAsync(IngestArgs(dataset), Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(TextWriter.Null) }), TextWriter.Null, interrupt.Token);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        // Polled tightly (not with Eventually's growing delay): the run must still be going when it is stopped.
        while (SavedBatches(dataset) < 2 && !run.IsCompleted && clock.Elapsed < TimeSpan.FromMinutes(1)) await Task.Delay(5);
        await interrupt.CancelAsync();
        Assert.Equal(ExitCodes.Interrupted, await run);
        Assert.Null(await Catalog().GetHeadVersionAsync(dataset));
    }

    private int SavedBatches(string dataset)
    {
        string campaigns = Path.Combine(Data, "campaigns");
        return Directory.Exists(campaigns)
            ? Directory.GetDirectories(campaigns, $"ingest-{dataset}-*").Sum(c => Directory.Exists(Path.Combine(c, "stage-00")) ? Directory.GetFiles(Path.Combine(c, "stage-00")).Length : 0)
            : 0;
    }

    private DatasetCatalog Catalog() => new(new LocalFolderBlobStore(Data), TimeProvider.System);

    private async Task<List<string>> CaptionsAsync(VersionRoot root)
    {
        var catalog = Catalog();
        var captions = new List<string>();
        await foreach (var entry in catalog.ReadShardsAsync(root))
        {
            var file = entry.Files[ShardFileKinds.Base];
            await using var reader = await RamDataEngine.Datasets.Shards.ShardReader<RamDataEngine.Datasets.Shards.BaseShardBatch>.OpenAsync(catalog.Store, file.Path, file.Sha256);
            await foreach (var batch in reader.ReadBatchesAsync(columns: ["captions"]))
            {
                for (int i = 0; i < batch.Count; i++) captions.Add(batch.Captions[i][0].ToString());
            }
        }

        return captions;
    }

    private static async Task<string> FileShaAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await System.Security.Cryptography.SHA256.HashDataAsync(stream));
    }
}
