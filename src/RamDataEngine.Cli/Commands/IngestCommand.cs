using System.ComponentModel;
using System.Globalization;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Contracts;
using RamDataEngine.Grains.Ingest;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Commands;

/// <summary>
/// <c>ram ingest JSONL --dataset NAME</c>: makes version 1 of a new dataset through the embedded silo. An interrupted
/// ingest of the same file into the same name resumes (the file checked unchanged); <c>--restart</c> starts it over.
/// </summary>
public sealed class IngestCommand(IAnsiConsole console) : AsyncCommand<IngestCommand.Settings>
{
    public sealed class Settings : EngineSettings
    {
        [CommandArgument(0, "<JSONL>")]
        [Description("A JSONL file in the coco_mini format; image_file paths are relative to its folder.")]
        public string Jsonl { get; init; } = "";

        [CommandOption("--dataset <NAME>")]
        [Description("Name of the new dataset.")]
        public string Dataset { get; init; } = "";

        [CommandOption("--rows-per-shard <N>")]
        [Description("Rows per shard. Default: 1000.")]
        public int RowsPerShard { get; init; } = 1000;

        [CommandOption("--max-in-flight <N>")]
        [Description("Shards written at once. Default: 8.")]
        public int MaxInFlight { get; init; } = 8;

        [CommandOption("--restart")]
        [Description("Cancel an interrupted ingest into this name and start over (needed when its file changed).")]
        public bool Restart { get; init; }

        [CommandOption("--duplicates <POLICY>")]
        [Description("Rows whose image_id (else image_file) an earlier row has: keep-first (default; the others are quarantined as duplicate-id) or fail.")]
        public string Duplicates { get; init; } = "keep-first";

        [CommandOption("--max-quarantined-rows <SHARE>")]
        [Description("Share of the rows that may be quarantined before the ingest fails: 0.5 or 50%. Default: 50%.")]
        public string MaxQuarantinedRows { get; init; } = "0.5";

        public override ValidationResult Validate()
            => string.IsNullOrEmpty(Dataset) ? ValidationResult.Error("--dataset is required.")
            : RowsPerShard < 1 ? ValidationResult.Error("--rows-per-shard must be at least 1.")
            : Duplicates is not ("keep-first" or "fail") ? ValidationResult.Error($"--duplicates must be keep-first or fail, not '{Duplicates}'.")
            : !QuarantineLimits.TryParseShare(MaxQuarantinedRows, out _) ? ValidationResult.Error($"--max-quarantined-rows '{MaxQuarantinedRows}' is not a share from 0 to 1 (0.5) or a percentage (50%).")
            : ValidationResult.Success();

        internal IngestOptions Options() => new()
        {
            RowsPerShard = RowsPerShard,
            MaxInFlight = MaxInFlight,
            Duplicates = Duplicates == "fail" ? DuplicatePolicy.Fail : DuplicatePolicy.KeepFirst,
            MaxQuarantinedRowShare = QuarantineLimits.ParseShare(MaxQuarantinedRows),
        };
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!File.Exists(settings.Jsonl)) throw new FileNotFoundException($"No JSONL file at '{settings.Jsonl}'.");
        var (store, catalog) = StorageOnly.Open(settings);
        // Decided from the store before a silo starts: a refused ingest never wakes the interrupted run it refuses.
        var preparation = await new IngestRuns(store, catalog, TimeProvider.System).PrepareAsync(settings.Dataset, settings.Jsonl, settings.Restart, cancellationToken);
        await using var engine = await EmbeddedEngine.StartAsync(settings, cancellationToken);
        console.MarkupLineInterpolated($"Embedded silo up; dashboard: [link]{engine.DashboardAddress}[/]");
        var status = await IngestAsync(console, engine, settings.Jsonl, settings.Dataset, settings.Options(), settings.Restart, cancellationToken, preparation);
        return CampaignCommands.ExitCode(status);
    }

    /// <summary>Ingests through a started embedded silo: a new run, or the interrupted one resumed; returns its final status.</summary>
    internal static async Task<CampaignStatus> IngestAsync(
        IAnsiConsole console, EmbeddedEngine engine, string jsonl, string dataset, IngestOptions options, bool restart, CancellationToken cancellationToken,
        IngestPreparation? preparation = null)
    {
        var runs = new IngestRuns(engine.Store, engine.Catalog, TimeProvider.System);
        preparation ??= await runs.PrepareAsync(dataset, jsonl, restart, cancellationToken);
        if (preparation.Note is { } note) console.WriteLine(note);
        if (preparation.CancelFirst is { } previous) await engine.Grains.GetGrain<ICampaignGrain>(previous).CancelAsync("restarted with `ram ingest --restart`", cancellationToken);
        var run = await runs.ClaimAsync(preparation, $"{Environment.MachineName} pid {Environment.ProcessId}", jsonl, options, cancellationToken);
        bool finished = false;
        using var keep = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var keeping = runs.KeepAsync(run, keep.Token);
        try
        {
            var campaign = engine.Grains.GetGrain<ICampaignGrain>(run.CampaignId);
            var started = await campaign.StartAsync(run.Spec, cancellationToken);
            string source = run.Spec.Config[IngestPlanner.SourceKey];
            var invariant = CultureInfo.InvariantCulture;
            if (run.Resumed)
            {
                console.WriteLine(string.Create(invariant,
                    $"Resumed the interrupted ingest {run.CampaignId} of {source} (unchanged since it was planned): {started.ShardsDone} of {started.Shards} shards were done ({started.RowsKept:N0} rows kept, {started.RowsQuarantined:N0} quarantined); the other {started.Shards - started.ShardsDone} run now."));
            }
            else
            {
                console.WriteLine(string.Create(invariant, $"Ingest {run.CampaignId}: {source}, {started.Shards} shards of up to {options.RowsPerShard:N0} rows."));
            }

            if (int.TryParse(run.Spec.Config.GetValueOrDefault(IngestPlanner.DuplicateRowsKey), NumberStyles.None, invariant, out int duplicates) && duplicates > 0)
            {
                console.WriteLine(string.Create(invariant, $"Duplicate ids: {duplicates:N0} rows repeat the image_id (else image_file) of an earlier row; the first of each is kept, the others are quarantined as duplicate-id (--duplicates fail refuses such a file)."));
            }

            var status = await CampaignProgress.WatchAsync(console, campaign, cancellationToken);
            finished = status.IsFinished;
            CampaignCommands.PrintOutcome(console, status);
            return status;
        }
        finally
        {
            await keep.CancelAsync();
            await keeping;
            await runs.ReleaseAsync(run, finished, CancellationToken.None);
        }
    }
}
