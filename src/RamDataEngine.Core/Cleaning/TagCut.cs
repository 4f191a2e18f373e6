using System.Buffers;
using System.Buffers.Binary;

namespace RamDataEngine.Core.Cleaning;

/// <summary>
/// One tag's outlier rule, fixed in phase 1 and applied shard by shard in phase 2: a region embedding farther than
/// <see cref="CutDistance"/> from every kept centroid is an outlier. Small, immutable (safe to share across threads),
/// and round-trips through bytes.
/// </summary>
public sealed class TagCut
{
    private const uint Magic = 0x31435452; // "RTC1" little-endian
    private const int HeaderBytes = 4 + 4 + 4 + 4 + 4 + 4 + 4;
    private readonly float[] _centroids;

    /// <summary>
    /// Creates a cut from its parts (e.g. read back from a grain message). <paramref name="centroids"/> is taken as is,
    /// <c>centroids.Length / dim</c> rows; no centroids means the tag was skipped and nothing is an outlier.
    /// </summary>
    public TagCut(int dim, float[] centroids, float cutSquaredDistance, int clusterCount, int sampleSize, bool normalized)
    {
        ArgumentNullException.ThrowIfNull(centroids);
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), dim, "A tag cut's dim must be at least 1.");
        if (centroids.Length % dim != 0)
            throw new ArgumentException($"A tag cut's centroids have {centroids.Length} floats, not a whole number of rows of dim {dim}.", nameof(centroids));
        if (float.IsNaN(cutSquaredDistance) || cutSquaredDistance < 0)
            throw new ArgumentOutOfRangeException(nameof(cutSquaredDistance), cutSquaredDistance, "A tag cut's squared distance must be 0 or more.");
        ArgumentOutOfRangeException.ThrowIfNegative(clusterCount);
        ArgumentOutOfRangeException.ThrowIfNegative(sampleSize);
        var bad = VectorMath.IndexOfNonFinite(centroids);
        if (bad >= 0) throw new ArgumentException($"A tag cut's centroid value {bad} is {centroids[bad]}; centroids must be finite.", nameof(centroids));
        Dim = dim;
        _centroids = centroids;
        CutSquaredDistance = cutSquaredDistance;
        ClusterCount = clusterCount;
        SampleSize = sampleSize;
        Normalized = normalized;
    }

    /// <summary>The cut for a tag whose sample was too small: nothing is ever an outlier.</summary>
    public static TagCut Skip(int dim, int sampleSize) => new(dim, [], float.PositiveInfinity, 0, sampleSize, normalized: false);

    /// <summary>True when the tag had too few samples and no cut applies.</summary>
    public bool Skipped => _centroids.Length == 0;

    /// <summary>Floats per embedding.</summary>
    public int Dim { get; }

    /// <summary>Centroids the distance is measured against (the clusters large enough to be modes of the tag), row-major.</summary>
    public ReadOnlySpan<float> Centroids => _centroids;

    /// <summary>Number of centroids in <see cref="Centroids"/>.</summary>
    public int KeptClusters => _centroids.Length / Dim;

    /// <summary>The k the k-means fit used (before dropping small clusters).</summary>
    public int ClusterCount { get; }

    /// <summary>Sampled regions the cut was computed from.</summary>
    public int SampleSize { get; }

    /// <summary>Whether embeddings are scaled to unit norm before measuring (as they were for the fit).</summary>
    public bool Normalized { get; }

    /// <summary>The squared distance beyond which a region is an outlier (compared as is: no rounding through a square root).</summary>
    public float CutSquaredDistance { get; }

    /// <summary>The cut as a plain Euclidean distance, for people reading reports.</summary>
    public double CutDistance => Math.Sqrt(CutSquaredDistance);

    /// <summary>Whether this region is an outlier for the tag: strictly farther than the cut from every kept centroid.</summary>
    public bool IsOutlier(ReadOnlySpan<float> embedding) => !Skipped && SquaredDistanceToNearest(embedding) > CutSquaredDistance;

    /// <summary>
    /// Squared distance from the region (normalised first when <see cref="Normalized"/>) to the nearest kept centroid;
    /// +infinity for a skipped tag.
    /// </summary>
    /// <exception cref="ArgumentException">The embedding's length is not <see cref="Dim"/> or it holds a non-finite value.</exception>
    public float SquaredDistanceToNearest(ReadOnlySpan<float> embedding)
    {
        if (embedding.Length != Dim)
            throw new ArgumentException($"The embedding has {embedding.Length} floats but this tag cut has dim {Dim}.", nameof(embedding));
        if (Skipped) return float.PositiveInfinity;
        var bad = VectorMath.IndexOfNonFinite(embedding);
        if (bad >= 0) throw new ArgumentException($"The embedding's value {bad} is {embedding[bad]}; embeddings must be finite.", nameof(embedding));

        float distance;
        if (!Normalized)
        {
            VectorMath.Nearest(embedding, _centroids, Dim, out distance);
        }
        else
        {
            float[]? rented = null;
            var scratch = Dim <= VectorMath.StackLimit ? stackalloc float[Dim] : (rented = ArrayPool<float>.Shared.Rent(Dim)).AsSpan(0, Dim);
            VectorMath.CopyPrepared(embedding, scratch, normalize: true);
            VectorMath.Nearest(scratch, _centroids, Dim, out distance);
            if (rented is not null) ArrayPool<float>.Shared.Return(rented);
        }

        return distance;
    }

    /// <summary>
    /// Phase 2 over a batch: marks each of the <c>embeddings.Length / Dim</c> rows of a flat buffer; returns how many are outliers.
    /// </summary>
    public int MarkOutliers(ReadOnlySpan<float> embeddings, Span<bool> outliers)
    {
        if (embeddings.Length % Dim != 0)
            throw new ArgumentException($"embeddings has {embeddings.Length} floats, not a whole number of rows of dim {Dim}.", nameof(embeddings));
        var rows = embeddings.Length / Dim;
        if (outliers.Length < rows)
            throw new ArgumentException($"outliers has room for {outliers.Length} rows but embeddings holds {rows}.", nameof(outliers));

        var count = 0;
        for (var i = 0; i < rows; i++)
        {
            outliers[i] = IsOutlier(embeddings.Slice(i * Dim, Dim));
            if (outliers[i]) count++;
        }

        return count;
    }

    /// <summary>Little-endian bytes: magic, dim, kept clusters, cluster count, sample size, flags, cut, centroids.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[HeaderBytes + (_centroids.Length * sizeof(float))];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], Dim);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], KeptClusters);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], ClusterCount);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], SampleSize);
        BinaryPrimitives.WriteInt32LittleEndian(span[20..], Normalized ? 1 : 0);
        BinaryPrimitives.WriteSingleLittleEndian(span[24..], CutSquaredDistance);
        WireFloats.Write(_centroids, span[HeaderBytes..]);
        return bytes;
    }

    /// <summary>Reads <see cref="ToBytes"/>' output.</summary>
    /// <exception cref="ArgumentException">The bytes are not a tag cut or their sizes do not agree.</exception>
    public static TagCut FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
            throw new ArgumentException($"These {bytes.Length} bytes are not a serialised tag cut (missing header).", nameof(bytes));
        var dim = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        var kept = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        var expected = HeaderBytes + ((long)kept * dim * sizeof(float));
        if (dim < 1 || kept < 0 || bytes.Length != expected)
            throw new ArgumentException($"Serialised tag cut says {kept} centroids of dim {dim} ({expected} bytes) but has {bytes.Length} bytes.", nameof(bytes));
        return new TagCut(
            dim,
            WireFloats.Read(bytes[HeaderBytes..], kept * dim),
            BinaryPrimitives.ReadSingleLittleEndian(bytes[24..]),
            BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]),
            BinaryPrimitives.ReadInt32LittleEndian(bytes[16..]),
            BinaryPrimitives.ReadInt32LittleEndian(bytes[20..]) != 0);
    }
}
