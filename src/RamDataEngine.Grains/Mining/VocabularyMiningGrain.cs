using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using RamDataEngine.Contracts;
using RamDataEngine.Storage;
using RamDataEngine.Tagging;

namespace RamDataEngine.Grains.Mining;

/// <summary>
/// Merges the shard summaries of one mining campaign into a summary of fixed capacity, once per shard, and keeps the
/// result durable in grain state. Reports that arrive while a write is under way are merged together in the next one
/// (a group commit), so the cost is one merge and one state write per batch of shards, not per shard.
/// </summary>
[Reentrant]
public sealed partial class VocabularyMiningGrain : Grain, IVocabularyMiningGrain
{
    /// <summary>Shard ids above this are refused: the merged-shard bitset stays at most 2 MB.</summary>
    public const int MaxShardId = (1 << 24) - 1;

    /// <summary>Most counters a merged summary may keep (per kind): the bound on this grain's memory.</summary>
    public const int MaxCapacity = 4_000_000;

    // Shard summaries merged in one write: bounds the transient memory of a merge (its union of terms).
    private const int MaxBatch = 8;

    private readonly IPersistentState<VocabularyMiningState> _state;
    private readonly IBlobStore _store;
    private readonly ILogger<VocabularyMiningGrain> _logger;
    private readonly List<Pending> _pending = [];
    private VocabularyMiningState _saved = new();
    private MiningSummary? _summary;
    private List<Pending>? _writing;
    private Task? _writer;

    public VocabularyMiningGrain(
        [PersistentState("mining", "ram")] IPersistentState<VocabularyMiningState> state, IBlobStore store, ILogger<VocabularyMiningGrain> logger)
    {
        _state = state;
        _store = store;
        _logger = logger;
    }

    private string Id => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _saved = _state.State;
        _summary = _saved.Summary is { } bytes ? Read(bytes, "the saved state") : null;
        return Task.CompletedTask;
    }

    public async Task<bool> MergeAsync(VocabularyMiningReport report, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(report);
        Validate(report);
        if (_saved.IsMerged(report.ShardId)) return false;
        if (InFlight(report.ShardId) is { } running)
        {
            // The same shard is being merged for another caller: this one succeeds when that one does.
            await running.Done.Task.WaitAsync(cancellationToken);
            return false;
        }

        string source = report.SummaryPath is { } path ? $"blob '{path}'" : $"the report of shard {report.ShardId}";
        byte[] bytes = report.Summary ?? await _store.ReadAllBytesAsync(report.SummaryPath!, cancellationToken);
        var part = Read(bytes, source);

        // Reading the blob let other calls in: look again.
        if (_saved.IsMerged(report.ShardId)) return false;
        if (InFlight(report.ShardId) is { } other)
        {
            await other.Done.Task.WaitAsync(cancellationToken);
            return false;
        }

        var pending = new Pending(report.ShardId, part, report.WordCapacity, report.PhraseCapacity);
        _pending.Add(pending);
        if (_writer is null)
        {
            // The loop may finish synchronously (a batch refused at once); only a running loop is remembered.
            var writer = WriteLoopAsync();
            if (!writer.IsCompleted) _writer = writer;
        }

        await pending.Done.Task.WaitAsync(cancellationToken);
        return true;
    }

    public Task<VocabularyMiningInfo> GetInfoAsync(CancellationToken cancellationToken = default)
        => Task.FromResult(new VocabularyMiningInfo(
            _saved.Shards, _summary?.Captions ?? 0, _summary?.Words.Count ?? 0, _summary?.Phrases.Count ?? 0, _saved.WordCapacity, _saved.PhraseCapacity));

    public async Task<string> SaveSummaryAsync(CancellationToken cancellationToken = default)
    {
        while (_writer is { } writer) await writer.WaitAsync(cancellationToken);
        var summary = _summary ?? new MiningSummary(new HeavyHitters(1), new HeavyHitters(1), 0);
        string path = MiningPaths.Summary(Id);
        await _store.WriteAsync(path, Write(summary), BlobCondition.None, cancellationToken);
        return path;
    }

    private void Validate(VocabularyMiningReport report)
    {
        if (report.ShardId is < 0 or > MaxShardId) throw new ArgumentOutOfRangeException(nameof(report), report.ShardId, $"Shard id {report.ShardId} is outside 0..{MaxShardId}.");
        if ((report.Summary is null) == (report.SummaryPath is null)) throw new ArgumentException($"The report of shard {report.ShardId} must carry either the summary's bytes or a blob path, not both or neither.", nameof(report));
        if (report.WordCapacity is < 1 or > MaxCapacity || report.PhraseCapacity is < 1 or > MaxCapacity)
        {
            throw new ArgumentOutOfRangeException(nameof(report), $"Capacities {report.WordCapacity}/{report.PhraseCapacity} of shard {report.ShardId} are outside 1..{MaxCapacity}.");
        }

        if (_saved.Shards > 0 && (report.WordCapacity != _saved.WordCapacity || report.PhraseCapacity != _saved.PhraseCapacity))
        {
            throw new ArgumentException(
                $"Shard {report.ShardId} asks for capacities {report.WordCapacity}/{report.PhraseCapacity}, but campaign '{Id}' merges with {_saved.WordCapacity}/{_saved.PhraseCapacity}.", nameof(report));
        }
    }

    private Pending? InFlight(int shardId)
        => _pending.Find(p => p.ShardId == shardId) ?? _writing?.Find(p => p.ShardId == shardId);

    /// <summary>Merges and saves batches of pending reports until none are left; each caller learns its batch's fate.</summary>
    private async Task WriteLoopAsync()
    {
        try
        {
            while (_pending.Count > 0)
            {
                int n = Math.Min(MaxBatch, _pending.Count);
                var batch = _pending.GetRange(0, n);
                _pending.RemoveRange(0, n);
                _writing = batch;
                try
                {
                    await WriteBatchAsync(batch);
                    foreach (var p in batch) p.Done.TrySetResult();
                }
                catch (Exception e)
                {
                    foreach (var p in batch) p.Done.TrySetException(e);
                }
                finally
                {
                    _writing = null;
                }
            }
        }
        finally
        {
            _writer = null;
        }
    }

    private async Task WriteBatchAsync(List<Pending> batch)
    {
        int words = _saved.Shards > 0 ? _saved.WordCapacity : batch[0].WordCapacity;
        int phrases = _saved.Shards > 0 ? _saved.PhraseCapacity : batch[0].PhraseCapacity;
        var mismatched = batch.Find(p => p.WordCapacity != words || p.PhraseCapacity != phrases);
        if (mismatched is not null)
        {
            throw new ArgumentException($"Shard {mismatched.ShardId} asks for capacities {mismatched.WordCapacity}/{mismatched.PhraseCapacity}, but campaign '{Id}' merges with {words}/{phrases}.");
        }

        var parts = batch.Select(p => p.Summary);
        var merged = MiningSummary.Merge(_summary is null ? parts : parts.Prepend(_summary), words, phrases);
        var next = _saved.With(Write(merged), batch.Select(p => p.ShardId), words, phrases);
        _state.State = next;
        try
        {
            await _state.WriteStateAsync();
        }
        catch (Exception e)
        {
            // Unsaved: forget it. The write may still have landed (a lost reply), leaving a stale ETag here, so the
            // next activation reads the state afresh; its shard bits make the callers' retries harmless either way.
            _state.State = _saved;
            LogWriteFailed(Id, batch.Count, e);
            DeactivateOnIdle();
            throw;
        }

        _saved = next;
        _summary = merged;
        LogMerged(Id, batch.Count, next.Shards, merged.Captions);
    }

    private static MiningSummary Read(byte[] bytes, string source)
    {
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            return MiningSummary.ReadFrom(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"The mining summary in {source} is not valid: {e.Message}", e);
        }
    }

    internal static byte[] Write(MiningSummary summary)
    {
        using var stream = new MemoryStream();
        summary.WriteTo(stream);
        return stream.ToArray();
    }

    private sealed class Pending(int shardId, MiningSummary summary, int wordCapacity, int phraseCapacity)
    {
        public int ShardId { get; } = shardId;

        public MiningSummary Summary { get; } = summary;

        public int WordCapacity { get; } = wordCapacity;

        public int PhraseCapacity { get; } = phraseCapacity;

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Mining {CampaignId}: merged {Batch} shard summaries; {Shards} shards, {Captions} captions so far")]
    private partial void LogMerged(string campaignId, int batch, int shards, long captions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Mining {CampaignId}: saving a merge of {Batch} shard summaries failed; its shards will be retried")]
    private partial void LogWriteFailed(string campaignId, int batch, Exception exception);
}
