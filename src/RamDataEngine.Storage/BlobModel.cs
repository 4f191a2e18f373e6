namespace RamDataEngine.Storage;

/// <summary>What a store knows of one blob.</summary>
/// <param name="ETag">Opaque version tag; changes whenever the content is replaced.</param>
public sealed record BlobProperties(string Path, long Length, string ETag, DateTimeOffset LastModified);

/// <summary>A blob's whole content together with the ETag of that content.</summary>
public sealed record BlobContent(BlobProperties Properties, ReadOnlyMemory<byte> Data);

/// <summary>The precondition of a write: none, the blob must not exist yet, or it must still carry a given ETag.</summary>
public readonly record struct BlobCondition
{
    private BlobCondition(BlobConditionKind kind, string? etag) => (Kind, ETag) = (kind, etag);

    public BlobConditionKind Kind { get; }

    /// <summary>The ETag the blob must carry, for <see cref="BlobConditionKind.IfMatch"/>.</summary>
    public string? ETag { get; }

    /// <summary>Write unconditionally, creating or replacing.</summary>
    public static BlobCondition None => default;

    /// <summary>Create only: fail when a blob already exists at the path.</summary>
    public static BlobCondition IfNotExists => new(BlobConditionKind.IfNotExists, null);

    /// <summary>Replace only the version read before: fail when the blob changed or is gone.</summary>
    public static BlobCondition IfMatch(string etag)
    {
        ArgumentException.ThrowIfNullOrEmpty(etag);
        return new(BlobConditionKind.IfMatch, etag);
    }

    public override string ToString() => Kind switch
    {
        BlobConditionKind.IfNotExists => "if-not-exists",
        BlobConditionKind.IfMatch => $"if-match {ETag}",
        _ => "unconditional",
    };
}

public enum BlobConditionKind
{
    None,
    IfNotExists,
    IfMatch,
}

/// <summary>Thrown when a blob that must exist does not.</summary>
public sealed class BlobNotFoundException(string location, string path, Exception? innerException = null)
    : Exception($"Blob '{path}' does not exist in {location}.", innerException)
{
    public string Path { get; } = path;
}

/// <summary>Thrown when a conditional write loses: the blob exists, changed, or vanished since it was read.</summary>
public sealed class BlobConditionFailedException(string location, string path, BlobCondition condition, Exception? innerException = null)
    : Exception($"Conditional write ({condition}) of blob '{path}' in {location} failed: it was changed by another writer.", innerException)
{
    public string Path { get; } = path;

    public BlobCondition Condition { get; } = condition;
}
