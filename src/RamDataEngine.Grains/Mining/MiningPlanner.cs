using RamDataEngine.Contracts;
using RamDataEngine.Storage;
using RamDataEngine.Tagging;

namespace RamDataEngine.Grains.Mining;

/// <summary>Plans a vocabulary-mining campaign over a dataset version and fetches its merged counts once it has run.</summary>
public static class MiningPlanner
{
    public const string Kind = "mine";

    /// <summary>A campaign that runs <see cref="MineTermsStage"/> over every shard and commits no version.</summary>
    public static CampaignSpec Plan(string dataset, int? inputVersion = null, MiningOptions? options = null, int maxInFlight = 8)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataset);
        options ??= new MiningOptions();
        // Fail here, on the caller's side, rather than in every shard task.
        var config = MineTermsStage.ConfigOf(options);
        MineTermsStage.OptionsFrom(config);
        return new CampaignSpec
        {
            Dataset = dataset,
            Kind = Kind,
            Stages = [MineTermsStage.StageName],
            InputVersion = inputVersion,
            MaxInFlight = maxInFlight,
            Commits = false,
            Config = config,
        };
    }

    /// <summary>The merged summary of a mining campaign (through a blob the merging grain writes, not a large message).</summary>
    public static async Task<MiningSummary> ReadSummaryAsync(IGrainFactory grains, IBlobStore store, string campaignId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grains);
        ArgumentNullException.ThrowIfNull(store);
        string path = await grains.GetGrain<IVocabularyMiningGrain>(campaignId).SaveSummaryAsync(cancellationToken).ConfigureAwait(false);
        await using var stream = await store.OpenReadAsync(path, cancellationToken).ConfigureAwait(false);
        return MiningSummary.ReadFrom(stream);
    }
}
