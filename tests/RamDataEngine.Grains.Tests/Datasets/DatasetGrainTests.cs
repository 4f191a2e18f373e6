using RamDataEngine.Contracts;
using RamDataEngine.Grains.Tests.Campaigns;

namespace RamDataEngine.Grains.Tests.Datasets;

[Collection(nameof(ThreeSiloCollection))]
public sealed class DatasetGrainTests(ThreeSiloFixture fixture)
{
    [Fact]
    public async Task CommitAsync_SameCampaignAgainAfterItLanded_ReturnsThatVersionAndAnotherCampaignConflicts()
    {
        var dataset = fixture.Cluster.Grains.GetGrain<IDatasetGrain>("commit-again");
        var first = new DatasetCommitRequest(null, "test", "c-commit-a", "hash-a", [], [], new Dictionary<string, string>());
        var committed = await dataset.CommitAsync(first);

        // As after a silo died between the commit and the campaign's state write: the campaign commits again.
        var again = await dataset.CommitAsync(first);
        Assert.Equal(committed.Version, again.Version);
        Assert.Equal(1, (await dataset.GetHeadAsync())!.Version);

        var other = first with { CampaignId = "c-commit-b" };
        await Assert.ThrowsAsync<CommitConflictException>(() => dataset.CommitAsync(other));
        var otherConfig = first with { ConfigHash = "hash-b" };
        await Assert.ThrowsAsync<CommitConflictException>(() => dataset.CommitAsync(otherConfig));
    }
}
