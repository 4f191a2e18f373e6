namespace RamDataEngine.Datasets.Shards;

/// <summary>
/// A list-valued column of a batch, stored flat: all rows' values in one array and one offset per row boundary
/// (row <c>r</c> holds <c>Values[Offsets[r]..Offsets[r + 1]]</c>). Lists are never null; a row may hold an empty list.
/// </summary>
public sealed class ListColumn<T>
{
    private readonly ColumnBuffer<T> _values;
    private readonly ColumnBuffer<int> _offsets;

    internal ListColumn(int rowCapacity = 0, int valueCapacity = 0)
    {
        _values = new ColumnBuffer<T>(valueCapacity);
        _offsets = new ColumnBuffer<int>(rowCapacity + 1);
        _offsets.Add(0);
    }

    /// <summary>Number of rows (lists) in the column.</summary>
    public int RowCount => _offsets.Count - 1;

    /// <summary>The values of every row, back to back.</summary>
    public ReadOnlySpan<T> Values => _values.Span;

    /// <summary><see cref="RowCount"/> + 1 offsets into <see cref="Values"/>.</summary>
    public ReadOnlySpan<int> Offsets => _offsets.Span;

    /// <summary>The list of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<T> this[int row]
    {
        get
        {
            var offsets = _offsets.Span;
            int start = offsets[row];
            return _values.Span[start..offsets[row + 1]];
        }
    }

    /// <summary>Length of the list of row <paramref name="row"/>.</summary>
    public int LengthOf(int row)
    {
        var offsets = _offsets.Span;
        return offsets[row + 1] - offsets[row];
    }

    internal Memory<T> ValuesMemory => _values.Memory;

    internal void AddRow(ReadOnlySpan<T> values)
    {
        _values.AddRange(values);
        _offsets.Add(_values.Count);
    }

    internal void AddValue(T value) => _values.Add(value);

    /// <summary>Closes the row whose values were added one by one with <see cref="AddValue"/>.</summary>
    internal void EndRow() => _offsets.Add(_values.Count);

    internal void AppendRows(ListColumn<T> source, int startRow, int rowCount)
    {
        var offsets = source._offsets.Span;
        int first = offsets[startRow];
        _values.AddRange(source._values.Span[first..offsets[startRow + rowCount]]);
        int shift = _values.Count - offsets[startRow + rowCount];
        _offsets.EnsureCapacity(_offsets.Count + rowCount);
        for (int r = startRow + 1; r <= startRow + rowCount; r++) _offsets.Add(offsets[r] + shift);
    }

    /// <summary>Prepares the value array for a reader to fill <paramref name="valueCount"/> values in place.</summary>
    internal Memory<T> ResizeValues(int valueCount) => _values.Resize(valueCount);

    internal ColumnBuffer<int> RawOffsets => _offsets;

    internal void Clear()
    {
        _values.Clear();
        _offsets.Clear();
        _offsets.Add(0);
    }
}

/// <summary>
/// A column whose rows are lists of lists (e.g. tag ids per caption), stored flat: values, inner-list offsets into the
/// values, and row offsets into the inner lists. Row <c>r</c> holds inner lists <c>RowOffsets[r]..RowOffsets[r + 1]</c>.
/// </summary>
public sealed class NestedListColumn<T>
{
    private readonly ColumnBuffer<T> _values;
    private readonly ColumnBuffer<int> _listOffsets;
    private readonly ColumnBuffer<int> _rowOffsets;

    internal NestedListColumn(int rowCapacity = 0)
    {
        _values = new ColumnBuffer<T>();
        _listOffsets = new ColumnBuffer<int>(rowCapacity + 1);
        _listOffsets.Add(0);
        _rowOffsets = new ColumnBuffer<int>(rowCapacity + 1);
        _rowOffsets.Add(0);
    }

    public int RowCount => _rowOffsets.Count - 1;

    /// <summary>Every value of every inner list, back to back.</summary>
    public ReadOnlySpan<T> Values => _values.Span;

    /// <summary>Offsets of the inner lists into <see cref="Values"/> (one more than the number of inner lists).</summary>
    public ReadOnlySpan<int> ListOffsets => _listOffsets.Span;

    /// <summary>Offsets of each row's inner lists into <see cref="ListOffsets"/> (<see cref="RowCount"/> + 1).</summary>
    public ReadOnlySpan<int> RowOffsets => _rowOffsets.Span;

    /// <summary>How many inner lists row <paramref name="row"/> has.</summary>
    public int ListCount(int row) => _rowOffsets.Span[row + 1] - _rowOffsets.Span[row];

    /// <summary>Inner list <paramref name="index"/> of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<T> Get(int row, int index)
    {
        int list = _rowOffsets.Span[row] + index;
        if ((uint)index >= (uint)ListCount(row)) throw new ArgumentOutOfRangeException(nameof(index), $"Row {row} has {ListCount(row)} lists, not {index + 1}.");
        var offsets = _listOffsets.Span;
        return _values.Span[offsets[list]..offsets[list + 1]];
    }

    /// <summary>All values of row <paramref name="row"/>, inner lists back to back.</summary>
    public ReadOnlySpan<T> RowValues(int row)
    {
        var rows = _rowOffsets.Span;
        var offsets = _listOffsets.Span;
        return _values.Span[offsets[rows[row]]..offsets[rows[row + 1]]];
    }

    internal ColumnBuffer<T> RawValues => _values;

    internal ColumnBuffer<int> RawListOffsets => _listOffsets;

    internal ColumnBuffer<int> RawRowOffsets => _rowOffsets;

    /// <summary>Adds a row from flat values and the length of each inner list.</summary>
    internal void AddRow(ReadOnlySpan<T> values, ReadOnlySpan<int> listLengths)
    {
        _values.AddRange(values);
        int offset = _values.Count - values.Length;
        _listOffsets.EnsureCapacity(_listOffsets.Count + listLengths.Length);
        foreach (int length in listLengths)
        {
            offset += length;
            _listOffsets.Add(offset);
        }

        _rowOffsets.Add(_listOffsets.Count - 1);
    }

    internal void AppendRows(NestedListColumn<T> source, int startRow, int rowCount)
    {
        var rows = source._rowOffsets.Span;
        var lists = source._listOffsets.Span;
        int firstList = rows[startRow], endList = rows[startRow + rowCount];
        int valueShift = _values.Count - lists[firstList];
        _values.AddRange(source._values.Span[lists[firstList]..lists[endList]]);
        int listShift = _listOffsets.Count - 1 - firstList;
        for (int l = firstList + 1; l <= endList; l++) _listOffsets.Add(lists[l] + valueShift);
        for (int r = startRow + 1; r <= startRow + rowCount; r++) _rowOffsets.Add(rows[r] + listShift);
    }

    internal void Clear()
    {
        _values.Clear();
        _listOffsets.Clear();
        _listOffsets.Add(0);
        _rowOffsets.Clear();
        _rowOffsets.Add(0);
    }
}
