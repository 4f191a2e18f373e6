using Parquet;
using Parquet.Schema;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Datasets.Tests.Shards;

public sealed class ShardReaderErrorTests : IDisposable
{
    private readonly TempDirectory _temp = new("ram-shards");
    private readonly LocalFolderBlobStore _store;

    public ShardReaderErrorTests() => _store = new LocalFolderBlobStore(_temp.Combine("store"));

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task OpenAsync_WrongExpectedSha256_ThrowsChecksumErrorNamingPathAndBothHashes()
    {
        var info = await WriteBaseAsync("d/base.parquet");
        string wrong = new string('a', 64);

        var e = await Assert.ThrowsAsync<ShardChecksumException>(() => ShardReader<BaseShardBatch>.OpenAsync(_store, info.Path, wrong));

        Assert.Contains("'d/base.parquet'", e.Message);
        Assert.Contains(wrong, e.Message);
        Assert.Contains(info.Sha256, e.Message);
        Assert.Equal(info.Sha256, e.ActualSha256);
        Assert.True(ShardFiles.IsDamagedFile(e));
    }

    [Fact]
    public async Task OpenAsync_ByteFlippedAfterPublishing_ThrowsChecksumError()
    {
        var info = await WriteBaseAsync("d/base.parquet");
        var bytes = await _store.ReadAllBytesAsync(info.Path);
        bytes[bytes.Length / 2] ^= 0x5A;
        await _store.WriteAsync(info.Path, bytes);

        var e = await Assert.ThrowsAsync<ShardChecksumException>(() => ShardFiles.ReadIdsAsync(_store, info.Path, info.Sha256));

        Assert.Equal(info.Sha256, e.ExpectedSha256);
        Assert.NotEqual(info.Sha256, e.ActualSha256);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(0.999)]
    public async Task OpenAsync_TruncatedFile_ThrowsInvalidDataNamingThePath(double keep)
    {
        var info = await WriteBaseAsync("d/base.parquet");
        var bytes = await _store.ReadAllBytesAsync(info.Path);
        await _store.WriteAsync("d/truncated.parquet", bytes.AsMemory(0, (int)(bytes.Length * keep)));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ShardReader<BaseShardBatch>.OpenAsync(_store, "d/truncated.parquet"));

        Assert.Contains("'d/truncated.parquet'", e.Message);
        Assert.Contains("truncated", e.Message);
        Assert.True(ShardFiles.IsDamagedFile(e));
    }

    [Theory]
    [InlineData("")]
    [InlineData("{\"image_file\": \"a.jpg\", \"captions\": [\"not parquet at all\"]}")]
    public async Task OpenAsync_NotParquet_ThrowsInvalidDataNamingThePath(string content)
    {
        await _store.WriteAsync("d/x.parquet", System.Text.Encoding.UTF8.GetBytes(content));

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ShardReader<LabelsShardBatch>.OpenAsync(_store, "d/x.parquet"));

        Assert.Contains("'d/x.parquet'", e.Message);
        Assert.Contains(_store.Location, e.Message);
    }

    [Fact]
    public async Task OpenAsync_MissingRequiredColumn_ThrowsNamingColumnAndFile()
    {
        await WriteRawParquetAsync("d/partial.parquet", new ParquetSchema(new DataField<long>("id"), new DataField<string>("source_key", false)), kind: "base");

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ShardReader<BaseShardBatch>.OpenAsync(_store, "d/partial.parquet"));

        Assert.Contains("no column 'image'", e.Message);
        Assert.Contains("'d/partial.parquet'", e.Message);
    }

    [Fact]
    public async Task OpenAsync_ColumnOfWrongType_ThrowsNamingColumnAndTypes()
    {
        await WriteRawParquetAsync("d/typed.parquet", new ParquetSchema(new DataField<int>("id")), kind: null);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ShardFiles.ReadIdsAsync(_store, "d/typed.parquet"));

        Assert.Contains("column 'id' as int32", e.Message);
        Assert.Contains("needs int64", e.Message);
    }

    [Fact]
    public async Task OpenAsync_FileOfAnotherKind_ThrowsNamingBothKinds()
    {
        var info = await WriteBaseAsync("d/base.parquet");

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => ShardReader<LabelsShardBatch>.OpenAsync(_store, info.Path));

        Assert.Contains("'base' shard file, not 'labels'", e.Message);
    }

    [Fact]
    public async Task OpenAsync_MissingBlob_ThrowsBlobNotFound()
    {
        await Assert.ThrowsAsync<BlobNotFoundException>(() => ShardReader<BaseShardBatch>.OpenAsync(_store, "d/none.parquet"));
    }

    [Fact]
    public async Task OpenAsync_MalformedExpectedSha256_ThrowsArgumentException()
    {
        var info = await WriteBaseAsync("d/base.parquet");

        await Assert.ThrowsAsync<ArgumentException>(() => ShardReader<BaseShardBatch>.OpenAsync(_store, info.Path, "abc"));
    }

    private async Task<ShardFileInfo> WriteBaseAsync(string path)
    {
        await using var writer = await ShardWriter<BaseShardBatch>.CreateAsync(_store, path, options: new ShardWriterOptions { RowGroupMaxRows = 16 });
        await writer.WriteAsync(ShardTestData.Base(50));
        return await writer.CompleteAsync();
    }

    private async Task WriteRawParquetAsync(string path, ParquetSchema schema, string? kind)
    {
        using var file = new MemoryStream();
        await using (var writer = await ParquetWriter.CreateAsync(schema, file))
        {
            if (kind is not null) writer.CustomMetadata = new Dictionary<string, string> { [ShardMetadataKeys.Kind] = kind };
            using var group = writer.CreateRowGroup();
            foreach (var field in schema.DataFields)
            {
                if (field.ClrType == typeof(long)) await group.WriteAsync<long>(field, new long[] { 1, 2 });
                else if (field.ClrType == typeof(int)) await group.WriteAsync<int>(field, new[] { 1, 2 });
                else await group.WriteAsync<ReadOnlyMemory<char>>(field, new[] { "a".AsMemory(), "b".AsMemory() });
            }
        }

        await _store.WriteAsync(path, file.ToArray());
    }
}
