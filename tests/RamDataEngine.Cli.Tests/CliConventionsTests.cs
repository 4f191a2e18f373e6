using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Testing;

namespace RamDataEngine.Cli.Tests;

/// <summary>
/// What every command owes a script: an error is one line on stderr starting "error:", stdout carries none of it, no
/// stack trace unless --verbose, and the exit code says which class of error it was (docs/operations.md).
/// </summary>
public sealed class CliConventionsTests : IDisposable
{
    private readonly TempDirectory _dir = new("cli-conventions");

    public void Dispose() => _dir.Dispose();

    public static TheoryData<int, string[]> BadCommandLines()
    {
        // Port 1: nothing listens there, now or later (a port merely free now may be a test silo's gateway by the time it is used).
        const string gateway = "1";
        return new TheoryData<int, string[]>
        {
            { ExitCodes.Usage, ["no-such-command"] },
            { ExitCodes.Usage, ["generate", "out", "--count", "0"] },
            { ExitCodes.Usage, ["datasets", "show", "bad@x"] },
            { ExitCodes.Usage, ["campaign", "start", "parse", "--dataset", "x", "--max-quarantined-rows", "150%", "--gateway", gateway] },
            { ExitCodes.NotFound, ["datasets", "show", "nosuch"] },
            { ExitCodes.NotFound, ["datasets", "diff", "nosuch@1", "other@1"] },
            { ExitCodes.NotFound, ["ingest", "/no/such/file.jsonl", "--dataset", "x"] },
            { ExitCodes.NotFound, ["parse", "nosuch"] },
            { ExitCodes.NotFound, ["vocab", "mine", "nosuch"] },
            { ExitCodes.NotFound, ["featurize", "nosuch"] },
            { ExitCodes.NotFound, ["annotate", "nosuch", "--model", "nosuch"] },
            { ExitCodes.NotFound, ["clean", "nosuch", "--model", "nosuch"] },
            { ExitCodes.NotFound, ["evaluate", "nosuch"] },
            { ExitCodes.NotFound, ["models", "show", "nosuch"] },
            { ExitCodes.NotFound, ["engine", "status", "nosuch"] },
            { ExitCodes.NotFound, ["engine", "watch", "nosuch"] },
            { ExitCodes.NotFound, ["engine", "report", "nosuch"] },
            { ExitCodes.Unavailable, ["campaign", "list", "--gateway", gateway] },
            { ExitCodes.Unavailable, ["campaign", "status", "x", "--gateway", gateway] },
            { ExitCodes.Unavailable, ["campaign", "watch", "x", "--gateway", gateway] },
            { ExitCodes.Unavailable, ["campaign", "cancel", "x", "--gateway", gateway] },
            { ExitCodes.Unavailable, ["campaign", "start", "parse", "--dataset", "x", "--gateway", gateway] },
            { ExitCodes.Unavailable, ["engine", "status", "x", "--gateway", gateway] },
        };
    }

    [Theory]
    [MemberData(nameof(BadCommandLines))]
    public async Task Command_BadInput_OneErrorLineOnStderrAndItsExitCode(int expected, string[] args)
    {
        var (code, output, error) = await RamAppTests.RunSplitAsync([.. args, "--data", _dir.Combine("data")]);

        Assert.True(code == expected, $"exit {code}, expected {expected}; stderr: {error}");
        Assert.StartsWith("error: ", error);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("error", output, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", output + error);
    }

    [Fact]
    public async Task DatasetsShow_NoSuchDatasetWithStderrHidden_PrintsNothing()
    {
        var (code, output, _) = await RamAppTests.RunSplitAsync("datasets", "show", "nosuch", "--data", _dir.Combine("data"));

        Assert.Equal(ExitCodes.NotFound, code);
        Assert.Equal("", output);
    }

    [Fact]
    public async Task Command_Verbose_AddsTheStackTraceOnStderr()
    {
        var (code, output, error) = await RamAppTests.RunSplitAsync("datasets", "show", "nosuch", "--verbose", "--data", _dir.Combine("data"));

        Assert.Equal(ExitCodes.NotFound, code);
        Assert.StartsWith("error: Dataset 'nosuch' has no committed version", error);
        Assert.Contains("   at ", error);
        Assert.Equal("", output);
    }
}
