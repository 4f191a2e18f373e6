using RamDataEngine.Grains.Engine;

namespace RamDataEngine.Grains.Tests.Engine;

public sealed class EngineEvaluatorTests
{
    [Fact]
    public void CleaningWarning_QuarterOfTheLabelsRemoved_WarnsAndNamesTheDiff()
    {
        string? warning = EngineEvaluator.CleaningWarning("coco1", 4, before: 1_000, 5, after: 742);

        Assert.NotNull(warning);
        Assert.Contains("removed 258 of 1,000 labels (26", warning);
        Assert.Contains("ram datasets diff coco1@4 coco1@5", warning);
    }

    [Theory]
    [InlineData(1_000, 970)]
    [InlineData(1_000, 800)]
    [InlineData(0, 0)]
    public void CleaningWarning_AtMostAFifthRemoved_None(long before, long after)
    {
        Assert.Null(EngineEvaluator.CleaningWarning("demo", 4, before, 5, after));
    }
}
