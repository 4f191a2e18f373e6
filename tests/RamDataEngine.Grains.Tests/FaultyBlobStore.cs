using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Tests;

/// <summary>Wraps a store and throws a transient <see cref="IOException"/> on a given share of calls.</summary>
public sealed class FaultyBlobStore(IBlobStore inner, double faultRate) : IBlobStore
{
    public string Location => inner.Location;

    public Task<BlobProperties?> GetPropertiesAsync(string path, CancellationToken cancellationToken = default)
    {
        Fault();
        return inner.GetPropertiesAsync(path, cancellationToken);
    }

    public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default)
    {
        Fault();
        return inner.OpenReadAsync(path, cancellationToken);
    }

    public async Task<BlobContent?> ReadAsync(string path, CancellationToken cancellationToken = default)
    {
        Fault();
        return await inner.ReadAsync(path, cancellationToken);
    }

    public async Task<BlobProperties> WriteAsync(string path, Stream content, BlobCondition condition, CancellationToken cancellationToken = default)
    {
        Fault();
        return await inner.WriteAsync(path, content, condition, cancellationToken);
    }

    public IAsyncEnumerable<BlobProperties> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        Fault();
        return inner.ListAsync(prefix, cancellationToken);
    }

    public async Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default)
    {
        Fault();
        return await inner.DeleteAsync(path, cancellationToken);
    }

    private void Fault()
    {
        if (Random.Shared.NextDouble() < faultRate) throw new IOException($"Injected transient storage fault in {inner.Location}.");
    }
}
