using Parquet.Schema;

namespace RamDataEngine.Datasets.Shards;

/// <summary>
/// Rows of a parsed-tags layer: the tag ids parsed from each caption (<c>caption_tag_ids</c>, a list per caption in
/// caption order) and their union (<c>parsed_tag_ids</c>), plus whether parsing was cut short for the row.
/// </summary>
public sealed class ParsedTagsShardBatch : ShardBatch
{
    private static readonly DataField IdField = new DataField<long>("id");
    private static readonly DataField ParsedElement = ShardSchema.Element<int>();
    private static readonly DataField CaptionTagElement = ShardSchema.Element<int>();
    private static readonly DataField TruncatedField = new DataField<bool>("truncated");

    internal static readonly ShardSchema Definition = new(
        ShardKind.ParsedTags,
        version: 1,
        new Parquet.Schema.ParquetSchema(IdField, new ListField("parsed_tag_ids", ParsedElement), ShardSchema.NestedList("caption_tag_ids", CaptionTagElement), TruncatedField));

    private readonly ColumnBuffer<bool> _truncated;

    public ParsedTagsShardBatch()
        : this(0)
    {
    }

    /// <param name="capacity">Rows to reserve room for.</param>
    public ParsedTagsShardBatch(int capacity)
        : base(capacity)
    {
        ParsedTagIds = new(capacity);
        CaptionTagIds = new(capacity);
        _truncated = new(capacity);
    }

    public override ShardKind Kind => ShardKind.ParsedTags;

    /// <summary>The union of the tags parsed from all of a row's captions.</summary>
    public ListColumn<int> ParsedTagIds { get; }

    /// <summary>The tags parsed from each caption: <c>CaptionTagIds.Get(row, caption)</c>.</summary>
    public NestedListColumn<int> CaptionTagIds { get; }

    /// <summary>Whether parsing stopped early for the row (an over-long caption, or more tags than the per-row cap).</summary>
    public ReadOnlySpan<bool> Truncated => _truncated.Span;

    internal override ShardSchema Schema => Definition;

    /// <summary>
    /// Appends one row. <paramref name="captionTagIds"/> holds every caption's tag ids back to back and
    /// <paramref name="captionTagCounts"/> how many belong to each caption, in caption order.
    /// </summary>
    public void Add(long id, ReadOnlySpan<int> parsedTagIds, ReadOnlySpan<int> captionTagIds, ReadOnlySpan<int> captionTagCounts, bool truncated = false)
    {
        long total = 0;
        foreach (int n in captionTagCounts)
        {
            if (n < 0) throw new ArgumentException($"Row {id} has a negative caption tag count.", nameof(captionTagCounts));
            total += n;
        }

        if (total != captionTagIds.Length)
        {
            throw new ArgumentException($"Row {id}: the caption tag counts add up to {total} but {captionTagIds.Length} caption tag ids were given.", nameof(captionTagCounts));
        }

        IdColumn.Add(id);
        ParsedTagIds.AddRow(parsedTagIds);
        CaptionTagIds.AddRow(captionTagIds, captionTagCounts);
        _truncated.Add(truncated);
    }

    private protected override void ClearColumns()
    {
        ParsedTagIds.Clear();
        CaptionTagIds.Clear();
        _truncated.Clear();
    }

    internal override long EstimateRowBytes(int row) => 9 + 4L * (ParsedTagIds.LengthOf(row) + CaptionTagIds.RowValues(row).Length + CaptionTagIds.ListCount(row));

    internal override void AppendRows(ShardBatch source, int start, int count)
    {
        var other = (ParsedTagsShardBatch)source;
        IdColumn.AddRange(other.Ids.Slice(start, count));
        ParsedTagIds.AppendRows(other.ParsedTagIds, start, count);
        CaptionTagIds.AppendRows(other.CaptionTagIds, start, count);
        _truncated.AddRange(other.Truncated.Slice(start, count));
    }

    internal override async Task WriteAsync(ColumnWriteContext w, int start, int count)
    {
        await w.WriteAsync(IdField, (ReadOnlyMemory<long>)IdColumn.Memory.Slice(start, count)).ConfigureAwait(false);
        await w.WriteListAsync(ParsedElement, ParsedTagIds, start, count).ConfigureAwait(false);
        await w.WriteNestedListAsync(CaptionTagElement, CaptionTagIds, start, count).ConfigureAwait(false);
        await w.WriteAsync(TruncatedField, (ReadOnlyMemory<bool>)_truncated.Memory.Slice(start, count)).ConfigureAwait(false);
    }

    internal override async ValueTask ReadAsync(ColumnReadContext r, int rows)
    {
        await r.ReadAsync(IdField, IdColumn, rows).ConfigureAwait(false);
        await r.ReadListAsync(ParsedElement, ParsedTagIds, rows).ConfigureAwait(false);
        await r.ReadNestedListAsync(CaptionTagElement, CaptionTagIds, rows).ConfigureAwait(false);
        await r.ReadAsync(TruncatedField, _truncated, rows).ConfigureAwait(false);
    }

    private protected override string? CountColumns() =>
        Check("parsed_tag_ids", ParsedTagIds.RowCount, Count) ?? Check("caption_tag_ids", CaptionTagIds.RowCount, Count) ?? Check("truncated", _truncated.Count, Count);
}
