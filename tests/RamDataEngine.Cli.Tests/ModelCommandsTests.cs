using RamDataEngine.Testing;

namespace RamDataEngine.Cli.Tests;

/// <summary>The model commands end to end on the embedded silo, on a few generated images.</summary>
public sealed class ModelCommandsTests : IDisposable
{
    private readonly TempDirectory _dir = new("cli-models");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task FeaturizeTrainFinetuneAnnotateEvaluate_SmallDataset_CommitsAndReports()
    {
        string data = _dir.Combine("data");
        string thresholds = _dir.Combine("thresholds.txt");
        Assert.Equal(0, (await RamAppTests.RunAsync("generate", _dir.Combine("src"), "--count", "40", "--seed", "5", "--captions", "1")).Code);
        Assert.Equal(0, (await RamAppTests.RunAsync("ingest", _dir.Combine("src", "dataset.jsonl"), "--dataset", "m", "--rows-per-shard", "20", "--data", data)).Code);
        Assert.Equal(0, (await RamAppTests.RunAsync("parse", "m", "--data", data)).Code);

        var (featurized, featurizeOutput) = await RamAppTests.RunAsync("featurize", "m", "--data", data);
        var (trained, trainOutput) = await RamAppTests.RunAsync("train", "m", "--epochs", "3", "--job", "m-head", "--data", data);
        var (tuned, tuneOutput) = await RamAppTests.RunAsync("finetune", "m", "--from", "m-head", "--filter", "split=train", "--epochs", "2", "--job", "m-tuned", "--data", data);
        var (annotated, annotateOutput) = await RamAppTests.RunAsync("annotate", "m", "--model", "m-tuned", "--threshold", "0.6", "--data", data);
        var (evaluated, evaluateOutput) = await RamAppTests.RunAsync("evaluate", "m", "--calibrate", thresholds, "--data", data);
        var (listed, list) = await RamAppTests.RunAsync("models", "list", "--data", data);
        var (shown, show) = await RamAppTests.RunAsync("models", "show", "m-tuned", "--data", data);

        Assert.True(featurized == 0, featurizeOutput);
        Assert.Contains("Committed m@3", featurizeOutput);
        Assert.True(trained == 0, trainOutput);
        Assert.Contains("m-head", trainOutput);
        Assert.True(tuned == 0, tuneOutput);
        Assert.True(annotated == 0, annotateOutput);
        Assert.Contains("Committed m@4", annotateOutput);
        Assert.True(evaluated == 0, evaluateOutput);
        Assert.Contains("parsed", evaluateOutput);
        Assert.Contains("final", evaluateOutput);
        Assert.Contains("Caption-missed", evaluateOutput);
        Assert.True(File.Exists(thresholds));
        Assert.Equal(0, listed);
        Assert.Contains("m-head", list);
        Assert.Contains("m-tuned", list);
        Assert.Equal(0, shown);
        Assert.Contains("finetune", show);
        Assert.Contains("m-head", show);
    }
}
