using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using RamDataEngine.Storage;

namespace RamDataEngine.Storage.Tests;

/// <summary>The behaviour every <see cref="IBlobStore"/> must show; each implementation runs it through a subclass.</summary>
public abstract class BlobStoreContractTests : IAsyncLifetime
{
    private string? _localFolder;

    protected IBlobStore Store { get; private set; } = null!;

    /// <summary>A fresh, empty store for one test.</summary>
    protected abstract Task<IBlobStore> CreateStoreAsync();

    /// <summary>Removes what <see cref="CreateStoreAsync"/> made.</summary>
    protected abstract Task DeleteStoreAsync();

    public async Task InitializeAsync() => Store = await CreateStoreAsync();

    public async Task DisposeAsync()
    {
        await DeleteStoreAsync();
        if (_localFolder is not null) Directory.Delete(_localFolder, recursive: true);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(1000)]
    [InlineData(70_000)]
    public async Task WriteAsync_ThenReadAsync_RoundTripsBytes(int length)
    {
        var data = TestData.Bytes(length, seed: length);

        var written = await Store.WriteAsync("round/trip.bin", data);
        var read = await Store.ReadAsync("round/trip.bin");

        Assert.NotNull(read);
        Assert.Equal(data, read.Data.ToArray());
        Assert.Equal(length, read.Properties.Length);
        Assert.Equal("round/trip.bin", read.Properties.Path);
        Assert.Equal(written.ETag, read.Properties.ETag);
        Assert.Equal(length, written.Length);
    }

    [Fact]
    public async Task WriteAsync_LargeNonSeekableStream_RoundTripsThroughOpenRead()
    {
        // Bigger than a read block and than an in-memory upload buffer, not a multiple of either.
        const int length = (12 << 20) + 12_345;
        var data = TestData.Bytes(length, seed: 7);

        await using (var source = new NonSeekableStream(new MemoryStream(data)))
        {
            var written = await Store.WriteAsync("large/blob.bin", source, BlobCondition.None);
            Assert.Equal(length, written.Length);
        }

        await using var stream = await Store.OpenReadAsync("large/blob.bin");
        Assert.Equal(length, stream.Length);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy, 1 << 20);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(copy.ToArray()));
    }

    [Fact]
    public async Task WriteAsync_SeekableStreamNotAtStart_WritesFromCurrentPosition()
    {
        var data = TestData.Bytes(5000, seed: 3);
        using var source = new MemoryStream(data) { Position = 1234 };

        var written = await Store.WriteAsync("partial.bin", source, BlobCondition.None);

        Assert.Equal(data.Length - 1234, written.Length);
        Assert.Equal(data[1234..], (await Store.ReadAsync("partial.bin"))!.Data.ToArray());
    }

    [Fact]
    public async Task WriteAsync_ReplacedManyTimesWithSameLength_ETagChangesEveryTime()
    {
        var etags = new List<string>();
        for (int i = 0; i < 20; i++)
        {
            // Same length each time, written back to back: an ETag made of a coarse clock and the length would repeat.
            var written = await Store.WriteAsync("head.json", Encoding.UTF8.GetBytes($"version {i:D4}"));
            etags.Add(written.ETag);
        }

        Assert.Equal(etags.Count, etags.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(etags[^1], (await Store.GetPropertiesAsync("head.json"))!.ETag);
    }

    [Fact]
    public async Task WriteAsync_IfNotExistsOnNewPath_Creates()
    {
        var written = await Store.WriteAsync("new.txt", "first"u8.ToArray(), BlobCondition.IfNotExists);

        var read = await Store.ReadAsync("new.txt");
        Assert.Equal("first"u8.ToArray(), read!.Data.ToArray());
        Assert.Equal(written.ETag, read.Properties.ETag);
    }

    [Fact]
    public async Task WriteAsync_IfNotExistsOnExistingPath_ThrowsConditionFailedAndKeepsContent()
    {
        var original = await Store.WriteAsync("exists.txt", "original"u8.ToArray());

        var e = await Assert.ThrowsAsync<BlobConditionFailedException>(
            () => Store.WriteAsync("exists.txt", "intruder"u8.ToArray(), BlobCondition.IfNotExists));

        Assert.Equal("exists.txt", e.Path);
        Assert.Equal(BlobConditionKind.IfNotExists, e.Condition.Kind);
        Assert.Contains("exists.txt", e.Message);
        var read = await Store.ReadAsync("exists.txt");
        Assert.Equal("original"u8.ToArray(), read!.Data.ToArray());
        Assert.Equal(original.ETag, read.Properties.ETag);
    }

    [Fact]
    public async Task WriteAsync_IfMatchCurrentETag_Replaces()
    {
        var v1 = await Store.WriteAsync("cas.txt", "v1"u8.ToArray());

        var v2 = await Store.WriteAsync("cas.txt", "v2"u8.ToArray(), BlobCondition.IfMatch(v1.ETag));

        Assert.NotEqual(v1.ETag, v2.ETag);
        var read = await Store.ReadAsync("cas.txt");
        Assert.Equal("v2"u8.ToArray(), read!.Data.ToArray());
        Assert.Equal(v2.ETag, read.Properties.ETag);
    }

    [Fact]
    public async Task WriteAsync_IfMatchStaleETag_ThrowsConditionFailedAndKeepsContent()
    {
        var v1 = await Store.WriteAsync("cas.txt", "v1"u8.ToArray());
        var v2 = await Store.WriteAsync("cas.txt", "v2"u8.ToArray(), BlobCondition.IfMatch(v1.ETag));

        var e = await Assert.ThrowsAsync<BlobConditionFailedException>(
            () => Store.WriteAsync("cas.txt", "v3"u8.ToArray(), BlobCondition.IfMatch(v1.ETag)));

        Assert.Equal(BlobConditionKind.IfMatch, e.Condition.Kind);
        Assert.Equal(v1.ETag, e.Condition.ETag);
        var read = await Store.ReadAsync("cas.txt");
        Assert.Equal("v2"u8.ToArray(), read!.Data.ToArray());
        Assert.Equal(v2.ETag, read.Properties.ETag);
    }

    [Fact]
    public async Task WriteAsync_IfMatchOnMissingBlob_ThrowsConditionFailed()
    {
        var v1 = await Store.WriteAsync("gone.txt", "v1"u8.ToArray());
        Assert.True(await Store.DeleteAsync("gone.txt"));

        await Assert.ThrowsAsync<BlobConditionFailedException>(
            () => Store.WriteAsync("gone.txt", "v2"u8.ToArray(), BlobCondition.IfMatch(v1.ETag)));

        Assert.Null(await Store.ReadAsync("gone.txt"));
    }

    [Fact]
    public async Task WriteAsync_ConcurrentIfMatchOnSameETag_ExactlyOneWins()
    {
        var v0 = await Store.WriteAsync("datasets/d/head.json", "v0"u8.ToArray());

        var outcomes = await RaceAsync(16, i => Store.WriteAsync(
            "datasets/d/head.json", Encoding.UTF8.GetBytes($"writer {i}"), BlobCondition.IfMatch(v0.ETag)));

        var (winner, written, _) = Assert.Single(outcomes, o => o.Written is not null);
        Assert.All(outcomes.Where(o => o.Written is null), o => Assert.IsType<BlobConditionFailedException>(o.Error));
        var read = await Store.ReadAsync("datasets/d/head.json");
        Assert.Equal($"writer {winner}", Encoding.UTF8.GetString(read!.Data.Span));
        Assert.Equal(written!.ETag, read.Properties.ETag);
    }

    [Fact]
    public async Task WriteAsync_ConcurrentIfNotExistsOnNewPath_ExactlyOneWins()
    {
        var outcomes = await RaceAsync(16, i => Store.WriteAsync(
            "datasets/d/versions/1.json", Encoding.UTF8.GetBytes($"writer {i}"), BlobCondition.IfNotExists));

        var (winner, written, _) = Assert.Single(outcomes, o => o.Written is not null);
        Assert.All(outcomes.Where(o => o.Written is null), o => Assert.IsType<BlobConditionFailedException>(o.Error));
        var read = await Store.ReadAsync("datasets/d/versions/1.json");
        Assert.Equal($"writer {winner}", Encoding.UTF8.GetString(read!.Data.Span));
        Assert.Equal(written!.ETag, read.Properties.ETag);
    }

    [Fact]
    public async Task ReadAsync_WhileBlobIsReplaced_ETagAlwaysDescribesReturnedBytes()
    {
        var contentByETag = new ConcurrentDictionary<string, string>(StringComparer.Ordinal);
        var first = await Store.WriteAsync("busy.txt", "content 000"u8.ToArray());
        contentByETag[first.ETag] = "content 000";
        var reads = new ConcurrentBag<BlobContent>();
        using var stop = new CancellationTokenSource();

        var writer = Task.Run(async () =>
        {
            try
            {
                for (int i = 1; i <= 30; i++)
                {
                    var text = $"content {i:D3}";
                    var written = await Store.WriteAsync("busy.txt", Encoding.UTF8.GetBytes(text));
                    contentByETag[written.ETag] = text;
                }
            }
            finally
            {
                stop.Cancel();
            }
        });
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(async () =>
        {
            // At least a few reads each, however fast the writer finishes.
            for (int n = 0; n < 10 || !stop.IsCancellationRequested; n++) reads.Add((await Store.ReadAsync("busy.txt"))!);
        })).ToArray();
        await Task.WhenAll([writer, .. readers]);

        Assert.NotEmpty(reads);
        Assert.Equal(31, contentByETag.Count);
        Assert.All(reads, read => Assert.Equal(contentByETag[read.Properties.ETag], Encoding.UTF8.GetString(read.Data.Span)));
    }

    [Fact]
    public async Task WriteAsync_LastSegmentNearFileNameLimit_RoundTrips()
    {
        // 240 characters: within every store's limits; a temp file named after it would not be.
        string path = "long/" + new string('n', 240);

        await Store.WriteAsync(path, "x"u8.ToArray(), BlobCondition.IfNotExists);

        Assert.Equal("x"u8.ToArray(), (await Store.ReadAsync(path))!.Data.ToArray());
        Assert.Equal([path], (await ToListAsync(Store.ListAsync("long/"))).Select(p => p.Path));
    }

    [Fact]
    public async Task GetPropertiesAsync_ExistingBlob_ReturnsLengthAndETagOfLastWrite()
    {
        await Store.WriteAsync("p.bin", new byte[10]);
        var last = await Store.WriteAsync("p.bin", new byte[42]);

        var properties = await Store.GetPropertiesAsync("p.bin");

        Assert.NotNull(properties);
        Assert.Equal("p.bin", properties.Path);
        Assert.Equal(42, properties.Length);
        Assert.Equal(last.ETag, properties.ETag);
    }

    [Fact]
    public async Task NotFound_EachOperation_BehavesAsContracted()
    {
        Assert.Null(await Store.ReadAsync("missing/blob.bin"));
        Assert.Null(await Store.GetPropertiesAsync("missing/blob.bin"));
        Assert.False(await Store.DeleteAsync("missing/blob.bin"));
        var e = await Assert.ThrowsAsync<BlobNotFoundException>(() => Store.OpenReadAsync("missing/blob.bin"));
        Assert.Equal("missing/blob.bin", e.Path);
        Assert.Contains("missing/blob.bin", e.Message);
        Assert.Empty(await ToListAsync(Store.ListAsync("missing/")));
    }

    [Fact]
    public async Task DeleteAsync_ExistingBlob_RemovesItAndReturnsTrue()
    {
        await Store.WriteAsync("d/keep.txt", "k"u8.ToArray());
        await Store.WriteAsync("d/drop.txt", "d"u8.ToArray());

        Assert.True(await Store.DeleteAsync("d/drop.txt"));

        Assert.Null(await Store.ReadAsync("d/drop.txt"));
        Assert.False(await Store.DeleteAsync("d/drop.txt"));
        Assert.Equal(["d/keep.txt"], (await ToListAsync(Store.ListAsync("d/"))).Select(p => p.Path));
    }

    [Fact]
    public async Task ListAsync_ByPrefix_ReturnsMatchesInOrdinalOrder()
    {
        string[] paths = ["a/b/2", "a/bc", "b/1", "a/b/10", "A/z", "a/b-x", "a/c/x", "a/b/1", "ab"];
        foreach (var path in paths) await Store.WriteAsync(path, Encoding.UTF8.GetBytes(path));

        async Task<string[]> List(string prefix) => (await ToListAsync(Store.ListAsync(prefix))).Select(p => p.Path).ToArray();

        Assert.Equal(paths.Order(StringComparer.Ordinal), await List(""));
        // A prefix is a string prefix, not a folder: it matches partial segment names too.
        Assert.Equal(["a/b-x", "a/b/1", "a/b/10", "a/b/2", "a/bc"], await List("a/b"));
        Assert.Equal(["a/b/1", "a/b/10", "a/b/2"], await List("a/b/"));
        Assert.Equal(["a/b/1", "a/b/10"], await List("a/b/1"));
        Assert.Equal(["a/b-x", "a/b/1", "a/b/10", "a/b/2", "a/bc", "a/c/x", "ab"], await List("a"));
        Assert.Equal(["a/c/x"], await List("a/c/x"));
        Assert.Empty(await List("zz"));
    }

    [Fact]
    public async Task ListAsync_Entries_CarryLengthAndETag()
    {
        var written = await Store.WriteAsync("l/one.bin", new byte[123]);

        var listed = Assert.Single(await ToListAsync(Store.ListAsync("l/")));

        Assert.Equal(123, listed.Length);
        Assert.Equal(written.ETag, listed.ETag);
    }

    [Fact]
    public async Task OpenReadAsync_SeekAndRead_ReturnsBytesAtEveryPosition()
    {
        // Long enough to span several read blocks of the Azure stream.
        var data = TestData.Bytes((9 << 20) + 321, seed: 11);
        await Store.WriteAsync("seek.bin", data);

        await using var stream = await Store.OpenReadAsync("seek.bin");

        Assert.True(stream.CanSeek);
        Assert.Equal(data.Length, stream.Length);
        foreach (long position in new long[] { data.Length - 100, 0, (4 << 20) - 10, 5_000_000, 17, (8 << 20) - 1 })
        {
            stream.Seek(position, SeekOrigin.Begin);
            var buffer = new byte[100];
            await stream.ReadExactlyAsync(buffer);
            Assert.Equal(data.AsSpan((int)position, 100).ToArray(), buffer);
            Assert.Equal(position + 100, stream.Position);
        }

        stream.Seek(-10, SeekOrigin.End);
        var tail = new byte[64];
        int n = stream.Read(tail, 0, tail.Length);
        Assert.Equal(10, n);
        Assert.Equal(data[^10..], tail[..10]);
        Assert.Equal(0, await stream.ReadAsync(tail));

        stream.Position = 3;
        stream.Seek(2, SeekOrigin.Current);
        Assert.Equal(data[5], (byte)stream.ReadByte());
    }

    public static TheoryData<string> InvalidPaths => new()
    {
        "../x",
        "a/../../x",
        "/abs",
        "a//b",
        "a\\b",
        "a\u0001b",
        "line\nbreak",
        "trailing/",
        "a/./b",
        "..",
        "",
    };

    [Theory]
    [MemberData(nameof(InvalidPaths))]
    public async Task EveryOperation_InvalidPath_ThrowsArgumentExceptionNamingThePath(string path)
    {
        string shown = string.Concat(path.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));

        var errors = new List<ArgumentException>
        {
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.WriteAsync(path, "x"u8.ToArray())),
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.WriteAsync(path, "x"u8.ToArray(), BlobCondition.IfNotExists)),
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.ReadAsync(path)),
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.GetPropertiesAsync(path)),
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.OpenReadAsync(path)),
            await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.DeleteAsync(path)),
        };

        Assert.All(errors, e => Assert.Contains($"'{shown}'", e.Message));
        Assert.Empty(await ToListAsync(Store.ListAsync("")));
    }

    [Theory]
    [InlineData("../")]
    [InlineData("/a")]
    [InlineData("a//")]
    [InlineData("a\\b")]
    [InlineData("a/../b")]
    public async Task ListAsync_InvalidPrefix_ThrowsArgumentExceptionNamingIt(string prefix)
    {
        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => ToListAsync(Store.ListAsync(prefix)));

        Assert.Contains($"'{prefix}'", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1000)]
    [InlineData((12 << 20) + 12_345)]
    public async Task PublishFileAsync_NewPath_BlobHoldsTheFileBytesAndTheFileIsGone(int length)
    {
        var data = TestData.Bytes(length, seed: length);
        string file = LocalFile(data);

        var published = await Store.PublishFileAsync("published/shard.parquet", file, BlobCondition.None);

        Assert.False(File.Exists(file));
        Assert.Equal(length, published.Length);
        Assert.Equal("published/shard.parquet", published.Path);
        await using var stream = await Store.OpenReadAsync("published/shard.parquet");
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy, 1 << 20);
        Assert.Equal(SHA256.HashData(data), SHA256.HashData(copy.ToArray()));
        Assert.Equal(published.ETag, (await Store.GetPropertiesAsync("published/shard.parquet"))!.ETag);
    }

    [Fact]
    public async Task PublishFileAsync_ExistingPathWithoutCondition_ReplacesWithANewETag()
    {
        var first = await Store.WriteAsync("retry.parquet", "first attempt"u8.ToArray());

        var second = await Store.PublishFileAsync("retry.parquet", LocalFile("second attempt"u8.ToArray()), BlobCondition.None);

        Assert.NotEqual(first.ETag, second.ETag);
        var read = await Store.ReadAsync("retry.parquet");
        Assert.Equal("second attempt"u8.ToArray(), read!.Data.ToArray());
        Assert.Equal(second.ETag, read.Properties.ETag);
    }

    [Fact]
    public async Task PublishFileAsync_IfNotExistsOnNewPath_Creates()
    {
        var published = await Store.PublishFileAsync("new.parquet", LocalFile("new"u8.ToArray()), BlobCondition.IfNotExists);

        var read = await Store.ReadAsync("new.parquet");
        Assert.Equal("new"u8.ToArray(), read!.Data.ToArray());
        Assert.Equal(published.ETag, read.Properties.ETag);
    }

    [Fact]
    public async Task PublishFileAsync_IfNotExistsOnExistingPath_ThrowsConditionFailedAndKeepsContent()
    {
        var original = await Store.WriteAsync("once.parquet", "original"u8.ToArray());

        var e = await Assert.ThrowsAsync<BlobConditionFailedException>(
            () => Store.PublishFileAsync("once.parquet", LocalFile("intruder"u8.ToArray()), BlobCondition.IfNotExists));

        Assert.Equal("once.parquet", e.Path);
        Assert.Equal(BlobConditionKind.IfNotExists, e.Condition.Kind);
        var read = await Store.ReadAsync("once.parquet");
        Assert.Equal("original"u8.ToArray(), read!.Data.ToArray());
        Assert.Equal(original.ETag, read.Properties.ETag);
    }

    [Fact]
    public async Task PublishFileAsync_IfMatchCurrentETag_Replaces_AndStaleETagThrowsKeepingContent()
    {
        var v1 = await Store.WriteAsync("cas.parquet", "v1"u8.ToArray());

        var v2 = await Store.PublishFileAsync("cas.parquet", LocalFile("v2"u8.ToArray()), BlobCondition.IfMatch(v1.ETag));
        var e = await Assert.ThrowsAsync<BlobConditionFailedException>(
            () => Store.PublishFileAsync("cas.parquet", LocalFile("v3"u8.ToArray()), BlobCondition.IfMatch(v1.ETag)));

        Assert.NotEqual(v1.ETag, v2.ETag);
        Assert.Equal(v1.ETag, e.Condition.ETag);
        var read = await Store.ReadAsync("cas.parquet");
        Assert.Equal("v2"u8.ToArray(), read!.Data.ToArray());
        Assert.Equal(v2.ETag, read.Properties.ETag);
    }

    [Fact]
    public async Task PublishFileAsync_MissingLocalFile_ThrowsFileNotFoundAndCreatesNothing()
    {
        string missing = Path.Combine(LocalFolder, "never-written.parquet");

        await Assert.ThrowsAsync<FileNotFoundException>(() => Store.PublishFileAsync("missing.parquet", missing, BlobCondition.None));

        Assert.Null(await Store.GetPropertiesAsync("missing.parquet"));
        Assert.Empty(await ToListAsync(Store.ListAsync("")));
    }

    [Theory]
    [MemberData(nameof(InvalidPaths))]
    public async Task PublishFileAsync_InvalidPath_ThrowsArgumentExceptionNamingThePathAndKeepsTheFile(string path)
    {
        string shown = string.Concat(path.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        string file = LocalFile("x"u8.ToArray());

        var e = await Assert.ThrowsAnyAsync<ArgumentException>(() => Store.PublishFileAsync(path, file, BlobCondition.None));

        Assert.Contains($"'{shown}'", e.Message);
        Assert.True(File.Exists(file));
        Assert.Empty(await ToListAsync(Store.ListAsync("")));
    }

    /// <summary>A local folder for files to publish, outside the store, deleted with it.</summary>
    private string LocalFolder => _localFolder ??= Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"ram-publish-{Guid.NewGuid():N}")).FullName;

    /// <summary>Writes <paramref name="data"/> to a new file in <see cref="LocalFolder"/> and returns its path.</summary>
    private string LocalFile(byte[] data)
    {
        string file = Path.Combine(LocalFolder, $"{Guid.NewGuid():N}.parquet.tmp");
        File.WriteAllBytes(file, data);
        return file;
    }

    protected static async Task<List<BlobProperties>> ToListAsync(IAsyncEnumerable<BlobProperties> items)
    {
        var list = new List<BlobProperties>();
        await foreach (var item in items) list.Add(item);
        return list;
    }

    /// <summary>Starts <paramref name="count"/> writers as close together as the scheduler allows and collects each outcome.</summary>
    private static async Task<(int Index, BlobProperties? Written, Exception? Error)[]> RaceAsync(int count, Func<int, Task<BlobProperties>> write)
    {
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, count).Select(i => Task.Run(async () =>
        {
            await go.Task;
            try
            {
                return (i, (BlobProperties?)await write(i), (Exception?)null);
            }
            catch (Exception e)
            {
                return (i, null, e);
            }
        })).ToArray();
        go.SetResult();
        return await Task.WhenAll(tasks);
    }
}

/// <summary>Test inputs.</summary>
internal static class TestData
{
    /// <summary>Deterministic pseudo-random bytes (incompressible, so sizes mean what they say).</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}

/// <summary>Hides seeking, as a network or pipe source would.</summary>
internal sealed class NonSeekableStream(Stream inner) : Stream
{
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        => inner.ReadAsync(buffer, cancellationToken);

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing) inner.Dispose();
        base.Dispose(disposing);
    }
}
