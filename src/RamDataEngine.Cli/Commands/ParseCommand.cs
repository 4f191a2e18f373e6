using System.ComponentModel;
using Microsoft.Extensions.DependencyInjection;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Tagging;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Commands;

/// <summary><c>ram parse DATASET --vocab SOURCE</c>: captions to tags for every shard, as a new version.</summary>
public sealed class ParseCommand(IAnsiConsole console) : AsyncCommand<ParseCommand.Settings>
{
    public sealed class Settings : EngineSettings
    {
        [CommandArgument(0, "<DATASET[@VERSION]>")]
        public string Dataset { get; init; } = "";

        [CommandOption("--vocab <SOURCE>")]
        [Description("'scenes' (the generator's tags), a folder with RAM's ram_tag_list.txt, a tag list file, or a vocabulary JSON. Default: scenes for a dataset made by `ram generate`; any other dataset must name one.")]
        public string? Vocabulary { get; init; }

        [CommandOption("--max-in-flight <N>")]
        public int MaxInFlight { get; init; } = 8;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (dataset, version) = DatasetReference.Parse(settings.Dataset);
        var vocabulary = VocabularySources.Load(settings.Vocabulary ?? await DefaultVocabularyAsync(StorageOnly.Open(settings).Catalog, dataset, version, null, cancellationToken));
        await using var engine = await EmbeddedEngine.StartAsync(settings, cancellationToken);
        console.MarkupLineInterpolated($"Embedded silo up; dashboard: [link]{engine.DashboardAddress}[/]");
        var status = await ParseAsync(console, engine, dataset, version, vocabulary, settings.MaxInFlight, cancellationToken);
        return CampaignCommands.ExitCode(status);
    }

    /// <summary>The vocabulary of a dataset when --vocab is not given: scenes for generated data, else a one-line error naming the choices.</summary>
    /// <param name="other">A further choice the command accepts, with what it means (e.g. engine start's 'none').</param>
    internal static async Task<string> DefaultVocabularyAsync(DatasetCatalog catalog, string dataset, int? version, string? other, CancellationToken cancellationToken)
    {
        var root = await catalog.OpenAsync(dataset, version, cancellationToken);
        return await VocabularySources.DefaultForAsync(catalog, root, cancellationToken)
            ?? throw new ArgumentException($"{root.Dataset}@{root.Version} was not made by `ram generate`, so --vocab has no default: give --vocab {VocabularySources.Forms}{(other is null ? "" : $"; or {other}")}.");
    }

    internal static async Task<CampaignStatus> ParseAsync(
        IAnsiConsole console, EmbeddedEngine engine, string dataset, int? version, TagVocabulary vocabulary, int maxInFlight, CancellationToken cancellationToken)
    {
        var spec = await ParsePlanner.PlanAsync(engine.Services.GetRequiredService<VocabularyStore>(), dataset, vocabulary, version, maxInFlight, cancellationToken);
        string campaignId = $"parse-{dataset}-{DateTimeOffset.UtcNow:yyyyMMddHHmmssfff}";
        var campaign = engine.Grains.GetGrain<ICampaignGrain>(campaignId);
        await campaign.StartAsync(spec, cancellationToken);
        var status = await CampaignProgress.WatchAsync(console, campaign, cancellationToken);
        CampaignCommands.PrintOutcome(console, status);
        if (status.OutputVersion is { } output)
        {
            var root = await engine.Catalog.OpenAsync(dataset, output, cancellationToken);
            var top = root.TagCounts.OrderByDescending(p => p.Value).Take(12).Select(p => $"{vocabulary[p.Key].Name} ({p.Value})");
            console.MarkupLineInterpolated($"Tags in {dataset}@{output}: {root.TagCounts.Count}; most frequent: {string.Join(", ", top)}");
        }

        return status;
    }
}
