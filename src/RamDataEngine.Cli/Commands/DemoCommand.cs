using System.ComponentModel;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Synthetic;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Parsing;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Commands;

/// <summary>
/// <c>ram demo</c>: the whole engine on the embedded default with no setup: generate images with known objects and
/// incomplete captions, ingest them, run the engine, and show against the true labels how the labels and the models
/// improve step by step.
/// </summary>
public sealed class DemoCommand(IAnsiConsole console) : AsyncCommand<DemoCommand.Settings>
{
    /// <summary>Sized for under 10 minutes on 2 CPU cores: featurize runs at about 20 images a second there.</summary>
    public const int DefaultCount = 4000;

    /// <summary>Images in the demo's caption-recall audit (described, not drawn).</summary>
    public const int AuditCount = 8000;

    public sealed class Settings : EngineSettings
    {
        [CommandOption("--count <N>")]
        [Description("Images to generate. Default: 4000 (about 2 minutes on 2 cores); raise it for a bigger run.")]
        public int Count { get; init; } = DefaultCount;

        [CommandOption("--seed <SEED>")]
        public int Seed { get; init; } = 42;

        [CommandOption("--rows-per-shard <N>")]
        public int RowsPerShard { get; init; } = 100;

        [CommandOption("--epochs <N>")]
        [Description("Most epochs of the preliminary and retrained models. Default: 30.")]
        public int Epochs { get; init; } = 30;

        [CommandOption("--finetune-epochs <N>")]
        public int FinetuneEpochs { get; init; } = 10;

        [CommandOption("--skip-clean")]
        [Description("Run the engine without its clean step.")]
        public bool SkipClean { get; init; }

        [CommandOption("--max-in-flight <N>")]
        public int MaxInFlight { get; init; } = 4;
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
        var ingest = await IngestCommand.IngestAsync(console, engine, generated.JsonlPath, dataset,
            new Grains.Ingest.IngestOptions { RowsPerShard = settings.RowsPerShard, MaxInFlight = settings.MaxInFlight }, restart: false, cancellationToken);
        if (ingest.Phase != CampaignPhase.Completed) return CampaignCommands.ExitCode(ingest);

        // The trust gates need to know how often captions name what an image shows: an audit of 8,000 other images of
        // the same captioner with reviewed labels (in practice, a reviewed sample), drawn with another seed.
        string auditFile = Path.Combine(sourceFolder, $"audit-n{AuditCount}.jsonl");
        if (!File.Exists(auditFile)) SceneDatasetWriter.WriteDescriptions(auditFile, AuditCount, new SceneGeneratorOptions { Seed = settings.Seed + 1_000_003 });
        string vocabularyId = await new VocabularyStore(engine.Store).SaveAsync(VocabularySources.SceneTags(), cancellationToken);
        var (auditPath, audit) = await Audits.StoreAsync(engine.Store, auditFile, vocabularyId, exclude: null, cancellationToken);

        string engineId = $"engine-{dataset}";
        console.MarkupLineInterpolated($"3. Caption-recall audit: {audit.Images:N0} other generated images with reviewed labels ({auditFile}).");
        console.MarkupLineInterpolated($"4. The engine ([green]{engineId}[/]): parse -> featurize -> train preliminary -> fold heads -> annotate -> clean -> retrain -> fine-tune -> evaluate. Dashboard: [link]{engine.DashboardAddress}[/]");
        var spec = new EngineSpec
        {
            Dataset = dataset,
            VocabularyId = vocabularyId,
            Audit = auditPath,
            Epochs = settings.Epochs,
            FinetuneEpochs = settings.FinetuneEpochs,
            Seed = settings.Seed,
            SkipClean = settings.SkipClean,
            MaxInFlight = settings.MaxInFlight,
        };
        var grain = engine.Grains.GetGrain<IEngineGrain>(engineId);
        await grain.StartAsync(spec, cancellationToken);
        int code = await EngineCommandRunner.FinishAsync(console, grain, engine.Store, cancellationToken);
        if (code != 0) return code;

        await PrintVersionsAsync(engine.Catalog, dataset, cancellationToken);
        var head = await engine.Catalog.OpenAsync(dataset, cancellationToken: cancellationToken);
        var first = await engine.Catalog.ReadShardsAsync(head, cancellationToken).FirstAsync(cancellationToken);
        console.MarkupLineInterpolated($"The output Parquet lives under [blue]{Path.Combine(dataRoot, DatasetPaths.Dataset(dataset))}[/] (v{head.Version}: base files with the images, layers with features and labels).");
        if (first.Files.TryGetValue(ShardFileKinds.Labels, out var labels))
        {
            console.MarkupLineInterpolated($"Read the final labels with DuckDB: [grey]duckdb -c \"SELECT id, tag_ids, tag_scores, added_tag_ids, removed_tag_ids, removed_reasons FROM read_parquet('{Path.Combine(dataRoot, labels.Path)}') LIMIT 5;\"[/]");
        }

        console.MarkupLineInterpolated($"Captions and images: [grey]duckdb -c \"SELECT id, captions, width, height FROM read_parquet('{Path.Combine(dataRoot, first.Files[ShardFileKinds.Base].Path)}') LIMIT 5;\"[/]");
        console.MarkupLineInterpolated($"Again later: [grey]ram engine report {engineId} --data {dataRoot}[/], [grey]ram datasets show {dataset} --data {dataRoot}[/], [grey]ram models list --data {dataRoot}[/]");
        return 0;
    }

    private async Task PrintVersionsAsync(DatasetCatalog catalog, string dataset, CancellationToken cancellationToken)
    {
        var table = new Table().Title($"Versions of {dataset}").AddColumns("version", "parent", "operation", "model", "shards", "rows", "quarantined");
        await foreach (var v in catalog.ListVersionsAsync(dataset, cancellationToken))
        {
            table.AddRow($"v{v.Version}", v.ParentVersion is { } p ? $"v{p}" : "-", Markup.Escape(v.Lineage.Operation), Markup.Escape(v.Lineage.ModelId ?? ""),
                DatasetsListCommand.N(v.Shards), DatasetsListCommand.N(v.Rows), DatasetsListCommand.N(v.QuarantinedRows));
        }

        console.Write(table);
    }
}
