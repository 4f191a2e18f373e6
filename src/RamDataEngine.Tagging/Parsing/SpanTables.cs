using System.Numerics;
using System.Runtime.CompilerServices;

namespace RamDataEngine.Tagging;

/// <summary>
/// Read-only open-addressing hash table from lowercase words to ints, looked up by a char span whose hash the caller
/// computes while lowercasing (<see cref="Step"/>), so a lookup costs one pass over the word and usually one probe.
/// </summary>
internal sealed class WordTable
{
    private readonly int[] buckets;
    private readonly uint[] hashes;
    private readonly int[] starts;
    private readonly int[] lengths;
    private readonly int[] values;
    private readonly char[] chars;
    private readonly int mask;

    public WordTable(IReadOnlyList<KeyValuePair<string, int>> entries)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, entries.Count * 3));
        buckets = new int[size];
        mask = size - 1;
        hashes = new uint[entries.Count];
        starts = new int[entries.Count];
        lengths = new int[entries.Count];
        values = new int[entries.Count];
        chars = new char[entries.Sum(e => e.Key.Length)];
        int offset = 0;
        for (int e = 0; e < entries.Count; e++)
        {
            var key = entries[e].Key;
            key.CopyTo(chars.AsSpan(offset));
            starts[e] = offset;
            lengths[e] = key.Length;
            values[e] = entries[e].Value;
            offset += key.Length;
            uint hash = Hash(key);
            hashes[e] = hash;
            int slot = (int)(Finish(hash) & (uint)mask);
            while (buckets[slot] != 0) slot = (slot + 1) & mask;
            buckets[slot] = e + 1;
        }
    }

    public const uint Seed = 2166136261;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Step(uint hash, char c) => (hash ^ c) * 16777619;

    public static uint Hash(ReadOnlySpan<char> word)
    {
        uint hash = Seed;
        foreach (char c in word) hash = Step(hash, c);
        return hash;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Finish(uint hash) => hash ^ (hash >> 15);

    /// <summary>The value of <paramref name="word"/> (whose <see cref="Hash"/> is <paramref name="hash"/>), or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Find(ReadOnlySpan<char> word, uint hash)
    {
        int slot = (int)(Finish(hash) & (uint)mask);
        while (true)
        {
            int e = buckets[slot] - 1;
            if (e < 0) return -1;
            if (hashes[e] == hash && lengths[e] == word.Length && word.SequenceEqual(chars.AsSpan(starts[e], lengths[e]))) return values[e];
            slot = (slot + 1) & mask;
        }
    }
}

/// <summary>Read-only open-addressing hash table from (node, word) trie edges to child nodes.</summary>
internal sealed class EdgeTable
{
    private readonly long[] keys;
    private readonly int[] values;
    private readonly int shift;
    private readonly int mask;

    public EdgeTable(IReadOnlyDictionary<long, int> edges)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, edges.Count * 2));
        keys = new long[size];
        values = new int[size];
        mask = size - 1;
        shift = 64 - BitOperations.Log2((uint)size);
        foreach (var (key, value) in edges)
        {
            if (key == 0) throw new ArgumentException("Edge key 0 is reserved for empty slots.", nameof(edges));
            int slot = Slot(key);
            while (keys[slot] != 0) slot = (slot + 1) & mask;
            keys[slot] = key;
            values[slot] = value;
        }
    }

    public static long Key(int node, int word) => ((long)node << 32) | (uint)word;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Slot(long key) => (int)(((ulong)key * 0x9E3779B97F4A7C15UL) >> shift);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGet(int node, int word, out int child)
    {
        long key = Key(node, word);
        int slot = Slot(key);
        while (true)
        {
            long k = keys[slot];
            if (k == key)
            {
                child = values[slot];
                return true;
            }

            if (k == 0)
            {
                child = -1;
                return false;
            }

            slot = (slot + 1) & mask;
        }
    }
}
