using RamDataEngine.Core.Evaluation;

namespace RamDataEngine.Core.Tests.Evaluation;

public sealed class AveragePrecisionTests
{
    [Fact]
    public void Compute_KnownRanking_MeanOfPrecisionAtEachPositive()
    {
        // Ranked: +, -, +, -, +  -> precision at the positives: 1/1, 2/3, 3/5.
        float[] scores = [0.9f, 0.8f, 0.7f, 0.6f, 0.5f];
        bool[] positives = [true, false, true, false, true];

        var ap = AveragePrecision.Compute(scores, positives);

        Assert.Equal((1.0 + (2.0 / 3) + (3.0 / 5)) / 3, ap, 12);
    }

    [Fact]
    public void Compute_OrderOfRowsDoesNotMatter_SameAp()
    {
        float[] scores = [0.5f, 0.7f, 0.9f, 0.6f, 0.8f];
        bool[] positives = [true, true, true, false, false];

        Assert.Equal((1.0 + (2.0 / 3) + (3.0 / 5)) / 3, AveragePrecision.Compute(scores, positives), 12);
    }

    [Fact]
    public void Compute_TiedScores_OneStepForTheTie()
    {
        // 0/1 scores: 2 rows scored 1 (one positive), 2 rows scored 0 (one positive).
        // Step 1: recall 1/2 at precision 1/2; step 2: recall 1 at precision 2/4 -> AP = 0.5*0.5 + 0.5*0.5 = 0.5.
        float[] scores = [1, 1, 0, 0];
        bool[] positives = [true, false, true, false];

        Assert.Equal(0.5, AveragePrecision.Compute(scores, positives), 12);
    }

    [Fact]
    public void Compute_NoPositive_NaN()
    {
        Assert.True(double.IsNaN(AveragePrecision.Compute([0.3f, 0.2f], [false, false])));
    }

    [Fact]
    public void ComputeMatrix_TagWithoutPositives_IgnoredInMean()
    {
        // Tag 0 ranked perfectly (AP 1), tag 1 ranked worst (positive last of 3: AP 1/3), tag 2 never true.
        var scores = new ScoreMatrix(3, 3, [
            0.9f, 0.85f, 0.5f,
            0.8f, 0.9f, 0.5f,
            0.1f, 0.8f, 0.5f,
        ]);
        var truth = LabelMatrix.FromRows(3, [[0], [0], [1]]);

        var result = AveragePrecision.Compute(scores, truth);

        Assert.Equal(1.0, result.PerTag[0], 12);
        Assert.Equal(1.0 / 3, result.PerTag[1], 12);
        Assert.True(double.IsNaN(result.PerTag[2]));
        Assert.Equal(2, result.TagCount);
        Assert.Equal(1, result.IgnoredTagCount);
        Assert.Equal((1.0 + (1.0 / 3)) / 2, result.Mean, 12);
    }
}
