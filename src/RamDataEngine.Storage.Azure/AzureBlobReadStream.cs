using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;

namespace RamDataEngine.Storage.Azure;

/// <summary>
/// A seekable read-only view of one version of a blob: fetches aligned blocks by ranged GETs pinned to the ETag
/// seen at open (If-Match), each through the store's retry policy, so a reader never mixes two versions.
/// </summary>
internal sealed class AzureBlobReadStream : Stream
{
    private readonly AzureBlobStore _store;
    private readonly BlobClient _blob;
    private readonly string _path;
    private readonly ETag _etag;
    private readonly int _blockSize;
    private byte[] _block = [];
    private long _blockStart = -1;
    private int _blockLength;
    private long _position;
    private bool _disposed;

    public AzureBlobReadStream(AzureBlobStore store, BlobClient blob, string path, long length, ETag etag, int blockSize)
        => (_store, _blob, _path, Length, _etag, _blockSize) = (store, blob, path, length, etag, blockSize);

    public override bool CanRead => !_disposed;
    public override bool CanSeek => !_disposed;
    public override bool CanWrite => false;
    public override long Length { get; }

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        if (target < 0) throw new IOException($"Cannot seek to {target}, before the start of blob '{_path}'.");
        return _position = target;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty || _position >= Length) return 0;
        if (!InBlock(_position)) LoadBlock(BlockStartOf(_position));
        return CopyFromBlock(buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
        => ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty || _position >= Length) return 0;
        if (!InBlock(_position)) await LoadBlockAsync(BlockStartOf(_position), cancellationToken).ConfigureAwait(false);
        return CopyFromBlock(buffer.Span);
    }

    public override void Flush() { }
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        _block = [];
        base.Dispose(disposing);
    }

    private bool InBlock(long position) => _blockStart >= 0 && position >= _blockStart && position < _blockStart + _blockLength;

    private long BlockStartOf(long position) => position / _blockSize * _blockSize;

    private int CopyFromBlock(Span<byte> destination)
    {
        int offset = (int)(_position - _blockStart);
        int n = Math.Min(destination.Length, _blockLength - offset);
        _block.AsSpan(offset, n).CopyTo(destination);
        _position += n;
        return n;
    }

    // The body is read inside the retried callback, so a connection dropped mid-body is retried like any other fault.
    private void LoadBlock(long start)
    {
        var (length, options) = Request(start);
        try
        {
            _store.Run("read range", _path, ct =>
            {
                using var response = _blob.DownloadStreaming(options, ct).Value;
                response.Content.ReadExactly(_block, 0, length);
                return true;
            }, CancellationToken.None);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            throw Changed(e);
        }

        (_blockStart, _blockLength) = (start, length);
    }

    private async ValueTask LoadBlockAsync(long start, CancellationToken cancellationToken)
    {
        var (length, options) = Request(start);
        try
        {
            await _store.RunAsync("read range", _path, async ct =>
            {
                using var response = (await _blob.DownloadStreamingAsync(options, ct).ConfigureAwait(false)).Value;
                await response.Content.ReadExactlyAsync(_block.AsMemory(0, length), ct).ConfigureAwait(false);
                return true;
            }, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 412)
        {
            throw Changed(e);
        }

        (_blockStart, _blockLength) = (start, length);
    }

    private (int Length, BlobDownloadOptions Options) Request(long start)
    {
        int length = (int)Math.Min(_blockSize, Length - start);
        if (_block.Length < length) _block = new byte[Math.Min(_blockSize, Length)];
        // The block is about to be overwritten: forget it so a failed load never serves stale bytes.
        _blockStart = -1;
        return (length, new BlobDownloadOptions
        {
            Range = new HttpRange(start, length),
            Conditions = new BlobRequestConditions { IfMatch = _etag },
        });
    }

    private IOException Changed(RequestFailedException e) => new(
        $"Blob '{_path}' in {_store.Location} was {(e.Status == 404 ? "deleted" : "replaced")} while a stream was reading it.", e);
}
