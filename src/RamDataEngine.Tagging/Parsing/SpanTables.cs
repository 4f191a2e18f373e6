using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RamDataEngine.Tagging;

/// <summary>
/// Read-only open-addressing hash table from lowercase words to their <see cref="WordInfo"/>. An ASCII word's key is its
/// first 8 chars as bytes packed into a <see cref="ulong"/> (zero-padded), so hashing costs one multiply whatever the
/// word's length, a word of up to 8 chars is found with one integer compare, and key, length and info share one slot
/// (one cache line touched per lookup). Longer words compare their remaining bytes. Words with other chars (rare in
/// vocabularies, never in an ASCII caption) are kept apart in a dictionary.
/// </summary>
internal sealed class WordTable
{
    private static readonly WordInfo Unknown = WordInfo.Unknown;

    private readonly Slot[] slots;
    private readonly byte[] tails;
    private readonly int shift;
    private readonly int slotMask;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> nonAscii;
    private readonly WordInfo[] nonAsciiInfos;

    public WordTable(IReadOnlyList<KeyValuePair<string, WordInfo>> items)
    {
        var ascii = items.Where(i => i.Key.Length > 0 && System.Text.Ascii.IsValid(i.Key)).ToList();
        var other = items.Where(i => i.Key.Length > 0 && !System.Text.Ascii.IsValid(i.Key)).ToList();
        nonAsciiInfos = other.Select(i => i.Value).ToArray();
        nonAscii = other.Select((item, index) => KeyValuePair.Create(item.Key, index)).ToDictionary(StringComparer.Ordinal).GetAlternateLookup<ReadOnlySpan<char>>();

        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, ascii.Count * 2));
        slots = new Slot[size];
        shift = 64 - BitOperations.Log2((uint)size);
        slotMask = size - 1;
        tails = new byte[ascii.Sum(e => Math.Max(0, e.Key.Length - 8))];
        int offset = 0;
        Span<byte> bytes = stackalloc byte[8];
        foreach (var (word, info) in ascii)
        {
            bytes.Clear();
            for (int i = 0; i < Math.Min(8, word.Length); i++) bytes[i] = (byte)word[i];
            ulong key = BitConverter.ToUInt64(bytes);
            int tail = Math.Max(0, word.Length - 8);
            for (int i = 0; i < tail; i++) tails[offset + i] = (byte)word[8 + i];
            int slot = SlotOf(key, word.Length);
            while (slots[slot].Key != 0) slot = (slot + 1) & (size - 1);
            slots[slot] = new Slot { Key = key, Length = word.Length, TailStart = offset, Info = info };
            offset += tail;
        }
    }

    private struct Slot
    {
        public ulong Key;
        public int Length;
        public int TailStart;
        public WordInfo Info;
    }

    /// <summary>The key of the ASCII word of <paramref name="length"/> bytes at the start of <paramref name="word"/>,
    /// which holds at least 8 readable bytes (bytes past the word are masked off).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Key(scoped ReadOnlySpan<byte> word, int length)
    {
        ulong raw = MemoryMarshal.Read<ulong>(word);
        return length >= 8 ? raw : raw & ((1UL << (length << 3)) - 1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int SlotOf(ulong key, int length) => (int)(((key ^ (ulong)length) * 0x9E3779B97F4A7C15UL) >> shift);

    /// <summary>The info of the lowercase <paramref name="word"/>, or <see cref="WordInfo.Unknown"/>.</summary>
    public ref readonly WordInfo Find(ReadOnlySpan<char> word)
    {
        if (word.IsEmpty) return ref Unknown;
        if (!System.Text.Ascii.IsValid(word))
        {
            return ref nonAscii.TryGetValue(word, out int index) ? ref nonAsciiInfos[index] : ref Unknown;
        }

        Span<byte> bytes = stackalloc byte[word.Length + 8];
        bytes.Clear();
        System.Text.Ascii.FromUtf16(word, bytes, out _);
        return ref Find(bytes, word.Length);
    }

    /// <summary>The info of the lowercase ASCII word of <paramref name="length"/> bytes at <paramref name="word"/>,
    /// followed by at least 8 readable bytes, or <see cref="WordInfo.Unknown"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe ref readonly WordInfo Find(byte* word, int length)
    {
        ulong raw = Unsafe.ReadUnaligned<ulong>(word);
        ulong key = length >= 8 ? raw : raw & ((1UL << (length << 3)) - 1);
        ref Slot table = ref MemoryMarshal.GetArrayDataReference(slots);
        int slot = SlotOf(key, length);
        while (true)
        {
            ref Slot entry = ref Unsafe.Add(ref table, slot);
            if (entry.Key == key && entry.Length == length
                && (length <= 8 || new ReadOnlySpan<byte>(word + 8, length - 8).SequenceEqual(tails.AsSpan(entry.TailStart, length - 8))))
            {
                return ref entry.Info;
            }

            if (entry.Key == 0) return ref Unknown;
            slot = (slot + 1) & slotMask;
        }
    }

    /// <summary>The info of the lowercase ASCII word of <paramref name="length"/> bytes at the start of
    /// <paramref name="word"/> (which holds at least length + 8 bytes), or <see cref="WordInfo.Unknown"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref readonly WordInfo Find(scoped ReadOnlySpan<byte> word, int length)
    {
        ulong key = Key(word, length);
        var table = slots;
        int mask = table.Length - 1;
        int slot = SlotOf(key, length);
        while (true)
        {
            ref readonly var entry = ref table[slot];
            if (entry.Key == key && entry.Length == length
                && (length <= 8 || word.Slice(8, length - 8).SequenceEqual(tails.AsSpan(entry.TailStart, length - 8))))
            {
                return ref entry.Info;
            }

            if (entry.Key == 0) return ref Unknown;
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
