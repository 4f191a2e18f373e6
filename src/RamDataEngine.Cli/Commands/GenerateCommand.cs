using System.ComponentModel;
using RamDataEngine.Core.Synthetic;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Commands;

/// <summary><c>ram generate OUTPUT</c>: draws a synthetic dataset of known objects with incomplete, noisy captions.</summary>
public sealed class GenerateCommand(IAnsiConsole console) : AsyncCommand<GenerateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<OUTPUT>")]
        [Description("Folder to write images/ and dataset.jsonl into.")]
        public string Output { get; init; } = "";

        [CommandOption("--count <N>")]
        [Description("Images to draw. Default: 1000.")]
        public int Count { get; init; } = 1000;

        [CommandOption("--seed <SEED>")]
        [Description("Random seed; the same seed gives the same data. Default: 42.")]
        public int Seed { get; init; } = 42;

        [CommandOption("--captions <N>")]
        [Description("Captions per image (1..5 drawn per image when not given).")]
        public int? Captions { get; init; }

        [CommandOption("--mention <P>")]
        [Description("Chance that a caption names a given object present. Default: 0.6 (about 40% missed).")]
        public double? Mention { get; init; }

        [CommandOption("--noise <P>")]
        [Description("Chance that a caption names an object that is not there. Default: 0.1.")]
        public double? Noise { get; init; }

        public override ValidationResult Validate()
            => Count < 1 ? ValidationResult.Error("--count must be at least 1.")
            : Captions is < 1 ? ValidationResult.Error("--captions must be at least 1.")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var dataset = await GenerateAsync(console, settings.Output, settings.Count, Options(settings), cancellationToken);
        console.MarkupLineInterpolated($"Wrote [green]{dataset.Count}[/] images and [green]{dataset.JsonlPath}[/]");
        return 0;
    }

    internal static SceneGeneratorOptions Options(Settings settings)
    {
        var defaults = new SceneGeneratorOptions();
        return new SceneGeneratorOptions
        {
            Seed = settings.Seed,
            MinCaptions = settings.Captions ?? defaults.MinCaptions,
            MaxCaptions = settings.Captions ?? defaults.MaxCaptions,
            MentionProbability = settings.Mention ?? defaults.MentionProbability,
            NoiseProbability = settings.Noise ?? defaults.NoiseProbability,
        };
    }

    internal static async Task<SceneDataset> GenerateAsync(IAnsiConsole console, string output, int count, SceneGeneratorOptions options, CancellationToken cancellationToken)
    {
        SceneDataset? dataset = null;
        await console.Progress().AutoClear(true).StartAsync(async progressContext =>
        {
            var task = progressContext.AddTask("Drawing images", maxValue: count);
            var progress = new Progress<int>(done => task.Value = done);
            dataset = await SceneDatasetWriter.WriteAsync(output, count, options, progress, cancellationToken);
            task.Value = count;
        });
        return dataset!;
    }
}
