using System.Text.Json;

namespace RamDataEngine.Storage;

/// <summary>Conveniences over <see cref="IBlobStore"/> used throughout: bytes and JSON in and out.</summary>
public static class BlobStoreExtensions
{
    /// <summary>Where a blob is for a person reading it: a file path in a local folder store, else the blob and its store.</summary>
    public static string Describe(this IBlobStore store, string path)
    {
        ArgumentNullException.ThrowIfNull(store);
        return store is LocalFolderBlobStore local
            ? System.IO.Path.Combine(local.Root, path.Replace('/', System.IO.Path.DirectorySeparatorChar))
            : $"'{path}' in {store.Location}";
    }

    public static async Task<byte[]> ReadAllBytesAsync(this IBlobStore store, string path, CancellationToken cancellationToken = default)
    {
        var content = await store.ReadAsync(path, cancellationToken).ConfigureAwait(false)
            ?? throw new BlobNotFoundException(store.Location, path);
        return content.Data.ToArray();
    }

    public static async Task<BlobProperties> WriteAsync(
        this IBlobStore store, string path, ReadOnlyMemory<byte> data, BlobCondition condition = default, CancellationToken cancellationToken = default)
    {
        using var stream = new ReadOnlyMemoryStream(data);
        return await store.WriteAsync(path, stream, condition, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes <paramref name="value"/> as UTF-8 JSON.</summary>
    public static Task<BlobProperties> WriteJsonAsync<T>(
        this IBlobStore store, string path, T value, JsonSerializerOptions options, BlobCondition condition = default, CancellationToken cancellationToken = default)
        => store.WriteAsync(path, JsonSerializer.SerializeToUtf8Bytes(value, options), condition, cancellationToken);

    /// <summary>Reads a JSON blob with its ETag, or null when absent. Malformed JSON is an error naming the blob.</summary>
    public static async Task<(T Value, BlobProperties Properties)?> ReadJsonAsync<T>(
        this IBlobStore store, string path, JsonSerializerOptions options, CancellationToken cancellationToken = default)
    {
        var content = await store.ReadAsync(path, cancellationToken).ConfigureAwait(false);
        if (content is null) return null;
        try
        {
            var value = JsonSerializer.Deserialize<T>(content.Data.Span, options)
                ?? throw new InvalidDataException($"Blob '{path}' in {store.Location} holds JSON null.");
            return (value, content.Properties);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Blob '{path}' in {store.Location} is not valid JSON: {e.Message}", e);
        }
    }

    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> data) : Stream
    {
        private int _position;

        public override bool CanRead => true;
        public override bool CanSeek => true;
        public override bool CanWrite => false;
        public override long Length => data.Length;

        public override long Position
        {
            get => _position;
            set => _position = (int)Math.Clamp(value, 0, data.Length);
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n = Math.Min(buffer.Length, data.Length - _position);
            data.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => data.Length + offset,
        };

        public override void Flush() { }
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
