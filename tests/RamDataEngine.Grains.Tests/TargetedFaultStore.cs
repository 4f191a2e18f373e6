using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Tests;

/// <summary>
/// A store that fails chosen writes deterministically: for each kind of blob (grain state, a dataset's version file, its
/// HEAD), every third write fails, either before it reaches the store or after it was written (a lost response, the
/// harder case: the caller sees an error for a write that happened). Counts what it injected, per kind, across silos.
/// </summary>
public sealed partial class TargetedFaultStore(IBlobStore inner) : IBlobStore
{
    public const string GrainState = "grain-state";
    public const string VersionFile = "version-file";
    public const string Head = "head";

    private static readonly ConcurrentDictionary<string, int> Calls = new();

    /// <summary>Faults injected so far, by kind and mode ("grain-state/after", ...).</summary>
    public static ConcurrentDictionary<string, int> Injected { get; } = new();

    public string Location => inner.Location;

    public Task<BlobProperties?> GetPropertiesAsync(string path, CancellationToken cancellationToken = default) => inner.GetPropertiesAsync(path, cancellationToken);

    public Task<Stream> OpenReadAsync(string path, CancellationToken cancellationToken = default) => inner.OpenReadAsync(path, cancellationToken);

    public Task<BlobContent?> ReadAsync(string path, CancellationToken cancellationToken = default) => inner.ReadAsync(path, cancellationToken);

    public IAsyncEnumerable<BlobProperties> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

    public Task<bool> DeleteAsync(string path, CancellationToken cancellationToken = default) => inner.DeleteAsync(path, cancellationToken);

    public async Task<BlobProperties> WriteAsync(string path, Stream content, BlobCondition condition, CancellationToken cancellationToken = default)
    {
        string? kind = path.StartsWith("grains/", StringComparison.Ordinal) ? GrainState
            : VersionPath().IsMatch(path) ? VersionFile
            : path.StartsWith("datasets/", StringComparison.Ordinal) && path.EndsWith("/HEAD.json", StringComparison.Ordinal) ? Head
            : null;
        if (kind is null) return await inner.WriteAsync(path, content, condition, cancellationToken);
        int call = Calls.AddOrUpdate(kind, 1, (_, n) => n + 1);
        if (call % 3 != 1) return await inner.WriteAsync(path, content, condition, cancellationToken);
        // Grain-state writes alternate; the commit point's first write loses its response (the write happened), HEAD's
        // first fails outright: a commit meets both kinds.
        bool after = kind switch
        {
            GrainState => call / 3 % 2 == 1,
            VersionFile => true,
            _ => false,
        };
        Injected.AddOrUpdate($"{kind}/{(after ? "after" : "before")}", 1, (_, n) => n + 1);
        if (after) await inner.WriteAsync(path, content, condition, cancellationToken);
        throw new IOException($"Injected fault {(after ? "after" : "before")} writing {path} ({kind}, call {call}).");
    }

    [GeneratedRegex(@"^datasets/[^/]+/versions/\d+\.json$")]
    private static partial Regex VersionPath();
}
