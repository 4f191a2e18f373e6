using System.Globalization;
using System.Runtime.CompilerServices;
using Parquet.Schema;
using RamDataEngine.Storage;

namespace RamDataEngine.Datasets.Shards;

/// <summary>
/// Streams a shard file from a blob store one row group at a time as columnar batches, never holding more than one
/// row group's rows. Opening verifies the file's SHA-256 (when given) before any row is handed out, and checks that
/// the file is whole Parquet of the expected kind with every column the kind requires.
/// </summary>
/// <remarks>Errors in the file's bytes are <see cref="InvalidDataException"/>s (a <see cref="ShardChecksumException"/> for a
/// checksum mismatch) naming the store and path: a caller can quarantine the shard with that message as the reason.</remarks>
public sealed class ShardReader<TBatch> : IAsyncDisposable
    where TBatch : ShardBatch, new()
{
    private readonly ShardFileOpener _file;
    private readonly ColumnReadContext _columns;
    private readonly ShardKind _kind;

    private readonly string[] _columnNames;

    private ShardReader(ShardFileOpener file, ShardSchema schema, IReadOnlyDictionary<DataField, DataField> fields)
    {
        _file = file;
        _kind = schema.Kind;
        _columnNames = schema.Parquet.Fields.Select(f => f.Name).ToArray();
        _columns = new ColumnReadContext(fields);
    }

    public string Path => _file.Path;

    /// <summary>Rows in the whole file.</summary>
    public long RowCount => _file.RowCount;

    public int RowGroupCount => _file.Parquet.RowGroupCount;

    /// <summary>The file's key-value metadata: kind, schema version, provenance, and for features the dimension and encoder.</summary>
    public IReadOnlyDictionary<string, string> Metadata => _file.Metadata;

    /// <summary>The provenance recorded in <see cref="Metadata"/>.</summary>
    public ShardProvenance Provenance => ShardProvenance.FromMetadata(_file.Metadata);

    /// <summary>Opens the shard file at <paramref name="path"/>.</summary>
    /// <param name="expectedSha256">The SHA-256 (hex) the manifest recorded; when given, the whole file is hashed first.</param>
    /// <exception cref="BlobNotFoundException">There is no such blob.</exception>
    /// <exception cref="ShardChecksumException">The file's SHA-256 differs from <paramref name="expectedSha256"/>.</exception>
    /// <exception cref="InvalidDataException">The file is truncated, not Parquet, of another kind, or lacks a required column.</exception>
    public static async Task<ShardReader<TBatch>> OpenAsync(IBlobStore store, string path, string? expectedSha256 = null, CancellationToken cancellationToken = default)
    {
        var file = await ShardFileOpener.OpenAsync(store, path, expectedSha256, cancellationToken).ConfigureAwait(false);
        try
        {
            var schema = new TBatch().Schema;
            if (file.Metadata.TryGetValue(ShardMetadataKeys.Kind, out var kindName) && kindName != schema.Kind.ToName())
            {
                throw ShardFileOpener.Corrupt(store, path, $"is a '{kindName}' shard file, not '{schema.Kind.ToName()}'");
            }

            if (file.Metadata.TryGetValue(ShardMetadataKeys.SchemaVersion, out var versionText)
                && (!int.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out int version) || version > schema.Version))
            {
                throw ShardFileOpener.Corrupt(store, path, $"has {schema.Kind.ToName()} schema version '{versionText}'; this reader knows versions up to {schema.Version}");
            }

            var fields = new Dictionary<DataField, DataField>(ReferenceEqualityComparer.Instance);
            foreach (var expected in schema.Fields) fields[expected] = file.Resolve(expected, schema.Kind);
            return new ShardReader<TBatch>(file, schema, fields);
        }
        catch
        {
            await file.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The file's top-level column names, in schema order (what <c>columns</c> arguments may name).</summary>
    public IReadOnlyList<string> ColumnNames => _columnNames;

    /// <summary>Yields one batch per row group, in file order.</summary>
    /// <param name="reuseBatch">When true, every batch yielded is the same instance refilled: no allocation per row group,
    /// but a batch is only valid until the next one is requested.</param>
    /// <param name="columns">Top-level columns to read (e.g. only <c>captions</c> of a base shard, skipping the image
    /// bytes); null for all. <c>id</c> is always read; the others hold defaults (0, false, null, empty lists).</param>
    public async IAsyncEnumerable<TBatch> ReadBatchesAsync(
        bool reuseBatch = false, IReadOnlyCollection<string>? columns = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var selected = Select(columns);
        TBatch? reused = null;
        for (int i = 0; i < RowGroupCount; i++)
        {
            var batch = reuseBatch ? reused ??= new TBatch() : new TBatch();
            await ReadRowGroupCoreAsync(i, batch, selected, cancellationToken).ConfigureAwait(false);
            yield return batch;
        }
    }

    /// <summary>Reads row group <paramref name="index"/> into <paramref name="into"/> (cleared first) or a new batch.</summary>
    /// <param name="columns">As for <see cref="ReadBatchesAsync"/>.</param>
    public ValueTask<TBatch> ReadRowGroupAsync(int index, TBatch? into = null, IReadOnlyCollection<string>? columns = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, RowGroupCount);
        return ReadRowGroupCoreAsync(index, into ?? new TBatch(), Select(columns), cancellationToken);
    }

    private IReadOnlySet<string>? Select(IReadOnlyCollection<string>? columns)
    {
        if (columns is null) return null;
        var selected = new HashSet<string>(StringComparer.Ordinal);
        foreach (var column in columns)
        {
            if (!_columnNames.Contains(column))
            {
                throw new ArgumentException($"A {_kind.ToName()} shard has no column '{column}'; its columns are {string.Join(", ", _columnNames)}.", nameof(columns));
            }

            selected.Add(column);
        }

        return selected;
    }

    private async ValueTask<TBatch> ReadRowGroupCoreAsync(int index, TBatch batch, IReadOnlySet<string>? columns, CancellationToken cancellationToken)
    {
        batch.Clear();
        batch.Configure(_file.Metadata);
        var group = _file.Parquet.OpenRowGroupReader(index);
        if (group.RowCount < 0 || group.RowCount > Array.MaxLength)
        {
            throw ShardFileOpener.Corrupt(_file.Store, Path, $"claims {group.RowCount} rows in row group {index}");
        }

        _columns.Group = group;
        _columns.Columns = columns;
        _columns.CancellationToken = cancellationToken;
        try
        {
            await batch.ReadAsync(_columns, (int)group.RowCount).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            batch.Clear();
            throw ShardFileOpener.Corrupt(_file.Store, Path, $"could not be read at row group {index}, column '{_columns.CurrentColumn}': {e.Message}", e);
        }

        return batch;
    }

    public async ValueTask DisposeAsync()
    {
        _columns.Dispose();
        await _file.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>Shard-file operations that do not depend on the kind: the id column alone, and checksums.</summary>
public static class ShardFiles
{
    private static readonly DataField IdField = new DataField<long>("id");
    private static readonly ParquetSchema IdSchema = new(IdField);

    /// <summary>
    /// Reads only the <c>id</c> column of any shard file, in row order (for reconciling id sets): the other columns'
    /// bytes are not read unless <paramref name="expectedSha256"/> is given, which hashes the whole file first.
    /// </summary>
    public static async Task<long[]> ReadIdsAsync(IBlobStore store, string path, string? expectedSha256 = null, CancellationToken cancellationToken = default)
    {
        await using var file = await ShardFileOpener.OpenAsync(store, path, expectedSha256, cancellationToken).ConfigureAwait(false);
        var field = file.Resolve(IdSchema.DataFields[0], ShardKind.Base);
        if (file.RowCount < 0 || file.RowCount > Array.MaxLength) throw ShardFileOpener.Corrupt(store, path, $"claims {file.RowCount} rows");
        var ids = new long[file.RowCount];
        int offset = 0;
        for (int i = 0; i < file.Parquet.RowGroupCount; i++)
        {
            var group = file.Parquet.OpenRowGroupReader(i);
            if (group.RowCount < 0 || offset + group.RowCount > ids.Length)
            {
                throw ShardFileOpener.Corrupt(store, path, $"has row groups holding more rows than the {ids.Length} its footer declares");
            }

            try
            {
                await group.ReadRawAsync(field, ids.AsMemory(offset, (int)group.RowCount), null, null, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw ShardFileOpener.Corrupt(store, path, $"could not be read at row group {i}, column 'id': {e.Message}", e);
            }

            offset += (int)group.RowCount;
        }

        if (offset != ids.Length) throw ShardFileOpener.Corrupt(store, path, $"has {offset} rows in its row groups but declares {ids.Length}");
        return ids;
    }

    /// <summary>
    /// Whether <paramref name="exception"/> says a shard file's bytes are bad (checksum mismatch, truncated, not Parquet,
    /// wrong kind, missing or mistyped column, undecodable data): the shard is to be quarantined with its message, not retried.
    /// </summary>
    public static bool IsDamagedFile(Exception exception) => exception is ShardChecksumException or InvalidDataException;

    /// <summary>The SHA-256 (lowercase hex) of a blob, read as a stream.</summary>
    public static async Task<string> ComputeSha256Async(IBlobStore store, string path, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        await using var stream = await store.OpenReadAsync(path, cancellationToken).ConfigureAwait(false);
        return await ShardFileOpener.Sha256Async(stream, cancellationToken).ConfigureAwait(false);
    }
}
