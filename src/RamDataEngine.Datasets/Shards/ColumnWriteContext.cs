using System.Buffers;
using Parquet;
using Parquet.Schema;

namespace RamDataEngine.Datasets.Shards;

/// <summary>
/// Writes one row group's columns through Parquet.Net's low-level API, computing the repetition and definition levels
/// that list columns need. Level buffers are reused across columns and row groups.
/// </summary>
/// <remarks>
/// Lists are written as Parquet's standard three-level LIST (optional group, repeated group, required element), so
/// for a list of required values: definition level 0 = null list (never written), 1 = empty list, 2 = a value.
/// A list of lists adds two levels: 3 = empty inner list, 4 = a value; repetition level 1 starts a new inner list,
/// 2 continues one.
/// </remarks>
internal sealed class ColumnWriteContext : IDisposable
{
    private int[] _repetition = [];
    private int[] _definition = [];

    public ParquetRowGroupWriter Group { get; set; } = null!;

    public CancellationToken CancellationToken { get; set; }

    public Task WriteAsync<T>(DataField field, ReadOnlyMemory<T> values)
        where T : struct
        => Group.WriteAsync(field, values, null, null, CancellationToken);

    public Task WriteNullableAsync<T>(DataField field, ReadOnlyMemory<T?> values)
        where T : struct
        => Group.WriteAsync(field, values, null, null, CancellationToken);

    public Task WriteListAsync<T>(DataField element, ListColumn<T> column, int start, int count)
        where T : struct
    {
        int levels = FillListLevels(element, column.Offsets, start, count);
        var offsets = column.Offsets;
        var values = column.ValuesMemory[offsets[start]..offsets[start + count]];
        return Group.WriteAllPartsAsync(element, (ReadOnlyMemory<T>)values, _definition.AsMemory(0, levels), _repetition.AsMemory(0, levels), CancellationToken);
    }

    public Task WriteNestedListAsync<T>(DataField element, NestedListColumn<T> column, int start, int count)
        where T : struct
    {
        int levels = FillNestedLevels(element, column, start, count);
        var lists = column.ListOffsets;
        var rows = column.RowOffsets;
        var values = column.RawValues.Memory[lists[rows[start]]..lists[rows[start + count]]];
        return Group.WriteAllPartsAsync(element, (ReadOnlyMemory<T>)values, _definition.AsMemory(0, levels), _repetition.AsMemory(0, levels), CancellationToken);
    }

    private int FillListLevels(DataField element, ReadOnlySpan<int> offsets, int start, int count)
    {
        int valueLevel = element.MaxDefinitionLevel;
        int emptyLevel = valueLevel - 1;
        int levels = 0;
        for (int r = start; r < start + count; r++) levels += Math.Max(1, offsets[r + 1] - offsets[r]);
        EnsureLevels(levels);

        var rep = _repetition.AsSpan(0, levels);
        var def = _definition.AsSpan(0, levels);
        int i = 0;
        for (int r = start; r < start + count; r++)
        {
            int length = offsets[r + 1] - offsets[r];
            if (length == 0)
            {
                rep[i] = 0;
                def[i++] = emptyLevel;
                continue;
            }

            rep[i] = 0;
            def[i++] = valueLevel;
            for (int k = 1; k < length; k++)
            {
                rep[i] = 1;
                def[i++] = valueLevel;
            }
        }

        return levels;
    }

    private int FillNestedLevels<T>(DataField element, NestedListColumn<T> column, int start, int count)
    {
        // For list<list<required T>>: 1 = empty outer list, 3 = empty inner list, 4 = a value.
        int valueLevel = element.MaxDefinitionLevel;
        int emptyInner = valueLevel - 1;
        int emptyOuter = valueLevel - 3;
        var rows = column.RowOffsets;
        var lists = column.ListOffsets;
        int levels = 0;
        for (int r = start; r < start + count; r++)
        {
            if (rows[r + 1] == rows[r])
            {
                levels++;
                continue;
            }

            for (int l = rows[r]; l < rows[r + 1]; l++) levels += Math.Max(1, lists[l + 1] - lists[l]);
        }

        EnsureLevels(levels);
        var rep = _repetition.AsSpan(0, levels);
        var def = _definition.AsSpan(0, levels);
        int i = 0;
        for (int r = start; r < start + count; r++)
        {
            if (rows[r + 1] == rows[r])
            {
                rep[i] = 0;
                def[i++] = emptyOuter;
                continue;
            }

            for (int l = rows[r]; l < rows[r + 1]; l++)
            {
                int listRep = l == rows[r] ? 0 : 1;
                int length = lists[l + 1] - lists[l];
                if (length == 0)
                {
                    rep[i] = listRep;
                    def[i++] = emptyInner;
                    continue;
                }

                rep[i] = listRep;
                def[i++] = valueLevel;
                for (int k = 1; k < length; k++)
                {
                    rep[i] = 2;
                    def[i++] = valueLevel;
                }
            }
        }

        return levels;
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
