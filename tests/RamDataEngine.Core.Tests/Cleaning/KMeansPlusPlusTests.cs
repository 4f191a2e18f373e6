using System.Runtime.InteropServices;
using RamDataEngine.Core.Cleaning;

namespace RamDataEngine.Core.Tests.Cleaning;

public sealed class KMeansPlusPlusTests
{
    private static readonly KMeansOptions Raw = new() { Normalize = false };

    [Fact]
    public void Fit_FourPointsTwoPairs_CentroidsAtPairMidpoints()
    {
        float[] points = [0, 0, 0, 2, 10, 0, 10, 2];

        var fit = KMeansPlusPlus.Fit(points, dim: 2, k: 2, seed: 1, Raw);

        var centroids = Enumerable.Range(0, 2).Select(c => fit.Centroid(c).ToArray()).OrderBy(c => c[0]).ToList();
        Assert.Equal([0f, 1f], centroids[0]);
        Assert.Equal([10f, 1f], centroids[1]);
        Assert.Equal(fit.Assignments[0], fit.Assignments[1]);
        Assert.Equal(fit.Assignments[2], fit.Assignments[3]);
        Assert.NotEqual(fit.Assignments[0], fit.Assignments[2]);
        Assert.Equal(4.0, fit.Cost);
        Assert.True(fit.Converged);
    }

    [Fact]
    public void Fit_TwoSeparatedBlobs_CentroidsAtBlobMeans()
    {
        var data = new CleaningTestData(3);
        var points = new List<float>();
        data.AddBlob(points, [0f, 0f, 0f], 60, 1.0);
        data.AddBlob(points, [20f, -20f, 5f], 40, 1.0);

        var fit = KMeansPlusPlus.Fit(points.ToArray(), dim: 3, k: 2, seed: 9, Raw);

        var first = fit.Assignments[0];
        Assert.All(Enumerable.Range(0, 60), i => Assert.Equal(first, fit.Assignments[i]));
        Assert.All(Enumerable.Range(60, 40), i => Assert.Equal(1 - first, fit.Assignments[i]));
        AssertCentroidIsMean(fit.Centroid(first), points, 0, 60, 3);
        AssertCentroidIsMean(fit.Centroid(1 - first), points, 60, 40, 3);
        Assert.Equal([60, 40], first == 0 ? fit.ClusterSizes.ToArray() : fit.ClusterSizes.ToArray().Reverse());
    }

    [Fact]
    public void Fit_SameSeedTwice_BitIdentical()
    {
        var points = RandomPoints(seed: 5, n: 1500, dim: 24);

        var a = KMeansPlusPlus.Fit(points, 24, 9, seed: 42);
        var b = KMeansPlusPlus.Fit(points, 24, 9, seed: 42);

        AssertBitIdentical(a, b);
    }

    [Fact]
    public void Fit_ParallelAndSequential_BitIdentical()
    {
        var points = RandomPoints(seed: 6, n: 3000, dim: 20);

        var sequential = KMeansPlusPlus.Fit(points, 20, 12, seed: 7, new KMeansOptions { MaxDegreeOfParallelism = 1 });
        var parallel = KMeansPlusPlus.Fit(points, 20, 12, seed: 7, new KMeansOptions { MaxDegreeOfParallelism = 4 });
        var two = KMeansPlusPlus.Fit(points, 20, 12, seed: 7, new KMeansOptions { MaxDegreeOfParallelism = 2 });

        AssertBitIdentical(sequential, parallel);
        AssertBitIdentical(sequential, two);
    }

    [Fact]
    public void Fit_DifferentSeeds_CostsWithinOnePercent()
    {
        var data = new CleaningTestData(11);
        var points = new List<float>();
        data.AddBlob(points, [0f, 0f], 50, 1.0);
        data.AddBlob(points, [30f, 0f], 50, 1.0);
        data.AddBlob(points, [0f, 30f], 50, 1.0);
        data.AddBlob(points, [30f, 30f], 50, 1.0);

        var costs = Enumerable.Range(1, 8).Select(seed => KMeansPlusPlus.Fit(points.ToArray(), 2, 4, seed, Raw).Cost).ToList();

        Assert.All(costs, cost => Assert.InRange(cost, costs.Min(), costs.Min() * 1.01));
    }

    [Fact]
    public void Fit_AllDuplicates_OneClusterAtThePoint()
    {
        var points = Enumerable.Repeat(new[] { 3f, -1f, 2f }, 10).SelectMany(p => p).ToArray();

        var fit = KMeansPlusPlus.Fit(points, 3, 4, seed: 1, Raw);

        Assert.Equal(1, fit.K);
        Assert.Equal(4, fit.RequestedK);
        Assert.Equal([3f, -1f, 2f], fit.Centroid(0).ToArray());
        Assert.Equal(0.0, fit.Cost);
    }

    [Fact]
    public void Fit_ThreeDistinctValuesRepeated_KCappedAtThree()
    {
        float[][] values = [[1f, 0f], [0f, 1f], [-1f, 0f]];
        var points = Enumerable.Range(0, 15).SelectMany(i => values[i % 3]).ToArray();

        var fit = KMeansPlusPlus.Fit(points, 2, 10, seed: 2);

        Assert.Equal(3, fit.K);
        Assert.Equal([5, 5, 5], fit.ClusterSizes.ToArray());
        Assert.Equal(0.0, fit.Cost);
        for (var i = 3; i < 15; i++) Assert.Equal(fit.Assignments[i % 3], fit.Assignments[i]);
    }

    [Fact]
    public void Fit_NegativeZero_CountsAsZero()
    {
        float[] points = [0f, 1f, -0f, 1f];

        var fit = KMeansPlusPlus.Fit(points, 2, 2, seed: 1, Raw);

        Assert.Equal(1, fit.K);
    }

    [Fact]
    public void Fit_DistinctPointsAtUnderflowingDistance_FallbackSeedingTerminates()
    {
        // Bitwise distinct, but (1e-30)^2 underflows to 0 in float: D^2 is all zero with a centroid still to place.
        float[] points = [1e-30f, 0f, 2e-30f, 0f, 2e-30f, 0f];

        var fit = KMeansPlusPlus.Fit(points, 2, 5, seed: 1, Raw);

        Assert.Equal(2, fit.K);
        Assert.Equal(3, fit.ClusterSizes.ToArray().Sum());
        Assert.Equal(0.0, fit.Cost);
        Assert.True(fit.Converged);
    }

    [Fact]
    public void Fit_KGreaterThanN_EachPointItsOwnCluster()
    {
        float[] points = [0, 0, 5, 0, 0, 5, 5, 5];

        var fit = KMeansPlusPlus.Fit(points, 2, 10, seed: 3, Raw);

        Assert.Equal(4, fit.K);
        Assert.Equal(4, fit.Assignments.ToArray().Distinct().Count());
        Assert.Equal([1, 1, 1, 1], fit.ClusterSizes.ToArray());
        Assert.Equal(0.0, fit.Cost);
    }

    [Fact]
    public void Fit_NoPoints_EmptyResult()
    {
        var fit = KMeansPlusPlus.Fit([], 8, 3, seed: 1);

        Assert.Equal(0, fit.K);
        Assert.Equal(0, fit.PointCount);
        Assert.Equal(3, fit.RequestedK);
        Assert.Equal(0.0, fit.Cost);
        Assert.Throws<InvalidOperationException>(() => fit.Nearest(new float[8], out _));
    }

    [Fact]
    public void Fit_OnePoint_CentroidIsThePointNormalised()
    {
        var fit = KMeansPlusPlus.Fit([3f, 4f], 2, 5, seed: 1);

        Assert.Equal(1, fit.K);
        Assert.Equal([0.6f, 0.8f], fit.Centroid(0).ToArray());
        Assert.Equal(0, fit.Assignments[0]);
    }

    [Fact]
    public void Fit_DefaultNormalisation_ClustersByDirectionNotLength()
    {
        float[] points = [1f, 0f, 100f, 0f, 0f, 1f, 0f, 50f];

        var fit = KMeansPlusPlus.Fit(points, 2, 2, seed: 4);

        Assert.Equal(fit.Assignments[0], fit.Assignments[1]);
        Assert.Equal(fit.Assignments[2], fit.Assignments[3]);
        Assert.NotEqual(fit.Assignments[0], fit.Assignments[2]);
        Assert.Equal(0.0, fit.Cost);
    }

    [Fact]
    public void Fit_BufferNotWholePoints_ErrorNamesSizes()
    {
        var error = Assert.Throws<ArgumentException>(() => KMeansPlusPlus.Fit(new float[7], 3, 2, seed: 1));

        Assert.Contains("7 floats", error.Message);
        Assert.Contains("dim 3", error.Message);
    }

    [Fact]
    public void Fit_NaN_ErrorNamesPointAndComponent()
    {
        float[] points = [0, 0, 1, 1, 2, float.NaN];

        var error = Assert.Throws<ArgumentException>(() => KMeansPlusPlus.Fit(points, 2, 2, seed: 1));

        Assert.Contains("point 2, component 1", error.Message);
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(2, 0)]
    public void Fit_NonPositiveDimOrK_Throws(int dim, int k)
        => Assert.Throws<ArgumentOutOfRangeException>(() => KMeansPlusPlus.Fit(new float[4], dim, k, seed: 1));

    [Fact]
    public void Fit_RandomData_NoEmptyClustersAndAssignmentsNearest()
    {
        var points = RandomPoints(seed: 8, n: 400, dim: 6);

        var fit = KMeansPlusPlus.Fit(points, 6, 16, seed: 5);

        Assert.Equal(16, fit.K);
        Assert.All(fit.ClusterSizes.ToArray(), size => Assert.True(size > 0));
        Assert.Equal(400, fit.ClusterSizes.ToArray().Sum());
        for (var i = 0; i < 400; i++)
        {
            Assert.Equal(fit.Assignments[i], fit.Nearest(points.AsSpan(i * 6, 6), out var d));
            Assert.Equal(fit.SquaredDistances[i], d);
        }

        Assert.Equal(fit.SquaredDistances.ToArray().Sum(d => (double)d), fit.Cost, 6);
    }

    [Fact]
    public void Fit_Converged_CentroidsAreClusterMeans()
    {
        var points = RandomPoints(seed: 10, n: 300, dim: 4);

        var fit = KMeansPlusPlus.Fit(points, 4, 5, seed: 3, Raw);

        Assert.True(fit.Converged);
        for (var c = 0; c < fit.K; c++)
        {
            var members = Enumerable.Range(0, 300).Where(i => fit.Assignments[i] == c).ToList();
            for (var j = 0; j < 4; j++)
                Assert.Equal(members.Average(i => (double)points[(i * 4) + j]), fit.Centroid(c)[j], 5);
        }
    }

    [Fact]
    public void Fit_IterationLimitHit_NotConvergedAndDistancesMatchCentroids()
    {
        var points = RandomPoints(seed: 12, n: 500, dim: 3);

        var fit = KMeansPlusPlus.Fit(points, 3, 8, seed: 1, new KMeansOptions { MaxIterations = 1 });

        Assert.False(fit.Converged);
        Assert.Equal(1, fit.Iterations);
        for (var i = 0; i < 500; i++)
        {
            fit.Nearest(points.AsSpan(i * 3, 3), out var d);
            Assert.Equal(fit.SquaredDistances[i], d);
        }
    }

    [Fact]
    public void Fit_CancelledToken_Throws()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();

        Assert.ThrowsAny<OperationCanceledException>(() => KMeansPlusPlus.Fit(RandomPoints(1, 50, 2), 2, 3, seed: 1, cancellationToken: cancellation.Token));
    }

    private static float[] RandomPoints(int seed, int n, int dim)
    {
        var data = new CleaningTestData(seed);
        return Enumerable.Range(0, n * dim).Select(_ => (float)data.Gaussian()).ToArray();
    }

    private static void AssertCentroidIsMean(ReadOnlySpan<float> centroid, List<float> points, int start, int count, int dim)
    {
        for (var j = 0; j < dim; j++)
        {
            double sum = 0;
            for (var i = start; i < start + count; i++) sum += points[(i * dim) + j];
            Assert.Equal(sum / count, centroid[j], 5);
        }
    }

    private static void AssertBitIdentical(KMeansResult a, KMeansResult b)
    {
        Assert.Equal(MemoryMarshal.Cast<float, int>(a.Centroids).ToArray(), MemoryMarshal.Cast<float, int>(b.Centroids).ToArray());
        Assert.Equal(a.Assignments.ToArray(), b.Assignments.ToArray());
        Assert.Equal(MemoryMarshal.Cast<float, int>(a.SquaredDistances).ToArray(), MemoryMarshal.Cast<float, int>(b.SquaredDistances).ToArray());
        Assert.Equal(BitConverter.DoubleToInt64Bits(a.Cost), BitConverter.DoubleToInt64Bits(b.Cost));
        Assert.Equal(a.Iterations, b.Iterations);
    }
}
