using RamDataEngine.Grains.Campaigns;

namespace RamDataEngine.Grains.Mining;

/// <summary>Where a mining campaign keeps its merged summary once asked for it.</summary>
public static class MiningPaths
{
    /// <summary>The merged summary of a campaign (<c>MiningSummary.WriteTo</c>), beside the campaign's other files.</summary>
    public static string Summary(string campaignId) => $"{CampaignPaths.Campaign(campaignId)}/mining/summary.bin";
}
