using RamDataEngine.Grains.Models;

namespace RamDataEngine.Grains.Tests.Models;

public sealed class RowFilterTests
{
    [Fact]
    public void Parse_SingleFilter_SetsOnlyThatPart()
    {
        var filter = RowFilter.Parse("min-confidence=0.7");

        Assert.Equal(0.7f, filter.MinConfidence);
        Assert.Null(filter.TestSplit);
        Assert.Null(filter.Source);
        Assert.Null(filter.Ids);
    }

    [Fact]
    public void Parse_CombinedFilters_AllPartsHold()
    {
        var filter = RowFilter.Parse("split=train; min-confidence=0.7;source=web");

        Assert.Equal(0.7f, filter.MinConfidence);
        Assert.False(filter.TestSplit);
        Assert.Equal("web", filter.Source);
        long trainRow = Enumerable.Range(0, 100).First(id => !RowFilter.IsTestRow(id));
        long testRow = Enumerable.Range(0, 100).First(id => RowFilter.IsTestRow(id));
        Assert.True(filter.Accepts(trainRow, "web"));
        Assert.False(filter.Accepts(testRow, "web"));
        Assert.False(filter.Accepts(trainRow, "other"));
    }

    [Theory]
    [InlineData("split=train;split=test", "more than once")]
    [InlineData("split=train;colour=red", "unknown key 'colour'")]
    [InlineData("split=train;nonsense", "must be KEY=VALUE")]
    [InlineData("min-confidence=2", "[0, 1]")]
    public void Parse_BadFilter_ThrowsNamingThePart(string text, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => RowFilter.Parse(text));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_NullOrBlank_AcceptsEveryRow()
    {
        Assert.True(RowFilter.Parse(null).Accepts(1, default));
        Assert.True(RowFilter.Parse("  ").Accepts(1, default));
    }
}
