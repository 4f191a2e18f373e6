using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Storage.Tests;

/// <summary>
/// The blob store contract on a store that does not implement <see cref="IBlobStore.PublishFileAsync"/> itself, so that
/// the interface's default (stream the file through <see cref="IBlobStore.WriteAsync"/>, then delete it) is held to it.
/// </summary>
public sealed class DefaultPublishBlobStoreTests : BlobStoreContractTests
{
    private TempDirectory? _folder;

    protected override Task<IBlobStore> CreateStoreAsync()
    {
        _folder = new TempDirectory("ram-blobs");
        return Task.FromResult<IBlobStore>(new WriteOnlyThroughStreams(new LocalFolderBlobStore(_folder.Path)));
    }

    protected override Task DeleteStoreAsync()
    {
        _folder?.Dispose();
        return Task.CompletedTask;
    }

    /// <summary>Forwards every operation but <see cref="IBlobStore.PublishFileAsync"/>, which it leaves to the interface.</summary>
    private sealed class WriteOnlyThroughStreams(IBlobStore inner) : IBlobStore
    {
        public string Location => inner.Location;

        public Task<BlobProperties?> GetPropertiesAsync(string path, CancellationToken cancellationToken = default) => inner.GetPropertiesAsync(path, cancellationToken);

        public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default) => inner.OpenReadAsync(path, cancellationToken);

        public Task<BlobContent?> ReadAsync(string path, CancellationToken cancellationToken = default) => inner.ReadAsync(path, cancellationToken);

        public Task<BlobProperties> WriteAsync(string path, Stream content, BlobCondition condition, CancellationToken cancellationToken = default)
            => inner.WriteAsync(path, content, condition, cancellationToken);

        public IAsyncEnumerable<BlobProperties> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

        public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);
    }
}
