using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Testing;

namespace RamDataEngine.Cli.Tests;

/// <summary>The ram command end to end: real embedded silo, real files, output as a user sees it.</summary>
public sealed class RamAppTests : IDisposable
{
    private readonly TempDirectory _dir = new("cli");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Demo_SmallRun_RunsTheEngineAndPrintsTheQualityTables()
    {
        string data = _dir.Combine("data");
        var (code, output) = await RunAsync("demo", "--count", "100", "--rows-per-shard", "50", "--epochs", "3", "--finetune-epochs", "2", "--data", data);

        Assert.True(code == 0, output);
        Assert.Contains("Generated 100 images", output);
        Assert.Contains("/dashboard", output);
        foreach (var step in new[] { "parse", "featurize", "train", "annotate", "clean", "retrain", "finetune", "evaluate" }) Assert.Contains($"│ {step} ", output);
        foreach (var row in new[] { "parsed", "+generation", "+cleaning", "preliminary", "retrained", "fine-tuned" }) Assert.Contains($"│ {row} ", output);
        Assert.Contains("│ v5 ", output);
        Assert.Contains("read_parquet(", output);
        Assert.Contains("removed_reasons", output);

        // The run's status and report stay readable from the store without a silo.
        string engineId = System.Text.RegularExpressions.Regex.Match(output, @"ram engine report (engine-demo-[0-9-]+)").Groups[1].Value;
        var (statusCode, status) = await RunAsync("engine", "status", engineId, "--data", data);
        var (reportCode, report) = await RunAsync("engine", "report", engineId, "--data", data);
        Assert.True(statusCode == 0, status);
        Assert.Contains("Completed", status);
        Assert.Contains($"{engineId}-retrain", status);
        Assert.True(reportCode == 0, report);
        Assert.Contains("│ +cleaning ", report);
        Assert.Contains("│ fine-tuned ", report);

        // Judged against other truth: the run's own parsed tags (version 2) as truth give the parsed row P = R = 1.
        string dataset = engineId["engine-".Length..];
        var (againCode, again) = await RunAsync("engine", "report", engineId, "--truth-from", $"{dataset}@2", "--data", data);
        Assert.True(againCode == 0, again);
        Assert.Contains($"judged against {dataset}@2", again);
        Assert.Matches(@"│ parsed\s+│ v2\s+│\s*\d+\s*│ 1\.000\s+│ 1\.000\s+│", again);
    }

    [Fact]
    public async Task EngineReport_RunWithoutTruth_JudgedAgainstTheGivenTruth()
    {
        string data = _dir.Combine("data");
        await RunAsync("generate", _dir.Combine("src"), "--count", "100", "--seed", "11");
        string jsonl = WithoutFields(_dir.Combine("src", "dataset.jsonl"), "blind.jsonl", "labels", "labels_known");
        Assert.Equal(0, (await RunAsync("ingest", jsonl, "--dataset", "blind", "--rows-per-shard", "50", "--data", data)).Code);
        var (ran, run) = await RunAsync("engine", "start", "blind", "--vocab", "scenes", "--id", "e-blind", "--epochs", "3", "--finetune-epochs", "2", "--data", data);
        Assert.True(ran == 0, run);
        var (reportCode, report) = await RunAsync("engine", "report", "e-blind", "--data", data);
        Assert.True(reportCode == 0, report);
        Assert.Contains("No truth: blind carries no truth_labels", report);

        // The run's own parsed tags (version 2) as truth: every step's version and every model is judged.
        var (again, judged) = await RunAsync("engine", "report", "e-blind", "--truth-from", "blind@2", "--data", data);

        Assert.True(again == 0, judged);
        Assert.Contains("judged against blind@2", judged);
        Assert.DoesNotContain("Nothing to evaluate", judged);
        Assert.Matches(@"│ parsed\s+│ v2\s+│\s*\d+\s*│ 1\.000\s+│ 1\.000\s+│", judged);
        foreach (var row in new[] { "+generation", "+cleaning", "preliminary", "retrained", "fine-tuned" }) Assert.Contains($"│ {row} ", judged);

        // Truth that names no row of the test split judges nothing: an error, not an empty report. (Row id 2 is in the train split.)
        string truth = _dir.Combine("truth.jsonl");
        File.WriteAllText(truth, """{"id": 2, "labels": ["dog"]}""" + "\n");
        var (none, noneOutput) = await RunAsync("engine", "report", "e-blind", "--truth", truth, "--data", data);
        Assert.Equal(RamDataEngine.Cli.Infrastructure.ExitCodes.Usage, none);
        Assert.StartsWith("error: No truth: none of the 1 rows of the given truth is on the test split of blind", noneOutput.Trim());
    }

    [Theory]
    [InlineData("parse", "real")]
    [InlineData("engine", "start", "real")]
    public async Task VocabDefault_RealDatasetWithoutVocab_FailsNamingTheChoices(params string[] command)
    {
        string data = _dir.Combine("data");
        await RunAsync("generate", _dir.Combine("src"), "--count", "5");
        // The same images and captions, without the line field that marks them as generated: real data, to ingest.
        string jsonl = WithoutFields(_dir.Combine("src", "dataset.jsonl"), "real.jsonl", "source");
        Assert.Equal(0, (await RunAsync("ingest", jsonl, "--dataset", "real", "--data", data)).Code);

        var (code, output) = await RunAsync([.. command, "--data", data]);

        Assert.Equal(RamDataEngine.Cli.Infrastructure.ExitCodes.Usage, code);
        string line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: real@1 was not made by `ram generate`, so --vocab has no default: give --vocab 'scenes'", line);
        Assert.Contains("ram_tag_list.txt", line);
        Assert.Contains("vocabulary JSON file", line);
        Assert.Equal(command[0] == "engine", line.Contains("'none'", StringComparison.Ordinal));
        Assert.Matches(@"versions +v1 *\r?\n", (await RunAsync("datasets", "show", "real", "--data", data)).Output);
    }

    [Fact]
    public async Task VocabDefault_GeneratedDatasetWithoutVocab_ParsesWithScenes()
    {
        string data = _dir.Combine("data");
        await RunAsync("generate", _dir.Combine("src"), "--count", "20", "--seed", "4");
        Assert.Equal(0, (await RunAsync("ingest", _dir.Combine("src", "dataset.jsonl"), "--dataset", "gen", "--data", data)).Code);

        var (code, output) = await RunAsync("parse", "gen", "--data", data);

        Assert.True(code == 0, output);
        Assert.Matches(@"Tags in gen@2: \d+; most frequent: ", output);
    }

    /// <summary>A copy of a JSONL file (in the same folder, so image paths still resolve) with the named fields removed from every line.</summary>
    private static string WithoutFields(string jsonl, string name, params string[] fields)
    {
        string path = Path.Combine(Path.GetDirectoryName(jsonl)!, name);
        File.WriteAllLines(path, File.ReadLines(jsonl).Select(line =>
        {
            var node = System.Text.Json.Nodes.JsonNode.Parse(line)!.AsObject();
            foreach (var field in fields) Assert.True(node.Remove(field), $"No '{field}' in {line}");
            return node.ToJsonString();
        }));
        return path;
    }

    [Fact]
    public async Task GenerateIngestShow_RoundTrip_ShowsTheVersionAndItsFiles()
    {
        string data = _dir.Combine("data");
        var (generated, _) = await RunAsync("generate", _dir.Combine("src"), "--count", "30", "--seed", "3");
        var (ingested, ingestOutput) = await RunAsync("ingest", _dir.Combine("src", "dataset.jsonl"), "--dataset", "cats", "--rows-per-shard", "10", "--data", data);
        var (listed, list) = await RunAsync("datasets", "list", "--data", data);
        var (shown, show) = await RunAsync("datasets", "show", "cats@1", "--data", data);

        Assert.Equal(0, generated);
        Assert.True(ingested == 0, ingestOutput);
        Assert.Equal(0, listed);
        Assert.Contains("cats", list);
        Assert.Equal(0, shown);
        Assert.Contains("cats v1", show);
        Assert.Contains("ingest", show);
        // Redirected output is not wrapped at a terminal width: each shard's file path stays whole on its row.
        Assert.Matches(@"│ base: \S+/shard-000002\.parquet +│", show);
    }

    [Fact]
    public async Task Ingest_ExistingDataset_FailsWithOneClearLine()
    {
        string data = _dir.Combine("data");
        await RunAsync("generate", _dir.Combine("src"), "--count", "5");
        await RunAsync("ingest", _dir.Combine("src", "dataset.jsonl"), "--dataset", "dup", "--data", data);

        var (code, output, error) = await RunSplitAsync("ingest", _dir.Combine("src", "dataset.jsonl"), "--dataset", "dup", "--data", data);

        Assert.Equal(RamDataEngine.Cli.Infrastructure.ExitCodes.Conflict, code);
        Assert.StartsWith("error: Dataset 'dup' already exists", error);
        Assert.DoesNotContain("   at ", output + error);
    }

    [Fact]
    public async Task Parse_ManifestSegmentsDeleted_FailsWithoutCommittingAndTheHeadStays()
    {
        string data = _dir.Combine("data");
        await RunAsync("generate", _dir.Combine("src"), "--count", "12", "--seed", "4");
        Assert.Equal(0, (await RunAsync("ingest", _dir.Combine("src", "dataset.jsonl"), "--dataset", "good", "--rows-per-shard", "4", "--data", data)).Code);
        foreach (var segment in Directory.GetFiles(Path.Combine(data, "datasets", "good", "manifests"))) File.Delete(segment);

        // --vocab named: without it, finding the default vocabulary reads the damaged version first (exit 3, not found).
        var (code, output, error) = await RunSplitAsync("parse", "good", "--vocab", "scenes", "--data", data);

        Assert.Equal(RamDataEngine.Cli.Infrastructure.ExitCodes.Damaged, code);
        Assert.StartsWith("error: Dataset 'good' version 1 is damaged", error);
        Assert.DoesNotContain("Committed", output);
        Assert.False(File.Exists(Path.Combine(data, "datasets", "good", "versions", "0000000002.json")));
        Assert.Contains("\"version\":1", File.ReadAllText(Path.Combine(data, "datasets", "good", "HEAD.json")));
    }

    [Theory]
    [InlineData("datasets", "show", "missing")]
    [InlineData("datasets", "show", "bad@x")]
    [InlineData("ingest", "/no/such/file.jsonl", "--dataset", "x")]
    public async Task Commands_BadInput_PrintOneErrorLineAndExitNonZero(params string[] args)
    {
        var (code, output) = await RunAsync([.. args, "--data", _dir.Combine("data")]);

        Assert.NotEqual(0, code);
        Assert.StartsWith("error:", output.Trim());
        Assert.DoesNotContain("   at ", output);
    }

    /// <summary>Runs a command line; the output is what a terminal shows, stdout then stderr.</summary>
    internal static async Task<(int Code, string Output)> RunAsync(params string[] args)
    {
        var (code, output, error) = await RunSplitAsync(args);
        return (code, output + error);
    }

    /// <summary>Runs a command line and keeps stdout and stderr apart, as a script sees them; stdout as a log or a pipe gets it (the console RamApp makes for a redirected stdout).</summary>
    internal static async Task<(int Code, string Out, string Err)> RunSplitAsync(params string[] args)
    {
        var writer = new StringWriter();
        var error = new StringWriter();
        int code = await RamApp.RunAsync(args, RamConsole.Create(writer, redirected: true), error);
        return (code, writer.ToString(), error.ToString());
    }
}
