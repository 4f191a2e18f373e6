using RamDataEngine.Contracts;
using RamDataEngine.Grains.Engine;

namespace RamDataEngine.Grains.Tests.Engine;

public sealed class EngineEvaluatorTests
{
    [Fact]
    public void CleaningWarning_QuarterOfASplitsLabelsRemoved_WarnsNamingTheSplitTheWorstTagsAndTheDiff()
    {
        var removed = new Dictionary<int, long> { [3] = 200, [7] = 58 };

        string? warning = EngineEvaluator.CleaningWarning("coco1", 4, 5, "test", before: 1_000, removed, tag => $"tag{tag}");

        Assert.NotNull(warning);
        Assert.Contains("removed 258 of 1,000 labels (26", warning);
        Assert.Contains("on the test split, most of tag3 (200), tag7 (58)", warning);
        Assert.Contains("ram datasets diff coco1@4 coco1@5", warning);
    }

    [Theory]
    [InlineData(1_000, 30)]
    [InlineData(1_000, 200)]
    [InlineData(0, 0)]
    public void CleaningWarning_AtMostAFifthRemoved_None(long before, long removed)
    {
        Assert.Null(EngineEvaluator.CleaningWarning("demo", 4, 5, "train", before, new Dictionary<int, long> { [0] = removed }, tag => "x"));
    }

    [Fact]
    public void Judged_CompletedRun_EveryStepsVersionAndModel()
    {
        var (labels, models) = EngineEvaluator.Judged(Status(cleanState: EngineStepState.Completed));

        Assert.Equal([("parsed", 2), ("+generation", 4), ("+cleaning", 5)], labels);
        Assert.Equal([("preliminary", "m-train"), ("retrained", "m-retrain"), ("fine-tuned", "m-finetune")], models);
    }

    [Fact]
    public void Judged_CleanSkipped_NoCleaningRow()
    {
        var (labels, _) = EngineEvaluator.Judged(Status(cleanState: EngineStepState.Skipped));

        Assert.Equal(["parsed", "+generation"], labels.Select(l => l.Name));
    }

    [Fact]
    public void Judged_StepWithoutOutput_ClearError()
    {
        var status = Status(cleanState: EngineStepState.Completed);
        status = status with { Phase = EnginePhase.Failed, Steps = status.Steps.Select(s => s.Name == EngineSteps.Retrain ? s with { OutputModel = null } : s).ToList() };

        var error = Assert.Throws<InvalidDataException>(() => EngineEvaluator.Judged(status));

        Assert.Contains("step 'retrain' recorded no model (the run is Failed)", error.Message);
    }

    private static EngineStatus Status(EngineStepState cleanState) => new()
    {
        EngineId = "e",
        Phase = EnginePhase.Completed,
        Dataset = "d",
        Steps =
        [
            new() { Name = EngineSteps.Parse, State = EngineStepState.Completed, OutputVersion = 2 },
            new() { Name = EngineSteps.Featurize, State = EngineStepState.Completed, OutputVersion = 3 },
            new() { Name = EngineSteps.Train, State = EngineStepState.Completed, OutputModel = "m-train" },
            new() { Name = EngineSteps.Annotate, State = EngineStepState.Completed, OutputVersion = 4 },
            new() { Name = EngineSteps.Clean, State = cleanState, OutputVersion = cleanState == EngineStepState.Skipped ? 4 : 5 },
            new() { Name = EngineSteps.Retrain, State = EngineStepState.Completed, OutputModel = "m-retrain" },
            new() { Name = EngineSteps.Finetune, State = EngineStepState.Completed, OutputModel = "m-finetune" },
            new() { Name = EngineSteps.Evaluate, State = EngineStepState.Completed },
        ],
    };
}
