using RamDataEngine.Contracts;
using RamDataEngine.Grains.Campaigns;

namespace RamDataEngine.Grains.Tests.Campaigns;

public sealed class CampaignConfigHashTests
{
    private static readonly CampaignSpec Spec = new()
    {
        Dataset = "d",
        Kind = "mine",
        Stages = ["mine-terms"],
        Config = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" },
    };

    [Fact]
    public void ConfigHash_SameSpecWithKeysInAnotherOrder_Same()
    {
        var reordered = Spec with { Config = new Dictionary<string, string> { ["a"] = "1", ["b"] = "2" } };
        Assert.Equal(CampaignGrain.ConfigHash(Spec), CampaignGrain.ConfigHash(reordered));
    }

    [Fact]
    public void ConfigHash_NoCommit_DiffersFromTheCommittingCampaign()
    {
        Assert.NotEqual(CampaignGrain.ConfigHash(Spec), CampaignGrain.ConfigHash(Spec with { Commits = false }));
    }
}
