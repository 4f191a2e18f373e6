using System.Globalization;
using System.Text.Json;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Campaigns;

/// <summary>Where a campaign keeps its files: its spec, its source plan, and its result batches per stage.</summary>
public static class CampaignPaths
{
    public const string Root = "campaigns";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string Campaign(string campaignId) => $"{Root}/{BlobPath.ValidateSegment(campaignId, "campaign id")}";

    public static string Spec(string campaignId) => $"{Campaign(campaignId)}/spec.json";

    public static string SourcePlan(string campaignId) => $"{Campaign(campaignId)}/plan.json";

    /// <summary>A result batch; the random part keeps a batch rewritten after a crash from reusing a cached name.</summary>
    public static string Batch(string campaignId, int stageIndex, int batchNumber)
        => string.Create(CultureInfo.InvariantCulture, $"{Campaign(campaignId)}/stage-{stageIndex:D2}/batch-{batchNumber:D6}-{Guid.NewGuid():N}.json");

    /// <summary>Ids of every campaign ever started in this store.</summary>
    public static async IAsyncEnumerable<string> ListAsync(IBlobStore store, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var blob in store.ListAsync(Root + "/", cancellationToken).ConfigureAwait(false))
        {
            var parts = blob.Path.Split('/');
            if (parts is [_, var id, "spec.json"]) yield return id;
        }
    }
}
