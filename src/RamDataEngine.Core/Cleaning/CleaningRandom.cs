namespace RamDataEngine.Core.Cleaning;

/// <summary>
/// A small deterministic random stream (SplitMix64) for the cleaning math. Written out instead of System.Random so a seed
/// gives the same centroids and samples on every runtime version, and so the state is one ulong that a reservoir can
/// serialise and resume.
/// </summary>
internal struct CleaningRandom
{
    private ulong _state;

    internal CleaningRandom(ulong state) => _state = state;

    /// <summary>The raw state, to serialise a stream and resume it later.</summary>
    public readonly ulong State => _state;

    /// <summary>The stream for one purpose of one seed: independent of the other purposes of that seed.</summary>
    public static CleaningRandom For(long seed, int purpose) => new(Mix(Mix((ulong)seed) + (ulong)purpose));

    /// <summary>The stream for one purpose of one (seed, index) pair, e.g. one fold step of a merge.</summary>
    public static CleaningRandom For(long seed, long index, int purpose)
        => new(Mix(Mix(Mix((ulong)seed) + (ulong)index) + (ulong)purpose));

    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [0, <paramref name="exclusiveMax"/>) by multiply-shift: unbiased to 2^-64, no division.</summary>
    public long NextInt64(long exclusiveMax)
    {
        System.Diagnostics.Debug.Assert(exclusiveMax > 0);
        return (long)(((UInt128)NextUInt64() * (ulong)exclusiveMax) >> 64);
    }

    /// <summary>Uniform in [0, <paramref name="exclusiveMax"/>).</summary>
    public int Next(int exclusiveMax) => (int)NextInt64(exclusiveMax);

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
