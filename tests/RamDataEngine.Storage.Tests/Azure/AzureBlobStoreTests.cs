using Azure.Storage.Blobs;
using RamDataEngine.Storage;
using RamDataEngine.Storage.Azure;
using RamDataEngine.Testing.Azurite;

namespace RamDataEngine.Storage.Tests.Azure;

/// <summary>The blob store contract on <see cref="AzureBlobStore"/> against Azurite, plus what is particular to Azure.</summary>
public sealed class AzureBlobStoreTests(AzuriteFixture azurite) : BlobStoreContractTests, IClassFixture<AzuriteFixture>
{
    private string _container = "";

    protected override async Task<IBlobStore> CreateStoreAsync()
    {
        _container = AzuriteFixture.UniqueName("contract");
        return await AzureBlobStore.CreateAsync(Options(_container));
    }

    protected override async Task DeleteStoreAsync()
    {
        if (_container.Length > 0) await new BlobContainerClient(azurite.ConnectionString, _container).DeleteIfExistsAsync();
    }

    [Fact]
    public async Task CreateAsync_MissingContainer_CreatesIt_AndExistingContainerIsReused()
    {
        string name = AzuriteFixture.UniqueName("create");
        var container = new BlobContainerClient(azurite.ConnectionString, name);
        Assert.False(await container.ExistsAsync());

        var first = await AzureBlobStore.CreateAsync(Options(name));
        await first.WriteAsync("kept.txt", "k"u8.ToArray());
        var second = await AzureBlobStore.CreateAsync(Options(name));

        Assert.True(await container.ExistsAsync());
        Assert.NotNull(await second.ReadAsync("kept.txt"));
        Assert.Equal(name, second.ContainerName);
        await container.DeleteAsync();
    }

    [Fact]
    public async Task Create_SendsNothing_UntilEnsureContainerAsyncCreatesTheContainer()
    {
        string name = AzuriteFixture.UniqueName("lazy");
        var container = new BlobContainerClient(azurite.ConnectionString, name);

        var store = AzureBlobStore.Create(Options(name));
        Assert.False(await container.ExistsAsync());
        await store.EnsureContainerAsync();
        await store.EnsureContainerAsync();

        Assert.True(await container.ExistsAsync());
        await container.DeleteAsync();
    }

    [Fact]
    public async Task WriteAsync_AnyBlob_StoresContentMd5OfTheBytes()
    {
        var data = TestData.Bytes(3000, seed: 5);

        await Store.WriteAsync("md5.bin", data);

        var properties = await new BlobContainerClient(azurite.ConnectionString, _container).GetBlobClient("md5.bin").GetPropertiesAsync();
        Assert.Equal(System.Security.Cryptography.MD5.HashData(data), properties.Value.ContentHash);
    }

    [Fact]
    public async Task OpenReadAsync_BlobReplacedWhileReading_ThrowsIOExceptionInsteadOfMixingVersions()
    {
        var options = Options(_container);
        options.ReadBlockSize = 4096;
        var store = await AzureBlobStore.CreateAsync(options);
        await store.WriteAsync("moving.bin", TestData.Bytes(10_000, seed: 1));
        await using var stream = await store.OpenReadAsync("moving.bin");
        var buffer = new byte[100];
        await stream.ReadExactlyAsync(buffer);

        await store.WriteAsync("moving.bin", TestData.Bytes(10_000, seed: 2));
        stream.Position = 9000;

        var e = await Assert.ThrowsAsync<IOException>(async () => await stream.ReadExactlyAsync(buffer));
        Assert.Contains("moving.bin", e.Message);
        Assert.Contains("replaced", e.Message);
    }

    [Fact]
    public void Location_ConnectionStringWithKey_NamesContainerWithoutSecrets()
    {
        var location = Store.Location;

        Assert.Contains(_container, location);
        Assert.DoesNotContain(AzuriteServer.AccountKey, location);
    }

    private AzureBlobStoreOptions Options(string container) => new()
    {
        ConnectionString = azurite.ConnectionString,
        ContainerName = container,
    };
}
