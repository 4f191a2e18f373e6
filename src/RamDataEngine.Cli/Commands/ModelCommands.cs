using System.ComponentModel;
using System.Globalization;
using System.Security.Cryptography;
using Microsoft.Extensions.DependencyInjection;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Evaluation;
using RamDataEngine.Grains.Cleaning;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Storage;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Commands;

/// <summary><c>ram featurize DATASET[@VERSION]</c>: image features (global + regions) for every shard, as a new version.</summary>
public sealed class FeaturizeCommand(IAnsiConsole console) : AsyncCommand<FeaturizeCommand.Settings>
{
    public sealed class Settings : EngineSettings
    {
        [CommandArgument(0, "<DATASET[@VERSION]>")]
        public string Dataset { get; init; } = "";

        [CommandOption("--device <DEVICE>")]
        [Description("cpu (default) or cuda (needs a GPU build of ONNX Runtime; fails clearly otherwise).")]
        public string Device { get; init; } = "cpu";

        [CommandOption("--max-in-flight <N>")]
        public int MaxInFlight { get; init; } = 8;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (dataset, version) = DatasetReference.Parse(settings.Dataset);
        var spec = ModelPlanners.Featurize(dataset, version, settings.Device, settings.MaxInFlight);
        await using var engine = await EmbeddedEngine.StartAsync(settings, cancellationToken);
        var status = await ModelCommandRunner.RunCampaignAsync(console, engine, $"featurize-{dataset}", spec, cancellationToken);
        return CampaignCommands.ExitCode(status);
    }
}

/// <summary>Options of <c>ram train</c> and <c>ram finetune</c>.</summary>
public class TrainSettings : EngineSettings
{
    [CommandArgument(0, "<DATASET[@VERSION]>")]
    public string Dataset { get; init; } = "";

    [CommandOption("--epochs <N>")]
    [Description("Most epochs (early stopping may end sooner). Default: 30.")]
    public int Epochs { get; init; } = 30;

    [CommandOption("--patience <N>")]
    public int Patience { get; init; } = 3;

    [CommandOption("--head <KIND>")]
    [Description("linear, mlp (default) or query.")]
    public string Head { get; init; } = "mlp";

    [CommandOption("--lr <RATE>")]
    public double LearningRate { get; init; } = 1e-3;

    [CommandOption("--seed <N>")]
    public long Seed { get; init; } = 42;

    [CommandOption("--filter <FILTER>")]
    [Description("source=NAME, ids=1,2,3, min-confidence=0.7 or split=train|test (a fixed 80/20 split by row id).")]
    public string? Filter { get; init; }

    [CommandOption("--job <ID>")]
    [Description("Job id (and model id). Default: train-DATASET-TIMESTAMP. Rerunning with the same id resumes the job.")]
    public string? JobId { get; init; }

    [CommandOption("--device <DEVICE>")]
    public string Device { get; init; } = "cpu";
}

/// <summary><c>ram train DATASET[@VERSION]</c>: a tag head from scratch on the version's features and tags.</summary>
public sealed class TrainCommand(IAnsiConsole console) : AsyncCommand<TrainSettings>
{
    public override Task<int> ExecuteAsync(CommandContext context, TrainSettings settings, CancellationToken cancellationToken)
        => ModelCommandRunner.TrainAsync(console, settings, "train", null, cancellationToken);
}

/// <summary><c>ram finetune DATASET[@VERSION] --from MODEL --filter ...</c>: a new model version from a given one.</summary>
public sealed class FinetuneCommand(IAnsiConsole console) : AsyncCommand<FinetuneCommand.Settings>
{
    public sealed class Settings : TrainSettings
    {
        [CommandOption("--from <MODEL>")]
        [Description("The model to start from (required).")]
        public string From { get; init; } = "";
    }

    public override Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(settings.From)) throw new ArgumentException("finetune needs --from MODEL.");
        return ModelCommandRunner.TrainAsync(console, settings, "finetune", settings.From, cancellationToken);
    }
}

/// <summary><c>ram annotate DATASET[@VERSION] --model ID</c>: the relabel campaign, a labels layer from a model version.</summary>
public sealed class AnnotateCommand(IAnsiConsole console) : AsyncCommand<AnnotateCommand.Settings>
{
    public sealed class Settings : GateSettings
    {
        [CommandArgument(0, "<DATASET[@VERSION]>")]
        public string Dataset { get; init; } = "";

        [CommandOption("--model <ID>")]
        [Description("The model that scores the rows, or one per fold joined by ',' (fold 0's first: each judges the rows of its fold, see docs/engine.md).")]
        public string Model { get; init; } = "";

        [CommandOption("--candidates <K>")]
        [Description("Keep the model's K best other tags per row (candidate_tag_ids). Default: 0.")]
        public int Candidates { get; init; }

        [CommandOption("--threshold <T>")]
        [Description("One threshold for every tag (with gates: a lower bound on each tag's gate threshold).")]
        public float? Threshold { get; init; }

        [CommandOption("--thresholds <FILE>")]
        [Description("A RAM-format threshold file (one value per line, aligned with the vocabulary).")]
        public string? ThresholdFile { get; init; }

        [CommandOption("--floor <F>")]
        [Description("Model tags scored below this are not kept at all. Default: 0.05.")]
        public float? Floor { get; init; }

        [CommandOption("--clean")]
        [Description("Relabel: clean the new labels with the same model (default clean options, see `ram clean`) before the one commit.")]
        public bool Clean { get; init; }

        [CommandOption("--max-in-flight <N>")]
        public int MaxInFlight { get; init; } = 8;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (dataset, version) = DatasetReference.Parse(settings.Dataset);
        if (string.IsNullOrEmpty(settings.Model)) throw new ArgumentException("annotate needs --model ID (see `ram models list`).");
        await using var engine = await EmbeddedEngine.StartAsync(settings, cancellationToken);
        var models = engine.Services.GetRequiredService<ModelStore>();
        var folds = CrossFitting.ModelIds(settings.Model, "--model");
        var manifest = await models.GetManifestAsync(folds[0], cancellationToken) ?? throw new NotFoundException($"No model '{folds[0]}' in {engine.Store.Location} (see `ram models list`).");
        string? thresholdBlob = null;
        if (settings.ThresholdFile is { } file)
        {
            var bytes = await File.ReadAllBytesAsync(file, cancellationToken);
            using (var reader = new StreamReader(new MemoryStream(bytes))) _ = ThresholdFile.Read(reader, manifest.Record.TagCount, file);
            thresholdBlob = $"thresholds/{Convert.ToHexStringLower(SHA256.HashData(bytes))}.txt";
            await engine.Store.WriteAsync(thresholdBlob, bytes, default, cancellationToken);
        }

        var trust = await Gates.PlanAsync(engine.Store, settings, manifest.Record.VocabularyId, settings.TrustFrom, cancellationToken);
        var spec = ModelPlanners.Annotate(
            dataset, manifest.Record, version, settings.Threshold, thresholdBlob, settings.Floor, settings.MaxInFlight, settings.Clean ? new CleanOptions() : null,
            folds, trust, settings.Candidates);
        var status = await ModelCommandRunner.RunCampaignAsync(console, engine, $"annotate-{dataset}", spec, cancellationToken);
        return CampaignCommands.ExitCode(status);
    }
}

/// <summary><c>ram models list</c>: every stored model version.</summary>
public sealed class ModelsListCommand(IAnsiConsole console) : AsyncCommand<EngineSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, EngineSettings settings, CancellationToken cancellationToken)
    {
        var (store, _) = StorageOnly.Open(settings);
        var table = new Table().AddColumns("model", "operation", "parent", "trained on", "head", "val mAP", "epochs", "created");
        var manifests = await new ModelStore(store).ListAsync(cancellationToken).ToListAsync(cancellationToken);
        foreach (var r in manifests.Select(m => m.Record).OrderBy(r => r.CreatedAt))
        {
            table.AddRow(
                Markup.Escape(r.Id), Markup.Escape(r.Operation), Markup.Escape(r.ParentModel ?? "-"), Markup.Escape($"{r.Dataset}@{r.DatasetVersion}"),
                Markup.Escape(r.Hyperparameters.GetValueOrDefault("head") ?? "?"), F(r.Metrics.GetValueOrDefault("validation_map", double.NaN)),
                F(r.Metrics.GetValueOrDefault("epochs", double.NaN), "0"), $"{r.CreatedAt:u}");
        }

        if (table.Rows.Count == 0) console.MarkupLineInterpolated($"No models in {store.Location}.");
        else console.Write(table);
        return 0;
    }

    internal static string F(double value, string format = "0.000") => double.IsNaN(value) ? "-" : value.ToString(format, CultureInfo.InvariantCulture);
}

/// <summary><c>ram models show ID</c>: one model version's lineage, hyperparameters and metrics.</summary>
public sealed class ModelsShowCommand(IAnsiConsole console) : AsyncCommand<ModelsShowCommand.Settings>
{
    public sealed class Settings : EngineSettings
    {
        [CommandArgument(0, "<MODEL>")]
        public string Model { get; init; } = "";
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (store, _) = StorageOnly.Open(settings);
        var manifest = await new ModelStore(store).GetManifestAsync(settings.Model, cancellationToken) ?? throw new NotFoundException($"No model '{settings.Model}' in {store.Location} (see `ram models list`).");
        var r = manifest.Record;
        var grid = new Grid().AddColumns(2);
        void Row(string key, string value) => grid.AddRow(new Markup($"[grey]{key}[/]"), new Markup(Markup.Escape(value)));
        Row("model", r.Id);
        Row("operation", r.Operation + (r.Filter is { } f ? $" (filter {f})" : ""));
        Row("parent model", r.ParentModel ?? "-");
        Row("trained on", $"{r.Dataset}@{r.DatasetVersion}");
        Row("vocabulary", $"{r.VocabularyId} ({r.TagCount} tags)");
        Row("encoder", r.EncoderId);
        Row("weights", $"{ModelStore.HeadPath(r.Id)} sha256 {r.HeadSha256}");
        Row("created", $"{r.CreatedAt:u}");
        foreach (var (key, value) in r.Hyperparameters) Row(key, value);
        foreach (var (key, value) in r.Metrics) Row(key, ModelsListCommand.F(value, "0.####"));
        Row("thresholds", $"min {manifest.Thresholds.Min():0.###}, mean {manifest.Thresholds.Average():0.###}, max {manifest.Thresholds.Max():0.###}");
        console.Write(grid);
        return 0;
    }
}

/// <summary><c>ram evaluate DATASET@VERSION</c>: parsed tags, model tags and final tags against the truth, side by side.</summary>
public sealed class EvaluateCommand(IAnsiConsole console) : AsyncCommand<EvaluateCommand.Settings>
{
    public sealed class Settings : EngineSettings
    {
        [CommandArgument(0, "<DATASET[@VERSION]>")]
        public string Dataset { get; init; } = "";

        [CommandOption("--truth <FILE>")]
        [Description("JSONL of {\"id\": ROW_ID, \"labels\": [names]}. Default: the truth carried in the base file (generated datasets).")]
        public string? Truth { get; init; }

        [CommandOption("--truth-from <DATASET@VERSION>")]
        [Description("Truth = the parsed tags of another dataset version, by row id (e.g. the same images ingested with all their captions).")]
        public string? TruthFrom { get; init; }

        [CommandOption("--split <PART>")]
        [Description("train or test: evaluate only that part of the fixed 80/20 split by row id (train with --filter split=train).")]
        public string? Split { get; init; }

        [CommandOption("--calibrate <OUT>")]
        [Description("Write per-tag thresholds maximising F1 on the evaluated rows, in RAM's format (one per line).")]
        public string? Calibrate { get; init; }

        [CommandOption("--tags <N>")]
        [Description("Rows of the per-tag table (most frequent true tags first). Default: 20.")]
        public int Tags { get; init; } = 20;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (dataset, version) = DatasetReference.Parse(settings.Dataset);
        var (store, catalog) = StorageOnly.Open(settings);
        var root = await catalog.OpenAsync(dataset, version, cancellationToken);
        var vocabularies = new VocabularyStore(store);
        var truth = settings.Truth is { } file ? DatasetEvaluator.ReadTruthFile(file) : null;
        if (settings.TruthFrom is { } other)
        {
            var (otherName, otherVersion) = DatasetReference.Parse(other);
            truth = await DatasetEvaluator.ReadParsedTruthAsync(catalog, await catalog.OpenAsync(otherName, otherVersion, cancellationToken), id => vocabularies.LoadAsync(id, cancellationToken), cancellationToken);
        }

        var filter = RowFilter.Parse(settings.Split is { } split ? $"split={split}" : null);
        var result = await DatasetEvaluator.EvaluateAsync(catalog, root, id => vocabularies.LoadAsync(id, cancellationToken), new ModelStore(store), truth, filter, cancellationToken);

        console.MarkupLineInterpolated($"{dataset}@{root.Version}: {result.Rows:N0} rows with truth ({result.SkippedRows:N0} skipped){(result.ModelId is { } m ? $", labels by model {m}" : "")}");
        var summary = new Table().AddColumns("labels", "mAP", "micro P", "micro R", "micro F1", "macro P", "macro R", "macro F1");
        foreach (var source in result.Sources)
        {
            var r = source.Report;
            summary.AddRow(source.Name, P(source.Map.Mean), P(r.Micro.Precision), P(r.Micro.Recall), P(r.Micro.F1), P(r.Macro.Precision), P(r.Macro.Recall), P(r.Macro.F1));
        }

        console.Write(summary);
        if (result.CaptionMissedRecall is { } recall)
        {
            console.MarkupLineInterpolated($"Caption-missed true labels recovered: {P(recall)} of {result.CaptionMissedLabels:N0}; model-added labels that are true: {P(result.AddedPrecision ?? 0)} of {result.AddedLabels:N0}");
        }

        if (result.UnknownTruthNames.Count > 0)
        {
            console.MarkupLineInterpolated($"[yellow]Truth names not in the vocabulary (ignored):[/] {string.Join(", ", result.UnknownTruthNames.OrderByDescending(p => p.Value).Take(10).Select(p => $"{p.Key} ({p.Value})"))}");
        }

        var perTag = new Table().AddColumn("tag").AddColumn("support");
        foreach (var source in result.Sources) perTag.AddColumn($"{source.Name} AP").AddColumn($"{source.Name} F1");
        var first = result.Sources[0].Report.PerTag;
        foreach (int tag in Enumerable.Range(0, first.Count).Where(t => first[t].Support > 0).OrderByDescending(t => first[t].Support).Take(settings.Tags))
        {
            var cells = new List<string> { Markup.Escape(result.Vocabulary[tag].Name), first[tag].Support.ToString(CultureInfo.InvariantCulture) };
            foreach (var source in result.Sources)
            {
                cells.Add(P(source.Map.PerTag[tag]));
                cells.Add(P(source.Report.PerTag[tag].Scores.F1));
            }

            perTag.AddRow(cells.ToArray());
        }

        console.Write(perTag);
        if (settings.Calibrate is { } output)
        {
            var scores = result.ModelScores ?? throw new InvalidOperationException($"{dataset}@{root.Version} has no labels layer (model scores) to calibrate on: annotate it first.");
            var calibration = ThresholdCalibration.MaximizeF1PerTag(scores, result.Truth, 0.68f);
            await using (var writer = new StreamWriter(output)) ThresholdFile.Write(writer, calibration.Thresholds);
            console.MarkupLineInterpolated($"Wrote {calibration.Thresholds.Length} thresholds ({calibration.CalibratedTagCount} calibrated, the rest 0.68) to {output}");
        }

        return 0;
    }

    private static string P(double value) => double.IsNaN(value) ? "-" : value.ToString("0.000", CultureInfo.InvariantCulture);
}

/// <summary>What the model commands share: running a campaign or a training job on the embedded silo with progress.</summary>
internal static class ModelCommandRunner
{
    public static async Task<CampaignStatus> RunCampaignAsync(IAnsiConsole console, EmbeddedEngine engine, string prefix, CampaignSpec spec, CancellationToken cancellationToken)
    {
        string campaignId = $"{prefix}-{DateTimeOffset.UtcNow:yyyyMMddHHmmssfff}";
        var campaign = engine.Grains.GetGrain<ICampaignGrain>(campaignId);
        await campaign.StartAsync(spec, cancellationToken);
        var status = await CampaignProgress.WatchAsync(console, campaign, cancellationToken);
        CampaignCommands.PrintOutcome(console, status);
        return status;
    }

    public static async Task<int> TrainAsync(IAnsiConsole console, TrainSettings settings, string operation, string? from, CancellationToken cancellationToken)
    {
        var (dataset, version) = DatasetReference.Parse(settings.Dataset);
        var spec = new TrainingJobSpec
        {
            Operation = operation,
            Dataset = dataset,
            DatasetVersion = version,
            FromModel = from,
            Filter = settings.Filter,
            HeadKind = settings.Head,
            MaxEpochs = settings.Epochs,
            Patience = settings.Patience,
            LearningRate = settings.LearningRate,
            Seed = settings.Seed,
            Device = settings.Device,
        };
        _ = RowFilter.Parse(spec.Filter);
        string jobId = settings.JobId ?? $"{operation}-{dataset}-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}";
        await using var engine = await EmbeddedEngine.StartAsync(settings, cancellationToken);
        var job = engine.Grains.GetGrain<ITrainingJobGrain>(jobId);
        var status = await job.StartAsync(spec, cancellationToken);
        await console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async progress =>
            {
                var task = progress.AddTask(Markup.Escape($"{operation} {jobId}"), maxValue: Math.Max(1, spec.MaxEpochs));
                while (!status.IsFinished)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken);
                    status = await job.GetStatusAsync(cancellationToken);
                    task.MaxValue = Math.Max(1, status.MaxEpochs);
                    task.Value = status.IsFinished ? task.MaxValue : status.Epoch;
                    task.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture,
                        $"{operation} {jobId}: epoch {status.Epoch}/{status.MaxEpochs}, {status.TrainingRows:N0} rows, loss {status.LastLoss:0.###}, best val mAP {status.BestValidationMap:0.###}"));
                }
            });

        if (status.Phase != TrainingJobPhase.Completed)
        {
            console.MarkupLineInterpolated($"[red]{operation} failed:[/] {status.Message}");
            throw new CommandFailedException($"{operation} {jobId} {status.Phase.ToString().ToLowerInvariant()}: {status.Message ?? "no reason recorded"}");
        }

        console.MarkupLineInterpolated($"Model [green]{status.ModelId}[/] stored and registered (best validation mAP {ModelsListCommand.F(status.BestValidationMap)}); see `ram models show {status.ModelId}`.");
        return 0;
    }
}
