using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Storage;
using RamDataEngine.Tagging;
using RamDataEngine.Testing;

namespace RamDataEngine.Grains.Tests.Parsing;

/// <summary>The parse stage on one shard, without a cluster: what each row of the layer holds and what the counts say.</summary>
public sealed class ParseStageTests : IDisposable
{
    private readonly TempDirectory _folder = new("parse-stage");
    private readonly LocalFolderBlobStore _store;
    private readonly TagVocabulary _vocabulary = new([new TagEntry(0, "dog"), new TagEntry(1, "cat"), new TagEntry(2, "ball"), new TagEntry(3, "grass")]);

    public ParseStageTests() => _store = new LocalFolderBlobStore(_folder.Path);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public async Task RunAsync_RowsOfCaptions_WritesPerCaptionTagsSortedUnionTruncationAndPerRowTagCounts()
    {
        string longCaption = "a cat " + string.Concat(Enumerable.Repeat("and a very long tail of words ", 100)) + "with a dog";
        string[][] rows =
        [
            ["A dog plays with a ball.", "The dog runs on the grass."],
            ["A cat."],
            [],
            [longCaption, "a ball"],
        ];
        var input = await WriteBaseAsync(rows);
        var stores = new VocabularyStore(_store);
        string vocabularyId = await stores.SaveAsync(_vocabulary);
        var parser = new CaptionParser(_vocabulary);

        var result = await new ParseStage(stores).RunAsync(Context(input, vocabularyId), CancellationToken.None);

        Assert.Equal(4, result.Rows);
        var layer = result.Entry.Files[ShardFileKinds.Parsed];
        Assert.Equal(input.Files[ShardFileKinds.Base], result.Entry.Files[ShardFileKinds.Base]);
        await using var reader = await ShardReader<ParsedTagsShardBatch>.OpenAsync(_store, layer.Path, layer.Sha256);
        var batch = await reader.ReadRowGroupAsync(0);
        Assert.Equal([1L, 2, 3, 4], batch.Ids.ToArray());
        for (int row = 0; row < rows.Length; row++)
        {
            Assert.Equal(rows[row].Length, batch.CaptionTagIds.ListCount(row));
            for (int c = 0; c < rows[row].Length; c++)
            {
                Assert.Equal(parser.Parse(rows[row][c]).Select(t => t.TagId), batch.CaptionTagIds.Get(row, c).ToArray());
            }
        }

        Assert.Equal([0, 2, 3], batch.ParsedTagIds[0].ToArray());
        Assert.Equal([1], batch.ParsedTagIds[1].ToArray());
        Assert.Empty(batch.ParsedTagIds[2].ToArray());
        // The long caption is cut before "dog": only its start is parsed, and the row says so.
        Assert.Equal([1, 2], batch.ParsedTagIds[3].ToArray());
        Assert.Equal([false, false, false, true], batch.Truncated.ToArray());
        // Rows per tag: the dog of row 1 counts once though two of its captions name it.
        Assert.Equal(new Dictionary<int, long> { [0] = 1, [1] = 2, [2] = 2, [3] = 1 }, result.Entry.TagCounts.OrderBy(p => p.Key).ToDictionary());
    }

    [Fact]
    public async Task RunAsync_ManyRowGroups_CountsEveryRowOnceAndKeepsRowOrder()
    {
        var rows = Enumerable.Range(0, 25_000).Select(i => i % 3 == 0 ? new[] { "a dog and a cat", "a dog" } : new[] { "grass" }).ToArray();
        var input = await WriteBaseAsync(rows);
        var stores = new VocabularyStore(_store);
        string vocabularyId = await stores.SaveAsync(_vocabulary);

        var result = await new ParseStage(stores).RunAsync(Context(input, vocabularyId), CancellationToken.None);

        long withPets = rows.Count(r => r.Length == 2);
        Assert.Equal(new Dictionary<int, long> { [0] = withPets, [1] = withPets, [3] = rows.Length - withPets }, result.Entry.TagCounts.OrderBy(p => p.Key).ToDictionary());
        var layer = result.Entry.Files[ShardFileKinds.Parsed];
        Assert.Equal(Enumerable.Range(1, rows.Length).Select(i => (long)i), await ShardFiles.ReadIdsAsync(_store, layer.Path, layer.Sha256));
    }

    private async Task<ShardEntry> WriteBaseAsync(string[][] rows)
    {
        await using var writer = await ShardWriter<BaseShardBatch>.CreateAsync(_store, "datasets/d/base-0.parquet", new ShardProvenance(Stage: "ingest").ToMetadata());
        var batch = new BaseShardBatch();
        for (int i = 0; i < rows.Length; i++) batch.Add(i + 1, $"k{i}", null, $"images/{i}.jpg", rows[i], "test", 10, 10);
        await writer.WriteAsync(batch);
        var file = await writer.CompleteAsync();
        return new ShardEntry
        {
            ShardId = 0,
            Rows = file.Rows,
            Files = new Dictionary<string, ShardFileRef> { [ShardFileKinds.Base] = new(file.Path, file.Sha256, file.Bytes, file.Rows) },
        };
    }

    private ShardStageContext Context(ShardEntry input, string vocabularyId) => new()
    {
        Task = new ShardTask("c-parse-unit", 0, ParseStage.StageName, 0, 1, new ShardInput(ShardInputKind.Version, "d", 1, null), new Dictionary<string, string> { [ParseStage.VocabularyKey] = vocabularyId }),
        Store = _store,
        Input = input,
        Silo = "test",
    };
}
