using RamDataEngine.Testing;

namespace RamDataEngine.Tagging.Tests.Parsing;

/// <summary>The ASCII fast path must yield exactly the tokens of the general tokenizer.</summary>
public sealed class AsciiTokenizerTests
{
    private static readonly CaptionParser Parser = new(TestVocabularies.Small);

    [Theory]
    [InlineData("A man's hat-trick -- no, isn't it?")]
    [InlineData("a dog runs .")]
    [InlineData("the bear 's den")]
    [InlineData("rock'n roll in a t-shirt")]
    [InlineData("x - y a- -a a--b")]
    [InlineData("can't won't shouldn't don't")]
    [InlineData("a man who is n't wearing a hat")]
    [InlineData("it' s a ' b 't ''''")]
    [InlineData("A\ttab - x\r\n- b")]
    [InlineData("12 34 5a 007")]
    [InlineData("Hot Dogs, TRAFFIC lights; tennis-rackets!! (living room) [x] {y} a/b a\\b a|b")]
    [InlineData("x`s y`ll z`re w`ve v`d u`m")]
    [InlineData("OK.")]
    [InlineData("a")]
    public void TokenizeAscii_Captions_SameTokensAsGeneralTokenizer(string caption) => AssertSame(caption);

    [Fact]
    public void TokenizeAscii_WordsAcrossBlockBoundaries_SameTokensAsGeneralTokenizer()
    {
        // 64-char mask blocks: words, clitics and hyphens that straddle a block edge, and words longer than a block.
        for (int pad = 0; pad < 70; pad++)
        {
            var prefix = new string('a', pad);
            AssertSame(prefix + " dog's hat-trick don't " + new string('b', 65) + "'s " + new string('c', 64) + "-d");
            AssertSame(new string(' ', pad) + "n't 's a-b.c");
        }
    }

    [Fact]
    public void TokenizeAscii_RandomText_SameTokensAsGeneralTokenizer()
    {
        const string Alphabet = " aZn't's-.-,;'`\t09xyQ()";
        var random = new Random(4);
        for (int i = 0; i < 5000; i++)
        {
            var chars = new char[random.Next(1, 150)];
            for (int k = 0; k < chars.Length; k++) chars[k] = Alphabet[random.Next(Alphabet.Length)];
            AssertSame(new string(chars));
        }
    }

    [Fact]
    public void TokenizeAscii_NonAsciiCaption_LeftToGeneralTokenizer()
        => Assert.Null(Parser.TokenizeBoth("a café with a dog").Ascii);

    [SharedDataFact]
    public void TokenizeAscii_CocoVal2017_SameTokensAsGeneralTokenizer()
    {
        var parser = SharedCorpus.Parser;
        foreach (var (_, caption) in SharedCorpus.AllCaptions())
        {
            var (ascii, general) = parser.TokenizeBoth(caption);
            if (ascii is null) continue;
            Assert.True(ascii.Value.Tokens.SequenceEqual(general.Tokens), caption);
            Assert.Equal(general.Words, ascii.Value.Words);
            Assert.Equal(general.Known, ascii.Value.Known);
        }
    }

    private static void AssertSame(string caption)
    {
        var (ascii, general) = Parser.TokenizeBoth(caption);
        Assert.NotNull(ascii);
        Assert.True(ascii.Value.Tokens.SequenceEqual(general.Tokens), caption);
        Assert.Equal(general.Words, ascii.Value.Words);
        Assert.Equal(general.Known, ascii.Value.Known);
    }
}
