using RamDataEngine.Testing;

namespace RamDataEngine.Tagging.Tests.Parsing;

/// <summary>A vocabulary's lemma and -ing tags of one verb (RAM's sit/sitting): any form in a caption yields both.</summary>
public sealed class VerbFormPairTests
{
    private static readonly CaptionParser Parser = new(TestVocabularies.Build(
        ("cat", []), ("man", []), ("bench", []), ("dog", []),
        ("sit", ["seated"]), ("sitting", []), ("stand", []), ("standing", []), ("run", []), ("running", []),
        ("lie", []), ("lying", []), ("play tennis", []), ("playing tennis", []),
        ("build", []), ("building", []), ("park", []), ("parking", []), ("watch", []), ("watching", []),
        ("travel", []), ("traveling", []), ("travelling", []), ("walk", []), ("sit up straight", [])));

    private static string[] Tags(string caption) => Tags(Parser, caption);

    private static string[] Tags(CaptionParser parser, string caption)
        => parser.Parse(caption).Select(t => parser.Vocabulary[t.TagId].Name).ToArray();

    private static string[] PairNames(CaptionParser parser)
        => parser.VerbFormPairs.Select(p => $"{parser.Vocabulary[p.LemmaTagId].Name}/{parser.Vocabulary[p.IngTagId].Name}").Order(StringComparer.Ordinal).ToArray();

    [Fact]
    public void VerbFormPairs_VocabularyWithBothForms_FindsEachVerbsPair()
        => Assert.Equal(
            ["lie/lying", "play tennis/playing tennis", "run/running", "sit/sitting", "stand/standing", "travel/traveling", "travel/travelling"],
            PairNames(Parser));

    [Fact]
    public void VerbFormPairs_IngNounOrNounLemma_AreNotPaired()
    {
        // "building" is a noun of its own; "park" and "watch" are not verbs in the English resource (RAM's watch is a
        // wristwatch), so their -ing tags are other things.
        var names = PairNames(Parser);
        Assert.DoesNotContain("build/building", names);
        Assert.DoesNotContain("park/parking", names);
        Assert.DoesNotContain("watch/watching", names);
        Assert.Equal(["building"], Tags("a tall building"));
        Assert.Equal(["man", "build"], Tags("a man builds"));
        Assert.Equal(["parking"], Tags("parking"));
    }

    [Theory]
    [InlineData("a cat sits on a bench")]
    [InlineData("a cat sat on a bench")]
    [InlineData("a cat sitting on a bench")]
    [InlineData("two cats sit on a bench")]
    [InlineData("a cat is seated on a bench")]
    public void Parse_AnyFormOfSit_YieldsSitAndSitting(string caption)
    {
        var tags = Tags(caption);
        Assert.Contains("sit", tags);
        Assert.Contains("sitting", tags);
        Assert.Equal(["cat", "bench"], tags.Except(["sit", "sitting"]));
    }

    [Theory]
    [InlineData("a man runs", "run", "running")]
    [InlineData("a man ran", "run", "running")]
    [InlineData("a man running", "running", "run")]
    [InlineData("a man stands", "stand", "standing")]
    [InlineData("a man stood", "stand", "standing")]
    [InlineData("a man lies", "lie", "lying")]
    [InlineData("a man lying", "lying", "lie")]
    public void Parse_VerbForm_YieldsTheFormsOwnTagFirstThenItsPair(string caption, string first, string second)
        => Assert.Equal(["man", first, second], Tags(caption));

    [Fact]
    public void Parse_PairedTags_ShareTheSpanOfTheWordAsWritten()
    {
        const string caption = "A cat SITS";
        var tags = Parser.Parse(caption);
        Assert.Equal(["cat", "sit", "sitting"], tags.Select(t => Parser.Vocabulary[t.TagId].Name));
        Assert.Equal(["SITS", "SITS"], tags.Skip(1).Select(t => t.SourceIn(caption).ToString()));
    }

    [Fact]
    public void Parse_MultiWordPair_YieldsBothPhrases()
    {
        Assert.Equal(["man", "play tennis", "playing tennis"], Tags("a man plays tennis"));
        Assert.Equal(["man", "playing tennis", "play tennis"], Tags("a man playing tennis"));
    }

    [Fact]
    public void Parse_PairsSharingALemma_YieldTheWholeGroup()
        => Assert.Equal(["man", "travel", "traveling", "travelling"], Tags("a man travels"));

    [Fact]
    public void Parse_PairedVerbStartingALongerPhraseThatDoesNotMatch_YieldsBoth()
    {
        // "sits up" walks the trie towards "sit up straight" and falls back to "sit": the slow path yields the pair too.
        Assert.Equal(["dog", "sit", "sitting"], Tags("a dog sits up"));
        Assert.Equal(["dog", "sit up straight"], Tags("a dog sits up straight"));
    }

    [Fact]
    public void Parse_NegatedPairedVerb_DropsBothTags()
    {
        Assert.Equal(["cat", "bench"], Tags("a cat that is not sitting on a bench"));
        Assert.Equal(["man"], Tags("a man who is not standing"));
    }

    [Fact]
    public void Parse_RepeatedPairedVerb_YieldsEachTagOnce()
        => Assert.Equal(["cat", "sitting", "sit", "dog"], Tags("a cat sitting and a dog sits"));

    [Fact]
    public void Parse_VocabularyWithOneFormOnly_YieldsThatTagAlone()
    {
        Assert.DoesNotContain(Parser.VerbFormPairs, p => Parser.Vocabulary[p.LemmaTagId].Name == "walk");
        Assert.Equal(["man", "walk"], Tags("a man walking"));
        var onlyIng = new CaptionParser(TestVocabularies.Build(("man", []), ("sitting", [])));
        Assert.Empty(onlyIng.VerbFormPairs);
        Assert.Equal(["man", "sitting"], Tags(onlyIng, "a man sitting"));
        Assert.Equal(["man"], Tags(onlyIng, "a man sits"));
    }

    [Fact]
    public void Parse_DestinationFullAfterTheFirstOfAPair_FlagsIt()
    {
        Span<ParsedTag> buffer = stackalloc ParsedTag[2];
        var result = Parser.Parse("a dog sitting", buffer);
        Assert.Equal(2, result.Count);
        Assert.Equal(CaptionParseFlags.DestinationFull, result.Flags);
        Assert.Equal(["dog", "sitting"], buffer.ToArray().Select(t => Parser.Vocabulary[t.TagId].Name));
    }

    [Fact]
    public void Parse_SpanOverloadWithPairedVerbs_AllocatesNothing()
    {
        string[] captions = ["a cat sits on a bench", "a man running and standing", "a man plays tennis", "a man travels"];
        var buffer = new ParsedTag[CaptionParser.RecommendedBufferSize];
        for (int i = 0; i < 2_000; i++) Parser.Parse(captions[i % captions.Length], buffer);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2_000; i++) Parser.Parse(captions[i % captions.Length], buffer);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // RAM's vocabulary

    [SharedDataFact]
    public void VerbFormPairs_RamVocabulary_AreItsVerbsWithBothForms()
        => Assert.Equal(
            ["cook/cooking", "graze/grazing", "greet/greeting", "read/reading", "ride/riding", "sit/sitting", "stand/standing",
             "walk/walking", "wash/washing", "write/writing"],
            PairNames(SharedCorpus.Parser));

    [SharedDataTheory]
    [InlineData("A man sits on a bench.", "sit", "sitting")]
    [InlineData("A woman sat at the table.", "sit", "sitting")]
    [InlineData("Two dogs sitting in a car.", "sitting", "sit")]
    [InlineData("A giraffe stands in a field.", "stand", "standing")]
    [InlineData("People standing at a bus stop.", "standing", "stand")]
    [InlineData("A man stood near the door.", "stand", "standing")]
    [InlineData("A couple walks down the street.", "walk", "walking")]
    [InlineData("Zebras walking in the grass.", "walking", "walk")]
    [InlineData("A boy rode a horse.", "ride", "riding")]
    [InlineData("A man riding a motorcycle.", "riding", "ride")]
    [InlineData("Cows graze on a hill.", "graze", "grazing")]
    [InlineData("Sheep grazing in a field.", "grazing", "graze")]
    public void Parse_RamVerbForm_YieldsTheLemmaAndIngTags(string caption, string first, string second)
    {
        var parser = SharedCorpus.Parser;
        var tags = Tags(parser, caption);
        int at = Array.IndexOf(tags, first);
        Assert.True(at >= 0 && at + 1 < tags.Length && tags[at + 1] == second, $"'{caption}' gave [{string.Join(", ", tags)}]");
    }

    [SharedDataFact]
    public void Parse_RamIngNouns_DoNotYieldTheVerb()
    {
        var parser = SharedCorpus.Parser;
        Assert.DoesNotContain("build", Tags(parser, "A tall building in a city."));
        Assert.DoesNotContain("opening", Tags(parser, "A dog in an open field."));
        Assert.DoesNotContain("meet", Tags(parser, "People at a business meeting."));
    }

    [SharedDataFact]
    public void Parse_CocoVal2017_PairedTagsAreNeverSplit()
    {
        // Counts no longer split between the two forms: every caption that yields one tag of a pair yields the other.
        var parser = SharedCorpus.Parser;
        var buffer = new ParsedTag[CaptionParser.RecommendedBufferSize];
        var split = new List<string>();
        foreach (var (id, caption) in SharedCorpus.AllCaptions())
        {
            int count = parser.Parse(caption, buffer).Count;
            var tags = buffer.AsSpan(0, count).ToArray().Select(t => t.TagId).ToHashSet();
            foreach (var pair in parser.VerbFormPairs)
            {
                if (tags.Contains(pair.LemmaTagId) != tags.Contains(pair.IngTagId)) split.Add($"{id}: {caption}");
            }
        }

        Assert.Empty(split);
    }
}
