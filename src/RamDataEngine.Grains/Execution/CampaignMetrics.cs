using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using RamDataEngine.Contracts;

namespace RamDataEngine.Grains.Execution;

/// <summary>The campaign component's one Meter and ActivitySource; instruments carry campaign, stage and silo.</summary>
public static class CampaignMetrics
{
    public const string Name = "RamDataEngine.Campaigns";

    public static readonly Meter Meter = new(Name);
    public static readonly ActivitySource Source = new(Name);

    private static readonly Counter<long> ShardsDone = Meter.CreateCounter<long>("ram.shards.completed", "{shard}", "Shard tasks that finished.");
    private static readonly Counter<long> ShardsFailed = Meter.CreateCounter<long>("ram.shards.failed", "{shard}", "Shard task attempts that failed.");
    private static readonly Counter<long> RowsProcessed = Meter.CreateCounter<long>("ram.rows.processed", "{row}", "Rows processed by shard tasks.");
    private static readonly Histogram<double> StageLatency = Meter.CreateHistogram<double>("ram.shard.duration", "s", "Time one shard task took in one stage.");

    public static void RecordShard(ShardTask task, TimeSpan elapsed, long rows, bool succeeded)
    {
        var tags = new TagList { { "ram.campaign", task.CampaignId }, { "ram.stage", task.Stage } };
        if (succeeded)
        {
            ShardsDone.Add(1, tags);
            RowsProcessed.Add(rows, tags);
        }
        else
        {
            ShardsFailed.Add(1, tags);
        }

        StageLatency.Record(elapsed.TotalSeconds, tags);
    }

    // One gauge for every executor in the process: an instrument cannot be removed from a static Meter, so a gauge per
    // executor would keep each stopped silo's executor (and its caches) alive in a process that starts several silos.
    private static readonly ConcurrentDictionary<object, (Func<int> Depth, string Silo)> Queues = new();
    private static readonly ObservableGauge<int> QueueDepth = Meter.CreateObservableGauge(
        "ram.executor.queue_depth",
        () => Queues.Values.Select(q => new Measurement<int>(q.Depth(), new KeyValuePair<string, object?>("ram.silo", q.Silo))),
        "{task}",
        "Shard tasks waiting on this silo.");

    /// <summary>Reports the executor's queue depth on the gauge until the returned handle is disposed.</summary>
    public static IDisposable TrackQueue(Func<int> depth, string silo)
    {
        var key = new object();
        Queues[key] = (depth, silo);
        return new Untrack(key);
    }

    private sealed class Untrack(object key) : IDisposable
    {
        public void Dispose() => Queues.TryRemove(key, out _);
    }
}
