namespace RamDataEngine.Core.Trust;

/// <summary>Where a model may change the captions' labels: the targets of the per-tag gates.</summary>
public sealed record TrustOptions
{
    /// <summary>Generation adds a tag only where the estimated precision of the additions themselves reaches this.</summary>
    public double AddPrecision { get; init; } = 0.8;

    /// <summary>A tag is judged at all only with at least this many rows whose captions name it.</summary>
    public int MinSupport { get; init; } = DefaultMinSupport;

    /// <summary>Captions checked for a tag (audit or multi-caption rows) needed before its caption recall is estimated.</summary>
    public int MinRecallTrials { get; init; } = 20;

    /// <summary>
    /// Generation adds only tags that captions name at least this often when the image shows them. For a tag captions
    /// seldom name (colours, "wear", "stand" in Flickr captions), the estimate rests on a recall measured elsewhere (the
    /// audit) and its additions can hardly ever be checked against other captions; such tags need reviewed labels.
    /// </summary>
    public double MinCaptionRecall { get; init; } = DefaultMinCaptionRecall;

    /// <summary>
    /// Generation leaves alone tags that captions name nearly always: what the captions lack there is mostly the model's
    /// error, and the estimate, divided by 1 - recall, turns unstable (flickr8k_dev's "dog": recall 0.90 in the COCO audit,
    /// 0.97 in Flickr's own captions, estimates 1.0 and 0.6).
    /// </summary>
    public double MaxCaptionRecall { get; init; } = 0.85;

    /// <summary>Cleaning touches a tag only where the model confirms at least this share of its caption labels (lower bound).</summary>
    public double CleanConfirm { get; init; } = 0.9;

    /// <summary>
    /// Cleaning touches a tag only where the caption labels it would remove can be wrong often enough: the captions'
    /// error rate for the tag (from an audit's reviewed labels) must account for at least this share of the labels the
    /// model disagrees with. Without reviewed labels the error rate is unknown and nothing is cleaned: on real photos
    /// nearly every caption label is right, and a model's disagreement there is nearly always the model's miss.
    /// </summary>
    public double RemovePrecision { get; init; } = DefaultRemovePrecision;

    public const double DefaultRemovePrecision = 0.5;

    /// <summary>The disagreement floor the cleaning applies (its best-view score below it = disagrees).</summary>
    public float CleanFloor { get; init; } = 0.7f;

    /// <summary>A threshold is considered only where the model has at least this many positives (its caption precision is measured on them).</summary>
    public int MinPositives { get; init; } = 20;

    /// <summary>Generation never adds a tag scored below this, whatever the estimates say.</summary>
    public float MinAddThreshold { get; init; } = 0.5f;

    /// <summary>
    /// z of the one-sided confidence bounds put on the estimated rates (caption precision from below, caption recall from
    /// above). Default 0.25 (about 60% each): the estimate proved conservative on generated data, where the additions
    /// measured 95% right against an 80% target at 1.645 while recovering a third as many missed tags, and 88% at 0.25
    /// (docs/engine.md); the other gates (support, caption recall between 0.3 and 0.85) keep real photos safe.
    /// </summary>
    public double Z { get; init; } = DefaultZ;

    public const double DefaultZ = 0.25;

    /// <summary>50: a tag's caption precision at a threshold rests on its positives there, a few dozen at best below this (flickr8k_dev: docs/engine.md).</summary>
    public const int DefaultMinSupport = 50;

    public const double DefaultMinCaptionRecall = 0.3;

    public void Validate()
    {
        if (AddPrecision is <= 0 or > 1) throw new ArgumentException($"The addition precision target {AddPrecision} is outside (0, 1].");
        if (CleanConfirm is <= 0 or > 1) throw new ArgumentException($"The cleaning confirmation share {CleanConfirm} is outside (0, 1].");
        if (MinSupport < 1) throw new ArgumentException($"The minimum support {MinSupport} must be at least 1.");
        if (MaxCaptionRecall is < 0 or > 1 || MaxCaptionRecall < MinCaptionRecall) throw new ArgumentException($"The maximum caption recall {MaxCaptionRecall} is outside [minimum, 1].");
        if (MinCaptionRecall is < 0 or > 1) throw new ArgumentException($"The minimum caption recall {MinCaptionRecall} is outside [0, 1].");
        if (Z is < 0 or > 10) throw new ArgumentException($"The confidence z {Z} is outside 0..10.");
        if (RemovePrecision is < 0 or > 1) throw new ArgumentException($"The removal precision {RemovePrecision} is outside [0, 1].");
        if (MinPositives < 1) throw new ArgumentException($"The minimum positives {MinPositives} must be at least 1.");
        if (MinRecallTrials < 1) throw new ArgumentException($"The minimum recall trials {MinRecallTrials} must be at least 1.");
        if (CleanFloor is < 0 or > 1) throw new ArgumentException($"The cleaning floor {CleanFloor} is outside [0, 1].");
        if (MinAddThreshold is < 0 or > 1) throw new ArgumentException($"The lowest addition threshold {MinAddThreshold} is outside [0, 1].");
    }
}

/// <summary>One tag's trust: the estimates, and whether generation may add it and cleaning may remove it (with why not).</summary>
public sealed record TagTrust
{
    public required int Tag { get; init; }

    /// <summary>Rows whose captions name the tag.</summary>
    public required long Support { get; init; }

    /// <summary>Share of the caption labels the model confirms (best view at the cleaning floor).</summary>
    public required double ConfirmRate { get; init; }

    /// <summary>How often a caption names the tag when it is there; null = not estimated (too few trials).</summary>
    public double? CaptionRecall { get; init; }

    public long RecallTrials { get; init; }

    /// <summary>How often a caption label of the tag is wrong (reviewed labels); null = not estimated.</summary>
    public double? CaptionError { get; init; }

    /// <summary>Whether <see cref="CaptionRecall"/> was counted against reviewed labels (else against the images' other captions).</summary>
    public bool RecallFromReviews { get; init; }

    /// <summary>Precision of the model's positives against the caption labels at <see cref="Threshold"/> (a lower bound on the true one).</summary>
    public double CaptionPrecision { get; init; }

    /// <summary>The estimated precision of the tags the model would add at <see cref="Threshold"/> (the best reached when not trusted).</summary>
    public double AddPrecision { get; init; }

    /// <summary>The score from which generation adds the tag (the one the estimate was made at when not trusted); null = never scored high.</summary>
    public float? Threshold { get; init; }

    /// <summary>Rows the model would add the tag to at <see cref="Threshold"/> (model positives the captions lack).</summary>
    public long CandidateAdds { get; init; }

    public bool Add { get; init; }

    public bool Clean { get; init; }

    /// <summary>Why generation leaves the tag alone; null when it is trusted.</summary>
    public string? AddReason { get; init; }

    /// <summary>The kind of <see cref="AddReason"/> (one of <see cref="TrustReasons"/>), for counting.</summary>
    public string? AddBlock { get; init; }

    /// <summary>The kind of <see cref="CleanReason"/>.</summary>
    public string? CleanBlock { get; init; }

    /// <summary>Why cleaning leaves the tag alone; null when it is trusted.</summary>
    public string? CleanReason { get; init; }
}

/// <summary>Kinds of reasons a gate leaves a tag alone.</summary>
public static class TrustReasons
{
    public const string LowSupport = "low-support";
    public const string NoRecallEstimate = "no-recall-estimate";
    public const string LowCaptionRecall = "low-caption-recall";
    public const string HighCaptionRecall = "high-caption-recall";
    public const string FewPositives = "few-positives";
    public const string LowAddPrecision = "low-add-precision";
    public const string LowConfirmation = "low-confirmation";
    public const string NoCaptionErrors = "no-caption-errors";
}

/// <summary>
/// Per-tag trust gates from out-of-fold statistics (<see cref="TrustStats"/>), without truth: generation adds a tag
/// only where the estimated precision of the additions reaches a target; cleaning removes a caption label only for
/// tags whose caption labels the model mostly confirms.
/// </summary>
/// <remarks>
/// The precision of the additions is not the precision of the model's positives. At a threshold, the model's positives
/// have a precision p against the caption labels; captions name a present tag with probability r (caption recall), so
/// if captions name present tags independently of the model's score, the true precision of all positives is p / r, and
/// the additions (the positives the captions lack) are right with probability p(1 - r) / (r(1 - p)). A well-captioned
/// tag (r near 1) has almost no true additions left to find: its additions are mostly the model's errors, however good
/// p looks. Both p and r come with one-sided confidence bounds (Wilson), p from below and r from above, so small counts
/// make the estimate cautious rather than optimistic.
/// </remarks>
public static class TrustGates
{
    public static IReadOnlyList<TagTrust> Compute(TrustStats stats, TrustOptions options)
    {
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var gates = new TagTrust[stats.TagCount];
        for (int tag = 0; tag < stats.TagCount; tag++) gates[tag] = Judge(stats, tag, options);
        return gates;
    }

    /// <summary>The estimated precision of the additions from caption precision <paramref name="p"/> and caption recall <paramref name="r"/>.</summary>
    public static double AdditionPrecision(double p, double r)
    {
        if (r >= 1 || p <= 0) return 0;
        if (p >= 1) return 1;
        return Math.Clamp(p * (1 - r) / (r * (1 - p)), 0, 1);
    }

    /// <summary>Wilson score interval bound for <paramref name="hits"/> of <paramref name="trials"/>: the lower one, or the upper one.</summary>
    public static double Wilson(long hits, long trials, double z, bool upper)
    {
        if (trials <= 0) return upper ? 1 : 0;
        double n = trials, p = hits / n, z2 = z * z;
        double centre = p + (z2 / (2 * n));
        double spread = z * Math.Sqrt((p * (1 - p) / n) + (z2 / (4 * n * n)));
        return Math.Clamp((upper ? centre + spread : centre - spread) / (1 + (z2 / n)), 0, 1);
    }

    private static TagTrust Judge(TrustStats stats, int tag, TrustOptions options)
    {
        int at = tag * TrustStats.Bins;
        var positive = stats.Positive.AsSpan(at, TrustStats.Bins);
        var positiveBest = stats.PositiveBest.AsSpan(at, TrustStats.Bins);
        var negative = stats.Negative.AsSpan(at, TrustStats.Bins);
        long support = Sum(positive, 0);
        int floorBin = TrustStats.BinOf(options.CleanFloor);
        long confirmed = Sum(positiveBest, floorBin);
        double confirmRate = support == 0 ? 0 : confirmed / (double)support;
        var (recallHits, trials, reviewed) = RecallOf(stats, tag, options);
        double? recall = trials >= options.MinRecallTrials ? recallHits / (double)trials : null;

        var (namedTrue, namedTrials) = WeightedBySets(stats, (k, t) => stats.NamedIndex(k, t), stats.NamedTrue, stats.NamedTrials, tag);
        double? captionError = namedTrials >= options.MinRecallTrials ? 1 - (namedTrue / (double)namedTrials) : null;
        string? cleanReason = null, cleanBlock = null;
        if (support < options.MinSupport) (cleanBlock, cleanReason) = (TrustReasons.LowSupport, $"support {support} < {options.MinSupport}");
        else if (Wilson(confirmed, support, options.Z, upper: false) < options.CleanConfirm)
            (cleanBlock, cleanReason) = (TrustReasons.LowConfirmation, FormattableString.Invariant($"model confirms {confirmRate:P0} of its caption labels (< {options.CleanConfirm:P0})"));
        else if (captionError is null)
            (cleanBlock, cleanReason) = (TrustReasons.NoCaptionErrors, "caption errors unknown (no reviewed labels in the audit): the model's disagreements are more likely its misses");
        else if (support > confirmed && 1 - Wilson(namedTrue, namedTrials, options.Z, upper: true) < options.RemovePrecision * (support - confirmed) / support)
            (cleanBlock, cleanReason) = (TrustReasons.NoCaptionErrors, FormattableString.Invariant(
                $"captions are wrong about it {captionError:P1} of the time, too rarely to explain the {1 - confirmRate:P1} the model disagrees with"));

        var add = JudgeAdd(positive, negative, support, recallHits, trials, options);
        return new TagTrust
        {
            Tag = tag,
            Support = support,
            ConfirmRate = confirmRate,
            CaptionRecall = recall,
            CaptionError = captionError,
            RecallTrials = trials,
            RecallFromReviews = reviewed,
            CaptionPrecision = add.CaptionPrecision,
            AddPrecision = add.Estimate,
            Threshold = add.Threshold,
            CandidateAdds = add.Adds,
            Add = add.Reason is null,
            AddReason = add.Reason,
            AddBlock = add.Block,
            Clean = cleanReason is null,
            CleanReason = cleanReason,
            CleanBlock = cleanBlock,
        };
    }

    private static (float? Threshold, double CaptionPrecision, double Estimate, long Adds, string? Block, string? Reason) JudgeAdd(
        ReadOnlySpan<long> positive, ReadOnlySpan<long> negative, long support, long recallHits, long recallTrials, TrustOptions options)
    {
        if (support < options.MinSupport) return (null, 0, 0, 0, TrustReasons.LowSupport, $"support {support} < {options.MinSupport}");
        if (recallTrials < options.MinRecallTrials)
            return (null, 0, 0, 0, TrustReasons.NoRecallEstimate, $"caption recall unknown ({recallTrials} caption sets checked < {options.MinRecallTrials}: give an audit)");
        double recall = recallHits / (double)recallTrials;
        if (recall < options.MinCaptionRecall)
        {
            return (null, 0, 0, 0, TrustReasons.LowCaptionRecall,
                FormattableString.Invariant($"captions seldom name it (recall {recall:0.00} < {options.MinCaptionRecall:0.00}): its additions cannot be checked against captions"));
        }

        if (recall > options.MaxCaptionRecall)
        {
            return (null, 0, 0, 0, TrustReasons.HighCaptionRecall,
                FormattableString.Invariant($"captions nearly always name it (recall {recall:0.00} > {options.MaxCaptionRecall:0.00}): what they lack is mostly the model's error"));
        }

        double recallHigh = Wilson(recallHits, recallTrials, options.Z, upper: true);

        // The lowest threshold (most additions) whose additions reach the target; else the best estimate seen, for the report.
        (float? Threshold, double P, double Estimate, long Adds) best = (null, 0, -1, 0);
        long captioned = 0, all = 0;
        int lowest = TrustStats.BinOf(options.MinAddThreshold);
        (float, double, double, long)? chosen = null;
        for (int bin = TrustStats.Bins - 1; bin >= lowest; bin--)
        {
            captioned += positive[bin];
            all += positive[bin] + negative[bin];
            long adds = all - captioned;
            // A threshold is only placed at a bin with scores in it: below the lowest observed score there is no evidence.
            if (adds == 0 || positive[bin] + negative[bin] == 0 || all < options.MinPositives) continue;
            double p = captioned / (double)all;
            double estimate = AdditionPrecision(Wilson(captioned, all, options.Z, upper: false), recallHigh);
            float threshold = TrustStats.LowerEdge(bin);
            if (estimate > best.Estimate) best = (threshold, p, estimate, adds);
            if (estimate >= options.AddPrecision) chosen = (threshold, p, estimate, adds);
        }

        if (chosen is { } c) return (c.Item1, c.Item2, c.Item3, c.Item4, null, null);
        if (best.Threshold is null)
        {
            return (null, 0, 0, 0, TrustReasons.FewPositives,
                FormattableString.Invariant($"the model scores it >= {options.MinAddThreshold} on {all} rows ({all - captioned} without its caption label): too few (< {options.MinPositives}) to estimate from"));
        }

        return (best.Threshold, best.P, best.Estimate, best.Adds, TrustReasons.LowAddPrecision,
            FormattableString.Invariant($"estimated addition precision {best.Estimate:0.00} < {options.AddPrecision:0.00} (caption precision {best.P:0.00}, caption recall {recall:0.00})"));
    }

    /// <summary>
    /// The tag's caption recall for the dataset's caption sets: per caption-set size c, the recall counted for sets of c
    /// captions, weighted by the dataset's rows with c captions; from reviewed labels where there are enough counts, else
    /// from the images' other captions. Returned as (hits, trials) with trials the counts behind the estimate.
    /// </summary>
    private static (long Hits, long Trials, bool Reviewed) RecallOf(TrustStats stats, int tag, TrustOptions options)
    {
        foreach (bool reviewed in (ReadOnlySpan<bool>)[true, false])
        {
            var (hits, trials) = WeightedBySets(stats, (k, t) => stats.RecallIndex(reviewed, k, t), stats.RecallHits, stats.RecallTrials, tag);
            if (trials >= options.MinRecallTrials) return (hits, trials, reviewed);
        }

        return (0, 0, false);
    }

    /// <summary>
    /// A rate counted per caption-set size c, weighted by the dataset's rows with c captions, as (hits, trials) with
    /// trials the counts behind it (sizes with no count are left out and the rest re-weighted).
    /// </summary>
    private static (long Hits, long Trials) WeightedBySets(TrustStats stats, Func<int, int, int> indexOf, long[] hits, long[] trials, int tag)
    {
        double weighted = 0, weights = 0;
        long total = 0;
        for (int c = 1; c <= TrustStats.MaxCaptions; c++)
        {
            long rows = stats.CaptionSets[c];
            int at = indexOf(c, tag);
            if (rows == 0 || trials[at] == 0) continue;
            weighted += rows * (hits[at] / (double)trials[at]);
            weights += rows;
            total += trials[at];
        }

        return total == 0 ? (0, 0) : ((long)Math.Round(weighted / weights * total), total);
    }

    private static long Sum(ReadOnlySpan<long> histogram, int from)
    {
        long sum = 0;
        for (int i = from; i < histogram.Length; i++) sum += histogram[i];
        return sum;
    }
}
