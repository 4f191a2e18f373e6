using System.Text.Json;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Campaigns;

/// <summary>
/// Per-shard progress of a campaign in flat arrays: one status byte, one attempt byte and the index of the result
/// batch holding the shard's entry, for this stage and the previous one (10 bytes a shard, no object per shard).
/// </summary>
internal sealed class ShardBook
{
    private enum Status : byte
    {
        Pending,
        InFlight,
        Deferred,
        Completed,
        Saved,
        Quarantined,
        Absent,
    }

    private readonly Status[] _status;
    private readonly byte[] _attempts;
    private int[] _batchOf;
    private int[] _inputBatchOf;
    private int _cursor;
    private int _completed;
    private int _quarantined;
    private readonly int _absent;

    private ShardBook(int space, IEnumerable<int> absent, IEnumerable<int> quarantined)
    {
        _status = new Status[space];
        _attempts = new byte[space];
        _batchOf = new int[space];
        _inputBatchOf = [];
        foreach (int id in absent) Set(id, Status.Absent, ref _absent);
        foreach (int id in quarantined) Set(id, Status.Quarantined, ref _quarantined);
    }

    public static ShardBook Empty { get; } = new(0, [], []);

    /// <summary>Shards the campaign processes: the id space less the ids absent from its input.</summary>
    public int Total => _status.Length - _absent;

    /// <summary>Shards done with the running stage, saved or not yet.</summary>
    public int Done => _completed;

    public int DoneThisStage => _completed;

    public int Finished => _completed + _quarantined;

    public bool AllFinished => Finished == Total;

    public static ShardBook Create(CampaignState state) => new(state.ShardSpace, state.AbsentShards, state.Quarantined.Select(q => q.ShardId));

    /// <summary>Rebuilds progress after a restart from the result batches the state lists.</summary>
    public static async Task<ShardBook> RebuildAsync(CampaignState state, IBlobStore store, CancellationToken cancellationToken)
    {
        var book = Create(state);
        for (int i = 0; i < state.Batches.Count; i++)
        {
            foreach (int shard in await ReadShardIdsAsync(store, state.Batches[i], cancellationToken))
            {
                if (book._status[shard] == Status.Pending)
                {
                    book.MarkCompleted(shard);
                    book.MarkSaved(shard, i);
                }
            }
        }

        if (state.InputBatches.Count > 0)
        {
            book._inputBatchOf = new int[state.ShardSpace];
            for (int i = 0; i < state.InputBatches.Count; i++)
            {
                foreach (int shard in await ReadShardIdsAsync(store, state.InputBatches[i], cancellationToken)) book._inputBatchOf[shard] = i;
            }
        }

        return book;
    }

    public bool Contains(int shard) => (uint)shard < (uint)_status.Length && _status[shard] != Status.Absent;

    public bool IsFinished(int shard) => _status[shard] is Status.Completed or Status.Saved or Status.Quarantined;

    public bool IsPending(int shard) => _status[shard] is Status.Pending or Status.Deferred;

    /// <summary>The next shard never dispatched in this stage (or requeued), or null.</summary>
    public int? NextPending()
    {
        while (_cursor < _status.Length && _status[_cursor] != Status.Pending) _cursor++;
        return _cursor < _status.Length ? _cursor : null;
    }

    /// <summary>Counts a dispatch of the shard and returns its attempt number (1-based).</summary>
    public int NextAttempt(int shard)
    {
        _status[shard] = Status.InFlight;
        if (_attempts[shard] < byte.MaxValue) _attempts[shard]++;
        return _attempts[shard];
    }

    public int Attempts(int shard) => _attempts[shard];

    /// <summary>A dispatch that was lost through no fault of the shard (its silo died) does not count.</summary>
    public void ForgiveAttempt(int shard)
    {
        if (_attempts[shard] > 0) _attempts[shard]--;
    }

    /// <summary>Back in line at once.</summary>
    public void Requeue(int shard)
    {
        _status[shard] = Status.Pending;
        _cursor = Math.Min(_cursor, shard);
    }

    /// <summary>Waits for its retry time; only the retry queue dispatches it.</summary>
    public void Defer(int shard) => _status[shard] = Status.Deferred;

    public void MarkCompleted(int shard)
    {
        _status[shard] = Status.Completed;
        _completed++;
    }

    public void MarkSaved(int shard, int batchIndex)
    {
        _status[shard] = Status.Saved;
        _batchOf[shard] = batchIndex;
    }

    public void MarkQuarantined(int shard)
    {
        _status[shard] = Status.Quarantined;
        _quarantined++;
    }

    /// <summary>The result batch of the previous stage that holds the shard's input entry.</summary>
    public int InputBatchOf(int shard) => _inputBatchOf[shard];

    /// <summary>Every saved shard becomes pending for the next stage, which reads the batches just written.</summary>
    public void NextStage()
    {
        _inputBatchOf = _batchOf;
        _batchOf = new int[_status.Length];
        for (int i = 0; i < _status.Length; i++)
        {
            if (_status[i] == Status.Saved) _status[i] = Status.Pending;
        }

        Array.Clear(_attempts);
        _completed = 0;
        _cursor = 0;
    }

    private void Set(int shard, Status status, ref int counter)
    {
        if ((uint)shard >= (uint)_status.Length || _status[shard] == status) return;
        _status[shard] = status;
        counter++;
    }

    private static async Task<List<int>> ReadShardIdsAsync(IBlobStore store, string path, CancellationToken cancellationToken)
    {
        var bytes = await store.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        using var document = JsonDocument.Parse(bytes);
        return document.RootElement.EnumerateArray().Select(e => e.GetProperty("shardId").GetInt32()).ToList();
    }
}
