using RamDataEngine.Testing;
using Xunit.Abstractions;

namespace RamDataEngine.Tagging.Tests.Mining;

public sealed class VocabularyMinerTests(ITestOutputHelper output)
{
    private static readonly string[] Captions =
    [
        "A fire hydrant on the side of a street.",
        "Two dogs next to a red fire hydrant.",
        "A fire hydrant covered in snow.",
        "A man riding a horse near a fire hydrant.",
        "A man riding a bike down the street.",
        "A dog sitting on a couch.",
        "Dogs and dogs and dogs.",
        "The man is riding a wave on a surfboard.",
        "Tennis rackets on a table.",
        "A tennis racket and a ball.",
        "A woman riding a horse.",
        "A boy riding a skateboard.",
        "A girl riding a bike.",
        "A man with a hat.",
        "A man and a cat.",
    ];

    [Fact]
    public void Counter_CountsLemmatizedWordsOncePerCaption_WithoutFunctionWords()
    {
        var summary = VocabularyMiner.Count(Captions);
        Assert.Equal(15, summary.Captions);
        Assert.True(summary.Words.TryGet("dog", out var dog));
        Assert.Equal(3, dog.Count);
        Assert.True(summary.Words.TryGet("ride", out var ride));
        Assert.Equal(6, ride.Count);
        foreach (var function in new[] { "a", "the", "on", "two", "next", "side", "is", "and" }) Assert.False(summary.Words.TryGet(function, out _), function);
    }

    [Fact]
    public void Counter_CountsPhrasesOfConsecutiveContentWordsOnly()
    {
        var summary = VocabularyMiner.Count(Captions);
        Assert.True(summary.Phrases.TryGet("fire hydrant", out var hydrant));
        Assert.Equal(4, hydrant.Count);
        Assert.True(summary.Phrases.TryGet("red fire hydrant", out _));
        Assert.True(summary.Phrases.TryGet("tennis racket", out var racket));
        Assert.Equal(2, racket.Count);
        Assert.False(summary.Phrases.TryGet("hydrant side", out _));
        Assert.False(summary.Phrases.TryGet("street two", out _));
        Assert.False(summary.Phrases.TryGet("dog dog", out _), "phrases do not cross 'and'");
    }

    [Fact]
    public void Counter_AnyText_NeverThrows()
    {
        var counter = new CaptionTermCounter();
        foreach (var caption in new[] { "", "!!!", "\U0001F436", new string('x', 10_000), "\uD800 dog", "Ein Hund" }) counter.Add(caption);
        Assert.Equal(6, counter.Summary.Captions);
    }

    [Fact]
    public void Rank_KeepsCohesivePhrasesAndDropsChancePairs()
    {
        var ranked = VocabularyMiner.Rank(VocabularyMiner.Count(Captions), new MiningRankOptions { MinCount = 2, MinPhraseCohesion = 0.5 });
        var terms = ranked.Select(t => t.Term).ToList();
        Assert.Contains("fire hydrant", terms);
        Assert.Contains("tennis racket", terms);
        Assert.DoesNotContain("man ride", terms);
        Assert.All(ranked, t => Assert.True(t.Count >= 2));
        Assert.Equal(ranked.OrderByDescending(t => t.Count).Select(t => t.Count), ranked.Select(t => t.Count));
    }

    [Fact]
    public void ShardsMerged_EqualOneCountOverAllCaptions()
    {
        var whole = VocabularyMiner.Count(Captions);
        var shards = Captions.Chunk(3).Select(chunk => VocabularyMiner.Count(chunk)).ToList();
        var merged = MiningSummary.Merge(shards, 1000, 1000);
        Assert.Equal(whole.Captions, merged.Captions);
        Assert.Equal(whole.Words.ToList(), merged.Words.ToList());
        Assert.Equal(whole.Phrases.ToList(), merged.Phrases.ToList());

        var inPlace = shards[0];
        foreach (var shard in shards.Skip(1)) inPlace.Merge(shard);
        Assert.Equal(whole.Words.ToList(), inPlace.Words.ToList());
    }

    [Fact]
    public void Summary_WriteTo_ThenReadFrom_RoundTrips()
    {
        var summary = VocabularyMiner.Count(Captions);
        using var stream = new MemoryStream();
        summary.WriteTo(stream);
        stream.Position = 0;
        var back = MiningSummary.ReadFrom(stream);
        Assert.Equal(summary.Captions, back.Captions);
        Assert.Equal(summary.Words.ToList(), back.Words.ToList());
        Assert.Equal(summary.Phrases.ToList(), back.Phrases.ToList());
        Assert.Throws<InvalidDataException>(() => MiningSummary.ReadFrom(new MemoryStream([9, 9, 9, 9])));
    }

    [Fact]
    public void ToVocabulary_TakesTheTopKWithMinCount()
    {
        var ranked = new[] { new MinedTerm("dog", 9, 0, 1), new MinedTerm("fire hydrant", 5, 0, 2), new MinedTerm("cat", 3, 0, 1), new MinedTerm("owl", 1, 0, 1) };
        var vocabulary = VocabularyMiner.ToVocabulary(ranked, topK: 10, minCount: 2);
        Assert.Equal(["dog", "fire hydrant", "cat"], vocabulary.Tags.Select(t => t.Name));
        Assert.Equal(["dog", "fire hydrant"], VocabularyMiner.ToVocabulary(ranked, topK: 2).Tags.Select(t => t.Name));
    }

    [Fact]
    public void MissingFrom_ListsCandidatesTheVocabularyDoesNotName()
    {
        var vocabulary = TestVocabularies.Build(("dog", []), ("smartphone", ["cell phone"]), ("French fries", []), ("hydrant", []));
        var ranked = new[] { "dog", "cell phone", "french fry", "fire hydrant", "hydrant", "clock tower" }.Select(t => new MinedTerm(t, 1, 0, 1)).ToArray();
        Assert.Equal(["fire hydrant", "clock tower"], VocabularyMiner.MissingFrom(ranked, vocabulary).Select(t => t.Term));
    }

    [Fact]
    public void Matcher_ByName_LemmatizesLikeMining()
    {
        var matcher = new VocabularyMatcher(TestVocabularies.Build(("French fries", []), ("glasses", []), ("dog", [])));
        Assert.Equal(0, matcher.MatchByName("french fry"));
        Assert.Equal(1, matcher.MatchByName("glass"));
        Assert.Equal(-1, matcher.MatchByName("cat"));
    }

    [SharedDataFact]
    public void Mine_CocoVal2017_MostTopCandidatesAreRamTags()
    {
        var summary = VocabularyMiner.Count(SharedCorpus.AllCaptions().Select(c => c.Caption));
        var top = VocabularyMiner.Rank(summary).Take(200).ToList();
        var matcher = new VocabularyMatcher(TagVocabulary.LoadRamFolder(SharedData.PathOf("ram_tags")));
        int ram = top.Count(t => matcher.MatchByName(t.Term) >= 0);
        output.WriteLine($"{ram} of the top {top.Count} mined candidates are RAM tag names");
        Assert.Equal(200, top.Count);
        Assert.True(ram >= 160, $"Only {ram} of the top 200 candidates are RAM tags (target 160).");
    }
}
