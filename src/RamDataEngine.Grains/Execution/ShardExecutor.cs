using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Execution;

/// <summary>
/// The silo's bounded executor: shard tasks queue here and run on the thread pool, off the grain scheduler,
/// with a fixed number running at once (one queue for CPU work, one per GPU device). Finished tasks are reported
/// to their campaign grain in batches: one report call per campaign is in flight at a time, and the outcomes that
/// finish meanwhile go together in the next one, so report calls adapt to the rate of work without a timer.
/// </summary>
public sealed partial class ShardExecutor : BackgroundService
{
    private readonly Channel<ShardTask> _cpu = Channel.CreateUnbounded<ShardTask>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Channel<ShardTask>[] _gpus;
    private readonly ShardExecutorOptions _options;
    private readonly StageRegistry _stages;
    private readonly ShardInputResolver _inputs;
    private readonly IBlobStore _store;
    private readonly IGrainFactory _grains;
    private readonly ILogger<ShardExecutor> _logger;
    private readonly string _silo;
    private readonly ConcurrentDictionary<string, PendingReports> _reports = new(StringComparer.Ordinal);
    private readonly IDisposable _queueGauge;
    private CancellationToken _stopping;
    private int _queued;
    private int _running;

    public ShardExecutor(
        IOptions<ShardExecutorOptions> options, StageRegistry stages, ShardInputResolver inputs, IBlobStore store,
        IGrainFactory grains, ILocalSiloDetails silo, ILogger<ShardExecutor> logger)
    {
        _options = options.Value;
        _stages = stages;
        _inputs = inputs;
        _store = store;
        _grains = grains;
        _logger = logger;
        _silo = silo.SiloAddress.ToParsableString();
        _gpus = Enumerable.Range(0, _options.GpuDevices).Select(_ => Channel.CreateUnbounded<ShardTask>()).ToArray();
        _queueGauge = CampaignMetrics.TrackQueue(() => Volatile.Read(ref _queued), _silo);
    }

    public string Silo => _silo;

    public int Queued => Volatile.Read(ref _queued);

    public int Running => Volatile.Read(ref _running);

    public bool HasGpu => _gpus.Length > 0;

    /// <summary>Queues a task: GPU stages go to a GPU queue when this silo has one, everything else to the CPU queue.</summary>
    public void Enqueue(ShardTask task, StageDevice device)
    {
        var queue = device == StageDevice.Gpu && _gpus.Length > 0 ? _gpus[(task.ShardId & int.MaxValue) % _gpus.Length] : _cpu;
        Interlocked.Increment(ref _queued);
        if (!queue.Writer.TryWrite(task)) throw new InvalidOperationException("The shard executor is stopping.");
    }

    /// <summary>Queues several tasks (see <see cref="Enqueue(ShardTask, StageDevice)"/>).</summary>
    public void Enqueue(IReadOnlyList<ShardTask> tasks, StageDevice device)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        for (int i = 0; i < tasks.Count; i++) Enqueue(tasks[i], device);
    }

    public override void Dispose()
    {
        _queueGauge.Dispose();
        base.Dispose();
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        var workers = Enumerable.Range(0, _options.CpuConcurrency).Select(_ => RunQueueAsync(_cpu.Reader, stoppingToken))
            .Concat(_gpus.Select(g => RunQueueAsync(g.Reader, stoppingToken)));
        return Task.WhenAll(workers);
    }

    private async Task RunQueueAsync(ChannelReader<ShardTask> queue, CancellationToken stoppingToken)
    {
        // Leave the caller's context (possibly a grain's) for the thread pool.
        await Task.Yield();
        try
        {
            await foreach (var task in queue.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                Interlocked.Decrement(ref _queued);
                Interlocked.Increment(ref _running);
                try
                {
                    var outcome = await RunAsync(task, stoppingToken).ConfigureAwait(false);
                    Report(task.CampaignId, outcome);
                }
                finally
                {
                    Interlocked.Decrement(ref _running);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Silo stopping: queued tasks are lost here and re-dispatched by their campaigns.
        }
    }

    internal async Task<ShardOutcome> RunAsync(ShardTask task, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        using var activity = CampaignMetrics.Source.StartActivity("shard");
        activity?.SetTag("ram.campaign", task.CampaignId);
        activity?.SetTag("ram.stage", task.Stage);
        activity?.SetTag("ram.shard", task.ShardId);
        ShardEntry? entry = null;
        try
        {
            var stage = _stages.Get(task.Stage);
            (entry, var chunk) = await _inputs.ResolveAsync(task, cancellationToken).ConfigureAwait(false);
            var context = new ShardStageContext { Task = task, Store = _store, Input = entry, SourceChunk = chunk, Silo = _silo };
            var result = await stage.RunAsync(context, cancellationToken).ConfigureAwait(false);
            if (result.Entry.ShardId != task.ShardId)
            {
                throw new InvalidOperationException($"Stage '{task.Stage}' returned an entry for shard {result.Entry.ShardId} when running shard {task.ShardId}.");
            }

            CampaignMetrics.RecordShard(task, Stopwatch.GetElapsedTime(started), result.Rows, succeeded: true);
            return new ShardOutcome
            {
                StageIndex = task.StageIndex,
                ShardId = task.ShardId,
                Attempt = task.Attempt,
                EntryJson = ShardEntryJson.ToUtf8(result.Entry),
                Rows = result.Rows,
                RowsKept = result.Entry.Rows,
                // Rows this task quarantined itself; those its input entry already counted were quarantined earlier.
                RowsQuarantined = Math.Max(0, result.Entry.QuarantinedRows - (entry?.QuarantinedRows ?? 0)),
                Silo = _silo,
                Elapsed = Stopwatch.GetElapsedTime(started),
            };
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            bool permanent = ShardFailures.Classify(e).Permanent;
            LogShardFailed(task.CampaignId, task.Stage, task.ShardId, task.Attempt, permanent, e);
            CampaignMetrics.RecordShard(task, Stopwatch.GetElapsedTime(started), 0, succeeded: false);
            return new ShardOutcome
            {
                StageIndex = task.StageIndex,
                ShardId = task.ShardId,
                Attempt = task.Attempt,
                Error = ShardFailures.Describe(e),
                Permanent = permanent,
                Silo = _silo,
                Elapsed = Stopwatch.GetElapsedTime(started),
            };
        }
    }

    /// <summary>Hands an outcome to its campaign's report queue, starting the sender when none is running.</summary>
    private void Report(string campaignId, ShardOutcome outcome)
    {
        var pending = _reports.GetOrAdd(campaignId, static id => new PendingReports(id));
        lock (pending)
        {
            pending.Outcomes.Add(outcome);
            if (pending.Sending) return;
            pending.Sending = true;
        }

        _ = SendReportsAsync(pending);
    }

    private async Task SendReportsAsync(PendingReports pending)
    {
        // Off the worker loop that finished the task, so it takes its next task at once.
        await Task.Yield();
        var campaign = _grains.GetGrain<ICampaignGrain>(pending.CampaignId);
        while (true)
        {
            List<ShardOutcome> batch;
            lock (pending)
            {
                if (pending.Outcomes.Count == 0 || _stopping.IsCancellationRequested)
                {
                    // Forgotten when idle, so a long-lived silo keeps nothing per finished campaign; a report racing
                    // with this still goes out, from this object or from a new one.
                    pending.Sending = false;
                    _reports.TryRemove(new KeyValuePair<string, PendingReports>(pending.CampaignId, pending));
                    return;
                }

                if (pending.Outcomes.Count <= _options.MaxReportBatch)
                {
                    batch = pending.Outcomes;
                    pending.Outcomes = [];
                }
                else
                {
                    batch = pending.Outcomes.GetRange(0, _options.MaxReportBatch);
                    pending.Outcomes.RemoveRange(0, _options.MaxReportBatch);
                }
            }

            await SendAsync(campaign, pending.CampaignId, batch).ConfigureAwait(false);
        }
    }

    private async Task SendAsync(ICampaignGrain campaign, string campaignId, List<ShardOutcome> batch)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await campaign.ReportAsync(batch, _stopping).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (attempt < _options.ReportAttempts && !_stopping.IsCancellationRequested)
            {
                // The campaign's silo may be failing over; its next activation takes the report.
                LogReportRetry(campaignId, batch.Count, attempt, e.Message);
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), _stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (Exception e)
            {
                // Silo stopping, or the campaign unreachable: it re-dispatches shards that are never reported.
                if (!_stopping.IsCancellationRequested) LogReportLost(campaignId, batch.Count, e);
                return;
            }
        }
    }

    /// <summary>Outcomes of one campaign waiting for the report call in flight to return.</summary>
    private sealed class PendingReports(string campaignId)
    {
        public string CampaignId { get; } = campaignId;

        public List<ShardOutcome> Outcomes { get; set; } = [];

        public bool Sending { get; set; }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Campaign {CampaignId} stage {Stage} shard {ShardId} attempt {Attempt} failed (permanent: {Permanent})")]
    private partial void LogShardFailed(string campaignId, string stage, int shardId, int attempt, bool permanent, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reporting {Count} shards to campaign {CampaignId} failed on attempt {Attempt}: {Error}; retrying")]
    private partial void LogReportRetry(string campaignId, int count, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report {Count} shards to campaign {CampaignId}; the campaign will re-dispatch them")]
    private partial void LogReportLost(string campaignId, int count, Exception exception);
}
