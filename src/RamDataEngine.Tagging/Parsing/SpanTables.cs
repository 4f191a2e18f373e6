using System.Numerics;
using System.Runtime.CompilerServices;

namespace RamDataEngine.Tagging;

/// <summary>
/// Read-only open-addressing hash table from lowercase words to their <see cref="WordInfo"/>. A word's first 8 chars are
/// its key packed into two <see cref="ulong"/>s (4 UTF-16 chars each, zero-padded), so the hash costs two multiplies
/// whatever the word's length and a probe for a word of up to 8 chars settles with two integer compares; longer words
/// compare their remaining chars.
/// </summary>
internal sealed class WordTable
{
    private static readonly WordInfo Unknown = WordInfo.Unknown;

    private readonly int[] buckets;
    private readonly Entry[] entries;
    private readonly char[] chars;
    private readonly int shift;

    public WordTable(IReadOnlyList<KeyValuePair<string, WordInfo>> items)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, items.Count * 4));
        buckets = new int[size];
        shift = 64 - BitOperations.Log2((uint)size);
        int mask = size - 1;
        entries = new Entry[items.Count];
        chars = new char[items.Sum(e => Math.Max(0, e.Key.Length - 8))];
        int offset = 0;
        for (int e = 0; e < items.Count; e++)
        {
            var key = items[e].Key;
            Keys(key, out ulong k0, out ulong k1);
            int tail = Math.Max(0, key.Length - 8);
            key.AsSpan(key.Length - tail).CopyTo(chars.AsSpan(offset));
            entries[e] = new Entry { Key0 = k0, Key1 = k1, Length = key.Length, TailStart = offset, Info = items[e].Value };
            offset += tail;
            int slot = Slot(k0, k1, key.Length);
            while (buckets[slot] != 0) slot = (slot + 1) & mask;
            buckets[slot] = e + 1;
        }
    }

    private struct Entry
    {
        public ulong Key0;
        public ulong Key1;
        public int Length;
        public int TailStart;
        public WordInfo Info;
    }

    /// <summary>The packed key of a word: chars 0-3 and 4-7, zero where the word is shorter.</summary>
    public static void Keys(ReadOnlySpan<char> word, out ulong key0, out ulong key1)
    {
        key0 = key1 = 0;
        int n = Math.Min(word.Length, 8);
        for (int i = 0; i < n; i++)
        {
            if (i < 4) key0 |= (ulong)word[i] << (16 * i);
            else key1 |= (ulong)word[i] << (16 * (i - 4));
        }
    }

    /// <summary>The packed key of the <paramref name="length"/> chars at <paramref name="word"/>, read 4 chars at a time:
    /// the caller guarantees 8 readable chars from <paramref name="word"/> (bytes past the word are masked off).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Keys(ref char word, int length, out ulong key0, out ulong key1)
    {
        ulong a = Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<char, byte>(ref word));
        ulong b = Unsafe.ReadUnaligned<ulong>(ref Unsafe.As<char, byte>(ref Unsafe.Add(ref word, 4)));
        key0 = length >= 4 ? a : a & ((1UL << (length << 4)) - 1);
        key1 = length >= 8 ? b : length <= 4 ? 0 : b & ((1UL << ((length - 4) << 4)) - 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Slot(ulong key0, ulong key1, int length)
        => (int)((((key0 * 0x9E3779B97F4A7C15UL) ^ key1) * 0xC2B2AE3D27D4EB4FUL + (ulong)length) >> shift);

    /// <summary>The info of the lowercase <paramref name="word"/>, or <see cref="WordInfo.Unknown"/>.</summary>
    public ref readonly WordInfo Find(ReadOnlySpan<char> word)
    {
        Keys(word, out ulong k0, out ulong k1);
        return ref Find(k0, k1, word);
    }

    /// <summary>The info of the lowercase <paramref name="word"/> whose packed key is (<paramref name="key0"/>,
    /// <paramref name="key1"/>), or <see cref="WordInfo.Unknown"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref readonly WordInfo Find(ulong key0, ulong key1, ReadOnlySpan<char> word)
    {
        int mask = buckets.Length - 1;
        int slot = Slot(key0, key1, word.Length);
        while (true)
        {
            int e = buckets[slot] - 1;
            if (e < 0) return ref Unknown;
            ref readonly var entry = ref entries[e];
            if (entry.Key0 == key0 && entry.Key1 == key1 && entry.Length == word.Length
                && (word.Length <= 8 || word[8..].SequenceEqual(chars.AsSpan(entry.TailStart, word.Length - 8))))
            {
                return ref entry.Info;
            }

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
