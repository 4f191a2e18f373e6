using System.Globalization;

namespace RamDataEngine.Datasets.Shards;

/// <summary>Keys of the Parquet key-value metadata that shard files carry.</summary>
public static class ShardMetadataKeys
{
    /// <summary>The <see cref="ShardKind"/> name; written by the shard writer itself.</summary>
    public const string Kind = "ram.shard.kind";

    /// <summary>Version of the column layout for that kind; written by the shard writer itself.</summary>
    public const string SchemaVersion = "ram.shard.schema_version";

    public const string ModelId = "ram.model_id";
    public const string CampaignId = "ram.campaign_id";
    public const string Stage = "ram.stage";
    public const string VocabularyId = "ram.vocabulary_id";

    /// <summary>Length of each embedding in a features layer (global and per region).</summary>
    public const string EmbeddingDimension = "ram.features.dim";

    /// <summary>Which image encoder produced a features layer.</summary>
    public const string EncoderId = "ram.features.encoder_id";

    /// <summary>Prefix reserved for this project's keys; callers may add their own keys outside it.</summary>
    public const string ReservedPrefix = "ram.";
}

/// <summary>Who made a layer file: stored in its key-value metadata so a file explains itself without the manifest.</summary>
public sealed record ShardProvenance(string? ModelId = null, string? CampaignId = null, string? Stage = null, string? VocabularyId = null)
{
    /// <summary>Metadata for the writer: the provenance plus, for a features layer, the encoder and dimension.</summary>
    public Dictionary<string, string> ToMetadata(string? encoderId = null, int? embeddingDimension = null)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        Put(metadata, ShardMetadataKeys.ModelId, ModelId);
        Put(metadata, ShardMetadataKeys.CampaignId, CampaignId);
        Put(metadata, ShardMetadataKeys.Stage, Stage);
        Put(metadata, ShardMetadataKeys.VocabularyId, VocabularyId);
        Put(metadata, ShardMetadataKeys.EncoderId, encoderId);
        if (embeddingDimension is { } dim)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dim, nameof(embeddingDimension));
            metadata[ShardMetadataKeys.EmbeddingDimension] = dim.ToString(CultureInfo.InvariantCulture);
        }

        return metadata;
    }

    /// <summary>Reads the provenance keys back from a file's metadata; absent keys are null.</summary>
    public static ShardProvenance FromMetadata(IReadOnlyDictionary<string, string> metadata) => new(
        metadata.GetValueOrDefault(ShardMetadataKeys.ModelId),
        metadata.GetValueOrDefault(ShardMetadataKeys.CampaignId),
        metadata.GetValueOrDefault(ShardMetadataKeys.Stage),
        metadata.GetValueOrDefault(ShardMetadataKeys.VocabularyId));

    private static void Put(Dictionary<string, string> metadata, string key, string? value)
    {
        if (value is not null) metadata[key] = value;
    }
}
