using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Cli.Tests;

/// <summary><c>ram vocab mine</c> end to end: embedded silo, a generated dataset, real files.</summary>
public sealed class VocabMineTests : IDisposable
{
    private readonly TempDirectory _dir = new("cli-vocab");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task VocabMine_Write_PrintsRankedTableAndWritesAStoredLoadableVocabulary()
    {
        string data = await IngestAsync("cats");
        string file = _dir.Combine("out", "mined.json");

        var (code, output) = await RunAsync("vocab", "mine", "cats", "--top", "10", "--min-count", "2", "--vocab", "scenes", "--write", file, "--data", data);

        Assert.True(code == 0, output);
        Assert.Contains("Completed", output);
        Assert.Contains("over 3 shards", output);
        Assert.Contains("in vocabulary", output);
        Assert.Contains("│ yes", output);
        var mined = VocabularySources.Load(file);
        Assert.Equal(10, mined.Count);
        Assert.Contains(mined.Id, output.Replace("\n", ""));
        var store = new LocalFolderBlobStore(data);
        Assert.NotNull(await store.GetPropertiesAsync(VocabularyStore.PathOf(mined.Id)));
        // Mining analyses a version and commits none.
        Assert.Equal(1, await new DatasetCatalog(store, TimeProvider.System).GetHeadVersionAsync("cats"));

        var (parsed, parseOutput) = await RunAsync("parse", "cats", "--vocab", file, "--data", data);
        Assert.True(parsed == 0, parseOutput);
        Assert.Contains("Committed cats@2", parseOutput);
    }

    [Fact]
    public async Task VocabMine_MissingFrom_ListsOnlyCandidatesTheVocabularyLacks()
    {
        string data = await IngestAsync("shapes");
        // The generator's captions always name a shape, mostly with a colour: keep only a few of them.
        string tags = _dir.Combine("few_tags.txt");
        await File.WriteAllLinesAsync(tags, ["heart", "red", "star"]);

        var (code, output) = await RunAsync("vocab", "mine", "shapes@1", "--missing-from", tags, "--min-count", "2", "--top", "100", "--data", data);

        Assert.True(code == 0, output);
        Assert.Contains("Candidates missing from", output);
        Assert.DoesNotMatch(@"│ heart +│", output);
        Assert.DoesNotMatch(@"│ red +│", output);
        Assert.Matches(@"│ red ring +│", output);
        Assert.DoesNotContain("│ yes", output);
        Assert.Contains("│ no", output);
    }

    [Theory]
    [InlineData("vocab", "mine", "nothing-here")]
    [InlineData("vocab", "mine", "cats", "--missing-from", "/no/such/vocabulary.json")]
    [InlineData("vocab", "mine", "cats", "--write", "mined.txt")]
    public async Task VocabMine_BadInput_PrintsOneErrorLineAndExitsNonZero(params string[] args)
    {
        var (code, output) = await RunAsync([.. args, "--data", _dir.Combine("data")]);

        Assert.NotEqual(0, code);
        Assert.StartsWith("error:", output.Trim());
        Assert.DoesNotContain("   at ", output);
    }

    private async Task<string> IngestAsync(string dataset)
    {
        string data = _dir.Combine("data");
        var (generated, generateOutput) = await RunAsync("generate", _dir.Combine("src"), "--count", "60", "--seed", "3");
        Assert.True(generated == 0, generateOutput);
        var (ingested, ingestOutput) = await RunAsync("ingest", _dir.Combine("src", "dataset.jsonl"), "--dataset", dataset, "--rows-per-shard", "20", "--data", data);
        Assert.True(ingested == 0, ingestOutput);
        return data;
    }

    private static Task<(int Code, string Output)> RunAsync(params string[] args) => RamAppTests.RunAsync(args);
}
