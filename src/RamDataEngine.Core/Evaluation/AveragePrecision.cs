namespace RamDataEngine.Core.Evaluation;

/// <summary>Average precision per tag and their mean (mAP).</summary>
/// <remarks>
/// AP is the area under the precision-recall step curve taken at each distinct score, highest first:
/// <c>sum_k (R_k - R_{k-1}) * P_k</c>. Tied scores form one step (so a 0/1 score such as "the caption names the tag"
/// is ranked fairly); with distinct scores it is the mean of the precision at the rank of each positive.
/// Tags with no positive row have no AP (NaN) and are left out of the mean: <see cref="MeanAveragePrecisionResult.TagCount"/>
/// says how many were used.
/// </remarks>
public static class AveragePrecision
{
    /// <summary>AP of one ranking; NaN when no row is positive.</summary>
    public static double Compute(ReadOnlySpan<float> scores, ReadOnlySpan<bool> positives)
    {
        if (scores.Length != positives.Length) throw new ArgumentException($"Got {scores.Length} scores but {positives.Length} labels.");
        var keys = new float[scores.Length];
        var order = new int[scores.Length];
        return Compute(scores, positives, keys, order);
    }

    /// <summary>AP of every tag column and their mean over tags with positives.</summary>
    public static MeanAveragePrecisionResult Compute(ScoreMatrix scores, LabelMatrix truth)
    {
        ScoreMatrix.CheckSameShape(scores, truth);
        int n = scores.RowCount;
        var column = new float[n];
        var positives = new bool[n];
        var keys = new float[n];
        var order = new int[n];
        var rowsOfTag = Transpose(truth);
        var perTag = new double[scores.TagCount];
        var values = scores.Values;
        for (int t = 0; t < scores.TagCount; t++)
        {
            if (rowsOfTag[t] is not { Count: > 0 } rows)
            {
                perTag[t] = double.NaN;
                continue;
            }

            for (int row = 0; row < n; row++) column[row] = values[(row * scores.TagCount) + t];
            positives.AsSpan().Clear();
            foreach (var row in rows) positives[row] = true;
            perTag[t] = Compute(column, positives, keys, order);
        }

        return new MeanAveragePrecisionResult(perTag);
    }

    private static double Compute(ReadOnlySpan<float> scores, ReadOnlySpan<bool> positives, float[] keys, int[] order)
    {
        int n = scores.Length;
        int totalPositives = 0;
        for (int i = 0; i < n; i++)
        {
            if (float.IsNaN(scores[i])) throw new ArgumentException($"Score {i} is NaN.", nameof(scores));
            keys[i] = -scores[i];
            order[i] = i;
            if (positives[i]) totalPositives++;
        }

        if (totalPositives == 0) return double.NaN;
        Array.Sort(keys, order, 0, n);
        double ap = 0;
        int truePositives = 0, seen = 0;
        for (int i = 0; i < n;)
        {
            int j = i;
            int groupPositives = 0;
            while (j < n && keys[j] == keys[i])
            {
                if (positives[order[j]]) groupPositives++;
                j++;
            }

            seen += j - i;
            truePositives += groupPositives;
            if (groupPositives > 0) ap += (double)groupPositives / totalPositives * ((double)truePositives / seen);
            i = j;
        }

        return ap;
    }

    internal static List<int>?[] Transpose(LabelMatrix truth)
    {
        var rowsOfTag = new List<int>?[truth.TagCount];
        for (int row = 0; row < truth.RowCount; row++)
        {
            foreach (var id in truth.Row(row))
            {
                var rows = rowsOfTag[id] ??= [];
                if (rows.Count == 0 || rows[^1] != row) rows.Add(row);
            }
        }

        return rowsOfTag;
    }
}

/// <summary>Per-tag AP (NaN where a tag has no positive row) and their mean over the tags that have one.</summary>
public sealed class MeanAveragePrecisionResult
{
    internal MeanAveragePrecisionResult(double[] perTag)
    {
        PerTag = perTag;
        double sum = 0;
        int used = 0;
        foreach (var ap in perTag)
        {
            if (double.IsNaN(ap)) continue;
            sum += ap;
            used++;
        }

        TagCount = used;
        Mean = used == 0 ? double.NaN : sum / used;
    }

    /// <summary>AP per tag id; NaN for tags with no positive row.</summary>
    public IReadOnlyList<double> PerTag { get; }

    /// <summary>mAP over the tags with positives; NaN when there is none.</summary>
    public double Mean { get; }

    /// <summary>How many tags had positives and so count in <see cref="Mean"/>.</summary>
    public int TagCount { get; }

    /// <summary>How many tags were ignored for having no positive row.</summary>
    public int IgnoredTagCount => PerTag.Count - TagCount;
}
