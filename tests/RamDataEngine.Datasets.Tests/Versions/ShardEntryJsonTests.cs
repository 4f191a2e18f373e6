using System.Text;
using System.Text.Json;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Datasets.Tests.Versions;

public sealed class ShardEntryJsonTests : IDisposable
{
    private readonly TempDirectory _dir = new("entry-json");

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Entries => ["plain", "quarantine", "tags", "escaped"];

    [Theory]
    [MemberData(nameof(Entries))]
    public void ToUtf8_AnyEntry_IsByteForByteWhatSystemTextJsonWrites(string kind)
    {
        var entry = Sample(kind);

        var ours = ShardEntryJson.ToUtf8(entry);

        Assert.Equal(Encoding.UTF8.GetString(JsonSerializer.SerializeToUtf8Bytes(entry, DatasetJson.Options)), Encoding.UTF8.GetString(ours));
    }

    [Theory]
    [MemberData(nameof(Entries))]
    public void Read_SystemTextJsonOutput_GivesTheSameEntry(string kind)
    {
        var entry = Sample(kind);

        var read = ShardEntryJson.Read(JsonSerializer.SerializeToUtf8Bytes(entry, DatasetJson.Options));

        Assert.Equal(ShardEntryJson.ToUtf8(entry), ShardEntryJson.ToUtf8(read));
    }

    [Fact]
    public void Read_PascalCaseNamesAndNumbersAsStrings_AreAcceptedLikeTheWebDefaults()
    {
        var json = """{"ShardId":"7","Rows":3,"Files":{"base":{"Path":"a/b","Sha256":"00","Bytes":"12","Rows":3}},"Unknown":[1,{"x":2}]}"""u8;

        var entry = ShardEntryJson.Read(json);

        Assert.Equal(7, entry.ShardId);
        Assert.Equal(12, entry.Files[ShardFileKinds.Base].Bytes);
        Assert.Empty(entry.TagCounts);
    }

    [Fact]
    public void Read_NoRows_FailsNamingTheField()
    {
        var error = Assert.Throws<InvalidDataException>(() => ShardEntryJson.Read("""{"shardId":1,"files":{}}"""u8));

        Assert.Contains("'rows'", error.Message);
    }

    [Fact]
    public void ParseArray_ResultBatch_KeepsEachEntrysBytesAndFields()
    {
        var entries = new[] { Sample("plain"), Sample("tags") };
        var batch = JsonSerializer.SerializeToUtf8Bytes(entries, DatasetJson.Options);

        var raw = RawShardEntry.ParseArray(batch, "test batch");

        Assert.Equal(entries.Select(e => e.ShardId), raw.Select(r => r.ShardId));
        Assert.Equal(entries[1].TagCounts, raw[1].TagCounts);
        Assert.All(raw, r => Assert.True(r.HasBase));
        Assert.Equal(ShardEntryJson.ToUtf8(entries[1]), raw[1].Json.ToArray());
        Assert.Equal(ShardEntryJson.ToUtf8(entries[1]), ShardEntryJson.ToUtf8(raw[1].ToEntry()));
    }

    [Fact]
    public void ParseArray_EntryWithoutShardId_FailsNamingTheSource()
    {
        var error = Assert.Throws<InvalidDataException>(() => RawShardEntry.ParseArray("""[{"rows":1}]"""u8.ToArray(), "entry batch 'x.json'"));

        Assert.Contains("entry batch 'x.json'", error.Message);
        Assert.Contains("'shardId'", error.Message);
    }

    [Fact]
    public async Task CommitAsync_RawEntries_WriteTheSameSegmentsAsObjects()
    {
        var entries = Enumerable.Range(0, 25).Select(i => Sample("tags") with { ShardId = i }).ToList();
        var asObjects = new DatasetCatalog(new LocalFolderBlobStore(Path.Combine(_dir.Path, "a")), TimeProvider.System, segmentSize: 10);
        var asRaw = new DatasetCatalog(new LocalFolderBlobStore(Path.Combine(_dir.Path, "b")), TimeProvider.System, segmentSize: 10);

        var a = await asObjects.CommitAsync(new DatasetCommit { Dataset = "d", ParentVersion = null, Lineage = new() { Operation = "t" }, Shards = entries });
        var b = await asRaw.CommitAsync(new DatasetCommit
        {
            Dataset = "d",
            ParentVersion = null,
            Lineage = new() { Operation = "t" },
            Shards = [],
            RawShards = RawShardEntry.ParseArray(JsonSerializer.SerializeToUtf8Bytes(entries, DatasetJson.Options), "batch"),
        });

        Assert.Equal(a.Segments.Select(s => s.Sha256), b.Segments.Select(s => s.Sha256));
        Assert.Equal(a.TagCounts, b.TagCounts);
    }

    [Fact]
    public async Task CommitAsync_EveryShardReplaced_RecountsTagsWithoutTheParentsSegments()
    {
        var store = new LocalFolderBlobStore(Path.Combine(_dir.Path, "c"));
        var catalog = new DatasetCatalog(store, TimeProvider.System, segmentSize: 10);
        var v1 = await catalog.CommitAsync(new DatasetCommit
        {
            Dataset = "d", ParentVersion = null, Lineage = new() { Operation = "t" },
            Shards = Enumerable.Range(0, 25).Select(i => Sample("tags") with { ShardId = i }).ToList(),
        });
        // Gone parent segments prove the commit did not read them.
        foreach (var segment in v1.Segments) await store.DeleteAsync(segment.Path);

        var v2 = await catalog.CommitAsync(new DatasetCommit
        {
            Dataset = "d", ParentVersion = 1, Lineage = new() { Operation = "t" },
            Shards = Enumerable.Range(0, 24).Select(i => Sample("plain") with { ShardId = i, TagCounts = new Dictionary<int, long> { [9] = 2 } }).ToList(),
            RemovedShards = [new RemovedShard(24, "s", "poisoned", 5)],
        });

        Assert.Equal(24, v2.Shards);
        Assert.Equal(new Dictionary<int, long> { [9] = 48 }, v2.TagCounts);
    }

    private static ShardEntry Sample(string kind)
    {
        var files = new Dictionary<string, ShardFileRef>
        {
            [ShardFileKinds.Base] = new("datasets/d/shards/seed/base/shard-000003.parquet", new string('a', 64), 1234, 5),
            ["labels"] = new("datasets/d/shards/c1/labels/shard-000003.parquet", new string('b', 64), 99, 5),
        };
        var entry = new ShardEntry { ShardId = 3, Rows = 5, Files = files };
        return kind switch
        {
            "quarantine" => entry with { QuarantinedRows = 2, Quarantine = new("datasets/d/q/shard-000003.jsonl", new string('c', 64), 10, 2) },
            "tags" => entry with { TagCounts = new Dictionary<int, long> { [4] = 3, [-1] = 1, [4584] = 5 } },
            "escaped" => entry with { Files = new Dictionary<string, ShardFileRef>(files) { ["l<a>y&e+r'é"] = new("x/<y>&'+é\"\\", "00", 0, 5) } },
            _ => entry,
        };
    }
}
