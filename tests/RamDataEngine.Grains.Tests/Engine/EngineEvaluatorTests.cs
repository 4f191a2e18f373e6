using RamDataEngine.Grains.Engine;

namespace RamDataEngine.Grains.Tests.Engine;

public sealed class EngineEvaluatorTests
{
    [Fact]
    public void CleaningWarning_QuarterOfASplitsLabelsRemoved_WarnsNamingTheSplitTheWorstTagsAndTheDiff()
    {
        var removed = new Dictionary<int, long> { [3] = 200, [7] = 58 };

        string? warning = EngineEvaluator.CleaningWarning("coco1", 4, 5, "test", before: 1_000, removed, tag => $"tag{tag}");

        Assert.NotNull(warning);
        Assert.Contains("removed 258 of 1,000 labels (26", warning);
        Assert.Contains("on the test split, most of tag3 (200), tag7 (58)", warning);
        Assert.Contains("ram datasets diff coco1@4 coco1@5", warning);
    }

    [Theory]
    [InlineData(1_000, 30)]
    [InlineData(1_000, 200)]
    [InlineData(0, 0)]
    public void CleaningWarning_AtMostAFifthRemoved_None(long before, long removed)
    {
        Assert.Null(EngineEvaluator.CleaningWarning("demo", 4, 5, "train", before, new Dictionary<int, long> { [0] = removed }, tag => "x"));
    }
}
