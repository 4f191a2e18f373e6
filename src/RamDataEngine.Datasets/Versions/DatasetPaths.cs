using System.Globalization;
using RamDataEngine.Storage;

namespace RamDataEngine.Datasets.Versions;

/// <summary>Where everything of a dataset lives in the blob store (see docs/datasets.md).</summary>
public static class DatasetPaths
{
    public const string Root = "datasets";

    public static string Dataset(string dataset) => $"{Root}/{BlobPath.ValidateSegment(dataset, "dataset name")}";

    public static string Head(string dataset) => $"{Dataset(dataset)}/HEAD.json";

    public static string VersionsPrefix(string dataset) => $"{Dataset(dataset)}/versions/";

    public static string Version(string dataset, int version)
        => $"{VersionsPrefix(dataset)}{version.ToString("D10", CultureInfo.InvariantCulture)}.json";

    public static string Segment(string dataset, string sha256) => $"{Dataset(dataset)}/manifests/{sha256}.json";

    /// <summary>
    /// A shard file written by a campaign stage. The path is a function of (campaign, stage, shard) alone, so a
    /// retried or duplicated shard run overwrites its own unpublished file; only a commit makes it visible.
    /// </summary>
    public static string ShardFile(string dataset, string campaignId, string stage, int shardId, string extension = "parquet")
        => $"{Dataset(dataset)}/shards/{BlobPath.ValidateSegment(campaignId, "campaign id")}/{BlobPath.ValidateSegment(stage, "stage")}/{ShardName(shardId)}.{extension}";

    /// <summary>The marker of a campaign running on the dataset (see <see cref="RunningCampaign"/>).</summary>
    public static string Running(string dataset, string campaignId)
        => $"{RunningPrefix(dataset)}{BlobPath.ValidateSegment(campaignId, "campaign id")}.json";

    public static string RunningPrefix(string dataset) => $"{Dataset(dataset)}/running/";

    /// <summary>Every row (and shard) one campaign quarantined, one JSON record a line, named by the version it committed.</summary>
    public static string Quarantine(string dataset, string campaignId)
        => $"{Dataset(dataset)}/quarantine/{BlobPath.ValidateSegment(campaignId, "campaign id")}.jsonl";

    /// <summary>The folder of the files one campaign wrote for a dataset's shards.</summary>
    public static string CampaignShards(string dataset, string campaignId)
        => $"{Dataset(dataset)}/shards/{BlobPath.ValidateSegment(campaignId, "campaign id")}/";

    public static string ShardName(int shardId) => $"shard-{shardId.ToString("D6", CultureInfo.InvariantCulture)}";

    internal static bool TryParseVersion(string path, out int version)
    {
        var name = path[(path.LastIndexOf('/') + 1)..];
        version = 0;
        return name.EndsWith(".json", StringComparison.Ordinal)
            && int.TryParse(name.AsSpan(0, name.Length - 5), NumberStyles.None, CultureInfo.InvariantCulture, out version);
    }
}
