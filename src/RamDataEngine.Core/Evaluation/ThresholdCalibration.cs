namespace RamDataEngine.Core.Evaluation;

/// <summary>Per-tag thresholds chosen on a labelled split to maximise each tag's F1 (predict when score &gt;= threshold).</summary>
public static class ThresholdCalibration
{
    /// <summary>
    /// For each tag, sweeps every distinct score as a cut and keeps the one with the best F1 (the higher cut on ties);
    /// the threshold is set midway between that score and the next lower one so it does not sit on a training score.
    /// Tags with no positive row get <paramref name="fallbackThreshold"/>.
    /// </summary>
    public static ThresholdCalibrationResult MaximizeF1PerTag(ScoreMatrix scores, LabelMatrix truth, float fallbackThreshold = 0.5f)
    {
        ScoreMatrix.CheckSameShape(scores, truth);
        int n = scores.RowCount;
        var thresholds = new float[scores.TagCount];
        var bestF1 = new double[scores.TagCount];
        var keys = new float[n];
        var order = new int[n];
        var positives = new bool[n];
        var rowsOfTag = AveragePrecision.Transpose(truth);
        var values = scores.Values;
        int calibrated = 0;
        for (int t = 0; t < scores.TagCount; t++)
        {
            if (rowsOfTag[t] is not { Count: > 0 } rows)
            {
                thresholds[t] = fallbackThreshold;
                bestF1[t] = double.NaN;
                continue;
            }

            positives.AsSpan().Clear();
            foreach (var row in rows) positives[row] = true;
            for (int row = 0; row < n; row++)
            {
                keys[row] = -values[(row * scores.TagCount) + t];
                order[row] = row;
            }

            Array.Sort(keys, order, 0, n);
            int total = rows.Count, tp = 0, fp = 0;
            double best = -1;
            float cut = 0;
            for (int i = 0; i < n;)
            {
                int j = i;
                while (j < n && keys[j] == keys[i])
                {
                    if (positives[order[j]]) tp++;
                    else fp++;
                    j++;
                }

                double f1 = 2.0 * tp / ((2 * tp) + fp + (total - tp));
                if (f1 > best)
                {
                    best = f1;
                    float score = -keys[i];
                    cut = score;
                    if (j < n)
                    {
                        float next = -keys[j];
                        float middle = (score / 2) + (next / 2);
                        if (middle > next) cut = middle; // adjacent floats have no middle: keep the inclusive cut
                    }
                }

                i = j;
            }

            thresholds[t] = cut;
            bestF1[t] = best;
            calibrated++;
        }

        return new ThresholdCalibrationResult(thresholds, bestF1, calibrated);
    }
}

/// <summary>Calibrated thresholds per tag, the F1 each reaches on the calibration split (NaN where uncalibrated), and how many tags were calibrated.</summary>
public sealed record ThresholdCalibrationResult(float[] Thresholds, double[] BestF1, int CalibratedTagCount);
