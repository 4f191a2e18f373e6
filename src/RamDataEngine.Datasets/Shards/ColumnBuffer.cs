namespace RamDataEngine.Datasets.Shards;

/// <summary>A growable array for one column of a batch: values are written and read in place, never per row.</summary>
internal sealed class ColumnBuffer<T>
{
    private T[] _items;

    public ColumnBuffer(int capacity = 0) => _items = capacity > 0 ? new T[capacity] : [];

    public int Count { get; private set; }

    public Span<T> Span => _items.AsSpan(0, Count);

    public Memory<T> Memory => _items.AsMemory(0, Count);

    public void Add(T item)
    {
        if (Count == _items.Length) Grow(Count + 1);
        _items[Count++] = item;
    }

    public void AddRange(ReadOnlySpan<T> items)
    {
        EnsureCapacity(Count + items.Length);
        items.CopyTo(_items.AsSpan(Count));
        Count += items.Length;
    }

    /// <summary>Sets the count to <paramref name="count"/> and returns the whole span to be filled by a reader.</summary>
    public Memory<T> Resize(int count)
    {
        EnsureCapacity(count);
        // Stale references from a previous fill would keep old batches' strings and images alive.
        if (count < Count && System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>())
        {
            _items.AsSpan(count, Count - count).Clear();
        }

        Count = count;
        return _items.AsMemory(0, count);
    }

    public void Clear()
    {
        if (System.Runtime.CompilerServices.RuntimeHelpers.IsReferenceOrContainsReferences<T>()) _items.AsSpan(0, Count).Clear();
        Count = 0;
    }

    public void EnsureCapacity(int capacity)
    {
        if (capacity > _items.Length) Grow(capacity);
    }

    private void Grow(int needed)
    {
        int size = Math.Max(needed, Math.Max(16, _items.Length * 2));
        Array.Resize(ref _items, size);
    }
}
