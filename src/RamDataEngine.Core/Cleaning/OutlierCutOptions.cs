namespace RamDataEngine.Core.Cleaning;

/// <summary>How <see cref="OutlierCut"/> fixes a tag's distance cut: outlier fraction, minimum sample, k rule limits, k-means settings.</summary>
public sealed class OutlierCutOptions
{
    /// <summary>Share of the tag's sample to lie beyond the cut (RAM: 10%). In (0, 1).</summary>
    public double OutlierFraction { get; init; } = 0.10;

    /// <summary>Below this many sampled regions the tag gets no cut at all: its quantile would be noise.</summary>
    public int MinSampleSize { get; init; } = 20;

    /// <summary>Upper bound of the k rule k = clamp(round(sqrt(n / 2)), 1, MaxClusters).</summary>
    public int MaxClusters { get; init; } = 16;

    /// <summary>
    /// A cluster with fewer members than this share of the average cluster size n / k (and any single-point cluster) is
    /// treated as noise, not as a mode of the tag: its centroid is dropped, so its points are measured against the
    /// centroids that remain. Relative to n / k, not to n, so that a big mode split over several centroids stays a mode.
    /// </summary>
    public double SmallClusterFactor { get; init; } = 0.25;

    /// <summary>Settings of the k-means fit (distance, iterations, threads).</summary>
    public KMeansOptions KMeans { get; init; } = new();

    internal void Validate()
    {
        if (!(OutlierFraction > 0 && OutlierFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(OutlierFraction), OutlierFraction, "OutlierCutOptions.OutlierFraction must be in (0, 1).");
        if (MinSampleSize < 1)
            throw new ArgumentOutOfRangeException(nameof(MinSampleSize), MinSampleSize, "OutlierCutOptions.MinSampleSize must be at least 1.");
        if (MaxClusters < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxClusters), MaxClusters, "OutlierCutOptions.MaxClusters must be at least 1.");
        if (!(SmallClusterFactor >= 0 && SmallClusterFactor <= 1))
            throw new ArgumentOutOfRangeException(nameof(SmallClusterFactor), SmallClusterFactor, "OutlierCutOptions.SmallClusterFactor must be in [0, 1].");
        ArgumentNullException.ThrowIfNull(KMeans, nameof(KMeans));
        KMeans.Validate();
    }
}
