using RamDataEngine.Grains.Parsing;
using RamDataEngine.Tagging;

namespace RamDataEngine.Grains.Tests.Parsing;

public sealed class VocabularySourcesTests
{
    [Fact]
    public void SceneTags_ShapeNamedSquare_ParsesAsATagThoughTheDefaultTableIgnoresIt()
    {
        var vocabulary = VocabularySources.SceneTags();
        var parser = new CaptionParser(vocabulary);

        var tags = parser.Parse("A red square next to two blue circles.").Select(t => vocabulary[t.TagId].Name).Order().ToArray();

        Assert.Equal(["blue", "circle", "red", "square"], tags);
        Assert.Contains(SynonymTable.Default.Rules, r => r.Phrase == "square" && r.IsIgnore);
    }
}
