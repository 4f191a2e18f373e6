using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Execution;

/// <summary>Why a shard task failed, in words an operator acts on, and whether trying it again can help.</summary>
public static class ShardFailures
{
    /// <summary>
    /// Damaged or missing input, a misconfigured or missing stage and input a stage rejects fail the same way on every
    /// attempt, so they are permanent: the shard is quarantined at once instead of retried. Anything else (a storage
    /// hiccup, a silo going away, an unknown error) is retried with backoff.
    /// </summary>
    public static (string Class, bool Permanent) Classify(Exception exception) => exception switch
    {
        ShardChecksumException or ChecksumMismatchException or InvalidDataException => ("input damaged", true),
        DatasetNotFoundException or BlobNotFoundException or FileNotFoundException or DirectoryNotFoundException => ("input missing", true),
        ShardInputException => ("input rejected", true),
        KeyNotFoundException => ("stage missing", true),
        ArgumentException => ("stage misconfigured", true),
        _ => ("stage failed", false),
    };

    /// <summary>The outcome's error text: its class, then the exception's type and message.</summary>
    public static string Describe(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return $"{Classify(exception).Class}: {exception.GetType().Name}: {exception.Message}";
    }
}
