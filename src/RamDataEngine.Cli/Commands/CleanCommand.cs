using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Contracts;
using RamDataEngine.Grains.Cleaning;
using RamDataEngine.Grains.Models;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Commands;

/// <summary><c>ram clean</c>: remove the labels a model does not confirm and each tag's outlying regions (a new version).</summary>
public sealed class CleanCommand(IAnsiConsole console) : AsyncCommand<CleanCommand.Settings>
{
    public sealed class Settings : GateSettings
    {
        [CommandArgument(0, "<DATASET[@VERSION]>")]
        [Description("A version with a features layer and a labels layer (run featurize and annotate first).")]
        public string Dataset { get; init; } = "";

        [CommandOption("--model <ID>")]
        [Description("The model that judges the labels (usually the one that annotated them), or one per fold joined by ',' (fold 0's first).")]
        public string Model { get; init; } = "";

        [CommandOption("--disagree-floor <F>")]
        [Description("A label the model scores below this on the whole image and on every region is removed (model-disagrees). Default: 0.7.")]
        public float? DisagreeFloor { get; init; }

        [CommandOption("--disagree-scale <S>")]
        [Description("Use per-tag floors instead: the model's threshold for the tag x this.")]
        public float? DisagreeScale { get; init; }

        [CommandOption("--outlier-fraction <F>")]
        [Description("Share of each tag's regions cut as outliers (RAM: 0.1); 0 = no outlier removal.")]
        public double? OutlierFraction { get; init; }

        [CommandOption("--min-samples <N>")]
        [Description("Tags with fewer sampled regions are not outlier-cleaned. Default: 20.")]
        public int? MinSamples { get; init; }

        [CommandOption("--max-in-flight <N>")]
        public int MaxInFlight { get; init; } = 8;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (dataset, version) = DatasetReference.Parse(settings.Dataset);
        if (string.IsNullOrEmpty(settings.Model)) throw new ArgumentException("clean needs --model ID (see `ram models list`).");
        await using var engine = await EmbeddedEngine.StartAsync(settings, cancellationToken);
        var folds = CrossFitting.ModelIds(settings.Model, "--model");
        var manifest = await engine.Services.GetRequiredService<ModelStore>().GetManifestAsync(folds[0], cancellationToken)
            ?? throw new NotFoundException($"No model '{folds[0]}' in {engine.Store.Location} (see `ram models list`).");
        var defaults = new CleanOptions();
        var options = new CleanOptions
        {
            DisagreeFloor = settings.DisagreeScale is null ? settings.DisagreeFloor ?? defaults.DisagreeFloor : null,
            DisagreeThresholdScale = settings.DisagreeScale ?? defaults.DisagreeThresholdScale,
            OutlierFraction = settings.OutlierFraction ?? defaults.OutlierFraction,
            MinSamples = settings.MinSamples ?? defaults.MinSamples,
        };
        var trust = await Gates.PlanAsync(engine.Store, settings, manifest.Record.VocabularyId, settings.TrustFrom, cancellationToken);
        var spec = CleanPlanner.Plan(dataset, manifest.Record, version, options, settings.MaxInFlight, folds, trust);
        var status = await ModelCommandRunner.RunCampaignAsync(console, engine, $"clean-{dataset}", spec, cancellationToken);
        return CampaignCommands.ExitCode(status);
    }
}
