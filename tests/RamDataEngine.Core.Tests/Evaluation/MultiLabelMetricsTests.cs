using RamDataEngine.Core.Evaluation;

namespace RamDataEngine.Core.Tests.Evaluation;

public sealed class MultiLabelMetricsTests
{
    [Fact]
    public void Compare_FrequentAndRareTag_MicroAndMacroDiffer()
    {
        // Tag 0 is frequent and always found; tag 1 is rare and always missed (one false positive elsewhere).
        var truth = LabelMatrix.FromRows(2, [[0], [0], [0], [0, 1]]);
        var predicted = LabelMatrix.FromRows(2, [[0], [0, 1], [0], [0]]);

        var report = MultiLabelMetrics.Compare(predicted, truth);

        Assert.Equal(new TagCounts(4, 0, 0), report.PerTag[0]);
        Assert.Equal(new TagCounts(0, 1, 1), report.PerTag[1]);
        // Micro: tp 4, fp 1, fn 1 -> P = R = F1 = 0.8.
        Assert.Equal(0.8, report.Micro.Precision, 12);
        Assert.Equal(0.8, report.Micro.Recall, 12);
        Assert.Equal(0.8, report.Micro.F1, 12);
        // Macro: mean of tag 0 (1, 1, 1) and tag 1 (0, 0, 0).
        Assert.Equal(0.5, report.Macro.Precision, 12);
        Assert.Equal(0.5, report.Macro.Recall, 12);
        Assert.Equal(0.5, report.Macro.F1, 12);
        Assert.Equal(2, report.MacroTagCount);
    }

    [Fact]
    public void Compare_TagNeverTrue_LeftOutOfMacroButCountedInMicro()
    {
        var truth = LabelMatrix.FromRows(3, [[0], [0]]);
        var predicted = LabelMatrix.FromRows(3, [[0, 2], [0]]);

        var report = MultiLabelMetrics.Compare(predicted, truth);

        Assert.Equal(1, report.MacroTagCount);
        Assert.Equal(1.0, report.Macro.F1, 12);
        Assert.Equal(2.0 / 3, report.Micro.Precision, 12);
    }

    [Fact]
    public void Compare_DuplicateIdsInARow_CountedOnce()
    {
        var truth = LabelMatrix.FromRows(1, [[0, 0]]);
        var predicted = LabelMatrix.FromRows(1, [[0, 0]]);

        Assert.Equal(new TagCounts(1, 0, 0), MultiLabelMetrics.Compare(predicted, truth).PerTag[0]);
    }

    [Fact]
    public void AtThresholds_PerTagCut_MatchesHandCounts()
    {
        var scores = new ScoreMatrix(3, 2, [
            0.9f, 0.2f,
            0.4f, 0.6f,
            0.6f, 0.1f,
        ]);
        var truth = LabelMatrix.FromRows(2, [[0], [1], [1]]);

        // Tag 0 at 0.5: rows 0 (tp) and 2 (fp). Tag 1 at 0.15: rows 0 (fp) and 1 (tp); row 2 missed (fn).
        var report = MultiLabelMetrics.AtThresholds(scores, truth, [0.5f, 0.15f]);

        Assert.Equal(new TagCounts(1, 1, 0), report.PerTag[0]);
        Assert.Equal(new TagCounts(1, 1, 1), report.PerTag[1]);
        Assert.Equal(PrecisionRecallF1.FromCounts(2, 2, 1), report.Micro);
    }

    [Fact]
    public void AtThreshold_Global_SameAsEqualPerTagThresholds()
    {
        var scores = new ScoreMatrix(2, 2, [0.7f, 0.3f, 0.5f, 0.5f]);
        var truth = LabelMatrix.FromRows(2, [[0], [1]]);

        var global = MultiLabelMetrics.AtThreshold(scores, truth, 0.5f);
        var perTag = MultiLabelMetrics.AtThresholds(scores, truth, [0.5f, 0.5f]);

        Assert.Equal(perTag.PerTag, global.PerTag);
        Assert.Equal(new TagCounts(1, 1, 0), global.PerTag[0]);
    }

    [Fact]
    public void LabelMatrix_TagIdOutsideVocabulary_ErrorNamesRowAndId()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => LabelMatrix.FromRows(2, [[0], [5]]));
        Assert.Contains("Row 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AtThresholds_ShapeMismatch_ClearError()
    {
        var scores = new ScoreMatrix(1, 2, [0.1f, 0.2f]);
        var truth = LabelMatrix.FromRows(3, [[0]]);

        var error = Assert.Throws<ArgumentException>(() => MultiLabelMetrics.AtThreshold(scores, truth, 0.5f));
        Assert.Contains("3 tags", error.Message, StringComparison.Ordinal);
    }
}
