using System.Globalization;
using RamDataEngine.Contracts;
using Spectre.Console;

namespace RamDataEngine.Cli.Infrastructure;

/// <summary>A live progress display of a campaign, fed by the grain's status stream.</summary>
public static class CampaignProgress
{
    public static async Task<CampaignStatus> WatchAsync(IAnsiConsole console, ICampaignGrain campaign, CancellationToken cancellationToken)
    {
        CampaignStatus last = await campaign.GetStatusAsync(cancellationToken);
        await console.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var tasks = new Dictionary<int, ProgressTask>();
                await foreach (var status in campaign.WatchAsync(TimeSpan.FromMilliseconds(500), cancellationToken))
                {
                    last = status;
                    if (!tasks.TryGetValue(status.StageIndex, out var task))
                    {
                        foreach (var previous in tasks.Values) previous.Value = previous.MaxValue;
                        tasks[status.StageIndex] = task = context.AddTask(Markup.Escape(status.StageName ?? "?"), maxValue: Math.Max(1, status.Shards));
                    }

                    task.MaxValue = Math.Max(1, status.Shards);
                    task.Value = status.ShardsDone + status.ShardsQuarantined;
                    task.Description = Markup.Escape(Describe(status));
                }
            });
        return last;
    }

    public static string Describe(CampaignStatus s)
    {
        string eta = s.EstimatedRemaining is { } e ? $", ETA {e:hh\\:mm\\:ss}" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{s.StageName} ({s.StageIndex + 1}/{s.StageCount}): {s.ShardsDone}/{s.Shards} done, {s.ShardsInFlight} in flight, {s.ShardsQuarantined} shards quarantined, {s.FailedAttempts} failed attempts, {s.RowsPerSecond:N0} rows/s{eta}");
    }
}
