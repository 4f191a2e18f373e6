namespace RamDataEngine.Core.Evaluation;

/// <summary>Micro and macro precision/recall/F1 of predicted tag sets, or of scores cut at global or per-tag thresholds.</summary>
public static class MultiLabelMetrics
{
    /// <summary>Compares predicted tag sets (e.g. parsed tags, or a model's tags) with the true ones, row by row.</summary>
    public static ClassificationReport Compare(LabelMatrix predicted, LabelMatrix truth)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(truth);
        if (predicted.RowCount != truth.RowCount || predicted.TagCount != truth.TagCount)
        {
            throw new ArgumentException($"Predictions are {predicted.RowCount} rows x {predicted.TagCount} tags but the truth is {truth.RowCount} rows x {truth.TagCount} tags.");
        }

        var tp = new int[truth.TagCount];
        var fp = new int[truth.TagCount];
        var fn = new int[truth.TagCount];
        var isTrue = new bool[truth.TagCount];
        var isPredicted = new bool[truth.TagCount];
        for (int row = 0; row < truth.RowCount; row++)
        {
            truth.FillRow(row, isTrue);
            predicted.FillRow(row, isPredicted);
            foreach (var id in predicted.Row(row))
            {
                if (!isPredicted[id]) continue; // a duplicate id in the row: count it once
                isPredicted[id] = false;
                if (isTrue[id]) tp[id]++;
                else fp[id]++;
            }

            predicted.FillRow(row, isPredicted);
            foreach (var id in truth.Row(row))
            {
                if (!isTrue[id]) continue;
                isTrue[id] = false;
                if (!isPredicted[id]) fn[id]++;
            }
        }

        return Build(tp, fp, fn);
    }

    /// <summary>Predicts a tag when its score is at or above <paramref name="threshold"/>.</summary>
    public static ClassificationReport AtThreshold(ScoreMatrix scores, LabelMatrix truth, float threshold)
    {
        ArgumentNullException.ThrowIfNull(scores);
        var thresholds = new float[scores.TagCount];
        Array.Fill(thresholds, threshold);
        return AtThresholds(scores, truth, thresholds);
    }

    /// <summary>Predicts tag t when its score is at or above <c>thresholds[t]</c>.</summary>
    public static ClassificationReport AtThresholds(ScoreMatrix scores, LabelMatrix truth, ReadOnlySpan<float> thresholds)
    {
        ScoreMatrix.CheckSameShape(scores, truth);
        ScoreMatrix.CheckThresholds(thresholds, scores.TagCount);
        var tp = new int[truth.TagCount];
        var fp = new int[truth.TagCount];
        var fn = new int[truth.TagCount];
        var isTrue = new bool[truth.TagCount];
        for (int row = 0; row < scores.RowCount; row++)
        {
            truth.FillRow(row, isTrue);
            var values = scores.Row(row);
            for (int t = 0; t < values.Length; t++)
            {
                bool predicted = values[t] >= thresholds[t];
                if (predicted && isTrue[t]) tp[t]++;
                else if (predicted) fp[t]++;
                else if (isTrue[t]) fn[t]++;
            }
        }

        return Build(tp, fp, fn);
    }

    private static ClassificationReport Build(int[] tp, int[] fp, int[] fn)
    {
        var perTag = new TagCounts[tp.Length];
        for (int t = 0; t < perTag.Length; t++) perTag[t] = new TagCounts(tp[t], fp[t], fn[t]);
        return new ClassificationReport(perTag);
    }
}
