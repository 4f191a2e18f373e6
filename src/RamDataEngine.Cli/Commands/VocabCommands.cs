using System.ComponentModel;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Contracts;
using RamDataEngine.Grains.Mining;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Tagging;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Commands;

/// <summary>
/// <c>ram vocab mine DATASET[@VERSION]</c>: counts candidate terms over every shard's captions on the embedded silo
/// (merged in a grain, bounded memory), ranks them, and writes the top as a vocabulary or lists what one lacks.
/// </summary>
public sealed class VocabMineCommand(IAnsiConsole console) : AsyncCommand<VocabMineCommand.Settings>
{
    public sealed class Settings : EngineSettings
    {
        [CommandArgument(0, "<DATASET[@VERSION]>")]
        public string Dataset { get; init; } = "";

        [CommandOption("--top <K>")]
        [Description("Candidates shown, and written with --write. Default: 50.")]
        public int Top { get; init; } = 50;

        [CommandOption("--min-count <N>")]
        [Description("Fewest captions a candidate must appear in. Default: 5.")]
        public long MinCount { get; init; } = 5;

        [CommandOption("--write <FILE.json>")]
        [Description("Write the top K candidates as a new vocabulary (our JSON format) and store it in the engine.")]
        public string? Write { get; init; }

        [CommandOption("--missing-from <SOURCE>")]
        [Description("List the candidates this vocabulary lacks ('scenes', a folder with ram_tag_list.txt, a tag list file, or a vocabulary JSON).")]
        public string? MissingFrom { get; init; }

        [CommandOption("--vocab <SOURCE>")]
        [Description("Vocabulary for the 'in vocabulary' column (same forms). Default: --missing-from, else the one the version was parsed with.")]
        public string? Vocabulary { get; init; }

        [CommandOption("--word-capacity <N>")]
        [Description("Word counters kept per summary (bounded memory). Default: 20000.")]
        public int WordCapacity { get; init; } = new MiningOptions().WordCapacity;

        [CommandOption("--phrase-capacity <N>")]
        [Description("Phrase counters kept per summary. Default: 50000.")]
        public int PhraseCapacity { get; init; } = new MiningOptions().PhraseCapacity;

        [CommandOption("--max-in-flight <N>")]
        public int MaxInFlight { get; init; } = 8;

        public override ValidationResult Validate()
            => Top < 1 ? ValidationResult.Error("--top must be at least 1.")
            : MinCount < 1 ? ValidationResult.Error("--min-count must be at least 1.")
            : WordCapacity is < 1 or > VocabularyMiningGrain.MaxCapacity || PhraseCapacity is < 1 or > VocabularyMiningGrain.MaxCapacity
                ? ValidationResult.Error($"--word-capacity and --phrase-capacity must be from 1 to {VocabularyMiningGrain.MaxCapacity}.")
            : Write is not null && !Write.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? ValidationResult.Error($"--write '{Write}' must name a .json file.")
            : ValidationResult.Success();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (dataset, version) = DatasetReference.Parse(settings.Dataset);
        // Load what the command line names before the silo starts, so a bad path fails at once.
        var missingFrom = settings.MissingFrom is { } m ? VocabularySources.Load(m) : null;
        var compared = settings.Vocabulary is { } v ? VocabularySources.Load(v) : missingFrom;
        string? comparedName = settings.Vocabulary ?? settings.MissingFrom;
        var root = await StorageOnly.Open(settings).Catalog.OpenAsync(dataset, version, cancellationToken);

        await using var engine = await EmbeddedEngine.StartAsync(settings, cancellationToken);
        console.MarkupLineInterpolated($"Embedded silo up; dashboard: [link]{engine.DashboardAddress}[/]");
        var vocabularies = engine.Services.GetRequiredService<VocabularyStore>();
        if (compared is null && root.Lineage.VocabularyId is { } parsedWith)
        {
            compared = await vocabularies.LoadAsync(parsedWith, cancellationToken);
            comparedName = $"the vocabulary {dataset}@{root.Version} was parsed with";
        }

        var options = new MiningOptions { WordCapacity = settings.WordCapacity, PhraseCapacity = settings.PhraseCapacity };
        var spec = MiningPlanner.Plan(dataset, root.Version, options, settings.MaxInFlight);
        string campaignId = $"mine-{dataset}-{DateTimeOffset.UtcNow:yyyyMMddHHmmssfff}";
        var campaign = engine.Grains.GetGrain<ICampaignGrain>(campaignId);
        await campaign.StartAsync(spec, cancellationToken);
        var status = await CampaignProgress.WatchAsync(console, campaign, cancellationToken);
        CampaignCommands.PrintOutcome(console, status);
        if (status.Phase != CampaignPhase.Completed) return CampaignCommands.ExitCode(status);
        if (status.ShardsQuarantined > 0)
        {
            console.MarkupLineInterpolated($"[yellow]{status.ShardsQuarantined} quarantined shards are not counted.[/]");
        }

        var summary = await MiningPlanner.ReadSummaryAsync(engine.Grains, engine.Store, campaignId, cancellationToken);
        var ranked = VocabularyMiner.Rank(summary, new MiningRankOptions { MinCount = settings.MinCount });
        console.MarkupLineInterpolated(
            $"Mined {N(summary.Captions)} captions of {dataset}@{root.Version} over {status.ShardsDone} shards: {N(summary.Words.Count)} words and {N(summary.Phrases.Count)} phrases held (capacities {N(options.WordCapacity)}/{N(options.PhraseCapacity)}); {N(ranked.Count)} candidates in at least {N(settings.MinCount)} captions.");

        var matcher = compared is null ? null : new VocabularyMatcher(compared);
        if (missingFrom is not null)
        {
            var missing = VocabularyMiner.MissingFrom(ranked, missingFrom);
            console.MarkupLineInterpolated($"Candidates missing from {settings.MissingFrom} ({N(missingFrom.Count)} tags): {N(missing.Count)}; the first {Math.Min(settings.Top, missing.Count)}:");
            console.Write(Table(missing.Take(settings.Top), matcher));
        }
        else
        {
            if (matcher is null) console.MarkupLine("[grey]No vocabulary to compare with: give --vocab or --missing-from, or mine a parsed version.[/]");
            else console.MarkupLineInterpolated($"'in vocabulary' compares with {comparedName}.");
            console.Write(Table(ranked.Take(settings.Top), matcher));
        }

        if (settings.Write is { } file)
        {
            if (ranked.Count == 0) throw new InvalidOperationException($"No candidate is in at least {settings.MinCount} captions: nothing to write to '{file}'. Lower --min-count.");
            var mined = VocabularyMiner.ToVocabulary(ranked, settings.Top, settings.MinCount);
            string? folder = Path.GetDirectoryName(Path.GetFullPath(file));
            if (folder is not null) Directory.CreateDirectory(folder);
            await using (var stream = File.Create(file))
            {
                mined.WriteJson(stream);
            }

            string id = await vocabularies.SaveAsync(mined, cancellationToken);
            console.MarkupLineInterpolated($"Wrote {N(mined.Count)} tags to [green]{file}[/]; stored as vocabulary [green]{id}[/]. Parse with it: ram parse {dataset} --vocab {file}");
        }

        return 0;
    }

    private static Table Table(IEnumerable<MinedTerm> terms, VocabularyMatcher? matcher)
    {
        var table = new Table().AddColumns("#", "term", "count", "± error", "in vocabulary");
        table.Columns[0].RightAligned();
        table.Columns[2].RightAligned();
        table.Columns[3].RightAligned();
        int rank = 0;
        foreach (var term in terms)
        {
            table.AddRow(
                N(++rank),
                Markup.Escape(term.Term),
                N(term.Count),
                term.Error == 0 ? "0" : N(term.Error),
                Markup.Escape(InVocabulary(term, matcher)));
        }

        return table;
    }

    private static string InVocabulary(MinedTerm term, VocabularyMatcher? matcher)
    {
        if (matcher is null) return "-";
        int tag = matcher.Match(term.Term);
        if (tag < 0) return "no";
        string name = matcher.Vocabulary[tag].Name;
        return string.Equals(VocabularyMatcher.LemmatizePhrase(name), term.Term, StringComparison.Ordinal) ? "yes" : $"yes ({name})";
    }

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
