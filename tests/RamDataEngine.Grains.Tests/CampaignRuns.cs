using RamDataEngine.Contracts;
using RamDataEngine.Testing;

namespace RamDataEngine.Grains.Tests;

/// <summary>Starting a campaign and waiting, with a deadline, for it to finish.</summary>
public static class CampaignRuns
{
    public static async Task<CampaignStatus> RunAsync(IGrainFactory grains, string id, CampaignSpec spec)
    {
        var campaign = grains.GetGrain<ICampaignGrain>(id);
        await campaign.StartAsync(spec);
        return await WaitAsync(campaign);
    }

    public static Task<CampaignStatus> WaitAsync(ICampaignGrain campaign)
        => Eventually.UntilAsync(() => campaign.GetStatusAsync(), s => s.IsFinished, TimeSpan.FromMinutes(2), $"campaign {campaign.GetPrimaryKeyString()} to finish");
}
