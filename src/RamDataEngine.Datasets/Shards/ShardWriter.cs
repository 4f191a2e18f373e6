using Parquet;
using RamDataEngine.Storage;

namespace RamDataEngine.Datasets.Shards;

/// <summary>
/// Writes one shard file (base or layer) from columnar batches: rows are cut into row groups by row count and
/// estimated bytes, the file is staged in a local temp file while its SHA-256 is computed on the way, and
/// <see cref="CompleteAsync"/> hands that file to the blob store (<see cref="IBlobStore.PublishFileAsync"/>: a rename
/// for a local folder store on the same file system, no second copy). Memory stays bounded by one row group.
/// </summary>
/// <remarks>
/// Not thread-safe: one writer per shard task. Disposing without <see cref="CompleteAsync"/> publishes nothing.
/// Writing to a path that exists replaces it unless the caller passes a <see cref="BlobCondition"/>: a retried shard
/// overwrites its own unpublished file, and only the manifest decides what is committed.
/// </remarks>
public sealed class ShardWriter<TBatch> : IAsyncDisposable
    where TBatch : ShardBatch, new()
{
    private readonly IBlobStore _store;
    private readonly ShardWriterOptions _options;
    private readonly Dictionary<string, string> _metadata;
    private readonly FileStream _staging;
    private readonly string _stagingPath;
    private readonly HashingWriteStream _hashing;
    private readonly ColumnWriteContext _columns = new();
    private readonly TBatch _pending = new();
    private ParquetWriter? _parquet;
    private long _pendingBytes;
    private State _state;

    private ShardWriter(IBlobStore store, string path, ShardWriterOptions options, Dictionary<string, string> metadata, FileStream staging, string stagingPath)
    {
        _store = store;
        Path = path;
        _options = options;
        _metadata = metadata;
        _staging = staging;
        _stagingPath = stagingPath;
        _hashing = new HashingWriteStream(staging);
    }

    private enum State
    {
        Open,
        Completed,
        Failed,
        Disposed,
    }

    /// <summary>The blob path the file is published to.</summary>
    public string Path { get; }

    /// <summary>Rows written to row groups so far (rows still buffered for the next group are not counted).</summary>
    public long RowCount { get; private set; }

    public int RowGroupCount { get; private set; }

    /// <summary>The key-value metadata the file will carry, including the kind and schema version.</summary>
    public IReadOnlyDictionary<string, string> Metadata => _metadata;

    /// <summary>Starts a shard file at <paramref name="path"/> in <paramref name="store"/>.</summary>
    /// <param name="metadata">Key-value metadata for the file (provenance; see <see cref="ShardProvenance.ToMetadata"/>).
    /// Keys under <c>ram.shard.</c> are the writer's own.</param>
    public static async Task<ShardWriter<TBatch>> CreateAsync(
        IBlobStore store,
        string path,
        IReadOnlyDictionary<string, string>? metadata = null,
        ShardWriterOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        BlobPath.Validate(path);
        options ??= new ShardWriterOptions();
        options.Validate();

        var schema = new TBatch().Schema;
        var all = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
        {
            if (key.StartsWith("ram.shard.", StringComparison.Ordinal)) throw new ArgumentException($"Metadata key '{key}' is set by the shard writer itself.", nameof(metadata));
            all[key] = value ?? throw new ArgumentException($"Metadata key '{key}' has a null value.", nameof(metadata));
        }

        all[ShardMetadataKeys.Kind] = schema.Kind.ToName();
        all[ShardMetadataKeys.SchemaVersion] = schema.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        new TBatch().RequireMetadata(all, path);

        string folder = options.TempDirectory ?? System.IO.Path.GetTempPath();
        Directory.CreateDirectory(folder);
        string stagingPath = System.IO.Path.Combine(folder, $"ram-shard-{Guid.NewGuid():N}.parquet.tmp");
        // Not DeleteOnClose: CompleteAsync closes the file and hands it to the store, which may move it into place;
        // DisposeAsync deletes it if it is still here.
        var staging = new FileStream(stagingPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
        var writer = new ShardWriter<TBatch>(store, path, options, all, staging, stagingPath);
        try
        {
            var parquetOptions = new ParquetOptions { CompressionMethod = ToParquet(options.Compression) };
            foreach (var (column, hint) in schema.EncodingHints) parquetOptions.ColumnEncodingHints[column] = hint;
            writer._parquet = await ParquetWriter.CreateAsync(schema.Parquet, writer._hashing, parquetOptions, append: false, cancellationToken).ConfigureAwait(false);
            writer._parquet.CustomMetadata = all;
            return writer;
        }
        catch
        {
            await writer.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Adds the batch's rows. The batch can be cleared and reused once this returns.</summary>
    public async ValueTask WriteAsync(TBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfNotOpen();
        batch.Validate();
        batch.CheckAgainst(_metadata, Path);
        try
        {
            int maxRows = _options.RowGroupMaxRows;
            long maxBytes = _options.RowGroupMaxBytes;
            int position = 0;
            while (position < batch.Count)
            {
                if (_pending.Count == 0)
                {
                    int n = Fit(batch, position, maxRows, maxBytes, atLeastOne: true, out long bytes);
                    if (position + n < batch.Count || n == maxRows)
                    {
                        // A full group straight from the caller's batch: no copy.
                        await WriteRowGroupAsync(batch, position, n, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        _pending.AppendRows(batch, position, n);
                        _pendingBytes = bytes;
                    }

                    position += n;
                }
                else
                {
                    int n = Fit(batch, position, maxRows - _pending.Count, maxBytes - _pendingBytes, atLeastOne: false, out long bytes);
                    _pending.AppendRows(batch, position, n);
                    _pendingBytes += bytes;
                    position += n;
                    if (_pending.Count >= maxRows || position < batch.Count) await FlushPendingAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch
        {
            _state = State.Failed;
            throw;
        }
    }

    /// <summary>
    /// Writes the last row group and the footer, then publishes the file to the store under <paramref name="condition"/>.
    /// </summary>
    /// <exception cref="BlobConditionFailedException">The condition did not hold; nothing was published.</exception>
    public async Task<ShardFileInfo> CompleteAsync(BlobCondition condition = default, CancellationToken cancellationToken = default)
    {
        ThrowIfNotOpen();
        try
        {
            if (_pending.Count > 0) await FlushPendingAsync(cancellationToken).ConfigureAwait(false);
            await _parquet!.DisposeAsync().ConfigureAwait(false);
            _parquet = null;
            await _hashing.FlushAsync(cancellationToken).ConfigureAwait(false);
            long bytes = _hashing.BytesWritten;
            string sha256 = _hashing.FinishHash();

            await _staging.DisposeAsync().ConfigureAwait(false);
            var published = await _store.PublishFileAsync(Path, _stagingPath, condition, cancellationToken).ConfigureAwait(false);
            if (published.Length != bytes)
            {
                throw new IOException($"Shard file '{Path}' in {_store.Location} was published with {published.Length} bytes but {bytes} were written.");
            }

            _state = State.Completed;
            return new ShardFileInfo(Path, RowCount, bytes, sha256);
        }
        catch
        {
            _state = State.Failed;
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_state == State.Disposed) return;
        _state = State.Disposed;
        if (_parquet is not null)
        {
            try
            {
                await _parquet.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
            {
                // Abandoned file: its footer does not matter, the staging file is deleted below.
            }

            _parquet = null;
        }

        _columns.Dispose();
        await _hashing.DisposeAsync().ConfigureAwait(false);
        await _staging.DisposeAsync().ConfigureAwait(false);
        try
        {
            // Gone already when published; otherwise (abandoned, failed, refused by the store) it is ours to remove.
            File.Delete(_stagingPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A stray temp file is no reason to fail a dispose (which may be unwinding another error).
        }
    }

    private async Task FlushPendingAsync(CancellationToken cancellationToken)
    {
        await WriteRowGroupAsync(_pending, 0, _pending.Count, cancellationToken).ConfigureAwait(false);
        _pending.Clear();
        _pendingBytes = 0;
    }

    private async Task WriteRowGroupAsync(ShardBatch batch, int start, int count, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var group = _parquet!.CreateRowGroup();
        _columns.Group = group;
        _columns.CancellationToken = cancellationToken;
        await batch.WriteAsync(_columns, start, count).ConfigureAwait(false);
        group.CompleteValidate();
        RowCount += count;
        RowGroupCount++;
    }

    /// <summary>How many rows from <paramref name="start"/> fit in <paramref name="maxRows"/> and <paramref name="maxBytes"/>.</summary>
    private static int Fit(ShardBatch batch, int start, int maxRows, long maxBytes, bool atLeastOne, out long bytes)
    {
        bytes = 0;
        int end = (int)Math.Min(batch.Count, (long)start + maxRows);
        int row = start;
        for (; row < end; row++)
        {
            long size = batch.EstimateRowBytes(row);
            if (bytes + size > maxBytes && !(atLeastOne && row == start)) break;
            bytes += size;
        }

        return row - start;
    }

    private void ThrowIfNotOpen()
    {
        if (_state == State.Open) return;
        throw new InvalidOperationException(_state switch
        {
            State.Completed => $"Shard file '{Path}' was already completed.",
            State.Failed => $"Writing shard file '{Path}' failed earlier; start a new writer.",
            _ => $"The writer of shard file '{Path}' was disposed.",
        });
    }

    private static CompressionMethod ToParquet(ShardCompression compression) => compression switch
    {
        ShardCompression.None => CompressionMethod.None,
        ShardCompression.Snappy => CompressionMethod.Snappy,
        ShardCompression.Zstd => CompressionMethod.Zstd,
        ShardCompression.Gzip => CompressionMethod.Gzip,
        _ => throw new ArgumentOutOfRangeException(nameof(compression), compression, "Unknown compression."),
    };
}
