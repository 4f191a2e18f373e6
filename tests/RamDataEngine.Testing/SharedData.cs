using Xunit;

namespace RamDataEngine.Testing;

/// <summary>Finds the real evaluation data in <c>../shared/data</c> beside the repository (never copied into it).</summary>
public static class SharedData
{
    /// <summary>Overrides where the data is looked for, e.g. when the checkout is not beside <c>shared/</c>.</summary>
    public const string EnvironmentVariable = "RAM_SHARED_DATA";

    private static readonly Lazy<string?> Root = new(Locate);

    /// <summary>The data folder, or null when it is absent.</summary>
    public static string? Directory => Root.Value;

    /// <summary>Why a test that needs the data is skipped, or null when the data is there.</summary>
    public static string? SkipReason => Directory is null
        ? $"../shared/data is absent (set {EnvironmentVariable} to its path to run this test)."
        : null;

    /// <summary>A path inside the data folder; only call from a test marked <see cref="SharedDataFactAttribute"/>.</summary>
    public static string PathOf(params string[] parts)
        => Path.Combine([Directory ?? throw new InvalidOperationException(SkipReason), .. parts]);

    /// <summary>The repository root: the nearest folder above the test binaries holding RamDataEngine.sln.</summary>
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    private static string? Locate()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(fromEnvironment)) return System.IO.Directory.Exists(fromEnvironment) ? fromEnvironment : null;
        var beside = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "data"));
        return System.IO.Directory.Exists(beside) ? beside : null;
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RamDataEngine.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException($"No RamDataEngine.sln above {AppContext.BaseDirectory}.");
    }
}

/// <summary>A fact that runs only when <c>../shared/data</c> is present, and says why it was skipped otherwise.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute()
    {
        if (SharedData.SkipReason is { } reason) Skip = reason;
    }
}

/// <summary>A theory that runs only when <c>../shared/data</c> is present.</summary>
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    public SharedDataTheoryAttribute()
    {
        if (SharedData.SkipReason is { } reason) Skip = reason;
    }
}
