using RamDataEngine.Core.Cleaning;

namespace RamDataEngine.Core.Tests.Cleaning;

public sealed class PrioritySampleTests
{
    private const int Dim = 3;

    [Fact]
    public void Add_BelowCapacity_KeepsEveryItem()
    {
        var sample = new PrioritySample(capacity: 10, Dim, seed: 1);
        for (int i = 0; i < 6; i++) Assert.True(sample.Add(i, Vector(i)));

        Assert.Equal(6, sample.Count);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => (long)i).Order(), sample.RowIds().Order());
    }

    [Fact]
    public void Add_PastCapacity_KeepsTheLowestPrioritiesWithTheirOwnEmbeddings()
    {
        var sample = new PrioritySample(capacity: 50, Dim, seed: 9);
        for (int i = 0; i < 1_000; i++) sample.Add(i, Vector(i));

        var expected = Enumerable.Range(0, 1_000).Select(i => (long)i).OrderBy(id => PrioritySample.Priority(9, id)).Take(50).ToArray();
        Assert.Equal(expected, sample.RowIds());
        var embeddings = sample.Embeddings();
        for (int slot = 0; slot < 50; slot++) Assert.Equal(Vector(expected[slot]), embeddings.AsSpan(slot * Dim, Dim).ToArray());
    }

    [Fact]
    public void Add_SameRowTwice_CountsOnce()
    {
        var sample = new PrioritySample(capacity: 4, Dim, seed: 1);
        Assert.True(sample.Add(7, Vector(7)));
        Assert.False(sample.Add(7, Vector(8)));

        Assert.Equal(1, sample.Count);
        Assert.Equal(Vector(7), sample.Embeddings());
    }

    [Fact]
    public void Add_WrongDim_ErrorNamesSizes()
    {
        var sample = new PrioritySample(capacity: 4, Dim, seed: 1);
        var error = Assert.Throws<ArgumentException>(() => sample.Add(5, new float[2]));
        Assert.Contains("Row 5", error.Message);
        Assert.Contains("dim 3", error.Message);
    }

    [Fact]
    public void MergeFrom_AnyOrderAndRepeats_SameAsOneStream()
    {
        var whole = new PrioritySample(capacity: 64, Dim, seed: 3);
        var parts = Enumerable.Range(0, 5).Select(_ => new PrioritySample(capacity: 64, Dim, seed: 3)).ToArray();
        for (int i = 0; i < 900; i++)
        {
            whole.Add(i, Vector(i));
            parts[i % 5].Add(i, Vector(i));
        }

        var forward = new PrioritySample(capacity: 64, Dim, seed: 3);
        foreach (var part in parts) forward.MergeFrom(part);
        var backwardWithRepeats = new PrioritySample(capacity: 64, Dim, seed: 3);
        foreach (var part in parts.Reverse().Concat(parts)) backwardWithRepeats.MergeFrom(part);

        Assert.Equal(whole.ToBytes(), forward.ToBytes());
        Assert.Equal(whole.ToBytes(), backwardWithRepeats.ToBytes());
    }

    [Fact]
    public void Add_ManySeeds_EveryItemEquallyLikely()
    {
        // 20 items, 5 kept: over 4,000 seeds each item should be kept ~1,000 times.
        var kept = new int[20];
        for (int seed = 0; seed < 4_000; seed++)
        {
            var sample = new PrioritySample(capacity: 5, Dim, seed);
            for (int i = 0; i < 20; i++) sample.Add(i, Vector(i));
            foreach (long id in sample.RowIds()) kept[id]++;
        }

        double chiSquare = kept.Sum(k => (k - 1_000.0) * (k - 1_000.0) / 1_000.0);
        Assert.True(chiSquare < 50, $"chi-square {chiSquare:F1} over 19 degrees of freedom; counts {string.Join(",", kept)}");
    }

    [Fact]
    public void MergeFrom_OtherSeed_Throws()
    {
        var a = new PrioritySample(capacity: 4, Dim, seed: 1);
        var b = new PrioritySample(capacity: 4, Dim, seed: 2);
        var error = Assert.Throws<ArgumentException>(() => a.MergeFrom(b));
        Assert.Contains("seed 2", error.Message);
    }

    [Fact]
    public void ToBytes_RoundTrip_SameItemsAndMerges()
    {
        var sample = new PrioritySample(capacity: 8, Dim, seed: 5);
        for (int i = 0; i < 30; i++) sample.Add(i, Vector(i));

        var copy = PrioritySample.FromBytes(sample.ToBytes());

        Assert.Equal(sample.ToBytes(), copy.ToBytes());
        Assert.Equal(8, copy.Capacity);
        Assert.Equal(5, copy.Seed);
    }

    [Fact]
    public void FromBytes_Truncated_ErrorNamesSizes()
    {
        var sample = new PrioritySample(capacity: 8, Dim, seed: 5);
        for (int i = 0; i < 3; i++) sample.Add(i, Vector(i));
        var bytes = sample.ToBytes();

        var error = Assert.Throws<ArgumentException>(() => PrioritySample.FromBytes(bytes.AsSpan(0, bytes.Length - 4)));
        Assert.Contains("3 items", error.Message);
    }

    private static float[] Vector(long i) => [i, i * 0.5f, -i];
}
