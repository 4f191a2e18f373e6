using RamDataEngine.Core.Cleaning;

namespace RamDataEngine.Core.Tests.Cleaning;

public sealed class OutlierCutTests
{
    private const int Dim = 16;

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 1)]
    [InlineData(2, 1)]
    [InlineData(20, 3)]
    [InlineData(50, 5)]
    [InlineData(200, 10)]
    [InlineData(512, 16)]
    [InlineData(100_000, 16)]
    public void ChooseK_SampleSize_SquareRootOfHalfClamped(int sampleSize, int expected)
        => Assert.Equal(expected, OutlierCut.ChooseK(sampleSize));

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Compute_TwoBlobsPlusFarNoise_CutsTenPercentIncludingEveryNoisePoint(int dataSeed)
    {
        var (sample, noiseStart) = BlobsAndNoise(dataSeed, blobSize: 100, noise: 10);
        var n = sample.Length / Dim;

        var cut = OutlierCut.Compute(sample, Dim, seed: dataSeed);

        var outliers = Enumerable.Range(0, n).Where(i => cut.IsOutlier(sample.AsSpan(i * Dim, Dim))).ToList();
        Assert.False(cut.Skipped);
        Assert.Equal(10, cut.ClusterCount); // round(sqrt(210 / 2))
        Assert.Equal(21, outliers.Count); // floor(0.1 * 210): distances are distinct, so exactly
        Assert.All(Enumerable.Range(noiseStart, 10), i => Assert.Contains(i, outliers));
        Assert.InRange(cut.KeptClusters, 2, cut.ClusterCount);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Compute_EightModesSplitOverSixteenClusters_NoModeCutWholesale(int dataSeed)
    {
        // 8 equal modes and k = 16: each mode is split over about two centroids, some holding under 5% of the sample.
        // None of them may be taken for noise, or most of a mode would be cut instead of the noise and the edges.
        var sample = EightModesAndNoise(dataSeed);

        var cut = OutlierCut.Compute(sample, ModesDim, seed: dataSeed);

        Assert.Equal(16, cut.ClusterCount);
        var outliers = Outliers(cut, sample, ModesDim);
        Assert.Equal(206, outliers.Count); // floor(0.1 * 2068)
        Assert.All(Enumerable.Range(2048, 20), i => Assert.Contains(i, outliers));
        Assert.InRange(WorstModeLoss(outliers), 0, 64);
    }

    [Fact]
    public void Compute_SmallClustersJudgedByShareOfN_CutsMostOfAMode()
    {
        // Why SmallClusterFactor is relative to n / k: the rule it replaced (a cluster under 5% of n is noise, which is
        // 0.8 x n / 16 here) drops both halves of a split mode and spends the whole outlier budget on that mode.
        var sample = EightModesAndNoise(1);

        var cut = OutlierCut.Compute(sample, ModesDim, seed: 1, new OutlierCutOptions { SmallClusterFactor = 0.8 });

        Assert.InRange(WorstModeLoss(Outliers(cut, sample, ModesDim)), 128, 256);
    }

    [Fact]
    public void Compute_FreshRowsInPhaseTwo_NoiseCutBlobsMostlyKept()
    {
        var (sample, _) = BlobsAndNoise(7, blobSize: 150, noise: 15);
        var cut = OutlierCut.Compute(sample, Dim, seed: 3);

        // New rows from the same blobs and new noise: what phase 2 sees on shards the sample never touched.
        var data = new CleaningTestData(70);
        var blobs = new List<float>();
        data.AddBlob(blobs, BlobCentre(7, 0), 500, Sigma);
        data.AddBlob(blobs, BlobCentre(7, 1), 500, Sigma);
        var noise = new List<float>();
        data.AddNoise(noise, Dim, 100);
        var blobFlags = new bool[1000];
        var noiseFlags = new bool[100];

        var blobOutliers = cut.MarkOutliers(blobs.ToArray(), blobFlags);
        var noiseOutliers = cut.MarkOutliers(noise.ToArray(), noiseFlags);

        Assert.Equal(100, noiseOutliers);
        Assert.InRange(blobOutliers, 0, 150); // about 1 - 285/300 = 5% expected; 15% is a generous ceiling
    }

    [Fact]
    public void Compute_FractionOption_CutsThatShare()
    {
        var (sample, _) = BlobsAndNoise(2, blobSize: 100, noise: 10);

        var cut = OutlierCut.Compute(sample, Dim, seed: 1, new OutlierCutOptions { OutlierFraction = 0.2 });

        Assert.Equal(42, CountOutliers(cut, sample));
    }

    [Fact]
    public void Compute_BelowMinimumSample_SkippedAndNothingIsAnOutlier()
    {
        var (sample, _) = BlobsAndNoise(1, blobSize: 9, noise: 1);

        var cut = OutlierCut.Compute(sample, Dim, seed: 1);

        Assert.True(cut.Skipped);
        Assert.Equal(19, cut.SampleSize);
        Assert.Equal(0, cut.KeptClusters);
        Assert.Equal(0, CountOutliers(cut, sample));
        Assert.False(cut.IsOutlier(Enumerable.Repeat(1e6f, Dim).ToArray()));
    }

    [Fact]
    public void Compute_MinimumSampleOption_Honoured()
    {
        var (sample, _) = BlobsAndNoise(1, blobSize: 9, noise: 1);

        Assert.False(OutlierCut.Compute(sample, Dim, seed: 1, new OutlierCutOptions { MinSampleSize = 19 }).Skipped);
        Assert.True(OutlierCut.Compute(sample, Dim, seed: 1, new OutlierCutOptions { MinSampleSize = 20 }).Skipped);
    }

    [Fact]
    public void Compute_AtMinimumSample_CutsTwoOfTwenty()
    {
        var (sample, _) = BlobsAndNoise(4, blobSize: 10, noise: 0);

        var cut = OutlierCut.Compute(sample, Dim, seed: 1);

        Assert.False(cut.Skipped);
        Assert.Equal(3, cut.ClusterCount);
        Assert.Equal(2, CountOutliers(cut, sample));
    }

    [Fact]
    public void Compute_AllRowsIdentical_NothingCut()
    {
        var sample = Enumerable.Repeat(BlobCentre(1, 0), 30).SelectMany(p => p).ToArray();

        var cut = OutlierCut.Compute(sample, Dim, seed: 1);

        Assert.Equal(1, cut.ClusterCount);
        Assert.Equal(0f, cut.CutSquaredDistance);
        Assert.Equal(0, CountOutliers(cut, sample));
    }

    [Fact]
    public void Compute_SameSeed_IdenticalBytesOnAnyThreadCount()
    {
        var (sample, _) = BlobsAndNoise(3, blobSize: 400, noise: 40);

        var a = OutlierCut.Compute(sample, Dim, seed: 8);
        var b = OutlierCut.Compute(sample, Dim, seed: 8, new OutlierCutOptions { KMeans = new KMeansOptions { MaxDegreeOfParallelism = 3 } });

        Assert.Equal(a.ToBytes(), b.ToBytes());
    }

    [Fact]
    public void Compute_FromSample_SameAsFromItsEmbeddings()
    {
        var (points, _) = BlobsAndNoise(5, blobSize: 300, noise: 30);
        var sample = new PrioritySample(capacity: 256, Dim, seed: 4);
        for (var i = 0; i < points.Length / Dim; i++) sample.Add(i, points.AsSpan(i * Dim, Dim));

        var fromSample = OutlierCut.Compute(sample, seed: 2);
        var fromSpan = OutlierCut.Compute(sample.Embeddings(), Dim, seed: 2);

        Assert.Equal(256, fromSample.SampleSize);
        Assert.Equal(fromSpan.ToBytes(), fromSample.ToBytes());
        Assert.Equal(25, CountOutliers(fromSample, sample.Embeddings()));
    }

    [Fact]
    public void ToBytes_RoundTrip_SameDecisions()
    {
        var (sample, _) = BlobsAndNoise(6, blobSize: 100, noise: 10);
        var cut = OutlierCut.Compute(sample, Dim, seed: 1);

        var restored = TagCut.FromBytes(cut.ToBytes());

        Assert.Equal(cut.CutSquaredDistance, restored.CutSquaredDistance);
        Assert.Equal(cut.Centroids.ToArray(), restored.Centroids.ToArray());
        Assert.Equal((cut.ClusterCount, cut.SampleSize, cut.Normalized), (restored.ClusterCount, restored.SampleSize, restored.Normalized));
        for (var i = 0; i < sample.Length / Dim; i++)
            Assert.Equal(cut.IsOutlier(sample.AsSpan(i * Dim, Dim)), restored.IsOutlier(sample.AsSpan(i * Dim, Dim)));
        Assert.True(TagCut.FromBytes(TagCut.Skip(Dim, 3).ToBytes()).Skipped);
    }

    [Fact]
    public void FromBytes_Truncated_ErrorNamesSizes()
    {
        var bytes = TagCut.Skip(4, 3).ToBytes();
        var cut = new TagCut(4, new float[8], 1f, 2, 30, normalized: true).ToBytes();

        var error = Assert.Throws<ArgumentException>(() => TagCut.FromBytes(cut.AsSpan(0, cut.Length - 1)));

        Assert.Contains("2 centroids of dim 4", error.Message);
        Assert.Throws<ArgumentException>(() => TagCut.FromBytes(bytes.AsSpan(0, 5)));
    }

    [Fact]
    public void IsOutlier_WrongDim_ErrorNamesSizes()
    {
        var cut = new TagCut(4, new float[4], 1f, 1, 30, normalized: true);

        var error = Assert.Throws<ArgumentException>(() => cut.IsOutlier(new float[5]));

        Assert.Contains("5 floats", error.Message);
        Assert.Contains("dim 4", error.Message);
    }

    [Fact]
    public void IsOutlier_NonFinite_Throws()
    {
        var cut = new TagCut(2, [1f, 0f], 0.5f, 1, 30, normalized: true);

        Assert.Throws<ArgumentException>(() => cut.IsOutlier([float.PositiveInfinity, 0f]));
    }

    [Fact]
    public void IsOutlier_HandBuiltCut_StrictlyBeyondIsOutlier()
    {
        // Unit vectors: (1, 0) is at distance 0; (0, 1) at squared distance 2; 45 degrees at 2 - sqrt(2) ~ 0.586.
        var cut = new TagCut(2, [1f, 0f], 0.6f, 1, 30, normalized: true);

        Assert.False(cut.IsOutlier([5f, 0f]));
        Assert.False(cut.IsOutlier([1f, 1f]));
        Assert.True(cut.IsOutlier([0f, 3f]));
        Assert.True(cut.IsOutlier([-1f, 0f]));
    }

    [Fact]
    public void Compute_BadOptions_Throw()
    {
        float[] sample = new float[40 * Dim];

        Assert.Throws<ArgumentOutOfRangeException>(() => OutlierCut.Compute(sample, Dim, 1, new OutlierCutOptions { OutlierFraction = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => OutlierCut.Compute(sample, Dim, 1, new OutlierCutOptions { OutlierFraction = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => OutlierCut.Compute(sample, Dim, 1, new OutlierCutOptions { MinSampleSize = 0 }));
        Assert.Throws<ArgumentException>(() => OutlierCut.Compute(new float[Dim + 1], Dim, 1));
    }

    private const double Sigma = 0.05;

    private static float[] BlobCentre(int dataSeed, int blob)
    {
        var data = new CleaningTestData((dataSeed * 10) + blob);
        return data.Direction(Dim);
    }

    /// <summary>Two tight blobs around random directions, then noise in random directions (row indices from noiseStart on).</summary>
    private static (float[] Sample, int NoiseStart) BlobsAndNoise(int dataSeed, int blobSize, int noise)
    {
        var data = new CleaningTestData(dataSeed * 1000);
        var points = new List<float>();
        data.AddBlob(points, BlobCentre(dataSeed, 0), blobSize, Sigma);
        data.AddBlob(points, BlobCentre(dataSeed, 1), blobSize, Sigma);
        data.AddNoise(points, Dim, noise);
        return (points.ToArray(), 2 * blobSize);
    }

    private const int ModesDim = 32;

    private static float[] EightModesAndNoise(int dataSeed)
    {
        var data = new CleaningTestData(dataSeed);
        var points = new List<float>();
        for (var mode = 0; mode < 8; mode++) data.AddBlob(points, data.Direction(ModesDim), 256, 0.02);
        data.AddNoise(points, ModesDim, 20);
        return points.ToArray();
    }

    /// <summary>Most rows cut from any one of the 8 modes of 256 rows.</summary>
    private static int WorstModeLoss(List<int> outliers) => Enumerable.Range(0, 8).Max(m => outliers.Count(i => i / 256 == m && i < 2048));

    private static List<int> Outliers(TagCut cut, float[] sample, int dim)
        => Enumerable.Range(0, sample.Length / dim).Where(i => cut.IsOutlier(sample.AsSpan(i * dim, dim))).ToList();

    private static int CountOutliers(TagCut cut, float[] sample)
        => Enumerable.Range(0, sample.Length / Dim).Count(i => cut.IsOutlier(sample.AsSpan(i * Dim, Dim)));
}
