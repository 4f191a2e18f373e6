namespace RamDataEngine.Core.Synthetic;

/// <summary>
/// A small deterministic random stream (SplitMix64). Written out instead of System.Random so that a seed means the
/// same images on every runtime version, and so that each (seed, image, purpose) gets its own independent stream.
/// </summary>
internal struct SceneRandom
{
    private ulong _state;

    private SceneRandom(ulong state) => _state = state;

    /// <summary>The stream for one purpose (layout, colours, captions...) of one image: independent of every other.</summary>
    public static SceneRandom For(long seed, long index, int purpose)
        => new(Mix(Mix(Mix((ulong)seed) + (ulong)index) + (ulong)purpose));

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, <paramref name="exclusiveMax"/>).</summary>
    public int Next(int exclusiveMax) => (int)(((NextUInt64() >> 32) * (ulong)exclusiveMax) >> 32);

    /// <summary>Uniform in [<paramref name="min"/>, <paramref name="inclusiveMax"/>].</summary>
    public int Between(int min, int inclusiveMax) => min + Next(inclusiveMax - min + 1);

    public float NextFloat(float min, float max) => (float)(min + ((max - min) * NextDouble()));

    public bool Chance(double probability) => NextDouble() < probability;

    public T Pick<T>(IReadOnlyList<T> items) => items[Next(items.Count)];

    public void Shuffle<T>(IList<T> items)
    {
        for (var i = items.Count - 1; i > 0; i--)
        {
            var j = Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
