using System.Text.Json;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Storage;
using RamDataEngine.Tagging;
using RamDataEngine.Testing;

namespace RamDataEngine.Cli.Tests;

/// <summary><c>ram datasets diff</c> over a parsed version and a cleaned labels version written to a local store.</summary>
public sealed class DatasetsDiffTests : IDisposable
{
    private readonly TempDirectory _dir = new("cli-diff");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task DatasetsDiff_Table_ShowsTagsByChangeWithRulesAndTotals()
    {
        string data = await WriteVersionsAsync();

        var (code, output) = await RunAsync("datasets", "diff", "d@1", "d@2", "--data", data);

        Assert.True(code == 0, output);
        Assert.Contains("d@1 (parsed) -> d@2 (labels): 4 rows compared, 3 changed; 0 only in d@1, 1 only in d@2", output);
        Assert.Matches(@"│ tree +│ 2 +│ 1 +│ model:m1 2 \(mean 0\.850\) +│ outlier 1 +│", output);
        Assert.Matches(@"│ dog +│ 0 +│ 1 +│ - +│ model-disagrees 1 +│", output);
        Assert.Matches(@"│ total +│ 2 +│ 2 +│ model:m1 2 \(mean 0\.850\) +│ model-disagrees 1, outlier 1 +│", output);
        Assert.True(output.IndexOf("│ tree", StringComparison.Ordinal) < output.IndexOf("│ dog", StringComparison.Ordinal), output);
        Assert.DoesNotContain("│ cat", output);
    }

    [Fact]
    public async Task DatasetsDiff_Tag_ListsChangedRowsWithRuleAndScore()
    {
        string data = await WriteVersionsAsync();

        var (code, output) = await RunAsync("datasets", "diff", "d@1", "d", "--tag", "tree", "--data", data);

        Assert.True(code == 0, output);
        Assert.Contains("Tag tree: added 2 (model:m1 2 (mean 0.850)), removed 1 (outlier 1)", output);
        Assert.Matches(@"│ 0 +│ added +│ model:m1 +│ 0\.800 +│", output);
        Assert.Matches(@"│ 2 +│ removed +│ outlier +│ - +│", output);
        Assert.Matches(@"│ 3 +│ added +│ model:m1 +│ 0\.900 +│", output);
    }

    [Fact]
    public async Task DatasetsDiff_Json_IsMachineReadable()
    {
        string data = await WriteVersionsAsync();

        var (code, output) = await RunAsync("datasets", "diff", "d@1", "d@2", "--json", "--tag", "dog", "--data", data);

        Assert.True(code == 0, output);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal("d@1", root.GetProperty("a").GetString());
        Assert.Equal(4, root.GetProperty("rowsCompared").GetInt64());
        Assert.Equal(1, root.GetProperty("rowsOnlyInB").GetInt64());
        Assert.Equal(2, root.GetProperty("added").GetInt64());
        var tags = root.GetProperty("tags").EnumerateArray().ToList();
        Assert.Equal(["tree", "dog"], tags.Select(t => t.GetProperty("name").GetString()));
        var treeAdded = tags[0].GetProperty("addedBy")[0];
        Assert.Equal("model:m1", treeAdded.GetProperty("rule").GetString());
        Assert.Equal(0.85, treeAdded.GetProperty("meanScore").GetDouble(), 5);
        var row = Assert.Single(root.GetProperty("tagRows").EnumerateArray());
        Assert.Equal((0L, "removed", "model-disagrees"), (row.GetProperty("rowId").GetInt64(), row.GetProperty("kind").GetString(), row.GetProperty("rule").GetString()));
    }

    [Theory]
    [InlineData("datasets", "diff", "d@1", "nothing@1")]
    [InlineData("datasets", "diff", "d@1", "d@2", "--tag", "zebra")]
    [InlineData("datasets", "diff", "d@x", "d@2")]
    public async Task DatasetsDiff_BadInput_PrintsOneErrorLineAndExitsNonZero(params string[] args)
    {
        string data = await WriteVersionsAsync();

        var (code, output) = await RunAsync([.. args, "--data", data]);

        Assert.NotEqual(0, code);
        Assert.StartsWith("error:", output.Trim());
        Assert.DoesNotContain("   at ", output);
    }

    /// <summary>d@1: parsed tags of rows 0-3; d@2: a labels layer by model m1 over them plus row 4.</summary>
    private async Task<string> WriteVersionsAsync()
    {
        string data = _dir.Combine("data");
        var store = new LocalFolderBlobStore(data);
        var catalog = new DatasetCatalog(store, TimeProvider.System);
        var vocabulary = new TagVocabulary([new TagEntry(0, "cat", []), new TagEntry(1, "dog", []), new TagEntry(2, "tree", [])]);
        await new VocabularyStore(store).SaveAsync(vocabulary);
        var provenance = new ShardProvenance(VocabularyId: vocabulary.Id);

        var parsed = new ParsedTagsShardBatch();
        int[][] tags = [[0, 1], [0], [2], [1]];
        for (int id = 0; id < tags.Length; id++) parsed.Add(id, tags[id], tags[id], [tags[id].Length]);
        var v1 = await catalog.CommitAsync(Commit(null, Entry(4).WithLayer(ShardFileKinds.Parsed, await WriteAsync(store, parsed, "parse", provenance))));

        var labels = new LabelsShardBatch();
        labels.Add(0, [0, 2], [1f, 0.8f], [0, 1], [2], [0.8f], [1], ["model-disagrees"], [0.3f]);
        labels.Add(1, [0], [1f], [0]);
        labels.Add(2, [], [], [2], removedTagIds: [2], removedReasons: ["outlier"], removedScores: [0.2f]);
        labels.Add(3, [1, 2], [1f, 0.9f], [1], [2], [0.9f]);
        labels.Add(4, [0], [1f], [0]);
        var file = await WriteAsync(store, labels, "clean", provenance with { ModelId = "m1" });
        await catalog.CommitAsync(Commit(v1.Version, Entry(5).WithLayer(ShardFileKinds.Labels, file)));
        return data;
    }

    private static DatasetCommit Commit(int? parent, ShardEntry entry)
        => new() { Dataset = "d", ParentVersion = parent, Lineage = new VersionLineage { Operation = "test" }, Shards = [entry] };

    private static ShardEntry Entry(int rows) => new()
    {
        ShardId = 0,
        Rows = rows,
        Files = new Dictionary<string, ShardFileRef> { [ShardFileKinds.Base] = new("datasets/d/base.parquet", new string('a', 64), 1, rows) },
    };

    private static async Task<ShardFileRef> WriteAsync<TBatch>(IBlobStore store, TBatch batch, string stage, ShardProvenance provenance)
        where TBatch : ShardBatch, new()
    {
        await using var writer = await ShardWriter<TBatch>.CreateAsync(store, DatasetPaths.ShardFile("d", "test", stage, 0), provenance.ToMetadata());
        await writer.WriteAsync(batch);
        var info = await writer.CompleteAsync();
        return new ShardFileRef(info.Path, info.Sha256, info.Bytes, info.Rows);
    }

    private static Task<(int Code, string Output)> RunAsync(params string[] args) => RamAppTests.RunAsync(args);
}
