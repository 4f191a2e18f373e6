using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Storage.Tests;

/// <summary>The blob store contract on <see cref="LocalFolderBlobStore"/>, plus what is particular to files.</summary>
public sealed class LocalFolderBlobStoreTests : BlobStoreContractTests
{
    private TempDirectory? _folder;

    protected override Task<IBlobStore> CreateStoreAsync()
    {
        _folder = new TempDirectory("ram-blobs");
        return Task.FromResult<IBlobStore>(new LocalFolderBlobStore(_folder.Path));
    }

    protected override Task DeleteStoreAsync()
    {
        _folder?.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task WriteAsync_AnyCondition_LeavesNoTempOrLockFilesInListing()
    {
        await Store.WriteAsync("x/a.bin", new byte[3]);
        await Store.WriteAsync("x/b.bin", new byte[3], BlobCondition.IfNotExists);
        await Assert.ThrowsAsync<BlobConditionFailedException>(() => Store.WriteAsync("x/b.bin", new byte[3], BlobCondition.IfNotExists));

        var listed = await ToListAsync(Store.ListAsync(""));

        Assert.Equal(["x/a.bin", "x/b.bin"], listed.Select(p => p.Path));
        Assert.Equal(["a.bin", "b.bin"], Directory.GetFiles(_folder!.Combine("x")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task PublishFileAsync_AnyCondition_LeavesNoTempFilesInTheStoreOrStaging()
    {
        using var staging = new TempDirectory("ram-staging");
        string Stage(string name)
        {
            string file = staging.Combine(name);
            File.WriteAllBytes(file, new byte[3]);
            return file;
        }

        await Store.PublishFileAsync("x/a.bin", Stage("a"), BlobCondition.None);
        await Store.PublishFileAsync("x/b.bin", Stage("b"), BlobCondition.IfNotExists);
        await Assert.ThrowsAsync<BlobConditionFailedException>(() => Store.PublishFileAsync("x/b.bin", Stage("c"), BlobCondition.IfNotExists));

        Assert.Equal(["x/a.bin", "x/b.bin"], (await ToListAsync(Store.ListAsync(""))).Select(p => p.Path));
        Assert.Equal(["a.bin", "b.bin"], Directory.GetFiles(_folder!.Combine("x")).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        // The refused file was moved into the store's folder before the check, and removed there.
        Assert.Empty(Directory.GetFiles(staging.Path));
    }

    [Fact]
    public async Task WriteAsync_ClockStandingStill_StillGivesEveryVersionANewETag()
    {
        var frozen = new FrozenTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var store = new LocalFolderBlobStore(_folder!.Combine("frozen"), frozen);

        var v1 = await store.WriteAsync("h", "aaaa"u8.ToArray());
        var v2 = await store.WriteAsync("h", "bbbb"u8.ToArray(), BlobCondition.IfMatch(v1.ETag));
        var v3 = await store.WriteAsync("h", "cccc"u8.ToArray());

        Assert.Equal(3, new[] { v1.ETag, v2.ETag, v3.ETag }.Distinct().Count());
        await Assert.ThrowsAsync<BlobConditionFailedException>(() => store.WriteAsync("h", "dddd"u8.ToArray(), BlobCondition.IfMatch(v2.ETag)));
    }

    [Fact]
    public async Task WriteAsync_TwoStoresOnOneFolder_ConditionalWritesStillExclusive()
    {
        // Two instances stand in for two processes: they share only the folder and its lock file.
        var other = new LocalFolderBlobStore(((LocalFolderBlobStore)Store).Root);
        var v0 = await Store.WriteAsync("head", "v0"u8.ToArray());

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            var store = i % 2 == 0 ? Store : other;
            try
            {
                await store.WriteAsync("head", new[] { (byte)i }, BlobCondition.IfMatch(v0.ETag));
                return true;
            }
            catch (BlobConditionFailedException)
            {
                return false;
            }
        })));

        Assert.Single(results, won => won);
    }

    private sealed class FrozenTimeProvider(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
