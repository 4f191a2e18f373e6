using System.Buffers.Binary;
using System.Security.Cryptography;
using Parquet;
using Parquet.Schema;
using RamDataEngine.Storage;

namespace RamDataEngine.Datasets.Shards;

/// <summary>
/// Opens a shard file from a blob store for reading: verifies the SHA-256 when one is expected, checks that the bytes
/// are a whole Parquet file (magic at both ends, a footer that fits), and reads the footer. Every problem with the
/// file's bytes becomes an <see cref="InvalidDataException"/> naming the store and path.
/// </summary>
internal sealed class ShardFileOpener : IAsyncDisposable
{
    private static readonly byte[] Magic = "PAR1"u8.ToArray();

    private ShardFileOpener(IBlobStore store, string path, Stream stream, ParquetReader parquet)
    {
        Store = store;
        Path = path;
        Stream = stream;
        Parquet = parquet;
        Schema = parquet.Schema;
        Metadata = new Dictionary<string, string>(parquet.CustomMetadata, StringComparer.Ordinal);
    }

    public IBlobStore Store { get; }

    public string Path { get; }

    public Stream Stream { get; }

    public ParquetReader Parquet { get; }

    public ParquetSchema Schema { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public long RowCount => Parquet.Metadata?.NumRows ?? 0;

    public static async Task<ShardFileOpener> OpenAsync(IBlobStore store, string path, string? expectedSha256, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        string? expected = expectedSha256 is null ? null : NormalizeSha256(expectedSha256);
        var stream = await store.OpenReadAsync(path, cancellationToken).ConfigureAwait(false);
        try
        {
            if (expected is not null)
            {
                string actual = await Sha256Async(stream, cancellationToken).ConfigureAwait(false);
                if (actual != expected) throw new ShardChecksumException(store.Location, path, expected, actual);
                stream.Position = 0;
            }

            await CheckFramingAsync(store, path, stream, cancellationToken).ConfigureAwait(false);
            ParquetReader parquet;
            try
            {
                parquet = await ParquetReader.CreateAsync(stream, new ParquetOptions(), leaveStreamOpen: true, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw Corrupt(store, path, $"has an unreadable Parquet footer ({e.Message})", e);
            }

            return new ShardFileOpener(store, path, stream, parquet);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The file's column at the same Parquet path as <paramref name="expected"/>, checked to have the same type and nesting.</summary>
    public DataField Resolve(DataField expected, ShardKind kind)
    {
        string path = expected.Path.ToString();
        string column = expected.Path.FirstPart ?? path;
        var found = Schema.GetDataFields().FirstOrDefault(f => f.Path.ToString() == path);
        if (found is null)
        {
            throw Corrupt(Store, Path, $"has no column '{column}' (Parquet path '{path}'), which a {kind.ToName()} shard requires");
        }

        if (Physical(found.ClrType) != Physical(expected.ClrType)
            || found.MaxRepetitionLevel != expected.MaxRepetitionLevel
            || found.MaxDefinitionLevel != expected.MaxDefinitionLevel)
        {
            throw Corrupt(Store, Path, $"has column '{column}' as {Describe(found)}, but a {kind.ToName()} shard needs {Describe(expected)}");
        }

        return found;
    }

    public static InvalidDataException Corrupt(IBlobStore store, string path, string what, Exception? inner = null)
        => new($"Shard file '{path}' in {store.Location} {what}.", inner);

    public static async Task<string> Sha256Async(Stream stream, CancellationToken cancellationToken)
        => Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));

    public static string NormalizeSha256(string sha256)
    {
        if (sha256.Length != 64 || !sha256.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException($"'{sha256}' is not a SHA-256 in hex (64 hex digits).", nameof(sha256));
        }

        return sha256.ToLowerInvariant();
    }

    private static async Task CheckFramingAsync(IBlobStore store, string path, Stream stream, CancellationToken cancellationToken)
    {
        long length = stream.Length;
        if (length < 12) throw Corrupt(store, path, $"is {length} bytes long, too short to be a Parquet file (empty or truncated)");

        var head = new byte[4];
        var tail = new byte[8];
        stream.Position = 0;
        await stream.ReadExactlyAsync(head, cancellationToken).ConfigureAwait(false);
        stream.Position = length - 8;
        await stream.ReadExactlyAsync(tail, cancellationToken).ConfigureAwait(false);
        stream.Position = 0;

        if (!head.AsSpan().SequenceEqual(Magic)) throw Corrupt(store, path, "does not start with the Parquet magic 'PAR1': it is not a Parquet file");
        if (!tail.AsSpan(4).SequenceEqual(Magic)) throw Corrupt(store, path, "does not end with the Parquet magic 'PAR1': it is truncated or not a Parquet file");
        int footer = BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (footer <= 0 || footer > length - 12)
        {
            throw Corrupt(store, path, $"declares a {footer}-byte footer, impossible in a {length}-byte file: it is truncated or corrupt");
        }
    }

    private static Type Physical(Type clr) =>
        clr == typeof(ReadOnlyMemory<char>) ? typeof(string) : clr == typeof(ReadOnlyMemory<byte>) ? typeof(byte[]) : clr;

    private static string Describe(DataField field)
    {
        string type = Physical(field.ClrType) switch
        {
            var t when t == typeof(string) => "string",
            var t when t == typeof(byte[]) => "binary",
            var t when t == typeof(long) => "int64",
            var t when t == typeof(int) => "int32",
            var t when t == typeof(float) => "float",
            var t when t == typeof(bool) => "bool",
            var t => t.Name,
        };
        string shape = field.MaxRepetitionLevel switch
        {
            0 => type,
            1 => $"list<{type}>",
            2 => $"list<list<{type}>>",
            var n => $"{n}-deep list of {type}",
        };
        return $"{shape} (definition level {field.MaxDefinitionLevel})";
    }

    public async ValueTask DisposeAsync()
    {
        await Parquet.DisposeAsync().ConfigureAwait(false);
        await Stream.DisposeAsync().ConfigureAwait(false);
    }
}
