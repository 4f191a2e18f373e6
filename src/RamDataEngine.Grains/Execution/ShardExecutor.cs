using System.Diagnostics;
using System.Text.Json;
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
/// with a fixed number running at once (one queue for CPU work, one per GPU device). Each finished task is
/// reported to its campaign grain.
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
        CampaignMetrics.RegisterQueue(() => Volatile.Read(ref _queued), _silo);
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

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
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
                    await ReportAsync(task, outcome, stoppingToken).ConfigureAwait(false);
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
        var clock = Stopwatch.StartNew();
        using var activity = CampaignMetrics.Source.StartActivity("shard");
        activity?.SetTag("ram.campaign", task.CampaignId);
        activity?.SetTag("ram.stage", task.Stage);
        activity?.SetTag("ram.shard", task.ShardId);
        try
        {
            var stage = _stages.Get(task.Stage);
            var (entry, chunk) = await _inputs.ResolveAsync(task, cancellationToken).ConfigureAwait(false);
            var context = new ShardStageContext { Task = task, Store = _store, Input = entry, SourceChunk = chunk, Silo = _silo };
            var result = await stage.RunAsync(context, cancellationToken).ConfigureAwait(false);
            if (result.Entry.ShardId != task.ShardId)
            {
                throw new InvalidOperationException($"Stage '{task.Stage}' returned an entry for shard {result.Entry.ShardId} when running shard {task.ShardId}.");
            }

            CampaignMetrics.RecordShard(task, clock.Elapsed, result.Rows, succeeded: true);
            return new ShardOutcome
            {
                StageIndex = task.StageIndex,
                ShardId = task.ShardId,
                Attempt = task.Attempt,
                EntryJson = JsonSerializer.Serialize(result.Entry, DatasetJson.Options),
                Rows = result.Rows,
                Silo = _silo,
                Elapsed = clock.Elapsed,
            };
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            bool permanent = e is ShardInputException or KeyNotFoundException;
            LogShardFailed(task.CampaignId, task.Stage, task.ShardId, task.Attempt, permanent, e);
            CampaignMetrics.RecordShard(task, clock.Elapsed, 0, succeeded: false);
            return new ShardOutcome
            {
                StageIndex = task.StageIndex,
                ShardId = task.ShardId,
                Attempt = task.Attempt,
                Error = $"{e.GetType().Name}: {e.Message}",
                Permanent = permanent,
                Silo = _silo,
                Elapsed = clock.Elapsed,
            };
        }
    }

    private async Task ReportAsync(ShardTask task, ShardOutcome outcome, CancellationToken cancellationToken)
    {
        var campaign = _grains.GetGrain<ICampaignGrain>(task.CampaignId);
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await campaign.ReportAsync(outcome, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception e) when (attempt < _options.ReportAttempts && !cancellationToken.IsCancellationRequested)
            {
                // The campaign's silo may be failing over; its next activation takes the report.
                LogReportRetry(task.CampaignId, task.ShardId, attempt, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(100 * attempt), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                LogReportLost(task.CampaignId, task.ShardId, e);
                return;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Campaign {CampaignId} stage {Stage} shard {ShardId} attempt {Attempt} failed (permanent: {Permanent})")]
    private partial void LogShardFailed(string campaignId, string stage, int shardId, int attempt, bool permanent, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reporting shard {ShardId} to campaign {CampaignId} failed on attempt {Attempt}: {Error}; retrying")]
    private partial void LogReportRetry(string campaignId, int shardId, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not report shard {ShardId} to campaign {CampaignId}; the campaign will re-dispatch it")]
    private partial void LogReportLost(string campaignId, int shardId, Exception exception);
}
