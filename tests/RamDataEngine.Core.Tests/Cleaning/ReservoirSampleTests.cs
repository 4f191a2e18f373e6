using RamDataEngine.Core.Cleaning;

namespace RamDataEngine.Core.Tests.Cleaning;

public sealed class ReservoirSampleTests
{
    private const int Runs = 4000;

    [Fact]
    public void Add_BelowCapacity_KeepsEveryItemInOrder()
    {
        var reservoir = new ReservoirSample(capacity: 10, dim: 2, seed: 1);

        for (var i = 0; i < 4; i++) Assert.True(reservoir.Add(100 + i, [i, -i]));

        Assert.Equal(4, reservoir.Count);
        Assert.Equal(4, reservoir.Seen);
        Assert.Equal([100L, 101, 102, 103], reservoir.RowIds.ToArray());
        Assert.Equal([0f, 0f, 1f, -1f, 2f, -2f, 3f, -3f], reservoir.Embeddings.ToArray());
    }

    [Fact]
    public void Add_PastCapacity_KeepsCapacityItemsWithTheirOwnEmbeddings()
    {
        var reservoir = new ReservoirSample(capacity: 40, dim: 3, seed: 2);

        for (var i = 0; i < 1000; i++) reservoir.Add(i, [i, i * 2, i * 3]);

        Assert.Equal(40, reservoir.Count);
        Assert.Equal(1000, reservoir.Seen);
        Assert.Equal(40, reservoir.RowIds.ToArray().Distinct().Count());
        for (var slot = 0; slot < 40; slot++)
        {
            var id = reservoir.RowIds[slot];
            Assert.Equal([id, id * 2, id * 3], reservoir.Embedding(slot).ToArray());
        }
    }

    [Fact]
    public void Add_WrongDim_ErrorNamesSizes()
    {
        var reservoir = new ReservoirSample(5, 4, seed: 1);

        var error = Assert.Throws<ArgumentException>(() => reservoir.Add(77, new float[3]));

        Assert.Contains("Row 77", error.Message);
        Assert.Contains("3 floats", error.Message);
        Assert.Contains("dim 4", error.Message);
    }

    [Fact]
    public void Add_ManySeededRuns_EveryItemEquallyLikely()
    {
        var counts = new int[50];
        for (var run = 0; run < Runs; run++)
        {
            var reservoir = new ReservoirSample(5, 1, seed: run);
            for (var i = 0; i < 50; i++) reservoir.Add(i, [i]);
            foreach (var id in reservoir.RowIds) counts[id]++;
        }

        AssertUniform(counts, Runs * 5);
    }

    [Fact]
    public void Merge_SplitStreams_EveryItemEquallyLikely()
    {
        var counts = new int[50];
        for (var run = 0; run < Runs; run++)
        {
            var merged = ReservoirSample.Merge(Fill(0, 30, run, 1), Fill(30, 50, run, 2), seed: run);
            Assert.Equal(5, merged.Count);
            Assert.Equal(50, merged.Seen);
            foreach (var id in merged.RowIds) counts[id]++;
        }

        AssertUniform(counts, Runs * 5);
    }

    [Fact]
    public void Merge_WithSideNotFull_EveryItemEquallyLikely()
    {
        var counts = new int[50];
        for (var run = 0; run < Runs; run++)
        {
            var merged = ReservoirSample.Merge(Fill(0, 47, run, 1), Fill(47, 50, run, 2), seed: run);
            foreach (var id in merged.RowIds) counts[id]++;
        }

        AssertUniform(counts, Runs * 5);
    }

    [Fact]
    public void Merge_ThreeShards_ItemsFromFirstShardFollowTheSingleStreamLaw()
    {
        // A uniform 5-subset of 50 items holds Hypergeometric(50, 20, 5) items of the first 20; merging shards of
        // 20, 10 and 20 items must give the same law as one stream, and so must the single stream itself.
        var merged = new int[6];
        var single = new int[6];
        for (var run = 0; run < Runs; run++)
        {
            var parts = new[] { Fill(0, 20, run, 1), Fill(20, 30, run, 2), Fill(30, 50, run, 3) };
            merged[ReservoirSample.Merge(parts, seed: run).RowIds.ToArray().Count(id => id < 20)]++;
            single[Fill(0, 50, run, 4).RowIds.ToArray().Count(id => id < 20)]++;
        }

        var expected = Enumerable.Range(0, 6).Select(x => Runs * Hypergeometric(50, 20, 5, x)).ToArray();
        Assert.InRange(ChiSquare(merged, expected), 0, 25); // df 5: mean 5, P(> 25) < 0.0002
        Assert.InRange(ChiSquare(single, expected), 0, 25);
    }

    [Fact]
    public void Merge_SameInputsAndSeed_Identical()
    {
        var a = ReservoirSample.Merge(Fill(0, 100, 1, 1, capacity: 20), Fill(100, 300, 1, 2, capacity: 20), seed: 5);
        var b = ReservoirSample.Merge(Fill(0, 100, 1, 1, capacity: 20), Fill(100, 300, 1, 2, capacity: 20), seed: 5);

        Assert.Equal(a.ToBytes(), b.ToBytes());
    }

    [Fact]
    public void Merge_DifferentCapacities_KeepsTheSmaller()
    {
        var merged = ReservoirSample.Merge(Fill(0, 100, 1, 1, capacity: 30), Fill(100, 200, 1, 2, capacity: 10), seed: 1);

        Assert.Equal(10, merged.Capacity);
        Assert.Equal(10, merged.Count);
        Assert.Equal(200, merged.Seen);
        for (var slot = 0; slot < merged.Count; slot++) Assert.Equal(merged.RowIds[slot], merged.Embedding(slot)[0]);
    }

    [Fact]
    public void Merge_WithEmpty_KeepsTheOtherSide()
    {
        var full = Fill(0, 8, 1, 1, capacity: 10);

        var merged = ReservoirSample.Merge(new ReservoirSample(10, 1, seed: 3), full, seed: 2);

        Assert.Equal(full.RowIds.ToArray().Order(), merged.RowIds.ToArray().Order());
        Assert.Equal(8, merged.Seen);
    }

    [Fact]
    public void Merge_DimMismatch_ErrorNamesDims()
    {
        var error = Assert.Throws<ArgumentException>(() => ReservoirSample.Merge(new ReservoirSample(5, 3, 1), new ReservoirSample(5, 4, 1), seed: 1));

        Assert.Contains("dim 3 and dim 4", error.Message);
    }

    [Fact]
    public void Merge_ThenAdd_StaysUniform()
    {
        var counts = new int[60];
        for (var run = 0; run < Runs; run++)
        {
            var merged = ReservoirSample.Merge(Fill(0, 20, run, 1), Fill(20, 40, run, 2), seed: run);
            for (var i = 40; i < 60; i++) merged.Add(i, [i]);
            foreach (var id in merged.RowIds) counts[id]++;
        }

        AssertUniform(counts, Runs * 5);
    }

    [Fact]
    public void ToBytes_RoundTrip_ContinuesExactlyAsTheOriginal()
    {
        var original = Fill(0, 500, 9, 1, capacity: 25, dim: 3);
        var restored = ReservoirSample.FromBytes(original.ToBytes());

        Assert.Equal(original.ToBytes(), restored.ToBytes());
        for (var i = 500; i < 900; i++)
        {
            Assert.Equal(original.Add(i, [i, 1, 2]), restored.Add(i, [i, 1, 2]));
        }

        Assert.Equal(original.ToBytes(), restored.ToBytes());
    }

    [Fact]
    public void ToState_RoundTrip_SameItems()
    {
        var original = Fill(0, 7, 2, 1, capacity: 25, dim: 2);

        var state = original.ToState();
        var restored = ReservoirSample.FromState(state);

        Assert.Equal(7, state.RowIds.Length);
        Assert.Equal(14, state.Embeddings.Length);
        Assert.Equal(original.RowIds.ToArray(), restored.RowIds.ToArray());
        Assert.Equal(original.Embeddings.ToArray(), restored.Embeddings.ToArray());
        Assert.Equal(25, restored.Capacity);
    }

    [Fact]
    public void FromState_EmbeddingsShort_ErrorNamesSizes()
    {
        var state = new ReservoirState(10, 4, seen: 2, randomState: 0, rowIds: [1, 2], embeddings: new float[7]);

        var error = Assert.Throws<ArgumentException>(() => ReservoirSample.FromState(state));

        Assert.Contains("7 embedding floats", error.Message);
        Assert.Contains("need 8", error.Message);
    }

    [Fact]
    public void FromState_CountDisagreesWithSeen_Throws()
    {
        var state = new ReservoirState(10, 1, seen: 50, randomState: 0, rowIds: [1, 2], embeddings: [1f, 2f]);

        var error = Assert.Throws<ArgumentException>(() => ReservoirSample.FromState(state));

        Assert.Contains("holds 2 items but has seen 50", error.Message);
    }

    [Fact]
    public void FromBytes_Truncated_ErrorNamesSizes()
    {
        var bytes = Fill(0, 30, 1, 1, capacity: 10, dim: 2).ToBytes();

        var error = Assert.Throws<ArgumentException>(() => ReservoirSample.FromBytes(bytes.AsSpan(0, bytes.Length - 4)));

        Assert.Contains($"has {bytes.Length - 4} bytes", error.Message);
        Assert.Throws<ArgumentException>(() => ReservoirSample.FromBytes(new byte[3]));
    }

    private static ReservoirSample Fill(int from, int to, int run, int part, int capacity = 5, int dim = 1)
    {
        var reservoir = new ReservoirSample(capacity, dim, seed: (run * 16L) + part);
        var embedding = new float[dim];
        for (var i = from; i < to; i++)
        {
            embedding[0] = i;
            reservoir.Add(i, embedding);
        }

        return reservoir;
    }

    /// <summary>Chi-square of the counts against equal expectation, bounded far above its mean (df) so it never flakes.</summary>
    private static void AssertUniform(int[] counts, int total)
    {
        Assert.Equal(total, counts.Sum());
        var expected = Enumerable.Repeat((double)total / counts.Length, counts.Length).ToArray();
        var df = counts.Length - 1;

        // Mean df, standard deviation sqrt(2 df): 7 deviations above is a bound real non-uniformity still breaks
        // (a 2x bias on one item alone adds ~400 here), while chance alone essentially never reaches it.
        Assert.InRange(ChiSquare(counts, expected), 0, df + (7 * Math.Sqrt(2 * df)));
    }

    private static double ChiSquare(int[] observed, double[] expected)
        => observed.Select((o, i) => (o - expected[i]) * (o - expected[i]) / expected[i]).Sum();

    private static double Hypergeometric(int population, int successes, int draws, int x)
        => Choose(successes, x) * Choose(population - successes, draws - x) / Choose(population, draws);

    private static double Choose(int n, int r)
    {
        if (r < 0 || r > n) return 0;
        double result = 1;
        for (var i = 1; i <= r; i++) result = result * (n - r + i) / i;
        return result;
    }
}
