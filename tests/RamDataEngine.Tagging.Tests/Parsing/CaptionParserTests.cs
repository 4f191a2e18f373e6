namespace RamDataEngine.Tagging.Tests.Parsing;

public sealed class CaptionParserTests
{
    private static readonly CaptionParser Parser = new(TestVocabularies.Small);

    private static string[] Tags(string caption) => Parser.Parse(caption).Select(t => Parser.Vocabulary[t.TagId].Name).ToArray();

    private static void AssertTags(string caption, params string[] expected) => Assert.Equal(expected, Tags(caption));

    // Tokenization

    [Fact]
    public void Parse_Punctuation_SeparatesWords()
        => AssertTags("A dog,a cat; and a man!", "dog", "cat", "man");

    [Fact]
    public void Parse_UpperAndMixedCase_Matches()
        => AssertTags("A DOG NEXT TO A Living Room", "dog", "living room");

    [Fact]
    public void Parse_PreTokenizedCorpusStyle_Matches()
        => AssertTags("a dog runs on the beach .", "dog", "run", "beach");

    [Fact]
    public void Parse_PreTokenizedPossessive_DropsClitic()
        => AssertTags("the dog 's hat", "dog", "hat");

    [Fact]
    public void Parse_PreTokenizedNegation_Negates()
        => AssertTags("a man who is n't wearing a hat", "man");

    [Fact]
    public void Parse_HyphenatedTag_MatchesWrittenEitherWay()
    {
        AssertTags("a man in a t-shirt", "man", "t-shirt");
        AssertTags("a man in a t shirt", "man", "t-shirt");
        AssertTags("a close-up of a pizza", "close-up", "pizza");
        AssertTags("a close up of a pizza", "close-up", "pizza");
    }

    [Fact]
    public void Parse_HyphenJoinedWords_MatchMultiWordTag()
        => AssertTags("a hot-dog stand", "hot dog", "stand");

    [Fact]
    public void Parse_DashBetweenSpaces_IsABreak()
        => AssertTags("hot - dog", "dog");

    [Fact]
    public void Parse_Possessives_MatchTheOwner()
    {
        AssertTags("the bear's cave", "bear");
        AssertTags("a men\u2019s shirt", "man", "shirt");
        AssertTags("a rubik's cube on a desk", "rubik's cube", "table");
    }

    [Fact]
    public void Parse_QuotesAndEmojiAroundWords_AreIgnored()
        => AssertTags("\"dog\" \U0001F436 and 'cat' \U0001F431", "dog", "cat");

    // Lemmatization

    [Fact]
    public void Parse_RegularPlurals_MatchTheSingularTag()
        => AssertTags("dogs, buses, boxes and skies", "dog", "bus", "box", "sky");

    [Theory]
    [InlineData("men", "man")]
    [InlineData("women", "woman")]
    [InlineData("children", "child")]
    [InlineData("people", "person")]
    [InlineData("feet", "foot")]
    [InlineData("mice", "mouse")]
    [InlineData("geese", "goose")]
    [InlineData("knives", "knife")]
    [InlineData("leaves", "leaf")]
    public void Parse_IrregularPlural_MatchesTheSingularTag(string plural, string tag)
        => AssertTags($"three {plural} here", tag);

    [Theory]
    [InlineData("a dog runs", "run")]
    [InlineData("a dog running", "run")]
    [InlineData("a dog ran", "run")]
    [InlineData("a cat sits", "sit")]
    [InlineData("a cat sat", "sit")]
    [InlineData("a man rides a horse", "ride")]
    [InlineData("a man riding a horse", "ride")]
    [InlineData("a man rode a horse", "ride")]
    [InlineData("a cat lying", "lie")]
    [InlineData("a cat lies", "lie")]
    [InlineData("a cat laying", "lay")]
    [InlineData("a cat sleeping", "sleep")]
    [InlineData("a man ate", "eat")]
    [InlineData("a man eating", "eat")]
    public void Parse_VerbForm_MatchesTheVerbTag(string caption, string verb)
        => Assert.Contains(verb, Tags(caption));

    [Fact]
    public void Parse_FormThatIsItselfATag_KeepsItsOwnTag()
    {
        AssertTags("a cat sitting", "cat", "sitting", "sit"); // its own tag first, then its verb pair's (VerbFormPairTests)
        AssertTags("a man in shorts", "man", "shorts");
        AssertTags("a man with glasses", "man", "glasses");
    }

    [Fact]
    public void Parse_NounTag_DoesNotTakeVerbEndings()
    {
        AssertTags("a car parked by a man watching", "car", "man");
        AssertTags("a man wearing a watch", "man", "wear", "watch");
    }

    // Phrases

    [Fact]
    public void Parse_MultiWordTags_LongestMatchWins()
    {
        AssertTags("a living room", "living room");
        AssertTags("a man eating a hot dog", "man", "eat", "hot dog");
        AssertTags("a tennis racket", "tennis racket");
        AssertTags("a room with a light", "room", "light");
    }

    [Fact]
    public void Parse_PluralLastWordOfPhrase_MatchesThePhrase()
        => AssertTags("two traffic lights and tennis rackets", "traffic light", "tennis racket");

    [Fact]
    public void Parse_PhraseAcrossPunctuation_DoesNotMatch()
        => AssertTags("hot, dog", "dog");

    [Fact]
    public void Parse_Synonyms_YieldTheCanonicalTag()
    {
        AssertTags("a woman on a cell phone by the ocean", "woman", "smartphone", "sea");
        AssertTags("cellphones", "smartphone");
        AssertTags("a wooden desk", "wood", "table");
        AssertTags("fries", "French fries");
        AssertTags("a tee shirt", "t-shirt");
    }

    [Fact]
    public void Parse_SynonymOfSeveralTags_YieldsEach()
        => AssertTags("a horse drawn carriage", "horse", "horse cart");

    [Fact]
    public void Parse_IgnoredPhrases_YieldNothing()
    {
        AssertTags("a man watches a bus", "man", "bus");
        AssertTags("a well dressed man", "man");
    }

    // Negation

    [Theory]
    [InlineData("a man without a shirt", new[] { "man" })]
    [InlineData("no people", new string[0])]
    [InlineData("a man not wearing a hat", new[] { "man" })]
    [InlineData("a man who isn't wearing a hat", new[] { "man" })]
    [InlineData("a man who doesn\u2019t have a hat", new[] { "man" })]
    [InlineData("a dog with no collar sitting on a bench", new[] { "dog", "sitting", "sit", "bench" })]
    [InlineData("a man with no shirt on the beach", new[] { "man", "beach" })]
    [InlineData("there are no cars or people on the street", new[] { "street" })]
    [InlineData("a cat that is not sleeping on a bench", new[] { "cat", "bench" })]
    [InlineData("a man in no red shirt", new[] { "man" })]
    [InlineData("a table with no food, a dog and a cat", new[] { "table", "dog", "cat" })]
    [InlineData("a sky without a cloud and a dog", new[] { "sky", "dog" })]
    [InlineData("a man never wearing a hat", new[] { "man" })]
    public void Parse_Negation_DropsTheNegatedTags(string caption, string[] expected)
        => Assert.Equal(expected, Tags(caption));

    [Fact]
    public void Parse_NoOne_IsNotANegationOfWhatFollows()
        => AssertTags("no one on the beach", "beach");

    [Fact]
    public void Parse_NoAfterDeterminer_IsPartOfAName()
        => AssertTags("a no parking sign", "parking sign");

    [Fact]
    public void Parse_NoBeforeASignWord_IsTheSignsText()
    {
        AssertTags("a train with no parking signs", "parking sign");
        AssertTags("a street with no cars, and a sign", "street");
    }

    // Output

    [Fact]
    public void Parse_RepeatedTag_IsReportedOnceWithItsFirstSpan()
    {
        const string caption = "A dog and another dog";
        var tags = Parser.Parse(caption);
        var dog = Assert.Single(tags);
        Assert.Equal("dog", dog.SourceIn(caption).ToString());
        Assert.Equal(2, dog.Start);
    }

    [Fact]
    public void Parse_Spans_CoverTheWholeMatchedPhraseAsWritten()
    {
        const string caption = "Two Traffic-Lights near a CELL PHONE";
        var spans = Parser.Parse(caption).Select(t => t.SourceIn(caption).ToString()).ToArray();
        Assert.Equal(["Traffic-Lights", "CELL PHONE"], spans);
    }

    [Fact]
    public void Parse_SpanOverload_WritesTheSameTagsAsTheListOverload()
    {
        const string caption = "a man with glasses riding a horse past a living room";
        Span<ParsedTag> buffer = stackalloc ParsedTag[CaptionParser.RecommendedBufferSize];
        var result = Parser.Parse(caption, buffer);
        Assert.Equal(Parser.Parse(caption), buffer[..result.Count].ToArray());
        Assert.Equal(CaptionParseFlags.None, result.Flags);
    }

    [Fact]
    public void Parse_DestinationTooSmall_FillsItAndFlags()
    {
        Span<ParsedTag> buffer = stackalloc ParsedTag[2];
        var result = Parser.Parse("a dog, a cat, a man and a woman", buffer);
        Assert.Equal(2, result.Count);
        Assert.True((result.Flags & CaptionParseFlags.DestinationFull) != 0);
        Assert.Equal(["dog", "cat"], buffer.ToArray().Select(t => Parser.Vocabulary[t.TagId].Name));
    }

    // Bad input

    [Theory]
    [InlineData("")]
    [InlineData("   \t\r\n ")]
    [InlineData("!!! ??? ... ,,,")]
    [InlineData("\U0001F436\U0001F431\U0001F3D6\uFE0F")]
    [InlineData("asdkj qwoeiu zxmcnv lkjqwe")]
    [InlineData("1234 5678 90")]
    [InlineData("Un perro corre en la playa")]
    [InlineData("Ein Hund und eine Katze sitzen im Park")]
    [InlineData("一只狗在海滩上奔跑")]
    [InlineData("Собака бежит по пляжу")]
    [InlineData("\0\u0001\u0002\uFFFF\uD800\uDFFF")]
    public void Parse_GarbageOrNonEnglish_YieldsNoTags(string caption)
        => Assert.Empty(Parser.Parse(caption));

    [Fact]
    public void Parse_NonEnglishSentenceWithEnglishLookalikes_IsFlaggedNotEnglish()
    {
        var tags = Parser.Parse("Ein Hund und eine Katze sitzen im Park", out var flags);
        Assert.Empty(tags);
        Assert.Equal(CaptionParseFlags.NotEnglish, flags);
    }

    [Fact]
    public void Parse_ShortEnglishCaption_IsNotLanguageChecked()
        => AssertTags("Dogs!", "dog");

    [Fact]
    public void Parse_RandomText_NeverThrows()
    {
        var random = new Random(7);
        Span<ParsedTag> buffer = stackalloc ParsedTag[4];
        for (int i = 0; i < 2_000; i++)
        {
            var chars = new char[random.Next(0, 300)];
            for (int c = 0; c < chars.Length; c++) chars[c] = (char)(random.Next(4) == 0 ? random.Next(0, 0x10000) : random.Next(32, 127));
            var result = Parser.Parse(chars, buffer);
            Assert.InRange(result.Count, 0, buffer.Length);
        }
    }

    [Fact]
    public void Parse_OverLengthLimit_TruncatesAtTheLimitAndFlags()
    {
        var parser = new CaptionParser(TestVocabularies.Small, new CaptionParserOptions { MaxCaptionLength = 100 });
        var caption = "a dog " + new string('x', 90) + " and a cat";
        var tags = parser.Parse(caption, out var flags);
        Assert.Equal(["dog"], tags.Select(t => parser.Vocabulary[t.TagId].Name));
        Assert.Equal(CaptionParseFlags.Truncated, flags);
    }

    [Fact]
    public void Parse_LimitInsideAWord_DoesNotParseHalfTheWord()
    {
        // "a shorts" cut after "short" would wrongly read as the tag "short".
        var parser = new CaptionParser(TestVocabularies.Small, new CaptionParserOptions { MaxCaptionLength = 16 });
        var tags = parser.Parse("a dog in a shorts", out var flags);
        Assert.Equal(["dog"], tags.Select(t => parser.Vocabulary[t.TagId].Name));
        Assert.True((flags & CaptionParseFlags.Truncated) != 0);
    }

    [Fact]
    public void Parse_VeryLongCaption_IsParsedUpToTheDefaultLimit()
    {
        var caption = string.Concat(Enumerable.Repeat("a dog and a cat near a man. ", 200));
        var tags = Parser.Parse(caption, out var flags);
        Assert.Equal(["dog", "cat", "man"], tags.Select(t => Parser.Vocabulary[t.TagId].Name));
        Assert.True((flags & CaptionParseFlags.Truncated) != 0);
    }

    [Fact]
    public void Parse_OverlongWord_IsUnknownNotAnError()
        => AssertTags("a dog " + new string('z', 100) + " cat", "dog", "cat");

    [Fact]
    public void Parse_ManyThreadsAtOnce_GiveTheSameTags()
    {
        var captions = new[] { "a dog and a cat", "no people on the beach", "men in t-shirts riding horses" };
        var expected = captions.Select(Tags).ToArray();
        Parallel.For(0, 2_000, i => Assert.Equal(expected[i % 3], Tags(captions[i % 3])));
    }

    // Build

    [Fact]
    public void Constructor_TwoTagsReadingTheSame_WarnsAndKeepsTheFirst()
    {
        var vocabulary = TestVocabularies.Build(("t shirt", []), ("t-shirt", []));
        var parser = new CaptionParser(vocabulary);
        Assert.Contains(parser.BuildWarnings, w => w.Contains("t-shirt", StringComparison.Ordinal));
        Assert.Equal([0], parser.Parse("a t-shirt").Select(t => t.TagId));
    }

    [Fact]
    public void Constructor_SynonymThatIsAnotherTagsName_NameWins()
    {
        var vocabulary = TestVocabularies.Build(("dog", ["puppy"]), ("puppy", []));
        var parser = new CaptionParser(vocabulary);
        Assert.Equal([1], parser.Parse("puppy").Select(t => t.TagId));
        Assert.NotEmpty(parser.BuildWarnings);
    }

    [Fact]
    public void Constructor_BadOptions_ThrowNamingTheOption()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new CaptionParser(TestVocabularies.Small, new CaptionParserOptions { MaxCaptionLength = 1 }));
        Assert.Equal("MaxCaptionLength", e.ParamName);
    }
}
