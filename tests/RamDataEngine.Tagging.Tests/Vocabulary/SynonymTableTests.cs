using RamDataEngine.Testing;

namespace RamDataEngine.Tagging.Tests.Vocabulary;

public sealed class SynonymTableTests
{
    [Fact]
    public void Parse_RulesCommentsAndIgnores()
    {
        var table = SynonymTable.Parse(new StringReader("# comment\n\nocean => sea\nhorse drawn carriage => horse cart; horse\nwatches => -\n"));
        Assert.Equal(3, table.Rules.Count);
        Assert.Equal(new SynonymRule("ocean", ["sea"]).Phrase, table.Rules[0].Phrase);
        Assert.Equal(["horse cart", "horse"], table.Rules[1].Targets);
        Assert.True(table.Rules[2].IsIgnore);
    }

    [Theory]
    [InlineData("ocean sea", "line 1: expected 'PHRASE => TAG'")]
    [InlineData("ok => fine\n => sea", "line 2: the phrase before '=>' is empty")]
    [InlineData("ocean => sea;;", "line 1: an empty tag name")]
    public void Parse_BadLine_ThrowsNamingTheLine(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => SynonymTable.Parse(new StringReader(text), "mine.txt"));
        Assert.Contains("mine.txt " + expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_ThenParse_RoundTrips()
    {
        var table = new SynonymTable([new SynonymRule("ocean", ["sea"]), new SynonymRule("a b", ["c", "d"]), new SynonymRule("x", [])]);
        var text = new StringWriter();
        table.Write(text);
        var back = SynonymTable.Parse(new StringReader(text.ToString()));
        Assert.Equal(table.Rules.Select(r => (r.Phrase, string.Join("|", r.Targets))), back.Rules.Select(r => (r.Phrase, string.Join("|", r.Targets))));
    }

    [Fact]
    public void Default_IsEmbeddedAndExtendable()
    {
        Assert.True(SynonymTable.Default.Rules.Count > 150);
        var extended = SynonymTable.Default.Concat(new SynonymTable([new SynonymRule("pup", ["dog"])]));
        Assert.Equal(SynonymTable.Default.Rules.Count + 1, extended.Rules.Count);
    }

    [SharedDataFact]
    public void Default_EveryTarget_IsARamTag()
    {
        var ram = TagVocabulary.LoadRamFolder(SharedData.PathOf("ram_tags"));
        Assert.Empty(SynonymTable.Default.MissingTargets(ram));
    }

    [SharedDataFact]
    public void Default_NoPhrase_IsItselfARamTagName()
    {
        // A synonym that is a tag's name would be shadowed by that tag; only ignore rules may name a tag (to drop a sense).
        var ram = TagVocabulary.LoadRamFolder(SharedData.PathOf("ram_tags"));
        Assert.Empty(SynonymTable.Default.Rules.Where(r => !r.IsIgnore && ram.IndexOf(r.Phrase) >= 0).Select(r => r.Phrase));
    }

    [SharedDataFact]
    public void Default_AppliedToRam_BuildsAParserWithoutSynonymWarnings()
    {
        var parser = SharedCorpus.Parser;
        Assert.DoesNotContain(parser.BuildWarnings, w => w.StartsWith("Synonym", StringComparison.Ordinal));
    }
}
