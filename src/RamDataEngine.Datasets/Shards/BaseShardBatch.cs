using Parquet;
using Parquet.Schema;

namespace RamDataEngine.Datasets.Shards;

/// <summary>
/// Rows of a shard's base file, written once at ingest: the image (bytes, or a URI when stored elsewhere), its captions,
/// where it came from, its size, and the ground-truth labels when the source has them.
/// </summary>
public sealed class BaseShardBatch : ShardBatch
{
    private static readonly DataField IdField = new DataField<long>("id");
    private static readonly DataField SourceKeyField = new DataField<string>("source_key", false);
    private static readonly DataField ImageField = new DataField<byte[]>("image", true);
    private static readonly DataField ImageUriField = new DataField<string>("image_uri", true);
    private static readonly DataField CaptionElement = ShardSchema.Element<string>();
    private static readonly DataField SourceField = new DataField<string>("source", false);
    private static readonly DataField WidthField = new DataField<int>("width");
    private static readonly DataField HeightField = new DataField<int>("height");
    private static readonly DataField TruthLabelElement = ShardSchema.Element<string>();
    private static readonly DataField TruthKnownField = new DataField<bool>("truth_known");

    internal static readonly ShardSchema Definition = new(
        ShardKind.Base,
        version: 1,
        new ParquetSchema(
            IdField, SourceKeyField, ImageField, ImageUriField, new ListField("captions", CaptionElement), SourceField, WidthField, HeightField,
            new ListField("truth_labels", TruthLabelElement), TruthKnownField),
        // Few distinct sources per shard: a dictionary page stores each once.
        new Dictionary<string, EncodingHint> { ["source"] = EncodingHint.Dictionary });

    private readonly ColumnBuffer<ReadOnlyMemory<char>> _sourceKeys;
    private readonly ColumnBuffer<ReadOnlyMemory<byte>?> _images;
    private readonly ColumnBuffer<ReadOnlyMemory<char>?> _imageUris;
    private readonly ColumnBuffer<ReadOnlyMemory<char>> _sources;
    private readonly ColumnBuffer<int> _widths;
    private readonly ColumnBuffer<int> _heights;
    private readonly ColumnBuffer<bool> _truthKnown;

    public BaseShardBatch()
        : this(0)
    {
    }

    /// <param name="capacity">Rows to reserve room for.</param>
    public BaseShardBatch(int capacity)
        : base(capacity)
    {
        _sourceKeys = new(capacity);
        _images = new(capacity);
        _imageUris = new(capacity);
        Captions = new(capacity, capacity * 5);
        _sources = new(capacity);
        _widths = new(capacity);
        _heights = new(capacity);
        TruthLabels = new(capacity);
        _truthKnown = new(capacity);
    }

    public override ShardKind Kind => ShardKind.Base;

    /// <summary>The original identifier of each row: the image file it was ingested from, or the generator's key.</summary>
    public ReadOnlySpan<ReadOnlyMemory<char>> SourceKeys => _sourceKeys.Span;

    /// <summary>Encoded image bytes, or null where the row has only an <see cref="ImageUris">image URI</see>.</summary>
    public ReadOnlySpan<ReadOnlyMemory<byte>?> Images => _images.Span;

    /// <summary>Where the image lives when its bytes are not stored in the shard; null otherwise.</summary>
    public ReadOnlySpan<ReadOnlyMemory<char>?> ImageUris => _imageUris.Span;

    /// <summary>Each row's captions (at least zero; the ingest quarantines rows without any).</summary>
    public ListColumn<ReadOnlyMemory<char>> Captions { get; }

    /// <summary>Which source (dataset, generator) each row came from.</summary>
    public ReadOnlySpan<ReadOnlyMemory<char>> Sources => _sources.Span;

    public ReadOnlySpan<int> Widths => _widths.Span;

    public ReadOnlySpan<int> Heights => _heights.Span;

    /// <summary>Ground-truth label names; empty when unknown (see <see cref="TruthKnown"/>).</summary>
    public ListColumn<ReadOnlyMemory<char>> TruthLabels { get; }

    /// <summary>Whether the row's truth labels are known: an empty known list means "no objects", an unknown one means nothing.</summary>
    public ReadOnlySpan<bool> TruthKnown => _truthKnown.Span;

    internal override ShardSchema Schema => Definition;

    /// <summary>Appends one row. Strings are kept by reference, not copied.</summary>
    /// <exception cref="ArgumentException">The row has neither image bytes nor a URI, empty image bytes, or truth labels without <paramref name="truthKnown"/>.</exception>
    public void Add(
        long id,
        string sourceKey,
        ReadOnlyMemory<byte>? image,
        string? imageUri,
        ReadOnlySpan<string> captions,
        string source,
        int width,
        int height,
        ReadOnlySpan<string> truthLabels = default,
        bool truthKnown = false)
    {
        ArgumentNullException.ThrowIfNull(sourceKey);
        ArgumentNullException.ThrowIfNull(source);
        if (image is null && imageUri is null) throw new ArgumentException($"Row {id} ('{sourceKey}') has neither image bytes nor an image URI.", nameof(image));
        // A null byte[] converts to an empty (not null) memory: refusing empty images keeps that from passing silently.
        if (image is { Length: 0 }) throw new ArgumentException($"Row {id} ('{sourceKey}') has empty image bytes; pass null when the row has only an image URI.", nameof(image));
        if (!truthKnown && truthLabels.Length > 0) throw new ArgumentException($"Row {id} ('{sourceKey}') has truth labels but truthKnown is false.", nameof(truthKnown));
        ArgumentOutOfRangeException.ThrowIfNegative(width);
        ArgumentOutOfRangeException.ThrowIfNegative(height);

        IdColumn.Add(id);
        _sourceKeys.Add(sourceKey.AsMemory());
        _images.Add(image);
        _imageUris.Add(imageUri?.AsMemory());
        AddStrings(Captions, captions, id, "caption");
        _sources.Add(source.AsMemory());
        _widths.Add(width);
        _heights.Add(height);
        AddStrings(TruthLabels, truthLabels, id, "truth label");
        _truthKnown.Add(truthKnown);
    }

    private static void AddStrings(ListColumn<ReadOnlyMemory<char>> column, ReadOnlySpan<string> values, long id, string what)
    {
        foreach (var value in values)
        {
            column.AddValue((value ?? throw new ArgumentException($"Row {id} has a null {what}.")).AsMemory());
        }

        column.EndRow();
    }

    private protected override void ClearColumns()
    {
        _sourceKeys.Clear();
        _images.Clear();
        _imageUris.Clear();
        Captions.Clear();
        _sources.Clear();
        _widths.Clear();
        _heights.Clear();
        TruthLabels.Clear();
        _truthKnown.Clear();
    }

    internal override long EstimateRowBytes(int row)
    {
        long bytes = 8 + 4 + 4 + 1 + _sourceKeys.Span[row].Length + _sources.Span[row].Length;
        if (_images.Span[row] is { } image) bytes += image.Length + 4;
        if (_imageUris.Span[row] is { } uri) bytes += uri.Length + 4;
        foreach (var caption in Captions[row]) bytes += caption.Length + 8;
        foreach (var label in TruthLabels[row]) bytes += label.Length + 8;
        return bytes;
    }

    internal override void AppendRows(ShardBatch source, int start, int count)
    {
        var other = (BaseShardBatch)source;
        IdColumn.AddRange(other.Ids.Slice(start, count));
        _sourceKeys.AddRange(other.SourceKeys.Slice(start, count));
        _images.AddRange(other.Images.Slice(start, count));
        _imageUris.AddRange(other.ImageUris.Slice(start, count));
        Captions.AppendRows(other.Captions, start, count);
        _sources.AddRange(other.Sources.Slice(start, count));
        _widths.AddRange(other.Widths.Slice(start, count));
        _heights.AddRange(other.Heights.Slice(start, count));
        TruthLabels.AppendRows(other.TruthLabels, start, count);
        _truthKnown.AddRange(other.TruthKnown.Slice(start, count));
    }

    internal override async Task WriteAsync(ColumnWriteContext w, int start, int count)
    {
        await w.WriteAsync(IdField, (ReadOnlyMemory<long>)IdColumn.Memory.Slice(start, count)).ConfigureAwait(false);
        await w.WriteAsync(SourceKeyField, (ReadOnlyMemory<ReadOnlyMemory<char>>)_sourceKeys.Memory.Slice(start, count)).ConfigureAwait(false);
        await w.WriteNullableAsync(ImageField, (ReadOnlyMemory<ReadOnlyMemory<byte>?>)_images.Memory.Slice(start, count)).ConfigureAwait(false);
        await w.WriteNullableAsync(ImageUriField, (ReadOnlyMemory<ReadOnlyMemory<char>?>)_imageUris.Memory.Slice(start, count)).ConfigureAwait(false);
        await w.WriteListAsync(CaptionElement, Captions, start, count).ConfigureAwait(false);
        await w.WriteAsync(SourceField, (ReadOnlyMemory<ReadOnlyMemory<char>>)_sources.Memory.Slice(start, count)).ConfigureAwait(false);
        await w.WriteAsync(WidthField, (ReadOnlyMemory<int>)_widths.Memory.Slice(start, count)).ConfigureAwait(false);
        await w.WriteAsync(HeightField, (ReadOnlyMemory<int>)_heights.Memory.Slice(start, count)).ConfigureAwait(false);
        await w.WriteListAsync(TruthLabelElement, TruthLabels, start, count).ConfigureAwait(false);
        await w.WriteAsync(TruthKnownField, (ReadOnlyMemory<bool>)_truthKnown.Memory.Slice(start, count)).ConfigureAwait(false);
    }

    internal override async ValueTask ReadAsync(ColumnReadContext r, int rows)
    {
        await r.ReadAsync(IdField, IdColumn, rows).ConfigureAwait(false);
        await r.ReadAsync(SourceKeyField, _sourceKeys, rows).ConfigureAwait(false);
        await r.ReadNullableAsync(ImageField, _images, rows).ConfigureAwait(false);
        await r.ReadNullableAsync(ImageUriField, _imageUris, rows).ConfigureAwait(false);
        await r.ReadListAsync(CaptionElement, Captions, rows).ConfigureAwait(false);
        await r.ReadAsync(SourceField, _sources, rows).ConfigureAwait(false);
        await r.ReadAsync(WidthField, _widths, rows).ConfigureAwait(false);
        await r.ReadAsync(HeightField, _heights, rows).ConfigureAwait(false);
        await r.ReadListAsync(TruthLabelElement, TruthLabels, rows).ConfigureAwait(false);
        await r.ReadAsync(TruthKnownField, _truthKnown, rows).ConfigureAwait(false);
    }

    private protected override string? CountColumns() =>
        Check("source_key", _sourceKeys.Count, Count) ?? Check("image", _images.Count, Count) ?? Check("image_uri", _imageUris.Count, Count)
        ?? Check("captions", Captions.RowCount, Count) ?? Check("source", _sources.Count, Count) ?? Check("width", _widths.Count, Count)
        ?? Check("height", _heights.Count, Count) ?? Check("truth_labels", TruthLabels.RowCount, Count) ?? Check("truth_known", _truthKnown.Count, Count);
}
