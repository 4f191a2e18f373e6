using RamDataEngine.Core.Evaluation;
using RamDataEngine.Model.Heads;

namespace RamDataEngine.Model.Tests.Heads;

public sealed class TagHeadTrainingTests
{
    private static TagHeadTrainingOptions Options(TagHeadKind kind) => new()
    {
        Kind = kind,
        HiddenSize = 32,
        AttentionHeads = 4,
        MaxEpochs = 25,
        BatchSize = 32,
        LearningRate = 3e-3,
        ValidationFraction = 0.2,
        Patience = 5,
        Seed = 11,
        Threads = 1,
    };

    [Theory]
    [InlineData(TagHeadKind.Linear)]
    [InlineData(TagHeadKind.Mlp)]
    [InlineData(TagHeadKind.Query)]
    public void Train_SeparableSyntheticProblem_HighHeldOutMap(TagHeadKind kind)
    {
        var (features, labels) = SyntheticTagData.Create(600, seed: 1);
        var (testFeatures, testLabels) = SyntheticTagData.Create(300, seed: 2);

        var (head, history) = TagHeadTrainer.Train(Options(kind), features, labels, "synthetic");
        using (head)
        {
            var map = AveragePrecision.Compute(head.Score(testFeatures), testLabels).Mean;

            Assert.True(map > 0.9, $"{kind}: held-out mAP {map:F3} after {history.Count} epochs");
            Assert.Equal("synthetic", head.Config.EncoderId);
        }
    }

    [Fact]
    public void Train_SameSeedTwice_IdenticalScores()
    {
        var (features, labels) = SyntheticTagData.Create(200, seed: 3);
        var options = Options(TagHeadKind.Query) with { MaxEpochs = 3 };

        var (first, _) = TagHeadTrainer.Train(options, features, labels);
        var (second, _) = TagHeadTrainer.Train(options, features, labels);
        using (first)
        using (second)
        {
            Assert.Equal(first.Score(features).Values, second.Score(features).Values);
        }
    }

    [Theory]
    [InlineData(TagHeadKind.Mlp)]
    [InlineData(TagHeadKind.Query)]
    public void Checkpoint_SaveLoadResume_ContinuesIdentically(TagHeadKind kind)
    {
        var (features, labels) = SyntheticTagData.Create(200, seed: 4);
        var options = Options(kind) with { MaxEpochs = 4, Patience = 10 };

        using var straight = TagHeadTrainingSession.Start(options, features, labels);
        straight.RunToEnd();

        var checkpoint = new MemoryStream();
        using (var interrupted = TagHeadTrainingSession.Start(options, features, labels))
        {
            interrupted.RunEpoch();
            interrupted.RunEpoch();
            interrupted.SaveCheckpoint(checkpoint);
        }

        checkpoint.Position = 0;
        using var resumed = TagHeadTrainingSession.Resume(checkpoint, features, labels);
        Assert.Equal(2, resumed.Epoch);
        resumed.RunToEnd();

        Assert.Equal(straight.History.Select(h => (h.Epoch, h.TrainLoss, h.ValidationMap, h.Improved)), resumed.History.Select(h => (h.Epoch, h.TrainLoss, h.ValidationMap, h.Improved)));
        Assert.Equal(straight.BestEpoch, resumed.BestEpoch);
        using var a = straight.BestHead();
        using var b = resumed.BestHead();
        Assert.Equal(a.Score(features).Values, b.Score(features).Values);
    }

    [Fact]
    public void StartFrom_TrainedHead_StartsFromItsWeightsAndKeepsItsArchitecture()
    {
        var (features, labels) = SyntheticTagData.Create(120, seed: 8);
        var (parent, _) = TagHeadTrainer.Train(Options(TagHeadKind.Mlp) with { MaxEpochs = 2 }, features, labels);
        using (parent)
        {
            // Asking for another kind changes nothing: a fine-tune keeps the parent's architecture.
            using var session = TagHeadTrainingSession.StartFrom(parent, Options(TagHeadKind.Linear) with { MaxEpochs = 1 }, features, labels);
            using var before = session.BestHead();

            Assert.Equal(TagHeadKind.Mlp, session.Config.Kind);
            Assert.Equal(parent.Score(features).Values, before.Score(features).Values);
            session.RunEpoch();
            Assert.Equal(1, session.Epoch);
        }
    }

    [Fact]
    public void Resume_DifferentRowCount_ClearError()
    {
        var (features, labels) = SyntheticTagData.Create(100, seed: 5);
        var checkpoint = new MemoryStream();
        using (var session = TagHeadTrainingSession.Start(Options(TagHeadKind.Linear) with { MaxEpochs = 1 }, features, labels))
        {
            session.RunEpoch();
            session.SaveCheckpoint(checkpoint);
        }

        var (other, otherLabels) = SyntheticTagData.Create(50, seed: 5);
        checkpoint.Position = 0;

        var error = Assert.Throws<InvalidDataException>(() => TagHeadTrainingSession.Resume(checkpoint, other, otherLabels));
        Assert.Contains("100 rows", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RunToEnd_NoSignal_StopsEarlyKeepingBestEpoch()
    {
        var (features, labels) = SyntheticTagData.Create(200, seed: 6, randomLabels: true);
        var options = Options(TagHeadKind.Linear) with { MaxEpochs = 60, Patience = 2 };

        using var session = TagHeadTrainingSession.Start(options, features, labels);
        session.RunToEnd();

        Assert.True(session.Epoch < 60, $"ran all {session.Epoch} epochs");
        Assert.Equal(session.Epoch - 2, session.BestEpoch);
        Assert.Equal(session.History.Where(h => !double.IsNaN(h.ValidationMap)).Max(h => h.ValidationMap), session.BestValidationMap);
    }

    [Fact]
    public void Head_SaveThenLoad_SameScores()
    {
        var (features, labels) = SyntheticTagData.Create(150, seed: 7);
        var (head, _) = TagHeadTrainer.Train(Options(TagHeadKind.Query) with { MaxEpochs = 2 }, features, labels, "enc");
        using (head)
        {
            var stream = new MemoryStream();
            head.Save(stream);
            stream.Position = 0;

            using var loaded = TagHead.Load(stream);

            Assert.Equal(head.Config, loaded.Config);
            Assert.Equal(head.Score(features).Values, loaded.Score(features).Values);
        }
    }

    [Fact]
    public void Load_NotAHeadFile_ClearError()
    {
        var error = Assert.Throws<InvalidDataException>(() => TagHead.Load(new MemoryStream("hello world, not a head"u8.ToArray())));

        Assert.Contains("tag head file", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Score_FeaturesOfAnotherEncoder_ClearError()
    {
        var (features, labels) = SyntheticTagData.Create(50, seed: 8);
        var (head, _) = TagHeadTrainer.Train(Options(TagHeadKind.Linear) with { MaxEpochs = 1 }, features, labels);
        using (head)
        {
            var error = Assert.Throws<ArgumentException>(() => head.Score(new ImageFeatures(2, 0, 512)));

            Assert.Contains("1 x 512", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Start_Cuda_FailsClearlyWithoutGpuBackend()
    {
        var (features, labels) = SyntheticTagData.Create(20, seed: 9);

        var error = Assert.Throws<InvalidOperationException>(() => TagHeadTrainingSession.Start(Options(TagHeadKind.Linear) with { Device = ComputeDevice.Cuda }, features, labels));

        Assert.Contains("CUDA", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ScoreValidation_CalibratedThresholds_OnePerTag()
    {
        var (features, labels) = SyntheticTagData.Create(300, seed: 10);
        using var session = TagHeadTrainingSession.Start(Options(TagHeadKind.Mlp) with { MaxEpochs = 5 }, features, labels);
        session.RunToEnd();

        var (scores, truth) = session.ScoreValidation();
        var calibration = ThresholdCalibration.MaximizeF1PerTag(scores, truth);

        Assert.Equal(60, scores.RowCount);
        Assert.Equal(SyntheticTagData.Tags, calibration.Thresholds.Length);
        Assert.All(calibration.Thresholds, t => Assert.InRange(t, 0f, 1f));
    }
}
