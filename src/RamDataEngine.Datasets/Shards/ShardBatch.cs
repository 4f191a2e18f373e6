using Parquet;
using Parquet.Schema;

namespace RamDataEngine.Datasets.Shards;

/// <summary>
/// Rows of one shard file held column by column (an array per column; lists flat with offsets), the unit the shard
/// writer takes and the shard reader hands out. Build one with the concrete batch's <c>Add</c>; reuse it with <see cref="Clear"/>.
/// </summary>
/// <remarks>Only this assembly can derive from it: the concrete batches are the shard schemas of the dataset layout.</remarks>
public abstract class ShardBatch
{
    private protected ShardBatch(int capacity) => IdColumn = new ColumnBuffer<long>(capacity);

    /// <summary>Which shard file this batch is rows of.</summary>
    public abstract ShardKind Kind { get; }

    /// <summary>Number of rows.</summary>
    public int Count => IdColumn.Count;

    /// <summary>The row ids, in row order.</summary>
    public ReadOnlySpan<long> Ids => IdColumn.Span;

    private protected ColumnBuffer<long> IdColumn { get; }

    internal abstract ShardSchema Schema { get; }

    /// <summary>Removes every row, keeping the buffers for the next batch.</summary>
    public void Clear()
    {
        IdColumn.Clear();
        ClearColumns();
    }

    private protected abstract void ClearColumns();

    /// <summary>Roughly how many bytes row <paramref name="row"/> adds to a row group before compression.</summary>
    internal abstract long EstimateRowBytes(int row);

    /// <summary>Copies rows <paramref name="start"/>.. of <paramref name="source"/> (a batch of the same kind) to the end of this one.</summary>
    internal abstract void AppendRows(ShardBatch source, int start, int count);

    /// <summary>Writes rows <paramref name="start"/>.. as the columns of one row group, in schema order.</summary>
    internal abstract Task WriteAsync(ColumnWriteContext writer, int start, int count);

    /// <summary>Replaces the content with the <paramref name="rows"/> rows of one row group.</summary>
    internal abstract ValueTask ReadAsync(ColumnReadContext reader, int rows);

    /// <summary>Throws <see cref="ArgumentException"/> when a file of this kind cannot be written with <paramref name="metadata"/>.</summary>
    internal virtual void RequireMetadata(IReadOnlyDictionary<string, string> metadata, string path)
    {
    }

    /// <summary>Throws <see cref="ArgumentException"/> when this batch does not fit a file with <paramref name="metadata"/>.</summary>
    internal virtual void CheckAgainst(IReadOnlyDictionary<string, string> metadata, string path)
    {
    }

    /// <summary>Takes what the rows' layout depends on (e.g. the embedding dimension) from a file being read.</summary>
    internal virtual void Configure(IReadOnlyDictionary<string, string> metadata)
    {
    }

    /// <summary>Throws when a column's row count disagrees with <see cref="Count"/>.</summary>
    internal void Validate()
    {
        if (CountColumns() is { } problem)
        {
            throw new InvalidOperationException($"{Kind.ToName()} batch is inconsistent: {problem} but the batch has {Count} rows.");
        }
    }

    /// <summary>Names a column whose row count differs from <see cref="Count"/>, or null.</summary>
    private protected abstract string? CountColumns();

    private protected static string? Check(string column, int rows, int expected) => rows == expected ? null : $"column '{column}' has {rows} rows";
}

/// <summary>The Parquet schema of one shard kind and the fields a reader needs.</summary>
internal sealed class ShardSchema
{
    public ShardSchema(ShardKind kind, int version, ParquetSchema parquet, IReadOnlyDictionary<string, EncodingHint>? encodingHints = null)
    {
        Kind = kind;
        Version = version;
        Parquet = parquet;
        Fields = parquet.GetDataFields();
        EncodingHints = encodingHints ?? new Dictionary<string, EncodingHint>();
    }

    public ShardKind Kind { get; }

    /// <summary>Bumped when the columns change; readers accept files of this version.</summary>
    public int Version { get; }

    public ParquetSchema Parquet { get; }

    public IReadOnlyList<DataField> Fields { get; }

    public IReadOnlyDictionary<string, EncodingHint> EncodingHints { get; }

    /// <summary>The element of a list column: a required value (lists hold no nulls), written as Parquet's standard three-level LIST.</summary>
    public static DataField Element<T>() => new DataField<T>("element", false);

    /// <summary>A list of lists of required values whose innermost element is <paramref name="element"/>.</summary>
    public static ListField NestedList(string name, DataField element) => new(name, new ListField("element", element));
}
