using System.Buffers;
using System.Runtime.CompilerServices;
using Parquet;
using Parquet.Schema;

namespace RamDataEngine.Datasets.Shards;

/// <summary>
/// Reads one row group's columns through Parquet.Net's raw API straight into a batch's buffers, turning repetition and
/// definition levels back into list offsets (see <see cref="ColumnWriteContext"/> for the level scheme).
/// </summary>
internal sealed class ColumnReadContext : IDisposable
{
    private readonly IReadOnlyDictionary<DataField, DataField> _fileFields;
    private int[] _repetition = [];
    private int[] _definition = [];

    /// <param name="fileFields">Each expected field of the batch schema mapped to the same column of the file's schema.</param>
    public ColumnReadContext(IReadOnlyDictionary<DataField, DataField> fileFields) => _fileFields = fileFields;

    public ParquetRowGroupReader Group { get; set; } = null!;

    public CancellationToken CancellationToken { get; set; }

    /// <summary>The column being read, for error messages.</summary>
    public string? CurrentColumn { get; private set; }

    /// <summary>Top-level columns to read; null for all. Columns left out are filled with defaults (0, false, null, empty lists).</summary>
    public IReadOnlySet<string>? Columns { get; set; }

    public async ValueTask ReadAsync<T>(DataField expected, ColumnBuffer<T> destination, int rows)
        where T : struct
    {
        if (Skip(expected))
        {
            destination.Resize(rows).Span.Clear();
            return;
        }

        var field = Resolve(expected);
        RequireValueCount(field, rows);
        await Group.ReadRawAsync(field, destination.Resize(rows), null, null, CancellationToken).ConfigureAwait(false);
    }

    public async ValueTask ReadNullableAsync<T>(DataField expected, ColumnBuffer<T?> destination, int rows)
        where T : struct
    {
        if (Skip(expected))
        {
            destination.Resize(rows).Span.Clear();
            return;
        }

        var field = Resolve(expected);
        RequireValueCount(field, rows);
        EnsureLevels(rows);
        var scratch = ArrayPool<T>.Shared.Rent(rows);
        try
        {
            await Group.ReadRawAsync(field, scratch.AsMemory(0, rows), _definition.AsMemory(0, rows), null, CancellationToken).ConfigureAwait(false);
            Expand(scratch, _definition.AsSpan(0, rows), field.MaxDefinitionLevel, destination.Resize(rows).Span);
        }
        finally
        {
            ArrayPool<T>.Shared.Return(scratch, RuntimeHelpers.IsReferenceOrContainsReferences<T>());
        }
    }

    public async ValueTask ReadListAsync<T>(DataField expected, ListColumn<T> destination, int rows)
        where T : struct
    {
        if (Skip(expected))
        {
            destination.Clear();
            destination.RawOffsets.Resize(rows + 1).Span.Clear();
            return;
        }

        var field = Resolve(expected);
        int levels = ValueCount(field);
        EnsureLevels(levels);
        await Group.ReadRawAsync(field, destination.ResizeValues(levels), _definition.AsMemory(0, levels), _repetition.AsMemory(0, levels), CancellationToken)
            .ConfigureAwait(false);
        int values = DecodeList(field, levels, destination.RawOffsets, rows);
        destination.ResizeValues(values);
    }

    public async ValueTask ReadNestedListAsync<T>(DataField expected, NestedListColumn<T> destination, int rows)
        where T : struct
    {
        if (Skip(expected))
        {
            destination.Clear();
            destination.RawRowOffsets.Resize(rows + 1).Span.Clear();
            return;
        }

        var field = Resolve(expected);
        int levels = ValueCount(field);
        EnsureLevels(levels);
        await Group.ReadRawAsync(field, destination.RawValues.Resize(levels), _definition.AsMemory(0, levels), _repetition.AsMemory(0, levels), CancellationToken)
            .ConfigureAwait(false);
        int values = DecodeNestedList(field, levels, destination.RawListOffsets, destination.RawRowOffsets, rows);
        destination.RawValues.Resize(values);
    }

    /// <summary>Whether the top-level column <paramref name="column"/> is read (not left at defaults).</summary>
    public bool IsRead(string column) => Columns is null || column == "id" || Columns.Contains(column);

    // The id column is always read: a batch without ids cannot be aligned with anything.
    private bool Skip(DataField expected)
        => Columns is not null && expected.Path.FirstPart is { } column && column != "id" && !Columns.Contains(column);

    private DataField Resolve(DataField expected)
    {
        CurrentColumn = expected.Path.ToString();
        return _fileFields.TryGetValue(expected, out var field)
            ? field
            : throw new InvalidOperationException($"Column '{CurrentColumn}' was not resolved against the file schema.");
    }

    private int ValueCount(DataField field)
    {
        long count = Group.GetMetadata(field)?.MetaData?.NumValues
            ?? throw new InvalidDataException($"row group has no chunk for column '{CurrentColumn}'");
        if (count < 0 || count > Array.MaxLength) throw new InvalidDataException($"column '{CurrentColumn}' claims {count} values");
        return (int)count;
    }

    private void RequireValueCount(DataField field, int rows)
    {
        int count = ValueCount(field);
        if (count != rows) throw new InvalidDataException($"column '{CurrentColumn}' has {count} values but the row group has {rows} rows");
    }

    private static void Expand<T>(ReadOnlySpan<T> dense, ReadOnlySpan<int> definition, int defined, Span<T?> destination)
        where T : struct
    {
        int k = 0;
        for (int i = 0; i < destination.Length; i++) destination[i] = definition[i] == defined ? dense[k++] : null;
    }

    private int DecodeList(DataField field, int levels, ColumnBuffer<int> offsets, int rows)
    {
        var rep = _repetition.AsSpan(0, levels);
        var def = _definition.AsSpan(0, levels);
        int valueLevel = field.MaxDefinitionLevel;
        offsets.Clear();
        offsets.EnsureCapacity(rows + 1);
        int values = 0;
        for (int i = 0; i < levels; i++)
        {
            // A null list (definition 0) is read as empty: this project never writes one.
            if (rep[i] == 0) offsets.Add(values);
            if (def[i] == valueLevel) values++;
        }

        offsets.Add(values);
        RequireRows(offsets.Count - 1, rows);
        return values;
    }

    private int DecodeNestedList(DataField field, int levels, ColumnBuffer<int> listOffsets, ColumnBuffer<int> rowOffsets, int rows)
    {
        var rep = _repetition.AsSpan(0, levels);
        var def = _definition.AsSpan(0, levels);
        int valueLevel = field.MaxDefinitionLevel;
        int innerSlot = valueLevel - 2;
        listOffsets.Clear();
        rowOffsets.Clear();
        rowOffsets.EnsureCapacity(rows + 1);
        int values = 0, lists = 0;
        for (int i = 0; i < levels; i++)
        {
            if (rep[i] == 0) rowOffsets.Add(lists);
            // Repetition 0 or 1 with the inner list's slot defined starts an inner list (a null one is read as empty).
            if (rep[i] <= 1 && def[i] >= innerSlot)
            {
                listOffsets.Add(values);
                lists++;
            }

            if (def[i] == valueLevel) values++;
        }

        listOffsets.Add(values);
        rowOffsets.Add(lists);
        RequireRows(rowOffsets.Count - 1, rows);
        return values;
    }

    private void RequireRows(int decoded, int rows)
    {
        if (decoded != rows) throw new InvalidDataException($"column '{CurrentColumn}' holds {decoded} rows but the row group has {rows}");
    }

    private void EnsureLevels(int count)
    {
        if (_repetition.Length >= count) return;
        Return();
        _repetition = ArrayPool<int>.Shared.Rent(count);
        _definition = ArrayPool<int>.Shared.Rent(count);
    }

    private void Return()
    {
        if (_repetition.Length > 0) ArrayPool<int>.Shared.Return(_repetition);
        if (_definition.Length > 0) ArrayPool<int>.Shared.Return(_definition);
        _repetition = _definition = [];
    }

    public void Dispose() => Return();
}
