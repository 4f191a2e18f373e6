using RamDataEngine.Datasets.Versions;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Datasets.Tests.Versions;

public sealed class DatasetCatalogTests : IDisposable
{
    private readonly TempDirectory _dir = new("catalog");
    private readonly LocalFolderBlobStore _store;
    private readonly DatasetCatalog _catalog;

    public DatasetCatalogTests()
    {
        _store = new LocalFolderBlobStore(_dir.Path);
        _catalog = new DatasetCatalog(_store, TimeProvider.System, segmentSize: 10);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task CommitAsync_FirstVersion_BecomesHeadAndIsListed()
    {
        var root = await _catalog.CommitAsync(Commit("cats", null, Shards(0, 25)));

        Assert.Equal(1, root.Version);
        Assert.Equal(1, await _catalog.GetHeadVersionAsync("cats"));
        Assert.Equal(25, root.Shards);
        Assert.Equal(25 * 100, root.Rows);
        Assert.Equal(3, root.Segments.Count);
        Assert.Equal(["cats"], await _catalog.ListDatasetsAsync().ToListAsync());
        var shards = await _catalog.ReadShardsAsync(root).ToListAsync();
        Assert.Equal(Enumerable.Range(0, 25), shards.Select(s => s.ShardId));
    }

    [Fact]
    public async Task CommitAsync_StaleParent_ThrowsConflictAndHeadStays()
    {
        await _catalog.CommitAsync(Commit("d", null, Shards(0, 3)));
        await _catalog.CommitAsync(Commit("d", 1, Relabel(0, 1)));

        var error = await Assert.ThrowsAsync<DatasetConflictException>(() => _catalog.CommitAsync(Commit("d", 1, Relabel(1, 1))));

        Assert.Equal(2, error.ActualHead);
        Assert.Contains("based on version 1 but the head is now version 2", error.Message);
        Assert.Equal(2, await _catalog.GetHeadVersionAsync("d"));
    }

    [Fact]
    public async Task CommitAsync_ConcurrentCommitsOnSameParent_ExactlyOneWins()
    {
        await _catalog.CommitAsync(Commit("race", null, Shards(0, 5)));

        var attempts = Enumerable.Range(0, 8).Select(async i =>
        {
            try
            {
                await _catalog.CommitAsync(Commit("race", 1, Relabel(i % 5, i)));
                return true;
            }
            catch (DatasetConflictException)
            {
                return false;
            }
        });
        var outcomes = await Task.WhenAll(attempts);

        Assert.Single(outcomes, won => won);
        Assert.Equal(2, await _catalog.GetHeadVersionAsync("race"));
        Assert.Equal(2, (await _catalog.ListVersionsAsync("race").ToListAsync()).Count);
    }

    [Fact]
    public async Task OpenAsync_OldVersion_StillReadsItsOwnFiles()
    {
        await _catalog.CommitAsync(Commit("tt", null, Shards(0, 12)));
        var v2 = await _catalog.CommitAsync(Commit("tt", 1, Relabel(11, 7)));

        var v1 = await _catalog.OpenAsync("tt", 1);
        var old = await _catalog.GetShardAsync(v1, 11);
        var now = await _catalog.GetShardAsync(v2, 11);

        Assert.False(old.Files.ContainsKey(ShardFileKinds.Labels));
        Assert.Equal("labels/7/11.parquet", now.Files[ShardFileKinds.Labels].Path);
        Assert.Equal(old.Files[ShardFileKinds.Base], now.Files[ShardFileKinds.Base]);
        Assert.Equal(1, v2.ParentVersion);
    }

    [Fact]
    public async Task CommitAsync_OneShardChanged_WritesOneSegmentAndReusesTheRest()
    {
        var v1 = await _catalog.CommitAsync(Commit("big", null, Shards(0, 300)));
        int before = await _store.ListAsync("datasets/big/manifests/").CountAsync();

        var v2 = await _catalog.CommitAsync(Commit("big", 1, Relabel(155, 1)));

        Assert.Equal(before + 1, await _store.ListAsync("datasets/big/manifests/").CountAsync());
        var changed = v1.Segments.Zip(v2.Segments).Where(p => p.First != p.Second).ToList();
        Assert.Single(changed);
        Assert.Equal(150, changed[0].Second.FirstShardId);
    }

    [Fact]
    public async Task CommitAsync_TagCounts_FollowReplacedShards()
    {
        await _catalog.CommitAsync(Commit("tags", null, Shards(0, 20, tagCounts: new() { [3] = 2, [4] = 1 })));
        var v2 = await _catalog.CommitAsync(Commit("tags", 1, Relabel(5, 1, new() { [3] = 10 })));

        Assert.Equal(20 * 2 - 2 + 10, v2.TagCounts[3]);
        Assert.Equal(19, v2.TagCounts[4]);
    }

    [Fact]
    public async Task GetShardAsync_TamperedSegment_ThrowsChecksumMismatch()
    {
        var v1 = await _catalog.CommitAsync(Commit("bad", null, Shards(0, 4)));
        var path = v1.Segments[0].Path;
        var bytes = await _store.ReadAllBytesAsync(path);
        bytes[^3] ^= 1;
        await _store.WriteAsync(path, bytes);

        var error = await Assert.ThrowsAsync<ChecksumMismatchException>(() => _catalog.GetShardAsync(v1, 1));
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public async Task GetHeadVersionAsync_HeadPointerBehind_StepsToTheLatestVersion()
    {
        await _catalog.CommitAsync(Commit("lag", null, Shards(0, 2)));
        byte[] staleHead = await _store.ReadAllBytesAsync(DatasetPaths.Head("lag"));
        await _catalog.CommitAsync(Commit("lag", 1, Relabel(0, 1)));
        await _store.WriteAsync(DatasetPaths.Head("lag"), staleHead);

        Assert.Equal(2, await _catalog.GetHeadVersionAsync("lag"));
        await Assert.ThrowsAsync<DatasetConflictException>(() => _catalog.CommitAsync(Commit("lag", 1, Relabel(1, 1))));
    }

    [Fact]
    public async Task OpenAsync_UnknownDataset_ThrowsNotFound()
    {
        var error = await Assert.ThrowsAsync<DatasetNotFoundException>(() => _catalog.OpenAsync("nope"));
        Assert.Contains("'nope'", error.Message);
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData("..")]
    public async Task OpenAsync_NameWithPathTricks_ThrowsArgumentException(string name)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _catalog.OpenAsync(name));
    }

    private static DatasetCommit Commit(string name, int? parent, IReadOnlyCollection<ShardEntry> shards)
        => new() { Dataset = name, ParentVersion = parent, Lineage = new VersionLineage { Operation = "test" }, Shards = shards };

    private static List<ShardEntry> Shards(int first, int count, Dictionary<int, long>? tagCounts = null)
        => Enumerable.Range(first, count).Select(id => new ShardEntry
        {
            ShardId = id,
            Rows = 100,
            Files = new Dictionary<string, ShardFileRef> { [ShardFileKinds.Base] = new($"base/{id}.parquet", new string('a', 64), 1000, 100) },
            TagCounts = tagCounts ?? [],
        }).ToList();

    private List<ShardEntry> Relabel(int shardId, int tag, Dictionary<int, long>? tagCounts = null)
    {
        var entry = Shards(shardId, 1)[0];
        return [entry.WithLayer(ShardFileKinds.Labels, new ShardFileRef($"labels/{tag}/{shardId}.parquet", new string('b', 64), 10, 100), tagCounts)];
    }
}
