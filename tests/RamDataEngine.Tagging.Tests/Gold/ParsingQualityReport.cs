using System.Globalization;
using System.Text;
using RamDataEngine.Testing;
using Xunit.Abstractions;

namespace RamDataEngine.Tagging.Tests.Gold;

/// <summary>
/// Produces the numbers of docs/parsing.md. Run:
/// <c>RAM_SHARED_DATA=/work/shared/data RAM_PARSING_REPORT=/tmp/parsing.md dotnet test tests/RamDataEngine.Tagging.Tests --filter ParsingQualityReport</c>
/// (the report goes to the test output, and to the file named by RAM_PARSING_REPORT when set).
/// </summary>
public sealed class ParsingQualityReport(ITestOutputHelper output)
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    [SharedDataFact]
    public void ParsingQualityReport_CocoAndRam_WritesTheNumbers()
    {
        var report = new StringBuilder();
        var parser = SharedCorpus.Parser;
        var ram = SharedCorpus.Ram;

        // 1. All val2017 captions with RAM's vocabulary.
        var captions = SharedCorpus.AllCaptions().Select(c => c.Caption).ToArray();
        var tagCaptions = new int[ram.Count];
        var histogram = new SortedDictionary<int, int>();
        long total = 0;
        int notEnglish = 0, truncated = 0;
        var buffer = new ParsedTag[CaptionParser.RecommendedBufferSize];
        foreach (var caption in captions)
        {
            var result = parser.Parse(caption, buffer);
            total += result.Count;
            if ((result.Flags & CaptionParseFlags.NotEnglish) != 0) notEnglish++;
            if (result.Truncated) truncated++;
            histogram[Math.Min(result.Count, 10)] = histogram.GetValueOrDefault(Math.Min(result.Count, 10)) + 1;
            for (int i = 0; i < result.Count; i++) tagCaptions[buffer[i].TagId]++;
        }

        report.AppendLine("## Tags per caption (all COCO val2017 captions, RAM vocabulary + default synonyms)");
        report.AppendLine();
        report.AppendLine(Fmt($"{captions.Length:N0} captions, {total:N0} tags: **{(double)total / captions.Length:F2} tags per caption**; {tagCaptions.Count(c => c > 0):N0} distinct tags used; {histogram.GetValueOrDefault(0):N0} captions with no tag; {notEnglish} flagged not English; {truncated} truncated."));
        report.AppendLine();
        report.AppendLine("| tags in caption | " + string.Join(" | ", histogram.Keys.Select(k => k == 10 ? "10+" : k.ToString(Inv))) + " |");
        report.AppendLine("|---|" + string.Concat(histogram.Keys.Select(_ => "---:|")));
        report.AppendLine("| captions | " + string.Join(" | ", histogram.Values.Select(v => v.ToString("N0", Inv))) + " |");
        report.AppendLine();
        report.AppendLine("30 most frequent tags (captions containing the tag):");
        report.AppendLine();
        report.AppendLine("| # | tag | captions | share |");
        report.AppendLine("|---:|---|---:|---:|");
        int rank = 0;
        foreach (var (tagId, count) in tagCaptions.Select((c, i) => (i, c)).OrderByDescending(x => x.c).ThenBy(x => x.i).Take(30))
        {
            report.AppendLine(Fmt($"| {++rank} | {ram[tagId].Name} | {count:N0} | {(double)count / captions.Length:P1} |"));
        }

        // 2. coco_mini: share of each labelled image's COCO labels recovered from its captions.
        var mapping = LoadCocoMapping(ram);
        var labelled = SharedCorpus.CocoMini.Where(i => i.LabelsKnown).ToList();
        double shareSum = 0;
        int labels = 0, recovered = 0, imagesWithLabels = 0;
        var perClass = new Dictionary<string, (int Labels, int Recovered)>();
        foreach (var image in labelled)
        {
            var union = image.Captions.SelectMany(c => parser.Parse(c)).Select(t => t.TagId).ToHashSet();
            int found = 0;
            foreach (var label in image.Labels)
            {
                bool ok = mapping[label].Any(union.Contains);
                if (ok) found++;
                var (l, r) = perClass.GetValueOrDefault(label);
                perClass[label] = (l + 1, r + (ok ? 1 : 0));
            }

            labels += image.Labels.Count;
            recovered += found;
            if (image.Labels.Count > 0)
            {
                imagesWithLabels++;
                shareSum += (double)found / image.Labels.Count;
            }
        }

        report.AppendLine();
        report.AppendLine("## COCO labels recovered from captions (coco_mini, labels_known)");
        report.AppendLine();
        report.AppendLine(Fmt($"{labelled.Count} labelled images ({imagesWithLabels} with at least one label), {labels:N0} image-level COCO labels. Union of each image's 5 captions' parsed tags, mapped through tests/RamDataEngine.Tagging.Tests/Gold/coco80_to_ram.tsv:"));
        report.AppendLine();
        report.AppendLine(Fmt($"- mean share of an image's labels recovered: **{shareSum / imagesWithLabels:P1}**"));
        report.AppendLine(Fmt($"- all labels together: {recovered:N0} of {labels:N0} = {(double)recovered / labels:P1}"));
        report.AppendLine();
        report.AppendLine("Per class, the 20 most frequent classes:");
        report.AppendLine();
        report.AppendLine("| COCO class | images | recovered |");
        report.AppendLine("|---|---:|---:|");
        foreach (var (name, (l, r)) in perClass.OrderByDescending(x => x.Value.Labels).ThenBy(x => x.Key, StringComparer.Ordinal).Take(20))
        {
            report.AppendLine(Fmt($"| {name} | {l} | {(double)r / l:P0} |"));
        }

        // 3. Mining over all captions.
        var summary = VocabularyMiner.Count(captions);
        var top = VocabularyMiner.Rank(summary).Take(200).ToList();
        var plainRam = TagVocabulary.LoadRamFolder(SharedData.PathOf("ram_tags"));
        var byName = new VocabularyMatcher(plainRam);
        var withSynonyms = new VocabularyMatcher(ram);
        var marks = top.Select(t => byName.MatchByName(t.Term) >= 0 ? "tag" : withSynonyms.Match(t.Term) >= 0 ? "synonym" : "no").ToArray();
        int names = marks.Count(m => m == "tag"), synonyms = marks.Count(m => m == "synonym");
        report.AppendLine();
        report.AppendLine("## Vocabulary mining over all COCO val2017 captions");
        report.AppendLine();
        report.AppendLine(Fmt($"{summary.Captions:N0} captions; {summary.Words.Count:N0} word and {summary.Phrases.Count:N0} phrase counters held (capacities {summary.Words.Capacity:N0} / {summary.Phrases.Capacity:N0}); {VocabularyMiner.Rank(summary).Count:N0} ranked candidates (min count 5, phrase cohesion 0.35, words inside one phrase 90% of the time dropped)."));
        report.AppendLine();
        report.AppendLine(Fmt($"- top 200 candidates that are RAM tag names (lemmatized name equality): **{names} = {names / 2.0:F1}%** (target >= 80%)"));
        report.AppendLine(Fmt($"- plus those RAM names through the default synonym table: {names + synonyms} = {(names + synonyms) / 2.0:F1}%"));
        report.AppendLine();
        report.AppendLine("Top 200 with caption counts (tag = a RAM tag name, syn = a RAM tag through the default synonyms or an inflection, - = not in RAM):");
        report.AppendLine();
        report.AppendLine(string.Join(", ", top.Select((t, i) => Fmt($"{t.Term} {t.Count} ({(marks[i] == "tag" ? "tag" : marks[i] == "synonym" ? "syn" : "-")})"))));

        // 4. Gold set.
        var log = new ListLog();
        var gold = GoldSetTests.Evaluate(parser, log, logCaptionText: false);
        report.AppendLine();
        report.AppendLine("## Gold set");
        report.AppendLine();
        report.AppendLine(Fmt($"{GoldSet.Size} captions: micro precision **{gold.Precision:F3}**, recall **{gold.Recall:F3}**, F1 **{gold.F1:F3}** (TP {gold.TruePositives}, FP {gold.FalsePositives}, FN {gold.FalseNegatives})."));
        var withoutSynonyms = GoldSetTests.Evaluate(new CaptionParser(plainRam), null);
        report.AppendLine();
        report.AppendLine(Fmt($"Same parser on RAM's vocabulary without the default synonym table: P {withoutSynonyms.Precision:F3}, R {withoutSynonyms.Recall:F3}, F1 {withoutSynonyms.F1:F3}."));
        report.AppendLine();
        report.AppendLine("Disagreements (caption id: expected tags missed, tags neither expected nor acceptable):");
        report.AppendLine();
        foreach (var line in log.Lines) report.AppendLine("- " + line);

        var text = report.ToString();
        output.WriteLine(text);
        if (Environment.GetEnvironmentVariable("RAM_PARSING_REPORT") is { Length: > 0 } path) File.WriteAllText(path, text);
        Assert.True(names >= 160);
        Assert.True(gold.F1 >= 0.95);
    }

    /// <summary>COCO class name to the ids of the RAM tags that stand for it.</summary>
    internal static Dictionary<string, int[]> LoadCocoMapping(TagVocabulary ram)
    {
        var mapping = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Gold", "coco80_to_ram.tsv")))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var columns = line.Split('\t');
            mapping[columns[0]] = columns[1].Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                .Select(t => ram.IndexOf(t) is var id and >= 0 ? id : throw new InvalidDataException($"coco80_to_ram.tsv: '{t}' (for '{columns[0]}') is not a RAM tag."))
                .ToArray();
        }

        return mapping;
    }

    private static string Fmt(FormattableString text) => text.ToString(Inv);

    private sealed class ListLog : ITestOutputHelper
    {
        public List<string> Lines { get; } = [];

        public void WriteLine(string message) => Lines.Add(message);

        public void WriteLine(string format, params object[] args) => Lines.Add(string.Format(CultureInfo.InvariantCulture, format, args));
    }
}
