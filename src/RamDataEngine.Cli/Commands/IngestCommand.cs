using System.ComponentModel;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Ingest;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Commands;

/// <summary><c>ram ingest JSONL --dataset NAME</c>: makes version 1 of a new dataset through the embedded silo.</summary>
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

        public override ValidationResult Validate()
            => string.IsNullOrEmpty(Dataset) ? ValidationResult.Error("--dataset is required.")
            : RowsPerShard < 1 ? ValidationResult.Error("--rows-per-shard must be at least 1.")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (!File.Exists(settings.Jsonl)) throw new FileNotFoundException($"No JSONL file at '{settings.Jsonl}'.");
        await EnsureNewAsync(StorageOnly.Open(settings).Catalog, settings.Dataset, cancellationToken);
        await using var engine = await EmbeddedEngine.StartAsync(settings, cancellationToken);
        console.MarkupLineInterpolated($"Embedded silo up; dashboard: [link]{engine.DashboardAddress}[/]");
        var status = await IngestAsync(console, engine, settings.Jsonl, settings.Dataset, settings.RowsPerShard, settings.MaxInFlight, cancellationToken);
        return CampaignCommands.ExitCode(status);
    }

    private static async Task EnsureNewAsync(DatasetCatalog catalog, string dataset, CancellationToken cancellationToken)
    {
        if (await catalog.GetHeadVersionAsync(dataset, cancellationToken) is { } head)
        {
            throw new ConflictException($"Dataset '{dataset}' already exists (head v{head}) in {catalog.Store.Location}; ingest creates a new dataset, so choose another name.");
        }
    }

    internal static async Task<CampaignStatus> IngestAsync(
        IAnsiConsole console, EmbeddedEngine engine, string jsonl, string dataset, int rowsPerShard, int maxInFlight, CancellationToken cancellationToken)
    {
        await EnsureNewAsync(engine.Catalog, dataset, cancellationToken);
        string campaignId = $"ingest-{dataset}";
        var spec = await IngestPlanner.PlanAsync(engine.Store, campaignId, dataset, jsonl, rowsPerShard, maxInFlight, cancellationToken);
        var campaign = engine.Grains.GetGrain<ICampaignGrain>(campaignId);
        await campaign.StartAsync(spec, cancellationToken);
        var status = await CampaignProgress.WatchAsync(console, campaign, cancellationToken);
        CampaignCommands.PrintOutcome(console, status);
        return status;
    }
}
