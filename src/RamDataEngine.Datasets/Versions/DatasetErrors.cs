namespace RamDataEngine.Datasets.Versions;

/// <summary>A commit lost the race: the dataset's head is no longer the version the commit was based on.</summary>
public sealed class DatasetConflictException(string dataset, int? expectedParent, int actualHead)
    : Exception($"Commit to dataset '{dataset}' conflicts: it was based on {Describe(expectedParent)} but the head is now version {actualHead}. Rebase on version {actualHead} and retry.")
{
    public string Dataset { get; } = dataset;

    public int? ExpectedParent { get; } = expectedParent;

    public int ActualHead { get; } = actualHead;

    private static string Describe(int? version) => version is { } v ? $"version {v}" : "no version (a new dataset)";
}

/// <summary>A dataset or version that does not exist.</summary>
public sealed class DatasetNotFoundException(string message) : Exception(message);

/// <summary>A stored manifest or shard file whose bytes do not match the checksum that names it.</summary>
public sealed class ChecksumMismatchException(string location, string path, string expected, string actual)
    : IOException($"Checksum mismatch for '{path}' in {location}: expected SHA-256 {expected}, found {actual}. The file was changed or damaged after it was committed.")
{
    public string Path { get; } = path;
}

/// <summary>A dataset has campaigns running (or interrupted) on it, so it cannot be deleted, or those versions expired, now.</summary>
public sealed class DatasetBusyException(string message) : InvalidOperationException(message);
