namespace RamDataEngine.Core.Evaluation;

/// <summary>Precision, recall and F1 of one averaging (micro, macro) or one tag.</summary>
public readonly record struct PrecisionRecallF1(double Precision, double Recall, double F1)
{
    /// <summary>From counts; a ratio whose denominator is zero counts as 0 (no prediction means no precision credit).</summary>
    public static PrecisionRecallF1 FromCounts(long truePositives, long falsePositives, long falseNegatives)
    {
        double precision = truePositives + falsePositives == 0 ? 0 : (double)truePositives / (truePositives + falsePositives);
        double recall = truePositives + falseNegatives == 0 ? 0 : (double)truePositives / (truePositives + falseNegatives);
        double f1 = (2 * truePositives) + falsePositives + falseNegatives == 0 ? 0 : 2.0 * truePositives / ((2 * truePositives) + falsePositives + falseNegatives);
        return new PrecisionRecallF1(precision, recall, f1);
    }
}

/// <summary>The counts of one tag: true positives, false positives, false negatives.</summary>
public readonly record struct TagCounts(int TruePositives, int FalsePositives, int FalseNegatives)
{
    /// <summary>How many rows truly carry the tag.</summary>
    public int Support => TruePositives + FalseNegatives;

    public PrecisionRecallF1 Scores => PrecisionRecallF1.FromCounts(TruePositives, FalsePositives, FalseNegatives);
}

/// <summary>
/// Multi-label classification quality: micro averages pool every (row, tag) decision; macro averages are the mean of
/// per-tag precision, recall and F1 over the tags that have at least one true positive instance (tags absent from the
/// truth are left out, as in mAP, and counted in <see cref="MacroTagCount"/>'s complement).
/// </summary>
public sealed class ClassificationReport
{
    internal ClassificationReport(TagCounts[] perTag)
    {
        PerTag = perTag;
        long tp = 0, fp = 0, fn = 0;
        double p = 0, r = 0, f = 0;
        int used = 0;
        foreach (var counts in perTag)
        {
            tp += counts.TruePositives;
            fp += counts.FalsePositives;
            fn += counts.FalseNegatives;
            if (counts.Support == 0) continue;
            var scores = counts.Scores;
            p += scores.Precision;
            r += scores.Recall;
            f += scores.F1;
            used++;
        }

        Micro = PrecisionRecallF1.FromCounts(tp, fp, fn);
        Macro = used == 0 ? new PrecisionRecallF1(0, 0, 0) : new PrecisionRecallF1(p / used, r / used, f / used);
        MacroTagCount = used;
    }

    public PrecisionRecallF1 Micro { get; }

    public PrecisionRecallF1 Macro { get; }

    /// <summary>How many tags the macro averages are taken over (those with support &gt; 0).</summary>
    public int MacroTagCount { get; }

    /// <summary>Counts per tag id.</summary>
    public IReadOnlyList<TagCounts> PerTag { get; }
}
