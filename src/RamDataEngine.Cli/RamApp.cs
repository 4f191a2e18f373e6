using RamDataEngine.Cli.Commands;
using RamDataEngine.Cli.Infrastructure;
using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Cli.Help;

namespace RamDataEngine.Cli;

/// <summary>
/// The <c>ram</c> command tree. Errors print as one line on stderr (<c>error: ...</c>) with an exit code from
/// <see cref="ExitCodes"/>; stack traces only with <c>--verbose</c>, which any command takes.
/// </summary>
public static class RamApp
{
    public const string VerboseOption = "--verbose";

    /// <summary>Runs one command line; <paramref name="console"/> is stdout, <paramref name="error"/> stderr (the process's own by default).</summary>
    public static Task<int> RunAsync(string[] args, IAnsiConsole? console = null, TextWriter? error = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        bool verbose = args.Contains(VerboseOption, StringComparer.Ordinal);
        CliContext.Verbose = verbose;
        args = [.. args.Where(a => a != VerboseOption)];
        return Create(console, error, verbose).RunAsync(args, cancellationToken);
    }

    /// <summary>The command tree, writing to <paramref name="console"/> (default: standard output, see <see cref="RamConsole"/>) and errors to <paramref name="error"/>.</summary>
    /// <param name="help">Makes the help provider; tests pass one that records the command model. Default: <see cref="PlainTextHelpProvider"/>.</param>
    internal static CommandApp Create(IAnsiConsole? console, TextWriter? error = null, bool verbose = false, Func<ICommandAppSettings, IHelpProvider>? help = null)
    {
        console ??= RamConsole.Create();
        var errors = error ?? Console.Error;
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("ram");
            config.ConfigureConsole(console);
            config.SetHelpProvider(help?.Invoke(config.Settings) ?? new PlainTextHelpProvider(config.Settings));
            config.AddCommand<DemoCommand>("demo").WithDescription("Generate data and run the engine on one embedded silo.");
            config.AddCommand<GenerateCommand>("generate").WithDescription("Draw a synthetic dataset with known objects and incomplete, noisy captions.");
            config.AddCommand<IngestCommand>("ingest").WithDescription("Ingest a JSONL file + images into a new dataset (version 1).");
            config.AddCommand<ParseCommand>("parse").WithDescription("Parse the captions of a dataset into tags (a new version with a parsed-tags layer).");
            config.AddBranch("vocab", vocab =>
            {
                vocab.SetDescription("Tag vocabularies.");
                vocab.AddCommand<VocabMineCommand>("mine").WithDescription("Mine candidate terms from a dataset's captions; write the top as a vocabulary or list what one lacks.");
            });
            config.AddCommand<FeaturizeCommand>("featurize").WithDescription("Image features (global + region embeddings) for every shard (a new version with a features layer).");
            config.AddCommand<TrainCommand>("train").WithDescription("Train a tag head on a dataset version's features and tags (a training job; a new model version).");
            config.AddCommand<FinetuneCommand>("finetune").WithDescription("Fine-tune a model on a subset of a dataset version (a new model version with its parent recorded).");
            config.AddCommand<AnnotateCommand>("annotate").WithDescription("Relabel: score every row with a model version and write a labels layer (a new version).");
            config.AddCommand<CleanCommand>("clean").WithDescription("Clean: remove labels the model does not confirm (model-disagrees) and each tag's outlying regions (outlier); a new version.");
            config.AddCommand<AuditCommand>("audit").WithDescription("Count how often captions name what an image shows (several captions or reviewed labels per image): the caption recall the trust gates need.");
            config.AddCommand<EvaluateCommand>("evaluate").WithDescription("Parsed, model and final tags against the truth: P/R/F1, mAP, per-tag table; --calibrate writes thresholds.");
            config.AddBranch("models", models =>
            {
                models.SetDescription("Model versions in the store.");
                models.AddCommand<ModelsListCommand>("list").WithDescription("Every model version.");
                models.AddCommand<ModelsShowCommand>("show").WithDescription("One model version: lineage, hyperparameters, metrics.");
            });
            config.AddBranch("datasets", datasets =>
            {
                datasets.SetDescription("Versioned datasets.");
                datasets.AddCommand<DatasetsListCommand>("list").WithDescription("Datasets and their head versions.");
                datasets.AddCommand<DatasetsShowCommand>("show").WithDescription("One version (NAME or NAME@VERSION).");
                datasets.AddCommand<DatasetsDiffCommand>("diff").WithDescription("Labels added and removed per tag between two versions (A B), and which rule did it.");
                datasets.AddCommand<DatasetsVerifyCommand>("verify").WithDescription("Check every file of a version (NAME or NAME@VERSION) against the checksum its manifest records.");
                datasets.AddCommand<DatasetsDeleteCommand>("delete").WithDescription("Delete a dataset: every version and file (--dry-run lists them); the name can be used again.");
                datasets.AddCommand<DatasetsExpireCommand>("expire").WithDescription("Expire old versions (--keep N, --older-than DURATION) and collect the files only they used.");
                datasets.AddCommand<DatasetsGcCommand>("gc").WithDescription("Collect the files no kept version and no running campaign references (--dry-run lists them).");
            });
            config.AddBranch("campaign", campaigns =>
            {
                campaigns.SetDescription("Campaigns on a running cluster (`ram silo`).");
                campaigns.AddCommand<CampaignStartCommand>("start");
                campaigns.AddCommand<CampaignStatusCommand>("status");
                campaigns.AddCommand<CampaignWatchCommand>("watch");
                campaigns.AddCommand<CampaignCancelCommand>("cancel");
                campaigns.AddCommand<CampaignListCommand>("list");
            });
            config.AddBranch("engine", engine =>
            {
                engine.SetDescription("RAM's whole data engine as one resumable run: parse, featurize, train, annotate, clean, retrain, fine-tune, evaluate.");
                engine.AddCommand<EngineStartCommand>("start").WithDescription("Run the engine over a dataset (embedded silo; --gateway for a running cluster).");
                engine.AddCommand<EngineStatusCommand>("status").WithDescription("Every step's state, child and output.");
                engine.AddCommand<EngineWatchCommand>("watch").WithDescription("Live view of every step until the run ends (resumes a stopped embedded run).");
                engine.AddCommand<EngineReportCommand>("report").WithDescription("Label quality per step and model quality per model against the truth.");
            });
            config.AddCommand<SiloCommand>("silo").WithDescription("Run a silo host (dashboard at /dashboard) until stopped.");
            config.SetExceptionHandler((exception, _) =>
            {
                var shown = exception is AggregateException or System.Reflection.TargetInvocationException ? exception.GetBaseException() : exception;
                // Plain text, one line: a script reads it, and a message may hold anything (brackets, paths, newlines).
                errors.WriteLine($"error: {string.Join(' ', shown.Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))}");
                if (verbose) errors.WriteLine(exception.ToString());
                errors.Flush();
                return ExitCodes.Of(shown);
            });
        });
        return app;
    }
}
