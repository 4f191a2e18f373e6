namespace RamDataEngine.Datasets.Shards;

/// <summary>Which of a shard's files a Parquet file is: the base written at ingest, or one of the layers stages write.</summary>
public enum ShardKind
{
    Base,
    Features,
    ParsedTags,
    Labels,
}

/// <summary>The stable names of <see cref="ShardKind"/> as stored in a file's key-value metadata.</summary>
public static class ShardKindNames
{
    public static string ToName(this ShardKind kind) => kind switch
    {
        ShardKind.Base => "base",
        ShardKind.Features => "features",
        ShardKind.ParsedTags => "parsed_tags",
        ShardKind.Labels => "labels",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown shard kind."),
    };

    public static bool TryParse(string? name, out ShardKind kind)
    {
        foreach (var candidate in Enum.GetValues<ShardKind>())
        {
            if (string.Equals(candidate.ToName(), name, StringComparison.Ordinal))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }
}
