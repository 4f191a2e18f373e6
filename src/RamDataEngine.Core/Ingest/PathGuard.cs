namespace RamDataEngine.Core.Ingest;

/// <summary>
/// Resolves a relative file name from an untrusted source against a base folder, refusing every way out of it:
/// absolute paths, <c>..</c> segments that climb above it, and symlinks (at any depth) whose target is outside it.
/// </summary>
internal sealed class PathGuard
{
    private const int MaxLinkDepth = 40; // as Linux's MAXSYMLINKS: deeper means a loop
    private const int MaxPathChars = 1024;

    private readonly string _lexicalBase;
    private readonly string _realBase;

    public PathGuard(string baseFolder)
    {
        _lexicalBase = WithSeparator(Path.GetFullPath(baseFolder));
        _realBase = WithSeparator(RealPath(Path.GetFullPath(baseFolder), 0) ?? throw new DirectoryNotFoundException($"The folder {baseFolder} does not exist."));
    }

    /// <summary>What <see cref="Resolve"/> found.</summary>
    public enum Outcome
    {
        /// <summary>The real path of an existing file inside the folder.</summary>
        Ok,

        /// <summary>The name is not acceptable, or leads outside the folder.</summary>
        Invalid,

        /// <summary>Inside the folder, but nothing is there (or it is not a file).</summary>
        Missing,
    }

    /// <summary>Resolves <paramref name="relative"/>; on <see cref="Outcome.Ok"/> the real path (every symlink followed) to read from.</summary>
    public Outcome Resolve(string relative, out string path, out string problem)
    {
        path = string.Empty;
        problem = string.Empty;
        if (relative.Length == 0)
        {
            problem = "the image path is empty";
            return Outcome.Invalid;
        }

        if (relative.Length > MaxPathChars)
        {
            problem = $"the image path is {relative.Length:N0} characters long, over the limit of {MaxPathChars:N0}";
            return Outcome.Invalid;
        }

        if (relative.AsSpan().IndexOfAnyInRange('\0', '\u001f') >= 0 || relative.Contains('\\'))
        {
            problem = $"the image path '{Printable(relative)}' holds a control character or a backslash";
            return Outcome.Invalid;
        }

        if (Path.IsPathRooted(relative) || relative.StartsWith('~'))
        {
            problem = $"the image path '{relative}' is absolute; it must be relative to the JSONL's folder";
            return Outcome.Invalid;
        }

        var lexical = Path.GetFullPath(Path.Combine(_lexicalBase, relative));
        if (!lexical.StartsWith(_lexicalBase, StringComparison.Ordinal))
        {
            problem = $"the image path '{relative}' climbs out of the JSONL's folder";
            return Outcome.Invalid;
        }

        // Resolve from the real base so that a symlinked base folder (e.g. /tmp on macOS) is not mistaken for an escape.
        string? real;
        try
        {
            real = RealPath(_realBase + lexical[_lexicalBase.Length..], 0);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            problem = $"the image path '{relative}' cannot be resolved: {error.Message}";
            return Outcome.Missing;
        }

        if (real is null)
        {
            problem = $"the image file '{relative}' does not exist";
            return Outcome.Missing;
        }

        if (!real.StartsWith(_realBase, StringComparison.Ordinal))
        {
            problem = $"the image path '{relative}' leads through a symlink to '{real}', outside the JSONL's folder";
            return Outcome.Invalid;
        }

        if (!File.Exists(real))
        {
            problem = $"the image path '{relative}' is not a file";
            return Outcome.Missing;
        }

        path = real;
        return Outcome.Ok;
    }

    /// <summary>The path with every symlink component replaced by its target, or null when a component does not exist (or links loop).</summary>
    private static string? RealPath(string fullPath, int depth)
    {
        if (depth > MaxLinkDepth) return null;
        var root = Path.GetPathRoot(fullPath) ?? string.Empty;
        var current = root;
        foreach (var part in fullPath[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(current, part);
            var info = new FileInfo(candidate);
            if (info.LinkTarget is { } target)
            {
                var resolved = RealPath(Path.GetFullPath(target, current), depth + 1);
                if (resolved is null) return null;
                current = resolved;
            }
            else
            {
                if (!info.Exists && !Directory.Exists(candidate)) return null;
                current = candidate;
            }
        }

        return current;
    }

    private static string WithSeparator(string folder) => Path.EndsInDirectorySeparator(folder) ? folder : folder + Path.DirectorySeparatorChar;

    private static string Printable(string text)
    {
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            if (chars[i] < ' ') chars[i] = '?';
        }

        return new string(chars);
    }
}
