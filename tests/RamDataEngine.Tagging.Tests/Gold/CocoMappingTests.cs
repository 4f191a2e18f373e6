using RamDataEngine.Testing;

namespace RamDataEngine.Tagging.Tests.Gold;

public sealed class CocoMappingTests
{
    [SharedDataFact]
    public void CocoMapping_All80Classes_MapToRamTags()
    {
        var mapping = ParsingQualityReport.LoadCocoMapping(SharedCorpus.Ram);
        Assert.Equal(80, mapping.Count);
        Assert.All(mapping.Values, ids => Assert.NotEmpty(ids));
        var used = SharedCorpus.CocoMini.SelectMany(i => i.Labels).Distinct();
        Assert.All(used, label => Assert.True(mapping.ContainsKey(label), label));
    }
}
