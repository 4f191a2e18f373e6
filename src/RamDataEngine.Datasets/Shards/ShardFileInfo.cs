namespace RamDataEngine.Datasets.Shards;

/// <summary>What a manifest records of one written shard file: where it is, how many rows, its size and SHA-256 (lowercase hex).</summary>
public sealed record ShardFileInfo(string Path, long Rows, long Bytes, string Sha256);

/// <summary>Thrown when a shard file's bytes do not hash to the SHA-256 its manifest recorded.</summary>
/// <remarks>
/// An <see cref="IOException"/> (InvalidDataException is sealed); <see cref="ShardFiles.IsDamagedFile"/> recognizes it and
/// the <see cref="InvalidDataException"/>s that truncated or malformed files raise.
/// </remarks>
public sealed class ShardChecksumException(string location, string path, string expectedSha256, string actualSha256)
    : IOException($"Shard file '{path}' in {location} failed its checksum: expected SHA-256 {expectedSha256}, got {actualSha256}.")
{
    public string Path { get; } = path;

    public string ExpectedSha256 { get; } = expectedSha256;

    public string ActualSha256 { get; } = actualSha256;
}
