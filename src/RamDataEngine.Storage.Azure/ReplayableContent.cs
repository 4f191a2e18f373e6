using System.Buffers;
using System.Security.Cryptography;

namespace RamDataEngine.Storage.Azure;

/// <summary>
/// The bytes of one write, readable once per attempt, with their MD5. A seekable source is read in place (once to
/// hash, once per attempt); any other stream is copied first, to memory while small and to a temp file beyond that.
/// </summary>
internal sealed class ReplayableContent : IAsyncDisposable
{
    /// <summary>Content up to this size is buffered in memory; larger content spills to a temp file.</summary>
    internal const int MemoryLimit = 8 << 20;

    private const int BufferSize = 1 << 16;

    private readonly Stream _stream;
    private readonly long _start;
    private readonly bool _owned;

    private ReplayableContent(Stream stream, long start, long length, byte[] md5, bool owned)
        => (_stream, _start, Length, Md5, _owned) = (stream, start, length, md5, owned);

    public long Length { get; }

    public byte[] Md5 { get; }

    public static async Task<ReplayableContent> CreateAsync(Stream source, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            if (source.CanSeek)
            {
                long start = source.Position;
                int n;
                while ((n = await source.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                }

                long length = source.Position - start;
                return new ReplayableContent(source, start, length, hash.GetHashAndReset(), owned: false);
            }

            Stream copy = new MemoryStream();
            try
            {
                int n;
                while ((n = await source.ReadAsync(buffer.AsMemory(0, BufferSize), cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, n);
                    if (copy is MemoryStream memory && memory.Length + n > MemoryLimit)
                    {
                        copy = await SpillAsync(memory, cancellationToken).ConfigureAwait(false);
                    }

                    await copy.WriteAsync(buffer.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                }

                await copy.FlushAsync(cancellationToken).ConfigureAwait(false);
                return new ReplayableContent(copy, 0, copy.Length, hash.GetHashAndReset(), owned: true);
            }
            catch
            {
                await copy.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>The content from its first byte, for one attempt; the caller must not dispose it.</summary>
    public Stream Rewind()
    {
        _stream.Position = _start;
        return _stream;
    }

    public ValueTask DisposeAsync() => _owned ? _stream.DisposeAsync() : ValueTask.CompletedTask;

    private static async Task<Stream> SpillAsync(MemoryStream memory, CancellationToken cancellationToken)
    {
        var file = new FileStream(
            Path.Combine(Path.GetTempPath(), $"ram-blob-upload-{Guid.NewGuid():N}.tmp"),
            FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, BufferSize,
            FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        try
        {
            memory.Position = 0;
            await memory.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
            return file;
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
