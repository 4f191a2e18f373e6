namespace RamDataEngine.Core.Cleaning;

/// <summary>The outcome of one <see cref="KMeansPlusPlus"/> fit: centroids, each point's cluster and squared distance, and the cost.</summary>
public sealed class KMeansResult
{
    private readonly float[] _centroids;
    private readonly int[] _assignments;
    private readonly float[] _squaredDistances;
    private readonly int[] _clusterSizes;

    internal KMeansResult(int dim, int requestedK, bool normalized, float[] centroids, int[] assignments, float[] squaredDistances,
        int[] clusterSizes, double cost, int iterations, bool converged)
    {
        Dim = dim;
        RequestedK = requestedK;
        Normalized = normalized;
        _centroids = centroids;
        _assignments = assignments;
        _squaredDistances = squaredDistances;
        _clusterSizes = clusterSizes;
        Cost = cost;
        Iterations = iterations;
        Converged = converged;
    }

    /// <summary>Floats per point and per centroid.</summary>
    public int Dim { get; }

    /// <summary>The k asked for.</summary>
    public int RequestedK { get; }

    /// <summary>The k used: <see cref="RequestedK"/> capped at the number of distinct points (0 when there were no points).</summary>
    public int K => _clusterSizes.Length;

    /// <summary>Number of points clustered.</summary>
    public int PointCount => _assignments.Length;

    /// <summary>Whether points were scaled to unit norm first; centroids and distances live in that space.</summary>
    public bool Normalized { get; }

    /// <summary>Centroids, <see cref="K"/> x <see cref="Dim"/>, row-major.</summary>
    public ReadOnlySpan<float> Centroids => _centroids;

    /// <summary>Each point's cluster index, in input order.</summary>
    public ReadOnlySpan<int> Assignments => _assignments;

    /// <summary>Each point's squared distance to its centroid, in input order.</summary>
    public ReadOnlySpan<float> SquaredDistances => _squaredDistances;

    /// <summary>Points per cluster.</summary>
    public ReadOnlySpan<int> ClusterSizes => _clusterSizes;

    /// <summary>Sum of squared distances of the points to their centroids (the k-means objective), summed in input order.</summary>
    public double Cost { get; }

    /// <summary>Centroid updates performed.</summary>
    public int Iterations { get; }

    /// <summary>True when the fit stopped because no point changed cluster, false when it hit the iteration limit.</summary>
    public bool Converged { get; }

    /// <summary>One centroid.</summary>
    public ReadOnlySpan<float> Centroid(int cluster)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cluster);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cluster, K);
        return _centroids.AsSpan(cluster * Dim, Dim);
    }

    /// <summary>
    /// The nearest centroid to a new point (normalised first when the fit was), with its squared distance; ties go to the
    /// lowest index. Throws when there are no centroids or the point's length is not <see cref="Dim"/>.
    /// </summary>
    public int Nearest(ReadOnlySpan<float> point, out float squaredDistance)
    {
        if (K == 0) throw new InvalidOperationException("This k-means result has no centroids (it was fitted on 0 points).");
        if (point.Length != Dim)
            throw new ArgumentException($"The point has {point.Length} floats but the centroids have dim {Dim}.", nameof(point));
        if (!Normalized) return VectorMath.Nearest(point, _centroids, Dim, out squaredDistance);

        float[]? rented = null;
        var scratch = Dim <= VectorMath.StackLimit ? stackalloc float[Dim] : (rented = System.Buffers.ArrayPool<float>.Shared.Rent(Dim)).AsSpan(0, Dim);
        try
        {
            VectorMath.CopyPrepared(point, scratch, normalize: true);
            return VectorMath.Nearest(scratch, _centroids, Dim, out squaredDistance);
        }
        finally
        {
            if (rented is not null) System.Buffers.ArrayPool<float>.Shared.Return(rented);
        }
    }
}
