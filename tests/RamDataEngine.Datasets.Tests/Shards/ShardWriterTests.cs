using System.Security.Cryptography;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Datasets.Tests.Shards;

public sealed class ShardWriterTests : IDisposable
{
    private readonly TempDirectory _temp = new("ram-shards");
    private readonly LocalFolderBlobStore _store;
    private readonly string _staging;

    public ShardWriterTests()
    {
        _store = new LocalFolderBlobStore(_temp.Combine("store"));
        _staging = _temp.Combine("staging");
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task CompleteAsync_Always_ReportsRowsBytesAndSha256OfThePublishedBlob()
    {
        var info = await WriteAsync("s/base.parquet", new ShardWriterOptions { RowGroupMaxRows = 64, TempDirectory = _staging }, ShardTestData.Base(200));

        var bytes = await _store.ReadAllBytesAsync("s/base.parquet");
        Assert.Equal(new ShardFileInfo("s/base.parquet", 200, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes))), info);
        Assert.Equal(info.Sha256, await ShardFiles.ComputeSha256Async(_store, info.Path));
        Assert.Empty(Directory.EnumerateFiles(_staging));
    }

    [Fact]
    public async Task WriteAsync_ManySmallBatches_AccumulatesThemIntoFullRowGroups()
    {
        var options = new ShardWriterOptions { RowGroupMaxRows = 20, TempDirectory = _staging };
        var batches = Enumerable.Range(0, 10).Select(i => ShardTestData.Labels(7, firstId: i * 7)).ToArray();

        var info = await WriteAsync("s/labels.parquet", options, batches);

        Assert.Equal([20, 20, 20, 10], await GroupSizesAsync<LabelsShardBatch>(info.Path));
        Assert.Equal(Enumerable.Range(0, 70).Select(i => (long)i), await ShardFiles.ReadIdsAsync(_store, info.Path, info.Sha256));
    }

    [Fact]
    public async Task WriteAsync_OneLargeBatch_SplitsItIntoRowGroups()
    {
        var options = new ShardWriterOptions { RowGroupMaxRows = 100, TempDirectory = _staging };

        var info = await WriteAsync("s/tags.parquet", options, ShardTestData.ParsedTags(250), ShardTestData.ParsedTags(30, firstId: 5_000));

        Assert.Equal([100, 100, 80], await GroupSizesAsync<ParsedTagsShardBatch>(info.Path));
    }

    [Fact]
    public async Task WriteAsync_ByteBudget_CutsRowGroupsBySize()
    {
        // ~3 KB images and a 10 KB budget: three rows fit in a group.
        var options = new ShardWriterOptions { RowGroupMaxRows = 1_000, RowGroupMaxBytes = 10_000, TempDirectory = _staging };
        var batch = new BaseShardBatch();
        for (int i = 0; i < 10; i++) batch.Add(i, $"k{i}", ShardTestData.Image(i, 3_000), null, ["a caption"], "bench", 64, 64);

        var info = await WriteAsync("s/big.parquet", options, batch);

        Assert.Equal([3, 3, 3, 1], await GroupSizesAsync<BaseShardBatch>(info.Path));
    }

    [Fact]
    public async Task ReadBatchesAsync_ReuseBatch_RefillsOneInstanceWithEachRowGroup()
    {
        var info = await WriteAsync("s/l.parquet", new ShardWriterOptions { RowGroupMaxRows = 10, TempDirectory = _staging }, ShardTestData.Labels(35));
        await using var reader = await ShardReader<LabelsShardBatch>.OpenAsync(_store, info.Path);

        var seen = new HashSet<LabelsShardBatch>(ReferenceEqualityComparer.Instance);
        var ids = new List<long>();
        await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true))
        {
            seen.Add(batch);
            ids.AddRange(batch.Ids.ToArray());
        }

        Assert.Single(seen);
        Assert.Equal(Enumerable.Range(0, 35).Select(i => ShardTestData.FirstId + i), ids);
    }

    [Fact]
    public async Task WriteAsync_ShardsInParallel_EachFileHoldsItsOwnRows()
    {
        // Ingest writes shards in parallel; the schemas are shared static objects.
        var options = new ShardWriterOptions { RowGroupMaxRows = 25, TempDirectory = _staging };
        var written = await Task.WhenAll(Enumerable.Range(0, 6).Select(shard => Task.Run(() =>
            WriteAsync($"s/parallel/{shard:D5}.parquet", options, ShardTestData.Base(60, firstId: shard * 1_000)))));

        for (int shard = 0; shard < written.Length; shard++)
        {
            var ids = await ShardFiles.ReadIdsAsync(_store, written[shard].Path, written[shard].Sha256);
            Assert.Equal(Enumerable.Range(shard * 1_000, 60).Select(i => (long)i), ids);
        }
    }

    [Fact]
    public async Task ReadBatchesAsync_SomeColumns_ReadsThoseAndIdsAndLeavesTheRestEmpty()
    {
        var written = ShardTestData.Base(90);
        var info = await WriteAsync("s/base.parquet", new ShardWriterOptions { RowGroupMaxRows = 40, TempDirectory = _staging }, written);
        await using var reader = await ShardReader<BaseShardBatch>.OpenAsync(_store, info.Path);

        int row = 0;
        await foreach (var batch in reader.ReadBatchesAsync(reuseBatch: true, columns: ["captions", "truth_known"]))
        {
            for (int r = 0; r < batch.Count; r++, row++)
            {
                Assert.Equal(written.Ids[row], batch.Ids[r]);
                Assert.Equal(written.Captions[row].ToArray().Select(c => c.ToString()), batch.Captions[r].ToArray().Select(c => c.ToString()));
                Assert.Equal(written.TruthKnown[row], batch.TruthKnown[r]);
                Assert.Null(batch.Images[r]);
                Assert.Equal(0, batch.Widths[r]);
                Assert.Equal(0, batch.TruthLabels.LengthOf(r));
            }
        }

        Assert.Equal(90, row);
        var e = await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (var _ in reader.ReadBatchesAsync(columns: ["caption"])) Assert.Fail("A misspelt column must fail before any batch.");
        });
        Assert.Contains("no column 'caption'", e.Message);
    }

    [Fact]
    public async Task CompleteAsync_ExistingPathWithoutCondition_ReplacesTheUnpublishedFile()
    {
        var options = new ShardWriterOptions { TempDirectory = _staging };
        await WriteAsync("s/retry.parquet", options, ShardTestData.Labels(5));

        var second = await WriteAsync("s/retry.parquet", options, ShardTestData.Labels(9));

        Assert.Equal(9, (await ShardFiles.ReadIdsAsync(_store, "s/retry.parquet", second.Sha256)).Length);
    }

    [Fact]
    public async Task CompleteAsync_IfNotExistsOnExistingPath_ThrowsAndLeavesTheFile()
    {
        var options = new ShardWriterOptions { TempDirectory = _staging };
        var first = await WriteAsync("s/once.parquet", options, ShardTestData.Labels(5));
        await using var writer = await ShardWriter<LabelsShardBatch>.CreateAsync(_store, "s/once.parquet", options: options);
        await writer.WriteAsync(ShardTestData.Labels(9));

        await Assert.ThrowsAsync<BlobConditionFailedException>(() => writer.CompleteAsync(BlobCondition.IfNotExists));

        Assert.Equal(first.Sha256, await ShardFiles.ComputeSha256Async(_store, "s/once.parquet"));
    }

    [Fact]
    public async Task CompleteAsync_ConditionFails_LeavesNoStagingOrTempFileBehind()
    {
        var options = new ShardWriterOptions { TempDirectory = _staging };
        await WriteAsync("s/taken.parquet", options, ShardTestData.Labels(5));

        await using (var writer = await ShardWriter<LabelsShardBatch>.CreateAsync(_store, "s/taken.parquet", options: options))
        {
            await writer.WriteAsync(ShardTestData.Labels(9));
            await Assert.ThrowsAsync<BlobConditionFailedException>(() => writer.CompleteAsync(BlobCondition.IfNotExists));
        }

        Assert.Empty(Directory.EnumerateFiles(_staging));
        Assert.Equal(["taken.parquet"], Directory.GetFiles(Path.Combine(_store.Root, "s")).Select(Path.GetFileName));
    }

    [Fact]
    public async Task DisposeAsync_WithoutComplete_PublishesNothingAndDeletesStaging()
    {
        await using (var writer = await ShardWriter<BaseShardBatch>.CreateAsync(_store, "s/abandoned.parquet", options: new() { TempDirectory = _staging }))
        {
            await writer.WriteAsync(ShardTestData.Base(30));
        }

        Assert.Null(await _store.GetPropertiesAsync("s/abandoned.parquet"));
        Assert.Empty(Directory.EnumerateFiles(_staging));
    }

    [Fact]
    public async Task CreateAsync_FeaturesWithoutDimension_ThrowsNamingTheKey()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(
            () => ShardWriter<FeaturesShardBatch>.CreateAsync(_store, "s/f.parquet", new ShardProvenance().ToMetadata(encoderId: "enc")));

        Assert.Contains(ShardMetadataKeys.EmbeddingDimension, e.Message);
    }

    [Fact]
    public async Task WriteAsync_FeaturesOfAnotherDimension_Throws()
    {
        await using var writer = await ShardWriter<FeaturesShardBatch>.CreateAsync(_store, "s/f.parquet", new ShardProvenance().ToMetadata("enc", 8));

        var e = await Assert.ThrowsAsync<ArgumentException>(async () => await writer.WriteAsync(ShardTestData.Features(3, dimension: 4)));

        Assert.Contains("declares 8", e.Message);
    }

    [Fact]
    public async Task CreateAsync_ReservedMetadataKey_Throws()
    {
        var metadata = new Dictionary<string, string> { [ShardMetadataKeys.Kind] = "labels" };

        await Assert.ThrowsAsync<ArgumentException>(() => ShardWriter<BaseShardBatch>.CreateAsync(_store, "s/b.parquet", metadata));
    }

    [Fact]
    public void Add_RowWithoutImageOrUri_Throws()
    {
        var batch = new BaseShardBatch();

        var e = Assert.Throws<ArgumentException>(() => batch.Add(7, "k7", null, null, ["c"], "src", 1, 1));

        Assert.Contains("Row 7", e.Message);
        Assert.Equal(0, batch.Count);
    }

    [Fact]
    public void Add_EmptyImageBytes_Throws()
    {
        byte[]? missing = null;

        var e = Assert.Throws<ArgumentException>(() => new BaseShardBatch().Add(7, "k7", missing, "https://example.org/7.jpg", ["c"], "src", 1, 1));

        Assert.Contains("empty image bytes", e.Message);
    }

    [Fact]
    public void Add_CaptionCountsNotMatchingIds_Throws()
    {
        var batch = new ParsedTagsShardBatch();

        Assert.Throws<ArgumentException>(() => batch.Add(1, [1, 2], [1, 2, 3], [1, 1]));
    }

    private async Task<ShardFileInfo> WriteAsync<TBatch>(string path, ShardWriterOptions options, params TBatch[] batches)
        where TBatch : ShardBatch, new()
    {
        await using var writer = await ShardWriter<TBatch>.CreateAsync(_store, path, options: options);
        foreach (var batch in batches) await writer.WriteAsync(batch);
        return await writer.CompleteAsync();
    }

    private async Task<List<int>> GroupSizesAsync<TBatch>(string path)
        where TBatch : ShardBatch, new()
    {
        await using var reader = await ShardReader<TBatch>.OpenAsync(_store, path);
        var sizes = new List<int>();
        await foreach (var batch in reader.ReadBatchesAsync()) sizes.Add(batch.Count);
        return sizes;
    }
}
