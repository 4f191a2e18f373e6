using System.Globalization;
using Parquet.Schema;

namespace RamDataEngine.Datasets.Shards;

/// <summary>
/// Rows of a features layer: one global image embedding per row and, where a stage computed them, per-region
/// embeddings of the same length, flattened (<c>region_count</c> x dimension). The dimension and the encoder id live in
/// the file's metadata (<see cref="ShardMetadataKeys.EmbeddingDimension"/>, <see cref="ShardMetadataKeys.EncoderId"/>).
/// </summary>
public sealed class FeaturesShardBatch : ShardBatch
{
    private static readonly DataField IdField = new DataField<long>("id");
    private static readonly DataField EmbeddingElement = ShardSchema.Element<float>();
    private static readonly DataField RegionElement = ShardSchema.Element<float>();
    private static readonly DataField RegionCountField = new DataField<int>("region_count");

    internal static readonly ShardSchema Definition = new(
        ShardKind.Features,
        version: 1,
        new Parquet.Schema.ParquetSchema(IdField, new ListField("embedding", EmbeddingElement), new ListField("region_embeddings", RegionElement), RegionCountField));

    private readonly ListColumn<float> _embeddings;
    private readonly ListColumn<float> _regions;
    private readonly ColumnBuffer<int> _regionCounts;

    public FeaturesShardBatch()
        : this(0)
    {
    }

    /// <param name="capacity">Rows to reserve room for.</param>
    /// <param name="dimension">Length of every embedding, or 0 to take it from the first row added.</param>
    public FeaturesShardBatch(int capacity, int dimension = 0)
        : base(capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dimension);
        Dimension = dimension;
        _embeddings = new(capacity, capacity * dimension);
        _regions = new(capacity);
        _regionCounts = new(capacity);
    }

    public override ShardKind Kind => ShardKind.Features;

    /// <summary>Length of every embedding in the batch; 0 until known.</summary>
    public int Dimension { get; private set; }

    /// <summary>The global embeddings, <see cref="Dimension"/> floats per row.</summary>
    public ListColumn<float> Embeddings => _embeddings;

    /// <summary>The region embeddings, <c>RegionCounts[row]</c> x <see cref="Dimension"/> floats per row.</summary>
    public ListColumn<float> RegionEmbeddings => _regions;

    public ReadOnlySpan<int> RegionCounts => _regionCounts.Span;

    internal override ShardSchema Schema => Definition;

    /// <summary>The global embedding of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> Embedding(int row) => _embeddings[row];

    /// <summary>Embedding of region <paramref name="region"/> of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> RegionEmbedding(int row, int region)
    {
        if ((uint)region >= (uint)_regionCounts.Span[row]) throw new ArgumentOutOfRangeException(nameof(region), $"Row {row} has {_regionCounts.Span[row]} regions.");
        return _regions[row].Slice(region * Dimension, Dimension);
    }

    /// <summary>Appends one row; <paramref name="regionEmbeddings"/> holds <paramref name="regionCount"/> embeddings back to back.</summary>
    public void Add(long id, ReadOnlySpan<float> embedding, ReadOnlySpan<float> regionEmbeddings = default, int regionCount = 0)
    {
        if (embedding.IsEmpty) throw new ArgumentException($"Row {id} has an empty embedding.", nameof(embedding));
        if (Dimension == 0) Dimension = embedding.Length;
        if (embedding.Length != Dimension) throw new ArgumentException($"Row {id} has an embedding of {embedding.Length} floats; this batch holds {Dimension}.", nameof(embedding));
        ArgumentOutOfRangeException.ThrowIfNegative(regionCount);
        if (regionEmbeddings.Length != (long)regionCount * Dimension)
        {
            throw new ArgumentException($"Row {id} has {regionEmbeddings.Length} region floats; {regionCount} regions of {Dimension} need {(long)regionCount * Dimension}.", nameof(regionEmbeddings));
        }

        IdColumn.Add(id);
        _embeddings.AddRow(embedding);
        _regions.AddRow(regionEmbeddings);
        _regionCounts.Add(regionCount);
    }

    internal override void RequireMetadata(IReadOnlyDictionary<string, string> metadata, string path)
    {
        if (!metadata.ContainsKey(ShardMetadataKeys.EncoderId)) throw new ArgumentException($"A features shard ('{path}') needs '{ShardMetadataKeys.EncoderId}' in its metadata.", nameof(metadata));
        _ = DimensionOf(metadata) ?? throw new ArgumentException($"A features shard ('{path}') needs '{ShardMetadataKeys.EmbeddingDimension}' in its metadata.", nameof(metadata));
    }

    internal override void CheckAgainst(IReadOnlyDictionary<string, string> metadata, string path)
    {
        if (Count > 0 && DimensionOf(metadata) is { } dim && dim != Dimension)
        {
            throw new ArgumentException($"Features batch has embeddings of {Dimension} floats but shard '{path}' declares {dim}.");
        }
    }

    internal override void Configure(IReadOnlyDictionary<string, string> metadata) => Dimension = DimensionOf(metadata) ?? 0;

    private static int? DimensionOf(IReadOnlyDictionary<string, string> metadata) =>
        metadata.TryGetValue(ShardMetadataKeys.EmbeddingDimension, out var text)
        && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int dim) && dim > 0 ? dim : null;

    private protected override void ClearColumns()
    {
        _embeddings.Clear();
        _regions.Clear();
        _regionCounts.Clear();
    }

    internal override long EstimateRowBytes(int row) => 12 + 4L * (_embeddings.LengthOf(row) + _regions.LengthOf(row));

    internal override void AppendRows(ShardBatch source, int start, int count)
    {
        var other = (FeaturesShardBatch)source;
        if (other.Count > 0 && Dimension == 0) Dimension = other.Dimension;
        if (other.Count > 0 && other.Dimension != Dimension) throw new ArgumentException($"Cannot mix embeddings of {other.Dimension} and {Dimension} floats in one shard.");
        IdColumn.AddRange(other.Ids.Slice(start, count));
        _embeddings.AppendRows(other._embeddings, start, count);
        _regions.AppendRows(other._regions, start, count);
        _regionCounts.AddRange(other.RegionCounts.Slice(start, count));
    }

    internal override async Task WriteAsync(ColumnWriteContext w, int start, int count)
    {
        await w.WriteAsync(IdField, (ReadOnlyMemory<long>)IdColumn.Memory.Slice(start, count)).ConfigureAwait(false);
        await w.WriteListAsync(EmbeddingElement, _embeddings, start, count).ConfigureAwait(false);
        await w.WriteListAsync(RegionElement, _regions, start, count).ConfigureAwait(false);
        await w.WriteAsync(RegionCountField, (ReadOnlyMemory<int>)_regionCounts.Memory.Slice(start, count)).ConfigureAwait(false);
    }

    internal override async ValueTask ReadAsync(ColumnReadContext r, int rows)
    {
        await r.ReadAsync(IdField, IdColumn, rows).ConfigureAwait(false);
        await r.ReadListAsync(EmbeddingElement, _embeddings, rows).ConfigureAwait(false);
        await r.ReadListAsync(RegionElement, _regions, rows).ConfigureAwait(false);
        await r.ReadAsync(RegionCountField, _regionCounts, rows).ConfigureAwait(false);
        if (!r.IsRead("embedding") || !r.IsRead("region_embeddings") || !r.IsRead("region_count")) return;
        if (Dimension == 0 && rows > 0) Dimension = _embeddings.LengthOf(0);
        for (int row = 0; row < rows; row++)
        {
            if (_embeddings.LengthOf(row) != Dimension || _regions.LengthOf(row) != (long)_regionCounts.Span[row] * Dimension)
            {
                throw new InvalidDataException(
                    $"row {Ids[row]} has an embedding of {_embeddings.LengthOf(row)} floats and {_regions.LengthOf(row)} region floats for {_regionCounts.Span[row]} regions; the file's dimension is {Dimension}");
            }
        }
    }

    private protected override string? CountColumns() =>
        Check("embedding", _embeddings.RowCount, Count) ?? Check("region_embeddings", _regions.RowCount, Count) ?? Check("region_count", _regionCounts.Count, Count);
}
