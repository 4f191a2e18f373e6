using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Trust;
using RamDataEngine.Grains.Engine;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Storage;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Commands;

/// <summary>Options of <c>ram engine start</c>: the input and every step's settings.</summary>
public sealed class EngineStartSettings : ClusterSettings, IGateSettings
{
    [CommandArgument(0, "<DATASET[@VERSION]>")]
    [Description("The dataset to run the engine on (its head; the engine commits a version per step on top of it).")]
    public string Dataset { get; init; } = "";

    [CommandOption("--id <ID>")]
    [Description("Engine run id (its children are ID-parse, ID-featurize, ...). Default: engine-DATASET-TIME. The same id and options again resumes the run.")]
    public string? Id { get; init; }

    [CommandOption("--vocab <SOURCE>")]
    [Description("Vocabulary to parse the captions with: scenes, a RAM tag folder or file, or a vocabulary JSON; 'none' skips parsing (the input must have parsed tags). Default: scenes for a dataset made by `ram generate`; any other dataset must name one.")]
    public string? Vocabulary { get; init; }

    [CommandOption("--head <KIND>")]
    [Description("Tag head: linear, mlp (default) or query.")]
    public string Head { get; init; } = "mlp";

    [CommandOption("--epochs <N>")]
    [Description("Most epochs of the preliminary and retrained models. Default: 30.")]
    public int Epochs { get; init; } = 30;

    [CommandOption("--finetune-epochs <N>")]
    [Description("Most epochs of the fine-tune. Default: 10.")]
    public int FinetuneEpochs { get; init; } = 10;

    [CommandOption("--patience <N>")]
    public int Patience { get; init; } = 3;

    [CommandOption("--seed <N>")]
    public long Seed { get; init; } = 42;

    [CommandOption("--threshold <T>")]
    [Description("Annotate: the lowest score a tag is added at (with gates, each tag's gate may ask for more; without, the threshold). Default: 0.7.")]
    public float? Threshold { get; init; }

    [CommandOption("--calibrated-thresholds")]
    [Description("Annotate with the preliminary model's calibrated per-tag thresholds instead of one threshold.")]
    public bool CalibratedThresholds { get; init; }

    [CommandOption("--floor <F>")]
    [Description("Annotate: model tags scored below this are not kept at all. Default: 0.05.")]
    public float? Floor { get; init; }

    [CommandOption("--clean-floor <F>")]
    [Description("Clean: remove a tag the model scores below this on the whole image and on every region (model-disagrees). Default: 0.7.")]
    public float? CleanFloor { get; init; }

    [CommandOption("--clean-scale <S>")]
    [Description("Clean: per-tag floors = the model's threshold x this, instead of one floor.")]
    public float? CleanScale { get; init; }

    [CommandOption("--outlier-fraction <F>")]
    [Description("Clean: share of each tag's regions removed as outliers. Default: 0.02 (RAM: 0.1; see docs/engine.md). 0 turns it off.")]
    public double? OutlierFraction { get; init; }

    [CommandOption("--min-samples <N>")]
    public int MinSamples { get; init; } = 20;

    [CommandOption("--sample-capacity <N>")]
    public int SampleCapacity { get; init; } = 512;

    [CommandOption("--skip-clean")]
    [Description("Skip the clean step (retrain on the annotated version).")]
    public bool SkipClean { get; init; }

    [CommandOption("--finetune-filter <FILTER>")]
    [Description("Rows and labels of the fine-tune, filters joined by ';'. Default: split=train;min-confidence=0.7.")]
    public string FinetuneFilter { get; init; } = EngineSpec.DefaultFinetuneFilter;

    [CommandOption("--max-in-flight <N>")]
    public int MaxInFlight { get; init; } = 8;

    [CommandOption("--device <DEVICE>")]
    public string Device { get; init; } = "cpu";

    [CommandOption("--folds <K>")]
    [Description("Cross-fitting: each of K folds of the rows (by row id) is annotated and cleaned by a head trained on the other folds. Default: 5; 1 = none.")]
    public int Folds { get; init; } = EngineSpec.DefaultFolds;

    [CommandOption("--no-gates")]
    [Description("Let the model add and remove wherever its scores say, with no per-tag trust gate (for comparison).")]
    public bool NoGates { get; init; }

    [CommandOption("--add-precision <P>")]
    [Description("Generation adds a tag only where the estimated precision of its additions reaches P. Default: 0.8.")]
    public double AddPrecision { get; init; } = 0.8;

    [CommandOption("--min-support <N>")]
    [Description("Tags named by fewer captions than N are left as the captions say. Default: 50.")]
    public int MinSupport { get; init; } = TrustOptions.DefaultMinSupport;

    [CommandOption("--clean-confirm <C>")]
    [Description("Cleaning touches a tag only where the model confirms at least this share of its caption labels. Default: 0.9.")]
    public double CleanConfirm { get; init; } = 0.9;

    [CommandOption("--audit <FILE.jsonl>")]
    [Description("Images with several captions or reviewed labels (see `ram audit`): the caption recall per tag that generation's gate needs when the dataset has one caption per image.")]
    public string? Audit { get; init; }

    [CommandOption("--audit-exclude <FILE.jsonl>")]
    [Description("Leave out of the audit the images whose image_id is in this JSONL (e.g. the dataset's own source file).")]
    public string? AuditExclude { get; init; }

    [CommandOption("--remove-precision <P>")]
    [Description("Cleaning needs an audit's reviewed labels to show captions wrong often enough to explain this share of the model's disagreements. Default: 0.5.")]
    public double RemovePrecision { get; init; } = TrustOptions.DefaultRemovePrecision;

    [CommandOption("--min-caption-recall <R>")]
    [Description("Generation adds only tags that captions name at least this often when present. Default: 0.3.")]
    public double MinCaptionRecall { get; init; } = 0.3;

    [CommandOption("--confidence-z <Z>")]
    [Description("z of the one-sided confidence bounds on the estimated rates. Default: 0.25 (1.645 = 95%).")]
    public double ConfidenceZ { get; init; } = TrustOptions.DefaultZ;

    [CommandOption("--candidates <K>")]
    [Description("Keep the model's K best other tags per row in the labels layer (candidate_tag_ids). Default: 0.")]
    public int Candidates { get; init; }

    [CommandOption("--no-watch")]
    [Description("With --gateway: start the run and return at once.")]
    public bool NoWatch { get; init; }

    internal EngineSpec ToSpec(string dataset, int? version, string? vocabularyId, string? auditPath = null)
    {
        var defaults = new EngineSpec { Dataset = dataset };
        return new EngineSpec
        {
            Dataset = dataset,
            InputVersion = version,
            VocabularyId = vocabularyId,
            HeadKind = Head,
            Epochs = Epochs,
            FinetuneEpochs = FinetuneEpochs,
            Patience = Patience,
            Seed = Seed,
            AnnotateThreshold = CalibratedThresholds ? null : Threshold ?? defaults.AnnotateThreshold,
            AnnotateFloor = Floor,
            CleanDisagreeFloor = CleanScale is null ? CleanFloor ?? defaults.CleanDisagreeFloor : null,
            CleanDisagreeScale = CleanScale ?? defaults.CleanDisagreeScale,
            CleanOutlierFraction = OutlierFraction ?? defaults.CleanOutlierFraction,
            CleanMinSamples = MinSamples,
            CleanSampleCapacity = SampleCapacity,
            SkipClean = SkipClean,
            FinetuneFilter = FinetuneFilter,
            MaxInFlight = MaxInFlight,
            Device = Device,
            Folds = Folds,
            Gates = !NoGates,
            AddPrecision = AddPrecision,
            MinSupport = MinSupport,
            CleanConfirm = CleanConfirm,
            MinCaptionRecall = MinCaptionRecall,
            ConfidenceZ = ConfidenceZ,
            RemovePrecision = RemovePrecision,
            Audit = auditPath,
            Candidates = Candidates,
        };
    }
}

/// <summary>
/// <c>ram engine start DATASET</c>: the whole RAM loop as one resumable run. On the embedded silo (the default) it runs
/// in this process with the live step view; with <c>--gateway</c> it starts on a running cluster.
/// </summary>
public sealed class EngineStartCommand(IAnsiConsole console) : AsyncCommand<EngineStartSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, EngineStartSettings settings, CancellationToken cancellationToken)
    {
        var (dataset, version) = DatasetReference.Parse(settings.Dataset);
        string id = settings.Id ?? $"engine-{dataset}-{DateTimeOffset.UtcNow:yyyyMMddHHmmss}";
        var (store, catalog) = StorageOnly.Open(settings);
        string vocabulary = settings.Vocabulary ?? await ParseCommand.DefaultVocabularyAsync(catalog, dataset, version, "'none' when it is already parsed", cancellationToken);
        string? vocabularyId = vocabulary == "none" ? null : await new VocabularyStore(store).SaveAsync(VocabularySources.Load(vocabulary), cancellationToken);
        string? audit = await Gates.AuditAsync(store, settings, vocabularyId, cancellationToken);
        var spec = settings.ToSpec(dataset, version, vocabularyId, audit);
        if (settings.Gateway is not null)
        {
            var host = await settings.ConnectAsync(cancellationToken);
            using var owned = host;
            var remote = host.Services.GetRequiredService<IClusterClient>().GetGrain<IEngineGrain>(id);
            var started = await remote.StartAsync(spec, cancellationToken);
            console.MarkupLineInterpolated($"Started engine run [green]{id}[/] on {dataset}@{started.InputVersion}; `ram engine watch {id} --gateway {settings.Gateway}` follows it.");
            return settings.NoWatch ? 0 : await ClusterWatch.RunAsync(console, settings, host, $"engine run {id}",
                (client, ct) => EngineCommandRunner.FinishAsync(console, client.GetGrain<IEngineGrain>(id), store, ct), cancellationToken);
        }

        await using var engine = await EmbeddedEngine.StartAsync(settings, cancellationToken);
        console.MarkupLineInterpolated($"Engine run [green]{id}[/] on the embedded silo; dashboard while it runs: [link]{engine.DashboardAddress}[/]");
        var grain = engine.Grains.GetGrain<IEngineGrain>(id);
        await grain.StartAsync(spec, cancellationToken);
        return await EngineCommandRunner.FinishAsync(console, grain, store, cancellationToken);
    }
}

/// <summary>Options naming one engine run.</summary>
public class EngineIdSettings : ClusterSettings
{
    [CommandArgument(0, "<ID>")]
    public string Id { get; init; } = "";
}

/// <summary><c>ram engine status ID</c>: every step's state and output (from a running cluster with --gateway, else from the store's snapshot).</summary>
public sealed class EngineStatusCommand(IAnsiConsole console) : AsyncCommand<EngineIdSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, EngineIdSettings settings, CancellationToken cancellationToken)
    {
        EngineStatus status;
        if (settings.Gateway is not null)
        {
            using var host = await settings.ConnectAsync(cancellationToken);
            status = await host.Services.GetRequiredService<IClusterClient>().GetGrain<IEngineGrain>(settings.Id).GetStatusAsync(cancellationToken);
        }
        else
        {
            var (store, _) = StorageOnly.Open(settings);
            status = (await store.ReadJsonAsync<EngineStatus>(EngineSteps.StatusPath(settings.Id), EngineSteps.Json, cancellationToken))?.Value
                ?? throw new NotFoundException($"No engine run '{settings.Id}' in {store.Location}.");
        }

        EngineView.PrintOutcome(console, status);
        return 0;
    }
}

/// <summary>
/// <c>ram engine watch ID</c>: the live view of every step until the run ends. On the embedded silo this also resumes a
/// run whose process stopped (the run continues from its last recorded step).
/// </summary>
public sealed class EngineWatchCommand(IAnsiConsole console) : AsyncCommand<EngineIdSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, EngineIdSettings settings, CancellationToken cancellationToken)
    {
        var (store, _) = StorageOnly.Open(settings);
        if (settings.Gateway is not null)
        {
            var host = await settings.ConnectAsync(cancellationToken);
            using var owned = host;
            return await ClusterWatch.RunAsync(console, settings, host, $"engine run {settings.Id}",
                (client, ct) => EngineCommandRunner.FinishAsync(console, client.GetGrain<IEngineGrain>(settings.Id), store, ct), cancellationToken);
        }

        if (await store.GetPropertiesAsync(EngineSteps.StatusPath(settings.Id), cancellationToken) is null) throw new NotFoundException($"No engine run '{settings.Id}' in {store.Location}.");
        await using var engine = await EmbeddedEngine.StartAsync(settings, cancellationToken);
        var grain = engine.Grains.GetGrain<IEngineGrain>(settings.Id);
        await grain.ResumeAsync(cancellationToken);
        return await EngineCommandRunner.FinishAsync(console, grain, store, cancellationToken);
    }
}

/// <summary><c>ram engine report ID</c>: the quality tables of a finished run (read from its JSON report).</summary>
public sealed class EngineReportCommand(IAnsiConsole console) : AsyncCommand<EngineReportCommand.Settings>
{
    public sealed class Settings : EngineIdSettings
    {
        [CommandOption("--truth <FILE>")]
        [Description("Judge the run's versions and models again against this JSONL of {\"id\": ROW_ID, \"labels\": [names]} instead of the base file's truth.")]
        public string? Truth { get; init; }

        [CommandOption("--truth-from <DATASET@VERSION>")]
        [Description("Judge them against the parsed tags of another version with the same row ids (e.g. all five captions of each image).")]
        public string? TruthFrom { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (store, catalog) = StorageOnly.Open(settings);
        var report = (await store.ReadJsonAsync<EngineReport>(EngineSteps.ReportPath(settings.Id), EngineSteps.Json, cancellationToken))?.Value
            ?? throw new NotFoundException($"Engine run '{settings.Id}' has no report in {store.Location} (not finished, or no such run: see `ram engine status {settings.Id}`).");
        var vocabularies = new VocabularyStore(store);
        var truth = settings.Truth is { } file ? DatasetEvaluator.ReadTruthFile(file) : null;
        if (settings.TruthFrom is { } other)
        {
            var (otherName, otherVersion) = DatasetReference.Parse(other);
            truth = await DatasetEvaluator.ReadParsedTruthAsync(
                catalog, await catalog.OpenAsync(otherName, otherVersion, cancellationToken), id => vocabularies.LoadAsync(id, cancellationToken), cancellationToken);
        }

        if (truth is not null)
        {
            // The steps' outputs come from the run's status, not from the report's rows: a run whose dataset had no truth
            // has a report with no rows, and its outputs deserve a judgement as much as any other run's.
            var status = (await store.ReadJsonAsync<EngineStatus>(EngineSteps.StatusPath(settings.Id), EngineSteps.Json, cancellationToken))?.Value
                ?? throw new ArgumentException($"Engine run '{settings.Id}' has a report but no status in {store.Location}.");
            var (labels, models) = EngineEvaluator.Judged(status);
            var stored = report;
            report = await EngineEvaluator.EvaluateAsync(
                catalog, vocabularies, new ModelStore(store), report.EngineId, report.Dataset, labels, models, TimeProvider.System.GetUtcNow(), truth, cancellationToken);
            // The gates were judged without truth: the stored summary stands.
            report = report with { Trust = stored.Trust };
            if (!report.HasTruth) throw new ArgumentException(report.Message ?? "Nothing to judge.");
            console.MarkupLineInterpolated($"Engine run {report.EngineId} on {report.Dataset}, judged against {Markup.Escape(settings.Truth ?? settings.TruthFrom!)}");
        }
        else
        {
            console.MarkupLineInterpolated($"Engine run {report.EngineId} on {report.Dataset}; report {EngineSteps.ReportPath(settings.Id)} ({report.CreatedAt.ToString("u", CultureInfo.InvariantCulture)})");
        }

        EngineView.PrintReport(console, report);
        return 0;
    }
}

internal static class EngineCommandRunner
{
    /// <summary>Watches the run to its end, then prints the outcome and, when there is one, the report.</summary>
    public static async Task<int> FinishAsync(IAnsiConsole console, IEngineGrain engine, IBlobStore store, CancellationToken cancellationToken)
    {
        var status = await EngineView.WatchAsync(console, engine, cancellationToken);
        if (status.Message is { } message) console.MarkupLineInterpolated($"[{(status.Phase == EnginePhase.Completed ? "green" : "red")}]{message}[/]");
        if (status.Phase != EnginePhase.Completed)
        {
            console.MarkupLineInterpolated($"Fix the cause, then run `ram engine watch {status.EngineId}` (embedded) or `ram engine start` again with --id {status.EngineId} and the same options: the run re-runs from the step that failed.");
            throw new CommandFailedException($"engine run {status.EngineId} {status.Phase.ToString().ToLowerInvariant()}: {status.Message ?? "no reason recorded"}");
        }

        if (await engine.GetReportAsync(cancellationToken) is { } report)
        {
            EngineView.PrintReport(console, report);
            console.MarkupLineInterpolated($"Report: {status.ReportPath} in the store ({store.Location}); `ram engine report {status.EngineId}` prints it again.");
        }

        return 0;
    }
}
