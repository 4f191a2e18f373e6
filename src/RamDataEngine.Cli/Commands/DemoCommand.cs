using System.ComponentModel;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Synthetic;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Parsing;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Commands;

/// <summary><c>ram demo</c>: the whole engine on the embedded default, with generated data and no setup.</summary>
public sealed class DemoCommand(IAnsiConsole console) : AsyncCommand<DemoCommand.Settings>
{
    public sealed class Settings : EngineSettings
    {
        [CommandOption("--count <N>")]
        [Description("Images to generate. Default: 1000.")]
        public int Count { get; init; } = 1000;

        [CommandOption("--seed <SEED>")]
        public int Seed { get; init; } = 42;

        [CommandOption("--rows-per-shard <N>")]
        public int RowsPerShard { get; init; } = 100;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        string dataRoot = Path.GetFullPath(settings.DataPath ?? Path.Combine(".ram", "data"));
        string sourceFolder = Path.Combine(Path.GetDirectoryName(dataRoot)!, "sources", $"demo-seed{settings.Seed}-n{settings.Count}");
        var effective = new Settings { DataPath = dataRoot, ConfigFile = settings.ConfigFile, Count = settings.Count, Seed = settings.Seed, RowsPerShard = settings.RowsPerShard };

        console.Write(new Rule("[bold]RamDataEngine demo[/]").LeftJustified());
        var generated = File.Exists(Path.Combine(sourceFolder, "dataset.jsonl"))
            ? new SceneDataset(sourceFolder, Path.Combine(sourceFolder, "dataset.jsonl"), settings.Count)
            : await GenerateCommand.GenerateAsync(console, sourceFolder, settings.Count, new SceneGeneratorOptions { Seed = settings.Seed }, cancellationToken);
        console.MarkupLineInterpolated($"1. Generated {generated.Count} images with incomplete, noisy captions in [blue]{generated.Folder}[/]");

        await using var engine = await EmbeddedEngine.StartAsync(effective, cancellationToken);
        console.MarkupLineInterpolated($"2. Embedded silo up. Dashboard while it runs: [link]{engine.DashboardAddress}[/]");

        string dataset = $"demo-{DateTimeOffset.UtcNow:yyyyMMdd-HHmmss}";
        var ingest = await IngestCommand.IngestAsync(console, engine, generated.JsonlPath, dataset, settings.RowsPerShard, maxInFlight: 4, cancellationToken);
        if (ingest.Phase != CampaignPhase.Completed) return 1;

        var parse = await ParseCommand.ParseAsync(console, engine, dataset, null, VocabularySources.SceneTags(), maxInFlight: 4, cancellationToken);
        if (parse.Phase != CampaignPhase.Completed) return 1;

        await PrintVersionsAsync(engine.Catalog, dataset, cancellationToken);
        var head = await engine.Catalog.OpenAsync(dataset, cancellationToken: cancellationToken);
        var first = await engine.Catalog.ReadShardsAsync(head, cancellationToken).FirstAsync(cancellationToken);
        console.MarkupLineInterpolated($"Output Parquet lives under [blue]{Path.Combine(dataRoot, DatasetPaths.Dataset(dataset))}[/]");
        console.MarkupLineInterpolated($"Read it, e.g. with DuckDB: [grey]SELECT id, captions, width, height FROM read_parquet('{Path.Combine(dataRoot, first.Files[ShardFileKinds.Base].Path)}') LIMIT 5;[/]");
        console.MarkupLineInterpolated($"Or: [grey]dotnet run --project src/RamDataEngine.Cli -- datasets show {dataset} --data {dataRoot}[/]");
        return 0;
    }

    private async Task PrintVersionsAsync(DatasetCatalog catalog, string dataset, CancellationToken cancellationToken)
    {
        var table = new Table().Title($"Versions of {dataset}").AddColumns("version", "parent", "operation", "shards", "rows", "quarantined");
        await foreach (var v in catalog.ListVersionsAsync(dataset, cancellationToken))
        {
            table.AddRow($"v{v.Version}", v.ParentVersion is { } p ? $"v{p}" : "-", Markup.Escape(v.Lineage.Operation),
                DatasetsListCommand.N(v.Shards), DatasetsListCommand.N(v.Rows), DatasetsListCommand.N(v.QuarantinedRows));
        }

        console.Write(table);
    }
}
