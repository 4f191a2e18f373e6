using RamDataEngine.Core.Trust;

namespace RamDataEngine.Core.Tests.Trust;

public sealed class TrustGatesTests
{
    private static readonly TrustOptions Options = new() { MinSupport = 20, MinRecallTrials = 20 };

    [Theory]
    [InlineData(0.8, 0.5, 1.0)]
    [InlineData(0.5, 0.5, 1.0)]
    [InlineData(0.8, 0.97, 0.1237)]
    [InlineData(0.4, 0.5, 0.6667)]
    [InlineData(0.3, 1.0, 0.0)]
    public void AdditionPrecision_FromCaptionPrecisionAndRecall_IsWhatTheUncaptionedPositivesHold(double p, double r, double expected)
    {
        Assert.Equal(expected, TrustGates.AdditionPrecision(p, r), 3);
    }

    [Fact]
    public void Wilson_SmallCounts_BoundsAreWideAndOrdered()
    {
        double low = TrustGates.Wilson(9, 10, 1.645, upper: false);
        double high = TrustGates.Wilson(9, 10, 1.645, upper: true);

        Assert.InRange(low, 0.6, 0.9);
        Assert.InRange(high, 0.9, 1.0);
        Assert.True(TrustGates.Wilson(900, 1000, 1.645, upper: false) > low);
    }

    [Fact]
    public void Compute_WellCaptionedTagWithPreciseModel_NotTrustedToAdd()
    {
        // "dog": captions name it whenever it is there (recall 0.97), so what the captions lack is mostly the model's error.
        var stats = Stats(tagCount: 1);
        Scored(stats, tag: 0, captioned: 240, uncaptioned: 10, score: 0.95f);
        Reviewed(stats, tag: 0, hits: 970, trials: 1000);

        var gate = TrustGates.Compute(stats, Options with { MaxCaptionRecall = 1 })[0];

        Assert.False(gate.Add);
        Assert.Equal(TrustReasons.LowAddPrecision, gate.AddBlock);
        Assert.True(gate.AddPrecision < 0.8);
    }

    [Fact]
    public void Compute_ModelPositivesHalfCaptioned_AdditionsMostlyWrong_NotTrusted()
    {
        // Captions name it 70% of the time, yet only half the model's positives carry it: most of the rest are errors.
        var stats = Stats(tagCount: 1);
        Scored(stats, tag: 0, captioned: 500, uncaptioned: 500, score: 0.9f);
        Reviewed(stats, tag: 0, hits: 700, trials: 1000);

        var gate = TrustGates.Compute(stats, Options)[0];

        Assert.False(gate.Add);
        Assert.Equal(TrustReasons.LowAddPrecision, gate.AddBlock);
        Assert.InRange(gate.AddPrecision, 0.3, 0.45);
    }

    [Fact]
    public void Compute_OftenUncaptionedTagTheModelSeesClearly_TrustedToAddAtItsThreshold()
    {
        var stats = Stats(tagCount: 1);
        // Captions name it 60% of the time; the model's positives hold 68% caption labels, so nearly all are right.
        Scored(stats, tag: 0, captioned: 1_500, uncaptioned: 700, score: 0.92f);
        Scored(stats, tag: 0, captioned: 0, uncaptioned: 3_000, score: 0.02f);
        Reviewed(stats, tag: 0, hits: 300, trials: 500);

        var gate = TrustGates.Compute(stats, Options)[0];

        Assert.True(gate.Add, gate.AddReason);
        Assert.Equal(0.9f, gate.Threshold!.Value, 3);
        Assert.Equal(700, gate.CandidateAdds);
        Assert.True(gate.AddPrecision >= 0.8);
    }

    [Fact]
    public void Compute_NoRecallCounts_AbstainsAndAsksForAnAudit()
    {
        var stats = Stats(tagCount: 1);
        Scored(stats, tag: 0, captioned: 300, uncaptioned: 200, score: 0.92f);

        var gate = TrustGates.Compute(stats, Options)[0];

        Assert.False(gate.Add);
        Assert.Equal(TrustReasons.NoRecallEstimate, gate.AddBlock);
        Assert.Contains("audit", gate.AddReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_ModelConfirmsMostCaptionLabels_TrustedToClean_ElseNot()
    {
        var stats = Stats(tagCount: 2);
        Scored(stats, tag: 0, captioned: 490, uncaptioned: 0, score: 0.9f);
        Scored(stats, tag: 0, captioned: 10, uncaptioned: 0, score: 0.1f);
        Scored(stats, tag: 1, captioned: 300, uncaptioned: 0, score: 0.9f);
        Scored(stats, tag: 1, captioned: 200, uncaptioned: 0, score: 0.1f);
        // Reviewed labels say captions name tag 0 wrongly 4% of the time: enough to explain the 2% the model disagrees with.
        Named(stats, tag: 0, right: 960, wrong: 40);

        var gates = TrustGates.Compute(stats, Options);

        Assert.True(gates[0].Clean, gates[0].CleanReason);
        Assert.Equal(0.04, gates[0].CaptionError!.Value, 3);
        Assert.Equal(0.98, gates[0].ConfirmRate, 3);
        Assert.False(gates[1].Clean);
        Assert.Equal(TrustReasons.LowConfirmation, gates[1].CleanBlock);
    }

    [Fact]
    public void Compute_CaptionErrorsUnknownOrTooRare_DoesNotClean()
    {
        var stats = Stats(tagCount: 2);
        foreach (int tag in new[] { 0, 1 })
        {
            Scored(stats, tag, captioned: 470, uncaptioned: 0, score: 0.9f);
            Scored(stats, tag, captioned: 30, uncaptioned: 0, score: 0.1f);
        }

        // Tag 1: captions are wrong about it 0.5% of the time, the model disagrees with 6%: the disagreements are its misses.
        Named(stats, tag: 1, right: 995, wrong: 5);

        var gates = TrustGates.Compute(stats, Options);

        Assert.All(gates, g => Assert.False(g.Clean));
        Assert.All(gates, g => Assert.Equal(TrustReasons.NoCaptionErrors, g.CleanBlock));
        Assert.Contains("unknown", gates[0].CleanReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Compute_CaptionsNearlyAlwaysNameIt_NotTrustedToAdd()
    {
        var stats = Stats(tagCount: 1);
        Scored(stats, tag: 0, captioned: 1_000, uncaptioned: 30, score: 0.95f);
        Reviewed(stats, tag: 0, hits: 900, trials: 1000);

        var gate = TrustGates.Compute(stats, Options)[0];

        Assert.False(gate.Add);
        Assert.Equal(TrustReasons.HighCaptionRecall, gate.AddBlock);
    }

    [Fact]
    public void Compute_FewModelPositives_NoEstimate()
    {
        var stats = Stats(tagCount: 1);
        Scored(stats, tag: 0, captioned: 60, uncaptioned: 0, score: 0.1f);
        Scored(stats, tag: 0, captioned: 5, uncaptioned: 5, score: 0.95f);
        Reviewed(stats, tag: 0, hits: 500, trials: 1000);

        var gate = TrustGates.Compute(stats, Options)[0];

        Assert.False(gate.Add);
        Assert.Equal(TrustReasons.FewPositives, gate.AddBlock);
    }

    [Fact]
    public void Compute_TooFewCaptionLabels_LeavesTheTagAlone()
    {
        var stats = Stats(tagCount: 1);
        Scored(stats, tag: 0, captioned: 5, uncaptioned: 50, score: 0.99f);
        Reviewed(stats, tag: 0, hits: 10, trials: 100);

        var gate = TrustGates.Compute(stats, Options)[0];

        Assert.False(gate.Add);
        Assert.False(gate.Clean);
        Assert.Equal(TrustReasons.LowSupport, gate.AddBlock);
        Assert.Equal(TrustReasons.LowSupport, gate.CleanBlock);
    }

    [Fact]
    public void Compute_RecallOfTheDatasetsCaptionSetSize_ReviewedCountsPreferred()
    {
        var stats = Stats(tagCount: 1);
        for (int i = 0; i < 100; i++) stats.AddCaptionSet(3);
        Scored(stats, tag: 0, captioned: 300, uncaptioned: 100, score: 0.92f);
        // One caption names it half the time; three reviewed captions together 90% of the time; captions against each other 95%.
        stats.RecallTrials[stats.RecallIndex(reviewed: true, 1, 0)] = 1000;
        stats.RecallHits[stats.RecallIndex(reviewed: true, 1, 0)] = 500;
        stats.RecallTrials[stats.RecallIndex(reviewed: true, 3, 0)] = 1000;
        stats.RecallHits[stats.RecallIndex(reviewed: true, 3, 0)] = 900;
        stats.RecallTrials[stats.RecallIndex(reviewed: false, 3, 0)] = 1000;
        stats.RecallHits[stats.RecallIndex(reviewed: false, 3, 0)] = 950;

        var gate = TrustGates.Compute(stats, Options)[0];

        Assert.Equal(0.9, gate.CaptionRecall!.Value, 2);
        Assert.True(gate.RecallFromReviews);
    }

    [Fact]
    public void AddRecallEvidence_ReviewedLabels_CountsEachCaptionSetSize()
    {
        var stats = Stats(tagCount: 3);
        IReadOnlySet<int>[] captions = [new HashSet<int> { 0 }, new HashSet<int> { 1 }, new HashSet<int> { 0, 1 }];

        stats.AddRecallEvidence(captions, new HashSet<int> { 0, 2 });

        Assert.Equal(1, stats.RecallHits[stats.RecallIndex(true, 1, 0)]);
        Assert.Equal(3, stats.RecallTrials[stats.RecallIndex(true, 1, 0)] + stats.RecallTrials[stats.RecallIndex(true, 2, 0)] + stats.RecallTrials[stats.RecallIndex(true, 3, 0)]);
        Assert.Equal(0, stats.RecallHits[stats.RecallIndex(true, 3, 2)]);
        Assert.Equal(1, stats.RecallTrials[stats.RecallIndex(true, 3, 2)]);
    }

    [Fact]
    public void AddRecallEvidence_CaptionsOnly_ChecksTheOtherCaptions()
    {
        var stats = Stats(tagCount: 2);
        IReadOnlySet<int>[] captions = [new HashSet<int> { 0 }, new HashSet<int> { 1 }];

        stats.AddRecallEvidence(captions, reviewed: null);

        Assert.Equal(1, stats.RecallTrials[stats.RecallIndex(false, 1, 0)]);
        Assert.Equal(0, stats.RecallHits[stats.RecallIndex(false, 1, 0)]);
        Assert.Equal(0, stats.RecallTrials[stats.RecallIndex(true, 1, 0)]);
    }

    [Fact]
    public void ToBytes_RoundTrip_SameCountsAndMergeAdds()
    {
        var stats = Stats(tagCount: 4);
        Scored(stats, tag: 2, captioned: 7, uncaptioned: 3, score: 0.66f);
        Reviewed(stats, tag: 1, hits: 4, trials: 9);
        stats.AddCaptionSet(2);
        stats.Rows = 10;

        var copy = TrustStats.FromBytes(stats.ToBytes(), "test");
        copy.Merge(stats);

        Assert.Equal(20, copy.Rows);
        Assert.Equal(14, copy.Positive[(2 * TrustStats.Bins) + TrustStats.BinOf(0.66f)]);
        Assert.Equal(8, copy.RecallHits[copy.RecallIndex(true, 1, 1)]);
        Assert.Equal(2, copy.CaptionSets[2]);
    }

    [Fact]
    public void FromBytes_Damaged_ErrorNamesTheSource()
    {
        var bytes = Stats(tagCount: 4).ToBytes();

        var error = Assert.Throws<InvalidDataException>(() => TrustStats.FromBytes(bytes.AsSpan(0, bytes.Length / 2), "campaigns/x/trust.bin"));

        Assert.Contains("campaigns/x/trust.bin", error.Message, StringComparison.Ordinal);
    }

    private static TrustStats Stats(int tagCount)
    {
        var stats = new TrustStats(tagCount);
        stats.AddCaptionSet(1);
        return stats;
    }

    private static void Scored(TrustStats stats, int tag, int captioned, int uncaptioned, float score)
    {
        for (int i = 0; i < captioned; i++) stats.Add(tag, captioned: true, score, score);
        for (int i = 0; i < uncaptioned; i++) stats.Add(tag, captioned: false, score, score);
    }

    private static void Named(TrustStats stats, int tag, long right, long wrong)
    {
        stats.NamedTrials[stats.NamedIndex(1, tag)] += right + wrong;
        stats.NamedTrue[stats.NamedIndex(1, tag)] += right;
    }

    private static void Reviewed(TrustStats stats, int tag, long hits, long trials)
    {
        stats.RecallTrials[stats.RecallIndex(reviewed: true, 1, tag)] += trials;
        stats.RecallHits[stats.RecallIndex(reviewed: true, 1, tag)] += hits;
    }
}
