using System.Runtime.InteropServices;

namespace RamDataEngine.Core.Cleaning;

/// <summary>
/// Seeded k-means: k-means++ initialisation (D^2 sampling) then Lloyd iterations, over a flat n x dim float buffer.
/// The same points, k, seed and options give bit-identical centroids, whatever <see cref="KMeansOptions.MaxDegreeOfParallelism"/> is.
/// </summary>
public static class KMeansPlusPlus
{
    private static readonly KMeansOptions Defaults = new();

    /// <summary>
    /// Clusters the <c>points.Length / dim</c> points of <paramref name="points"/> (row-major) into at most
    /// <paramref name="k"/> clusters. k is capped at the number of distinct points; 0 points give an empty result.
    /// </summary>
    /// <exception cref="ArgumentException">dim or k is not positive, the buffer is not a whole number of points, or a value is not finite.</exception>
    public static KMeansResult Fit(ReadOnlySpan<float> points, int dim, int k, long seed, KMeansOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        options ??= Defaults;
        options.Validate();
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), dim, "dim must be at least 1.");
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "k must be at least 1.");
        if (points.Length % dim != 0)
        {
            throw new ArgumentException(
                $"points has {points.Length} floats, which is not a whole number of points of dim {dim} " +
                $"({points.Length / dim} points and {points.Length % dim} floats over).", nameof(points));
        }

        var n = points.Length / dim;
        if (n == 0) return new KMeansResult(dim, k, options.Normalize, [], [], [], [], 0, 0, converged: true);

        var bad = VectorMath.IndexOfNonFinite(points);
        if (bad >= 0)
        {
            throw new ArgumentException(
                $"points[{bad}] (point {bad / dim}, component {bad % dim}) is {points[bad]}; k-means needs finite values.", nameof(points));
        }

        // One working copy: normalised (or not), -0 folded to 0, and a plain array the parallel steps can share.
        var data = new float[points.Length];
        for (var i = 0; i < n; i++) VectorMath.CopyPrepared(points.Slice(i * dim, dim), data.AsSpan(i * dim, dim), options.Normalize);

        var fitter = new Fitter(data, dim, Math.Min(k, CountDistinct(data, dim, k)), options, cancellationToken);
        fitter.Seed(seed);
        var (iterations, converged) = fitter.Iterate();
        return new KMeansResult(dim, k, options.Normalize, fitter.Centroids, fitter.Assignments, fitter.Distances, fitter.Sizes,
            fitter.Cost(), iterations, converged);
    }

    /// <summary>Distinct points (bitwise, after preparation), counting no further than <paramref name="limit"/>.</summary>
    private static int CountDistinct(float[] data, int dim, int limit)
    {
        var seen = new HashSet<int>(new PointComparer(data, dim));
        for (var i = 0; i < data.Length / dim && seen.Count < limit; i++) seen.Add(i);
        return seen.Count;
    }

    private sealed class PointComparer(float[] data, int dim) : IEqualityComparer<int>
    {
        public bool Equals(int x, int y) => data.AsSpan(x * dim, dim).SequenceEqual(data.AsSpan(y * dim, dim));

        public int GetHashCode(int obj)
        {
            var hash = new HashCode();
            hash.AddBytes(MemoryMarshal.AsBytes(data.AsSpan(obj * dim, dim)));
            return hash.ToHashCode();
        }
    }

    /// <summary>The state of one fit. Every parallel step writes only per-point or per-cluster slots; every sum runs in index order.</summary>
    private sealed class Fitter
    {
        // Points per parallel work item: large enough to amortise scheduling, fixed so work splits the same way every run.
        private const int Block = 256;

        private readonly float[] _data;
        private readonly int _dim;
        private readonly int _n;
        private readonly int _k;
        private readonly KMeansOptions _options;
        private readonly CancellationToken _cancellationToken;
        private readonly double[] _sums;
        private readonly int[] _members;
        private readonly int[] _starts;

        public Fitter(float[] data, int dim, int k, KMeansOptions options, CancellationToken cancellationToken)
        {
            _data = data;
            _dim = dim;
            _n = data.Length / dim;
            _k = k;
            _options = options;
            _cancellationToken = cancellationToken;
            Centroids = new float[k * dim];
            Assignments = new int[_n];
            Distances = new float[_n];
            Sizes = new int[k];
            _sums = new double[k * dim];
            _members = new int[_n];
            _starts = new int[k + 1];
        }

        public float[] Centroids { get; }

        public int[] Assignments { get; }

        public float[] Distances { get; }

        public int[] Sizes { get; }

        private ReadOnlySpan<float> Point(int i) => _data.AsSpan(i * _dim, _dim);

        private Span<float> CentroidSpan(int c) => Centroids.AsSpan(c * _dim, _dim);

        /// <summary>k-means++: the first centroid uniformly, each next one with probability proportional to D^2.</summary>
        public void Seed(long seed)
        {
            var random = CleaningRandom.For(seed, purpose: 1);
            Point(random.Next(_n)).CopyTo(CentroidSpan(0));
            ForBlocks((start, end) =>
            {
                var c0 = Centroids.AsSpan(0, _dim);
                for (var i = start; i < end; i++) Distances[i] = VectorMath.SquaredDistance(Point(i), c0);
            });

            for (var c = 1; c < _k; c++)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                var total = SumDistances();
                var pick = total > 0 ? SampleByWeight(random.NextDouble() * total) : FirstPointUnlikeCentroids(c);
                Point(pick).CopyTo(CentroidSpan(c));
                var chosen = c;
                ForBlocks((start, end) =>
                {
                    var centroid = Centroids.AsSpan(chosen * _dim, _dim);
                    for (var i = start; i < end; i++)
                    {
                        var d = VectorMath.SquaredDistance(Point(i), centroid);
                        if (d < Distances[i]) Distances[i] = d;
                    }
                });
            }
        }

        /// <summary>The first point whose cumulative D^2 passes <paramref name="target"/>; points at distance 0 are never picked.</summary>
        private int SampleByWeight(double target)
        {
            double cumulative = 0;
            var lastPositive = -1;
            for (var i = 0; i < _n; i++)
            {
                if (Distances[i] <= 0) continue;
                cumulative += Distances[i];
                lastPositive = i;
                if (cumulative > target) return i;
            }

            // Rounding can leave target at the very top of the sum: the last point with weight is the right answer then.
            return lastPositive;
        }

        /// <summary>
        /// D^2 is all zero although there are more distinct points than centroids: the remaining ones differ from a centroid
        /// by less than float squares can show. Take the first point that is bitwise unlike every chosen centroid.
        /// </summary>
        private int FirstPointUnlikeCentroids(int chosen)
        {
            for (var i = 0; i < _n; i++)
            {
                var point = Point(i);
                var unlike = true;
                for (var c = 0; c < chosen && unlike; c++) unlike = !point.SequenceEqual(CentroidSpan(c));
                if (unlike) return i;
            }

            throw new InvalidOperationException("k-means++ found no point unlike the chosen centroids although k was capped at the distinct count.");
        }

        /// <summary>Lloyd iterations until no point changes cluster or the limit is hit.</summary>
        public (int Iterations, bool Converged) Iterate()
        {
            Array.Fill(Assignments, -1);
            Assign();
            for (var iteration = 1; iteration <= _options.MaxIterations; iteration++)
            {
                _cancellationToken.ThrowIfCancellationRequested();
                var reseeded = ReseedEmptyClusters();
                UpdateCentroids();
                if (Assign() == 0 && !reseeded) return (iteration, true);
            }

            return (_options.MaxIterations, false);
        }

        /// <summary>Moves every point to its nearest centroid; returns how many moved. Sizes are recounted.</summary>
        private int Assign()
        {
            var blockCount = (_n + Block - 1) / Block;
            var changes = new int[blockCount];
            ForBlocks((start, end) =>
            {
                var changed = 0;
                for (var i = start; i < end; i++)
                {
                    var nearest = VectorMath.Nearest(Point(i), Centroids, _dim, out var d);
                    Distances[i] = d;
                    if (Assignments[i] != nearest)
                    {
                        Assignments[i] = nearest;
                        changed++;
                    }
                }

                changes[start / Block] = changed;
            });

            Array.Clear(Sizes);
            foreach (var a in Assignments) Sizes[a]++;
            var total = 0;
            foreach (var c in changes) total += c;
            return total;
        }

        /// <summary>
        /// Gives each empty cluster the point farthest from its own centroid (lowest index on ties), taken only from a
        /// cluster that keeps at least one point. A cluster stays empty only when every such point sits on its centroid.
        /// </summary>
        private bool ReseedEmptyClusters()
        {
            var reseeded = false;
            for (var c = 0; c < _k; c++)
            {
                if (Sizes[c] != 0) continue;
                var best = -1;
                var bestDistance = 0f;
                for (var i = 0; i < _n; i++)
                {
                    if (Distances[i] > bestDistance && Sizes[Assignments[i]] > 1)
                    {
                        best = i;
                        bestDistance = Distances[i];
                    }
                }

                if (best < 0) continue;
                Sizes[Assignments[best]]--;
                Assignments[best] = c;
                Sizes[c] = 1;
                Distances[best] = 0;
                reseeded = true;
            }

            return reseeded;
        }

        /// <summary>Each centroid becomes the mean of its members, summed in double in point order; empty clusters keep theirs.</summary>
        private void UpdateCentroids()
        {
            // Counting sort of the points by cluster, stable, so each cluster's members are in index order.
            _starts[0] = 0;
            for (var c = 0; c < _k; c++) _starts[c + 1] = _starts[c] + Sizes[c];
            var next = _starts.AsSpan(0, _k).ToArray();
            for (var i = 0; i < _n; i++) _members[next[Assignments[i]]++] = i;

            For(_k, c =>
            {
                if (Sizes[c] == 0) return;
                var sum = _sums.AsSpan(c * _dim, _dim);
                sum.Clear();
                for (var m = _starts[c]; m < _starts[c + 1]; m++)
                {
                    var point = Point(_members[m]);
                    for (var j = 0; j < _dim; j++) sum[j] += point[j];
                }

                var centroid = CentroidSpan(c);
                var count = (double)Sizes[c];
                for (var j = 0; j < _dim; j++) centroid[j] = (float)(sum[j] / count);
            });
        }

        public double Cost() => SumDistances();

        private double SumDistances()
        {
            double total = 0;
            foreach (var d in Distances) total += d;
            return total;
        }

        private void ForBlocks(Action<int, int> body)
        {
            var blockCount = (_n + Block - 1) / Block;
            For(blockCount, b => body(b * Block, Math.Min(_n, (b + 1) * Block)));
        }

        private void For(int count, Action<int> body)
        {
            if (_options.MaxDegreeOfParallelism == 1 || count == 1)
            {
                for (var i = 0; i < count; i++) body(i);
                return;
            }

            Parallel.For(0, count, new ParallelOptions
            {
                MaxDegreeOfParallelism = _options.MaxDegreeOfParallelism,
                CancellationToken = _cancellationToken,
            }, body);
        }
    }
}
