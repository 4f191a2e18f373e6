using RamDataEngine.Core.Evaluation;

namespace RamDataEngine.Core.Tests.Evaluation;

public sealed class ThresholdCalibrationTests
{
    [Fact]
    public void MaximizeF1PerTag_SeparableTag_CutsBetweenClasses()
    {
        // Tag 0: positives score 0.8 and 0.7, negatives 0.4 and 0.2 -> best cut between 0.7 and 0.4.
        var scores = new ScoreMatrix(4, 1, [0.8f, 0.4f, 0.7f, 0.2f]);
        var truth = LabelMatrix.FromRows(1, [[0], [], [0], []]);

        var result = ThresholdCalibration.MaximizeF1PerTag(scores, truth);

        Assert.Equal(0.55f, result.Thresholds[0], 5);
        Assert.Equal(1.0, result.BestF1[0], 12);
        Assert.Equal(1, result.CalibratedTagCount);
    }

    [Fact]
    public void MaximizeF1PerTag_Overlap_PicksBestF1Cut()
    {
        // Ranked: + (0.9), - (0.8), + (0.6), + (0.5), - (0.1).
        // Cuts: top1 F1=2/(2+0+2)=0.5; top2 F1=2/(2+1+2)=0.4; top3 F1=4/(4+1+1)=0.667; top4 F1=6/(6+1+0)=0.857; all F1=6/(6+2)=0.75.
        var scores = new ScoreMatrix(5, 1, [0.9f, 0.8f, 0.6f, 0.5f, 0.1f]);
        var truth = LabelMatrix.FromRows(1, [[0], [], [0], [0], []]);

        var result = ThresholdCalibration.MaximizeF1PerTag(scores, truth);

        Assert.Equal(0.3f, result.Thresholds[0], 5);
        Assert.Equal(6.0 / 7, result.BestF1[0], 12);
        var report = MultiLabelMetrics.AtThresholds(scores, truth, result.Thresholds);
        Assert.Equal(6.0 / 7, report.PerTag[0].Scores.F1, 12);
    }

    [Fact]
    public void MaximizeF1PerTag_TagWithoutPositives_GetsFallback()
    {
        var scores = new ScoreMatrix(2, 2, [0.9f, 0.3f, 0.1f, 0.6f]);
        var truth = LabelMatrix.FromRows(2, [[0], []]);

        var result = ThresholdCalibration.MaximizeF1PerTag(scores, truth, fallbackThreshold: 0.68f);

        Assert.Equal(0.68f, result.Thresholds[1]);
        Assert.True(double.IsNaN(result.BestF1[1]));
        Assert.Equal(1, result.CalibratedTagCount);
    }

    [Fact]
    public void ThresholdFile_WriteThenRead_RoundTripsOneFloatPerLine()
    {
        float[] thresholds = [0.65f, 0.5f, 0.123456789f];
        var writer = new StringWriter();

        ThresholdFile.Write(writer, thresholds);
        var text = writer.ToString();

        Assert.Equal("0.65\n0.5\n0.12345679\n", text);
        Assert.Equal(thresholds, ThresholdFile.Read(new StringReader(text), expectedCount: 3));
    }

    [Fact]
    public void ThresholdFile_BadLine_ErrorNamesLine()
    {
        var error = Assert.Throws<FormatException>(() => ThresholdFile.Read(new StringReader("0.5\nabc\n"), source: "t.txt"));
        Assert.Contains("t.txt, line 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ThresholdFile_WrongCount_ErrorNamesBothCounts()
    {
        var error = Assert.Throws<FormatException>(() => ThresholdFile.Read(new StringReader("0.5\n0.6\n"), expectedCount: 3));
        Assert.Contains("2 thresholds", error.Message, StringComparison.Ordinal);
        Assert.Contains("3 tags", error.Message, StringComparison.Ordinal);
    }
}
