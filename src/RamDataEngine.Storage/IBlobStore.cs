namespace RamDataEngine.Storage;

/// <summary>A flat store of immutable-by-convention blobs addressed by '/'-separated paths, with conditional writes.</summary>
/// <remarks>
/// Every path is checked by <see cref="BlobPath.Validate"/>. Writes are all-or-nothing: a reader sees the old
/// content or the new, never a mix. Conditional writes are what the dataset head's compare-and-swap stands on.
/// </remarks>
public interface IBlobStore
{
    /// <summary>Where the blobs live, for messages: a folder or an account and container.</summary>
    string Location { get; }

    /// <summary>The blob's properties, or null when there is no blob at <paramref name="path"/>.</summary>
    Task<BlobProperties?> GetPropertiesAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Opens a seekable read stream. Throws <see cref="BlobNotFoundException"/> when absent.</summary>
    Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>Reads the whole blob and the ETag of exactly that content, or null when absent.</summary>
    Task<BlobContent?> ReadAsync(string path, CancellationToken cancellationToken = default);

    /// <summary>
    /// Writes <paramref name="content"/> (read from its current position) when <paramref name="condition"/> holds;
    /// throws <see cref="BlobConditionFailedException"/> when it does not.
    /// </summary>
    Task<BlobProperties> WriteAsync(string path, Stream content, BlobCondition condition, CancellationToken cancellationToken = default);

    /// <summary>
    /// Publishes the finished local file <paramref name="localFilePath"/> as the blob at <paramref name="path"/> when
    /// <paramref name="condition"/> holds (same all-or-nothing and condition rules as <see cref="WriteAsync"/>), taking the
    /// file over: on success it no longer exists at <paramref name="localFilePath"/>. On failure it may or may not still be
    /// there; the caller deletes it if it is. Throws <see cref="BlobConditionFailedException"/> when the condition does not hold.
    /// </summary>
    /// <remarks>
    /// For writers that stage a large file locally first (shard files): a store on the same file system moves the file
    /// into place instead of copying it. This default streams the file through <see cref="WriteAsync"/> and deletes it.
    /// </remarks>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="localFilePath"/>.</exception>
    async Task<BlobProperties> PublishFileAsync(string path, string localFilePath, BlobCondition condition, CancellationToken cancellationToken = default)
    {
        BlobPath.Validate(path);
        ArgumentException.ThrowIfNullOrEmpty(localFilePath);
        BlobProperties published;
        var file = new FileStream(localFilePath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using (file.ConfigureAwait(false))
        {
            published = await WriteAsync(path, file, condition, cancellationToken).ConfigureAwait(false);
        }

        File.Delete(localFilePath);
        return published;
    }

    /// <summary>Blobs whose paths start with <paramref name="prefix"/>, in ordinal path order.</summary>
    IAsyncEnumerable<BlobProperties> ListAsync(string prefix, CancellationToken cancellationToken = default);

    /// <summary>Deletes the blob; false when there was none.</summary>
    Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default);
}
