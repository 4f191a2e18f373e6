using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Storage;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Infrastructure;

/// <summary>The exit codes of <c>ram</c>: one per class of outcome a script can act on (listed in docs/operations.md).</summary>
public static class ExitCodes
{
    /// <summary>Done; for a campaign, a version was committed (or, for an analysis, recorded).</summary>
    public const int Ok = 0;

    /// <summary>The operation ran and failed: a campaign failed or was cancelled, or an unexpected error.</summary>
    public const int Failed = 1;

    /// <summary>The command line is wrong: unknown command or option, a bad value, a missing or bad setting.</summary>
    public const int Usage = 2;

    /// <summary>What the command names does not exist: a dataset, version, campaign, engine run, model or file.</summary>
    public const int NotFound = 3;

    /// <summary>No silo answers (campaign and cluster commands), or the cluster was lost for longer than the reconnect window.</summary>
    public const int Unavailable = 4;

    /// <summary>Data is damaged or unusable: a checksum mismatch, a missing manifest segment, an empty or unreadable input.</summary>
    public const int Damaged = 5;

    /// <summary>The store's state refuses it now: the dataset exists or is busy, the source changed, another commit won.</summary>
    public const int Conflict = 6;

    /// <summary>Interrupted (Ctrl+C).</summary>
    public const int Interrupted = 130;

    /// <summary>The exit code of an error.</summary>
    public static int Of(Exception exception) => exception switch
    {
        CliException cli => cli.ExitCode,
        CommandAppException => Usage,
        OperationCanceledException => Interrupted,
        DatasetNotFoundException or BlobNotFoundException or FileNotFoundException or DirectoryNotFoundException => NotFound,
        ChecksumMismatchException or ShardChecksumException or InvalidDataException => Damaged,
        ConflictException or DatasetConflictException or CommitConflictException or DatasetBusyException => Conflict,
        ArgumentException or KeyNotFoundException or Microsoft.Extensions.Options.OptionsValidationException => Usage,
        _ => Failed,
    };
}

/// <summary>An error the command line reports with its own exit code (see <see cref="ExitCodes"/>).</summary>
public class CliException(string message, int exitCode, Exception? innerException = null) : Exception(message, innerException)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>A dataset, campaign, run or model the command names does not exist.</summary>
public sealed class NotFoundException(string message) : CliException(message, ExitCodes.NotFound);

/// <summary>No silo answers, or the cluster stayed away longer than the command waits.</summary>
public sealed class ClusterUnavailableException(string message, Exception? innerException = null) : CliException(message, ExitCodes.Unavailable, innerException);

/// <summary>The command ran and its operation failed (a campaign or engine run that did not complete); its outcome is printed already.</summary>
public sealed class CommandFailedException(string message) : CliException(message, ExitCodes.Failed);

/// <summary>What the whole invocation knows: whether <c>--verbose</c> was given (stack traces, logs).</summary>
public static class CliContext
{
    private static readonly AsyncLocal<bool> VerboseFlag = new();

    /// <summary>True when <c>--verbose</c> was given: errors show their stack traces and silos and clients log warnings.</summary>
    public static bool Verbose
    {
        get => VerboseFlag.Value;
        internal set => VerboseFlag.Value = value;
    }
}
