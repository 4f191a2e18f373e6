using RamDataEngine.Testing;
using Xunit.Abstractions;

namespace RamDataEngine.Tagging.Tests.Gold;

public sealed class GoldSetTests(ITestOutputHelper output)
{
    [SharedDataFact]
    public void Fixture_Ids_AreTheSeededRandomDrawOfCocoVal2017()
    {
        var all = SharedCorpus.AllCaptions().Select(c => c.Id).ToArray();
        Assert.Equal(25_014, all.Length);
        var drawn = GoldSet.Draw(all);
        Assert.Equal(drawn, GoldSet.Load().Select(g => g.Id).ToArray());
    }

    [SharedDataFact]
    public void Fixture_EveryTag_IsInRamsVocabulary()
    {
        var ram = SharedCorpus.Ram;
        var unknown = GoldSet.Load()
            .SelectMany(g => g.Expected.SelectMany(x => x).Concat(g.Acceptable).Select(t => (g.Id, Tag: t)))
            .Where(x => ram.IndexOf(x.Tag) < 0)
            .ToArray();
        Assert.Empty(unknown);
    }

    [SharedDataFact]
    public void Parse_GoldSet_ReachesMicroF1Target()
    {
        var score = Evaluate(SharedCorpus.Parser, output);
        output.WriteLine($"gold set ({GoldSet.Size} captions): {score}");
        Assert.True(score.F1 >= 0.95, $"Micro F1 {score.F1:F3} is below the 0.95 target: {score}");
    }

    /// <summary>Parses every gold caption and scores it; writes each disagreement to <paramref name="log"/>.</summary>
    internal static GoldScore Evaluate(CaptionParser parser, ITestOutputHelper? log, bool logCaptionText = true)
    {
        var captions = SharedCorpus.AllCaptions().ToDictionary(c => c.Id, c => c.Caption);
        var scores = new List<GoldScore>();
        foreach (var gold in GoldSet.Load())
        {
            var caption = captions[gold.Id];
            var predicted = parser.Parse(caption).Select(t => parser.Vocabulary[t.TagId].Name).ToArray();
            var score = GoldSet.Score(gold, predicted);
            scores.Add(score);
            if (log is not null && (score.FalsePositives > 0 || score.FalseNegatives > 0))
            {
                var missed = gold.Expected.Where(g => !g.Any(t => predicted.Contains(t, StringComparer.OrdinalIgnoreCase))).Select(g => string.Join("|", g));
                var extra = predicted.Where(t => !gold.Expected.Any(g => g.Contains(t, StringComparer.OrdinalIgnoreCase)) && !gold.Acceptable.Contains(t, StringComparer.OrdinalIgnoreCase));
                var text = logCaptionText ? $" \"{caption}\"" : string.Empty;
                log.WriteLine($"{gold.Id}:{text}  missed [{string.Join(", ", missed)}]  extra [{string.Join(", ", extra)}]");
            }
        }

        return GoldSet.Sum(scores);
    }
}
