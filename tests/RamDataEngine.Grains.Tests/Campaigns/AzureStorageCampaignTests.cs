using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Storage.Azure;
using RamDataEngine.Testing;
using RamDataEngine.Testing.Azurite;

namespace RamDataEngine.Grains.Tests.Campaigns;

/// <summary>The engine with Azure Blob (Azurite) holding data, manifests, grain state and reminders.</summary>
public sealed class AzureStorageCampaignTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Campaign_OnAzureBlobStorage_CommitsAndKeepsGrainStateInTheContainer()
    {
        string container = AzuriteFixture.UniqueName("camp");
        var store = await AzureBlobStore.CreateAsync(new AzureBlobStoreOptions { ConnectionString = azurite.ConnectionString, ContainerName = container });
        var catalog = new DatasetCatalog(store, TimeProvider.System);
        await using var cluster = await RamTestCluster.StartAsync("unused", silos: 2, settings: new Dictionary<string, string?>
        {
            ["Ram:Storage:Kind"] = "azure",
            ["Ram:Storage:AzureConnectionString"] = azurite.ConnectionString,
            ["Ram:Storage:AzureContainer"] = container,
        });
        var input = await IdsDatasets.CreateAsync(catalog, "on-azure", shards: 30, rowsPerShard: 4);
        var campaign = cluster.Grains.GetGrain<ICampaignGrain>("c-azure");

        await campaign.StartAsync(CampaignGrainTests.Spec("on-azure", "copy-ids"));
        var status = await Eventually.UntilAsync(() => campaign.GetStatusAsync(), s => s.IsFinished, TimeSpan.FromMinutes(2), "the campaign");

        Assert.Equal(CampaignPhase.Completed, status.Phase);
        var output = await catalog.OpenAsync("on-azure", 2);
        Assert.Equal((await IdsDatasets.ReadIdsAsync(catalog, input)).Order(), (await IdsDatasets.ReadIdsAsync(catalog, output)).Order());
        Assert.NotEmpty(await store.ListAsync("grains/").ToListAsync());
        Assert.NotNull(await store.GetPropertiesAsync("reminders/ram.json"));
    }
}
