namespace RamDataEngine.Core.Cleaning;

/// <summary>
/// Phase 1 of outlier cleaning for one tag: cluster the tag's sampled region embeddings with k-means++ and fix the distance
/// beyond which a region is an outlier, so that <see cref="OutlierCutOptions.OutlierFraction"/> of the sample lies beyond it.
/// </summary>
public static class OutlierCut
{
    private static readonly OutlierCutOptions Defaults = new();

    /// <summary>
    /// The k rule: k = clamp(round(sqrt(n / 2)), 1, <paramref name="maxClusters"/>), the classic rule of thumb, bounded
    /// so a big sample does not shatter a tag into singletons. n = 20 gives 3, 200 gives 10, 512 and more give 16.
    /// </summary>
    public static int ChooseK(int sampleSize, int maxClusters = 16)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sampleSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxClusters, 1);
        var k = (int)Math.Round(Math.Sqrt(sampleSize / 2.0), MidpointRounding.AwayFromZero);
        return Math.Clamp(k, 1, maxClusters);
    }

    /// <summary>Computes the cut from a tag's sample (its kept embeddings, in canonical order).</summary>
    public static TagCut Compute(PrioritySample sample, long seed, OutlierCutOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return Compute(sample.Embeddings(), sample.Dim, seed, options, cancellationToken);
    }

    /// <summary>
    /// Computes the cut from a tag's sample, <c>embeddings.Length / dim</c> rows. Fewer rows than
    /// <see cref="OutlierCutOptions.MinSampleSize"/> give a skipped cut (nothing is an outlier).
    /// </summary>
    /// <exception cref="ArgumentException">The buffer is not a whole number of rows of dim, or holds a non-finite value.</exception>
    public static TagCut Compute(ReadOnlySpan<float> embeddings, int dim, long seed, OutlierCutOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= Defaults;
        options.Validate();
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), dim, "dim must be at least 1.");
        if (embeddings.Length % dim != 0)
        {
            throw new ArgumentException(
                $"embeddings has {embeddings.Length} floats, which is not a whole number of rows of dim {dim} " +
                $"({embeddings.Length / dim} rows and {embeddings.Length % dim} floats over).", nameof(embeddings));
        }

        var n = embeddings.Length / dim;
        if (n < options.MinSampleSize) return TagCut.Skip(dim, n);

        var k = ChooseK(n, options.MaxClusters);
        var fit = KMeansPlusPlus.Fit(embeddings, dim, k, seed, options.KMeans, cancellationToken);

        // k-means++ seeds far points on purpose, so a lone wrong label often becomes its own centroid at distance 0 and
        // would never be cut. Clusters too small to be a mode of the tag are dropped; their points are then measured
        // against the modes, like every region phase 2 will see.
        var minSize = Math.Max(2, (int)Math.Ceiling(options.SmallClusterFactor * n / fit.K));
        var keep = new List<int>();
        for (var c = 0; c < fit.K; c++)
        {
            if (fit.ClusterSizes[c] >= minSize) keep.Add(c);
        }

        if (keep.Count == 0)
        {
            // No cluster is big enough (e.g. a tag whose regions are all scattered): fall back to every non-empty cluster.
            for (var c = 0; c < fit.K; c++)
            {
                if (fit.ClusterSizes[c] > 0) keep.Add(c);
            }
        }

        var centroids = new float[keep.Count * dim];
        for (var i = 0; i < keep.Count; i++) fit.Centroid(keep[i]).CopyTo(centroids.AsSpan(i * dim, dim));
        var draft = new TagCut(dim, centroids, float.PositiveInfinity, fit.K, n, fit.Normalized);

        // Distances through the very method phase 2 calls, so each sampled row gets the same bits here and there.
        var distances = new float[n];
        for (var i = 0; i < n; i++) distances[i] = draft.SquaredDistanceToNearest(embeddings.Slice(i * dim, dim));
        Array.Sort(distances);

        // Nearest-rank (1 - f) quantile: the largest distance among the n - floor(f n) closest rows. Rows strictly beyond
        // it are outliers, so at most floor(f n) are cut and ties at the cut are kept. The epsilon keeps 0.1 * 210 at 21.
        var outliers = (int)Math.Floor((options.OutlierFraction * n) + 1e-9);
        var cut = distances[n - outliers - 1];
        return new TagCut(dim, centroids, cut, fit.K, n, fit.Normalized);
    }
}
