using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace RamDataEngine.Core.Cleaning;

/// <summary>
/// A bounded, seeded, uniform sample of (row id, embedding) items from a stream of unknown length (Algorithm R), that
/// merges with other shards' samples into a uniform sample of the union and round-trips through a compact form.
/// Not thread-safe: one reservoir per (shard, tag) writer.
/// </summary>
public sealed class ReservoirSample
{
    private const int InitialSlots = 16;
    private const uint Magic = 0x31565352; // "RSV1" little-endian
    private const int HeaderBytes = 4 + 4 + 4 + 4 + 8 + 8;

    private long[] _rowIds;
    private float[] _embeddings;
    private CleaningRandom _random;

    /// <summary>An empty reservoir that keeps at most <paramref name="capacity"/> items of <paramref name="dim"/> floats.</summary>
    public ReservoirSample(int capacity, int dim, long seed)
        : this(capacity, dim, 0, CleaningRandom.For(seed, purpose: 2), [], [], 0)
    {
    }

    private ReservoirSample(int capacity, int dim, long seen, CleaningRandom random, long[] rowIds, float[] embeddings, int count)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A reservoir's capacity must be at least 1.");
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), dim, "A reservoir's dim must be at least 1.");
        Capacity = capacity;
        Dim = dim;
        Seen = seen;
        Count = count;
        _random = random;
        _rowIds = rowIds;
        _embeddings = embeddings;
    }

    /// <summary>Most items kept.</summary>
    public int Capacity { get; }

    /// <summary>Floats per embedding.</summary>
    public int Dim { get; }

    /// <summary>Items offered so far.</summary>
    public long Seen { get; private set; }

    /// <summary>Items kept: min(<see cref="Seen"/>, <see cref="Capacity"/>).</summary>
    public int Count { get; private set; }

    /// <summary>Row ids of the kept items (slot order, which carries no meaning).</summary>
    public ReadOnlySpan<long> RowIds => _rowIds.AsSpan(0, Count);

    /// <summary>The kept embeddings, <see cref="Count"/> x <see cref="Dim"/>, row-major: the input <see cref="KMeansPlusPlus"/> takes.</summary>
    public ReadOnlySpan<float> Embeddings => _embeddings.AsSpan(0, Count * Dim);

    /// <summary>The embedding in one slot.</summary>
    public ReadOnlySpan<float> Embedding(int slot)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(slot);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(slot, Count);
        return _embeddings.AsSpan(slot * Dim, Dim);
    }

    /// <summary>
    /// Offers one item. It is kept with probability Capacity / Seen (replacing a uniformly chosen slot once full); the
    /// embedding is copied only when kept. Returns whether it was kept.
    /// </summary>
    public bool Add(long rowId, ReadOnlySpan<float> embedding)
    {
        if (embedding.Length != Dim)
            throw new ArgumentException($"Row {rowId}'s embedding has {embedding.Length} floats but this reservoir holds dim {Dim}.", nameof(embedding));

        Seen++;
        int slot;
        if (Count < Capacity)
        {
            slot = Count++;
            EnsureSlots(Count);
        }
        else
        {
            var j = _random.NextInt64(Seen);
            if (j >= Capacity) return false;
            slot = (int)j;
        }

        _rowIds[slot] = rowId;
        embedding.CopyTo(_embeddings.AsSpan(slot * Dim, Dim));
        return true;
    }

    /// <summary>
    /// Merges two samples into a uniform sample of the union of their streams (|A| + |B| items seen), keeping
    /// min(A.Capacity, B.Capacity) items at most. The count taken from each side follows the hypergeometric law of a
    /// uniform draw from the union; then that many items are drawn uniformly from each side's sample.
    /// Deterministic for (a, b, seed); the inputs are left unchanged.
    /// </summary>
    public static ReservoirSample Merge(ReservoirSample a, ReservoirSample b, long seed)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Dim != b.Dim)
            throw new ArgumentException($"Cannot merge reservoirs of dim {a.Dim} and dim {b.Dim}.", nameof(b));

        var random = CleaningRandom.For(seed, purpose: 3);
        var capacity = Math.Min(a.Capacity, b.Capacity);
        var seen = a.Seen + b.Seen;
        var size = (int)Math.Min(capacity, seen);

        // Draw `size` items from the population without replacement, tracking only how many come from A's stream.
        // A side that is full (Seen > Count) holds Count >= capacity >= size items, and a side that is not holds its whole
        // stream, so the draw never asks a side for more items than its sample has.
        long remainingA = a.Seen;
        long remaining = seen;
        var fromA = 0;
        for (var t = 0; t < size; t++, remaining--)
        {
            if (random.NextInt64(remaining) < remainingA)
            {
                fromA++;
                remainingA--;
            }
        }

        var merged = new ReservoirSample(capacity, a.Dim, seen, CleaningRandom.For(seed, purpose: 4), new long[size], new float[size * a.Dim], size);
        var slot = TakeUniform(a, fromA, merged, 0, ref random);
        TakeUniform(b, size - fromA, merged, slot, ref random);
        return merged;
    }

    /// <summary>
    /// Folds <paramref name="parts"/> into one sample, in the order given. The result depends on that order, so a caller that
    /// wants the same answer however its messages arrived (one silo or three) sorts the parts first, e.g. by shard.
    /// </summary>
    public static ReservoirSample Merge(IReadOnlyList<ReservoirSample> parts, long seed)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("Merge needs at least one reservoir.", nameof(parts));
        var merged = parts[0];
        for (var i = 1; i < parts.Count; i++) merged = Merge(merged, parts[i], seed ^ (long)(0x9E3779B97F4A7C15UL * (ulong)i));
        return parts.Count == 1 ? FromState(merged.ToState()) : merged;
    }

    /// <summary>Copies <paramref name="take"/> items chosen uniformly (partial Fisher-Yates) from <paramref name="source"/> into <paramref name="target"/>.</summary>
    private static int TakeUniform(ReservoirSample source, int take, ReservoirSample target, int slot, ref CleaningRandom random)
    {
        var order = new int[source.Count];
        for (var i = 0; i < order.Length; i++) order[i] = i;
        for (var i = 0; i < take; i++, slot++)
        {
            var j = i + random.Next(order.Length - i);
            (order[i], order[j]) = (order[j], order[i]);
            target._rowIds[slot] = source._rowIds[order[i]];
            source.Embedding(order[i]).CopyTo(target._embeddings.AsSpan(slot * target.Dim, target.Dim));
        }

        return slot;
    }

    /// <summary>The compact form (copies of the kept items, the counts and the random stream's position).</summary>
    public ReservoirState ToState()
        => new(Capacity, Dim, Seen, _random.State, RowIds.ToArray(), Embeddings.ToArray());

    /// <summary>Restores a reservoir from its compact form; it continues sampling exactly as the original would have.</summary>
    /// <exception cref="ArgumentException">The sizes in the state do not agree.</exception>
    public static ReservoirSample FromState(ReservoirState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Capacity < 1 || state.Dim < 1)
            throw new ArgumentException($"Reservoir state has capacity {state.Capacity} and dim {state.Dim}; both must be at least 1.", nameof(state));
        var count = state.RowIds.Length;
        if (state.Seen < count || count != Math.Min(state.Seen, state.Capacity))
        {
            throw new ArgumentException(
                $"Reservoir state holds {count} items but has seen {state.Seen} with capacity {state.Capacity}; it must hold min(seen, capacity).",
                nameof(state));
        }

        if (state.Embeddings.Length != (long)count * state.Dim)
        {
            throw new ArgumentException(
                $"Reservoir state has {state.Embeddings.Length} embedding floats but {count} items of dim {state.Dim} need {(long)count * state.Dim}.",
                nameof(state));
        }

        return new ReservoirSample(state.Capacity, state.Dim, state.Seen, new CleaningRandom(state.RandomState),
            (long[])state.RowIds.Clone(), (float[])state.Embeddings.Clone(), count);
    }

    /// <summary>Little-endian bytes: magic, capacity, dim, count, seen, random state, row ids, embeddings.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[HeaderBytes + (Count * sizeof(long)) + (Count * Dim * sizeof(float))];
        var span = bytes.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, Magic);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], Capacity);
        BinaryPrimitives.WriteInt32LittleEndian(span[8..], Dim);
        BinaryPrimitives.WriteInt32LittleEndian(span[12..], Count);
        BinaryPrimitives.WriteInt64LittleEndian(span[16..], Seen);
        BinaryPrimitives.WriteUInt64LittleEndian(span[24..], _random.State);
        var offset = HeaderBytes;
        foreach (var id in RowIds)
        {
            BinaryPrimitives.WriteInt64LittleEndian(span[offset..], id);
            offset += sizeof(long);
        }

        WireFloats.Write(Embeddings, span[offset..]);
        return bytes;
    }

    /// <summary>Reads <see cref="ToBytes"/>' output.</summary>
    /// <exception cref="ArgumentException">The bytes are not a reservoir or their sizes do not agree.</exception>
    public static ReservoirSample FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != Magic)
            throw new ArgumentException($"These {bytes.Length} bytes are not a serialised reservoir (missing header).", nameof(bytes));
        var capacity = BinaryPrimitives.ReadInt32LittleEndian(bytes[4..]);
        var dim = BinaryPrimitives.ReadInt32LittleEndian(bytes[8..]);
        var count = BinaryPrimitives.ReadInt32LittleEndian(bytes[12..]);
        var seen = BinaryPrimitives.ReadInt64LittleEndian(bytes[16..]);
        var randomState = BinaryPrimitives.ReadUInt64LittleEndian(bytes[24..]);
        var expected = HeaderBytes + ((long)count * sizeof(long)) + ((long)count * dim * sizeof(float));
        if (count < 0 || dim < 1 || bytes.Length != expected)
        {
            throw new ArgumentException(
                $"Serialised reservoir says {count} items of dim {dim} ({expected} bytes) but has {bytes.Length} bytes.", nameof(bytes));
        }

        var rowIds = new long[count];
        var offset = HeaderBytes;
        for (var i = 0; i < count; i++, offset += sizeof(long)) rowIds[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes[offset..]);
        var embeddings = WireFloats.Read(bytes[offset..], count * dim);
        return FromState(new ReservoirState(capacity, dim, seen, randomState, rowIds, embeddings));
    }

    private void EnsureSlots(int slots)
    {
        if (_rowIds.Length >= slots) return;

        // Grow by doubling up to capacity: most tags see few items per shard, so a full-capacity buffer up front would
        // cost capacity x dim floats for every tag of every shard.
        var grown = (int)Math.Min(Capacity, Math.Max(InitialSlots, (long)_rowIds.Length * 2));
        Array.Resize(ref _rowIds, grown);
        Array.Resize(ref _embeddings, grown * Dim);
    }
}

/// <summary>Little-endian float arrays for the compact byte forms, a block copy on little-endian machines.</summary>
internal static class WireFloats
{
    public static void Write(ReadOnlySpan<float> values, Span<byte> target)
    {
        if (BitConverter.IsLittleEndian)
        {
            MemoryMarshal.AsBytes(values).CopyTo(target);
            return;
        }

        for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(target[(i * sizeof(float))..], values[i]);
    }

    public static float[] Read(ReadOnlySpan<byte> source, int count)
    {
        var values = new float[count];
        if (BitConverter.IsLittleEndian)
        {
            source[..(count * sizeof(float))].CopyTo(MemoryMarshal.AsBytes(values.AsSpan()));
            return values;
        }

        for (var i = 0; i < count; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(i * sizeof(float))..]);
        return values;
    }
}
