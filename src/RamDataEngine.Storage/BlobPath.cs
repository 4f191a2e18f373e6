namespace RamDataEngine.Storage;

/// <summary>Rules for blob paths, shared by every store so that a path valid in one is valid in all.</summary>
public static class BlobPath
{
    /// <summary>Azure's limit on a blob name; also keeps local paths well under PATH_MAX.</summary>
    public const int MaxLength = 1024;

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the path when it could escape the store's root or would
    /// not round-trip through every store: empty, absolute, '.' or '..' segments, backslashes, control characters.
    /// </summary>
    public static string Validate(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? problem = Check(path);
        return problem is null ? path : throw new ArgumentException($"Invalid blob path '{Printable(path)}': {problem}.", nameof(path));
    }

    /// <summary>
    /// Throws <see cref="ArgumentException"/> naming the prefix when no valid path could start with it, so a listing
    /// can never reach outside the store. Empty lists everything; a trailing '/' and a partial last segment are fine.
    /// </summary>
    public static string ValidatePrefix(string prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        if (prefix.Length == 0) return prefix;
        // Checked like a path, except that it may end with '/' (a folder-like prefix).
        string? problem = Check(prefix[^1] == '/' ? prefix + "x" : prefix);
        return problem is null ? prefix : throw new ArgumentException($"Invalid blob path prefix '{Printable(prefix)}': {problem}.", nameof(prefix));
    }

    /// <summary>Joins segments with '/', validating the result.</summary>
    public static string Combine(params ReadOnlySpan<string> segments) => Validate(string.Join('/', segments.ToArray()));

    /// <summary>Checks one name that becomes a single path segment (a dataset name, a campaign id).</summary>
    public static string ValidateSegment(string name, string what)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length is 0 or > 128 || name.Contains('/') || Check(name) is not null
            || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException(
                $"Invalid {what} '{Printable(name)}': use 1-128 ASCII letters, digits, '-', '_' or '.', not '.' or '..' alone.", what);
        }

        return name;
    }

    private static string? Check(string path)
    {
        if (path.Length == 0) return "it is empty";
        if (path.Length > MaxLength) return $"it is longer than {MaxLength} characters";
        if (path[0] == '/') return "it is absolute";
        if (path[^1] == '/') return "it ends with '/'";
        foreach (char c in path)
        {
            if (char.IsControl(c)) return "it contains a control character";
            if (c == '\\') return "it contains a backslash";
        }

        foreach (var segment in path.Split('/'))
        {
            if (segment.Length == 0) return "it has an empty segment";
            if (segment is "." or "..") return "it has a '.' or '..' segment";
        }

        return null;
    }

    private static string Printable(string s)
    {
        var shown = s.Length > 200 ? s[..200] + "..." : s;
        return string.Concat(shown.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
    }
}
