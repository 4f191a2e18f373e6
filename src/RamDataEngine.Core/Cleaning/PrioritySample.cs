using System.Buffers.Binary;

namespace RamDataEngine.Core.Cleaning;

/// <summary>
/// A bounded, uniform sample of (row id, embedding) items whose merge is order-independent and idempotent: each row id
/// gets a pseudo-random priority from (seed, row id) and the sample keeps the <see cref="Capacity"/> items of lowest
/// priority (bottom-k sampling). So a tag's sample is the same whether its shards report on one silo or three, in any
/// order, and a retried shard that reports twice changes nothing.
/// </summary>
/// <remarks>
/// Items are exposed in canonical order (priority, then row id), so what is computed from them (k-means++ seeding) does
/// not depend on arrival order either. Not thread-safe.
/// </remarks>
public sealed class PrioritySample
{
    private const uint Magic = 0x31535052; // "RPS1" little-endian
    private const int HeaderBytes = 4 + 4 + 4 + 4 + 8;
    private const int PriorityPurpose = 7;

    private readonly Dictionary<long, int> _slots = [];
    private readonly List<Item> _items = [];
    private bool _sorted = true;

    /// <summary>An empty sample that keeps at most <paramref name="capacity"/> items of <paramref name="dim"/> floats.</summary>
    public PrioritySample(int capacity, int dim, long seed)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A sample's capacity must be at least 1.");
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), dim, "A sample's dim must be at least 1.");
        Capacity = capacity;
        Dim = dim;
        Seed = seed;
    }

    public int Capacity { get; }

    public int Dim { get; }

    /// <summary>The seed of the priorities: only samples of the same seed merge.</summary>
    public long Seed { get; }

    public int Count => _items.Count;

    /// <summary>The priority of a row: the same for every sample of this seed, uniform over 64 bits.</summary>
    public static ulong Priority(long seed, long rowId) => CleaningRandom.For(seed, rowId, PriorityPurpose).NextUInt64();

    /// <summary>
    /// Offers one item; it is kept when its priority is among the lowest <see cref="Capacity"/>. A row id already in the
    /// sample is left as it is (the same row offered twice is one item). Returns whether the sample changed.
    /// </summary>
    public bool Add(long rowId, ReadOnlySpan<float> embedding)
    {
        if (embedding.Length != Dim)
            throw new ArgumentException($"Row {rowId}'s embedding has {embedding.Length} floats but this sample holds dim {Dim}.", nameof(embedding));
        if (_slots.ContainsKey(rowId)) return false;
        var item = new Item(Priority(Seed, rowId), rowId, embedding.ToArray());
        if (_items.Count < Capacity)
        {
            _slots[rowId] = _items.Count;
            _items.Add(item);
            _sorted = false;
            return true;
        }

        int worst = IndexOfWorst();
        if (Compare(item, _items[worst]) >= 0) return false;
        _slots.Remove(_items[worst].RowId);
        _slots[rowId] = worst;
        _items[worst] = item;
        _sorted = false;
        return true;
    }

    /// <summary>Adds every item of <paramref name="other"/>: the result is the sample of the union of both streams.</summary>
    public void MergeFrom(PrioritySample other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Dim != Dim || other.Seed != Seed)
            throw new ArgumentException($"Cannot merge a sample of dim {other.Dim} and seed {other.Seed} into one of dim {Dim} and seed {Seed}.", nameof(other));
        foreach (var item in other._items) Add(item.RowId, item.Embedding);
    }

    /// <summary>Row ids of the kept items, in canonical order.</summary>
    public long[] RowIds()
    {
        EnsureSorted();
        return _items.Select(i => i.RowId).ToArray();
    }

    /// <summary>The kept embeddings, <see cref="Count"/> x <see cref="Dim"/>, row-major in canonical order: what <see cref="OutlierCut"/> takes.</summary>
    public float[] Embeddings()
    {
        EnsureSorted();
        var values = new float[_items.Count * Dim];
        for (int i = 0; i < _items.Count; i++) _items[i].Embedding.CopyTo(values, i * Dim);
        return values;
    }

    /// <summary>Little-endian bytes: magic, capacity, dim, count, seed, then per item its row id and embedding.</summary>
    public byte[] ToBytes()
    {
        EnsureSorted();
        var bytes = new byte[HeaderBytes + (_items.Count * (sizeof(long) + (Dim * sizeof(float))))];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], Capacity);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], Dim);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], _items.Count);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], Seed);
        int offset = HeaderBytes;
        foreach (var item in _items)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[offset..], item.RowId);
            offset += sizeof(long);
            WireFloats.Write(item.Embedding, span[offset..]);
            offset += Dim * sizeof(float);
        }

        return bytes;
    }

    /// <summary>Reads <see cref="ToBytes"/>' output.</summary>
    /// <exception cref="ArgumentException">The bytes are not a sample or their sizes do not agree.</exception>
    public static PrioritySample FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
            throw new ArgumentException($"These {bytes.Length} bytes are not a serialised priority sample (missing header).", nameof(bytes));
        int capacity = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        int dim = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        int count = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        long seed = BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]);
        long expected = HeaderBytes + ((long)count * (sizeof(long) + ((long)dim * sizeof(float))));
        if (capacity < 1 || dim < 1 || count < 0 || count > capacity || bytes.Length != expected)
        {
            throw new ArgumentException(
                $"Serialised priority sample says {count} items (capacity {capacity}) of dim {dim} ({expected} bytes) but has {bytes.Length} bytes.", nameof(bytes));
        }

        var sample = new PrioritySample(capacity, dim, seed);
        int offset = HeaderBytes;
        for (int i = 0; i < count; i++)
        {
            long rowId = BinaryPrimitives.ReadInt64LittleEndian(bytes[offset..]);
            offset += sizeof(long);
            sample.Add(rowId, WireFloats.Read(bytes[offset..], dim));
            offset += dim * sizeof(float);
        }

        return sample;
    }

    private int IndexOfWorst()
    {
        // Replacements are rare (probability capacity / items seen), so a linear scan beats keeping a heap in order.
        int worst = 0;
        for (int i = 1; i < _items.Count; i++)
        {
            if (Compare(_items[i], _items[worst]) > 0) worst = i;
        }

        return worst;
    }

    private void EnsureSorted()
    {
        if (_sorted) return;
        _items.Sort(Compare);
        for (int i = 0; i < _items.Count; i++) _slots[_items[i].RowId] = i;
        _sorted = true;
    }

    private static int Compare(Item a, Item b)
    {
        int c = a.Priority.CompareTo(b.Priority);
        return c != 0 ? c : a.RowId.CompareTo(b.RowId);
    }

    private readonly record struct Item(ulong Priority, long RowId, float[] Embedding);
}
