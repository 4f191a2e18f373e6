using RamDataEngine.Testing;
using Xunit.Abstractions;

namespace RamDataEngine.Tagging.Tests.Mining;

public sealed class MiningScratchTests(ITestOutputHelper output)
{
    [SharedDataFact]
    public void Scratch()
    {
        var summary = VocabularyMiner.Count(SharedCorpus.AllCaptions().Select(c => c.Caption));
        var ranked = VocabularyMiner.Rank(summary);
        var plain = TagVocabulary.LoadRamFolder(SharedData.PathOf("ram_tags"));
        var matcher = new VocabularyMatcher(plain);
        var withSyn = new VocabularyMatcher(SharedCorpus.Ram);
        int strict = 0, syn = 0;
        foreach (var t in ranked.Take(200))
        {
            bool s = matcher.MatchByName(t.Term) >= 0;
            bool y = withSyn.Match(t.Term) >= 0;
            if (s) strict++;
            if (y) syn++;
            output.WriteLine($"{t.Term}\t{t.Count}\t{(s ? "RAM" : y ? "syn" : "-")}");
        }

        output.WriteLine($"strict {strict}/200, with synonyms {syn}/200");
    }
}
