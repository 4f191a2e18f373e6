using System.Buffers;

namespace RamDataEngine.Grains.Campaigns;

/// <summary>
/// Completed shards waiting to be written as one result batch: their entries' JSON in one pooled buffer, already laid
/// out as a JSON array, and their shard ids. One buffer instead of an array per entry keeps a campaign's buffered
/// results out of the GC's way while the previous batch is being written.
/// </summary>
internal sealed class ResultBuffer : IDisposable
{
    private byte[] _bytes = [];
    private int _length;
    private readonly List<int> _shards = [];

    public int Count => _shards.Count;

    public IReadOnlyList<int> Shards => _shards;

    /// <summary>Rows in the buffered entries.</summary>
    public long RowsKept { get; private set; }

    /// <summary>Rows the buffered shards' tasks quarantined.</summary>
    public long RowsQuarantined { get; private set; }

    public void Add(int shard, ReadOnlySpan<byte> entryJson, long rowsKept = 0, long rowsQuarantined = 0)
    {
        Append(entryJson);
        _shards.Add(shard);
        RowsKept += rowsKept;
        RowsQuarantined += rowsQuarantined;
    }

    /// <summary>Takes back the entries of a batch that could not be written, after those added since.</summary>
    public void AddRange(ResultBuffer other)
    {
        if (other.Count == 0) return;
        // The other's entries without its opening bracket: the comma-separated entries themselves.
        Append(other._bytes.AsSpan(1, other._length - 1));
        _shards.AddRange(other._shards);
        RowsKept += other.RowsKept;
        RowsQuarantined += other.RowsQuarantined;
    }

    /// <summary>The entries as a JSON array; valid until the buffer changes.</summary>
    public ReadOnlyMemory<byte> ToJsonArray()
    {
        if (Count == 0) return "[]"u8.ToArray();
        _bytes[_length] = (byte)']';
        return _bytes.AsMemory(0, _length + 1);
    }

    public void Dispose()
    {
        if (_bytes.Length > 0) ArrayPool<byte>.Shared.Return(_bytes);
        _bytes = [];
        _length = 0;
        _shards.Clear();
        RowsKept = RowsQuarantined = 0;
    }

    private void Append(ReadOnlySpan<byte> json)
    {
        // One byte for the separator ('[' first, ',' after) and one kept free for the closing ']'.
        int needed = _length + json.Length + 2;
        if (needed > _bytes.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Max(4096, _bytes.Length * 2)));
            _bytes.AsSpan(0, _length).CopyTo(larger);
            if (_bytes.Length > 0) ArrayPool<byte>.Shared.Return(_bytes);
            _bytes = larger;
        }

        byte separator = _length == 0 ? (byte)'[' : (byte)',';
        _bytes[_length++] = separator;
        json.CopyTo(_bytes.AsSpan(_length));
        _length += json.Length;
    }
}
