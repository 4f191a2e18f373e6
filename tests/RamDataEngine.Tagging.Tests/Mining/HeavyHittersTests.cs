namespace RamDataEngine.Tagging.Tests.Mining;

public sealed class HeavyHittersTests
{
    /// <summary>A skewed stream: term k appears about 1000/k times, shuffled with a fixed seed.</summary>
    private static List<string> ZipfStream(int terms, int seed)
    {
        var stream = new List<string>();
        for (int k = 1; k <= terms; k++)
        {
            for (int i = 0; i < 1000 / k + 1; i++) stream.Add($"t{k}");
        }

        var random = new Random(seed);
        return stream.OrderBy(_ => random.Next()).ToList();
    }

    [Fact]
    public void Add_UnderCapacity_CountsExactly()
    {
        var summary = new HeavyHitters(10);
        foreach (var term in new[] { "dog", "cat", "dog", "man", "dog", "cat" }) summary.Add(term);
        Assert.Equal([new TermCount("dog", 3, 0), new TermCount("cat", 2, 0), new TermCount("man", 1, 0)], summary.ToList());
        Assert.Equal(6, summary.TotalCount);
        Assert.False(summary.IsFull);
        Assert.Equal(0, summary.MissingTermBound);
    }

    [Fact]
    public void Add_Span_CountsTheSameTermAsTheString()
    {
        var summary = new HeavyHitters(4);
        summary.Add("dog".AsSpan());
        summary.Add("dog", 2);
        Assert.True(summary.TryGet("dog", out var dog));
        Assert.Equal(3, dog.Count);
    }

    [Fact]
    public void Add_OverCapacity_KeepsBoundsAndTheHeavyTerms()
    {
        var stream = ZipfStream(400, seed: 1);
        var exact = stream.GroupBy(t => t).ToDictionary(g => g.Key, g => (long)g.Count());
        var summary = new HeavyHitters(50);
        foreach (var term in stream) summary.Add(term);
        Assert.True(summary.IsFull);
        Assert.Equal(50, summary.Count);
        Assert.Equal(stream.Count, summary.TotalCount);
        foreach (var t in summary.ToList())
        {
            Assert.InRange(exact[t.Term], t.GuaranteedCount, t.Count);
        }

        // Every term more frequent than total / capacity is held (Space-Saving's guarantee).
        foreach (var (term, count) in exact.Where(e => e.Value > stream.Count / 50)) Assert.True(summary.TryGet(term, out _), term);
        Assert.Equal(["t1", "t2", "t3", "t4", "t5"], summary.ToList().Take(5).Select(t => t.Term));
    }

    [Fact]
    public void Merge_UnderCapacity_EqualsCountingTheWholeStream()
    {
        var stream = ZipfStream(40, seed: 2);
        var whole = new HeavyHitters(100);
        HeavyHitters a = new(100), b = new(100);
        for (int i = 0; i < stream.Count; i++)
        {
            whole.Add(stream[i]);
            (i % 3 == 0 ? a : b).Add(stream[i]);
        }

        Assert.Equal(whole.ToList(), HeavyHitters.Merge([a, b], 100).ToList());
        a.Merge(b);
        Assert.Equal(whole.ToList(), a.ToList());
        Assert.Equal(whole.TotalCount, a.TotalCount);
    }

    [Fact]
    public void Merge_FullShards_KeepsBoundsAndFindsTheHeavyTerms()
    {
        var stream = ZipfStream(600, seed: 3);
        var exact = stream.GroupBy(t => t).ToDictionary(g => g.Key, g => (long)g.Count());
        var shards = Enumerable.Range(0, 4).Select(_ => new HeavyHitters(60)).ToArray();
        for (int i = 0; i < stream.Count; i++) shards[i % 4].Add(stream[i]);
        var merged = HeavyHitters.Merge(shards, 60);
        Assert.Equal(stream.Count, merged.TotalCount);
        foreach (var t in merged.ToList()) Assert.InRange(exact[t.Term], t.GuaranteedCount, t.Count);
        Assert.Equal(["t1", "t2", "t3"], merged.ToList().Take(3).Select(t => t.Term));
    }

    [Fact]
    public void WriteTo_ThenReadFrom_RoundTrips()
    {
        var summary = new HeavyHitters(20);
        foreach (var term in ZipfStream(60, seed: 4)) summary.Add(term);
        using var stream = new MemoryStream();
        summary.WriteTo(stream);
        stream.Position = 0;
        var back = HeavyHitters.ReadFrom(stream);
        Assert.Equal(summary.ToList(), back.ToList());
        Assert.Equal(summary.TotalCount, back.TotalCount);
        Assert.Equal(summary.Capacity, back.Capacity);
        Assert.Equal(summary.MissingTermBound, back.MissingTermBound);
    }

    [Fact]
    public void FromEntries_OfToList_RebuildsTheSummary()
    {
        var summary = new HeavyHitters(20);
        foreach (var term in ZipfStream(60, seed: 5)) summary.Add(term);
        var back = HeavyHitters.FromEntries(summary.Capacity, summary.TotalCount, summary.ToList());
        Assert.Equal(summary.ToList(), back.ToList());
        Assert.Equal(summary.MissingTermBound, back.MissingTermBound);
        back.Add("t1");
        Assert.True(back.TryGet("t1", out var t1));
        Assert.Equal(summary.ToList()[0].Count + 1, t1.Count);
        Assert.Throws<ArgumentException>(() => HeavyHitters.FromEntries(1, 2, [new TermCount("a", 1, 0), new TermCount("b", 1, 0)]));
        Assert.Throws<ArgumentException>(() => HeavyHitters.FromEntries(5, 2, [new TermCount("a", 1, 2)]));
    }

    [Fact]
    public void ReadFrom_GarbageOrTruncated_ThrowsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => HeavyHitters.ReadFrom(new MemoryStream([1, 2, 3, 4, 5, 6, 7, 8])));
        var summary = new HeavyHitters(5);
        summary.Add("dog");
        using var stream = new MemoryStream();
        summary.WriteTo(stream);
        Assert.Throws<InvalidDataException>(() => HeavyHitters.ReadFrom(new MemoryStream(stream.ToArray()[..^3])));
    }

    [Fact]
    public void Constructor_CapacityBelowOne_Throws()
        => Assert.Throws<ArgumentOutOfRangeException>(() => new HeavyHitters(0));
}
