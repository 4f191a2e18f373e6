using System.Numerics;
using System.Runtime.CompilerServices;

namespace RamDataEngine.Tagging;

/// <summary>
/// Read-only open-addressing hash table from lowercase words to their <see cref="WordInfo"/>, looked up by a char span
/// whose hash the caller computes while lowercasing (<see cref="Step"/>): one pass over the word, usually one probe,
/// and the word's info comes from the entry the probe already touched.
/// </summary>
internal sealed class WordTable
{
    private static readonly WordInfo Unknown = WordInfo.Unknown;

    private readonly int[] buckets;
    private readonly Entry[] entries;
    private readonly char[] chars;
    private readonly int mask;

    public WordTable(IReadOnlyList<KeyValuePair<string, WordInfo>> items)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, items.Count * 3));
        buckets = new int[size];
        mask = size - 1;
        entries = new Entry[items.Count];
        chars = new char[items.Sum(e => e.Key.Length)];
        int offset = 0;
        for (int e = 0; e < items.Count; e++)
        {
            var key = items[e].Key;
            key.CopyTo(chars.AsSpan(offset));
            uint hash = Hash(key);
            entries[e] = new Entry { Hash = hash, Start = offset, Length = key.Length, Info = items[e].Value };
            offset += key.Length;
            int slot = (int)(Finish(hash) & (uint)mask);
            while (buckets[slot] != 0) slot = (slot + 1) & mask;
            buckets[slot] = e + 1;
        }
    }

    private struct Entry
    {
        public uint Hash;
        public int Start;
        public int Length;
        public WordInfo Info;
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

    /// <summary>The info of <paramref name="word"/> (whose <see cref="Hash"/> is <paramref name="hash"/>), or <see cref="WordInfo.Unknown"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref readonly WordInfo Find(ReadOnlySpan<char> word, uint hash)
    {
        int slot = (int)(Finish(hash) & (uint)mask);
        while (true)
        {
            int e = buckets[slot] - 1;
            if (e < 0) return ref Unknown;
            ref readonly var entry = ref entries[e];
            if (entry.Hash == hash && entry.Length == word.Length && word.SequenceEqual(chars.AsSpan(entry.Start, entry.Length))) return ref entry.Info;
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
