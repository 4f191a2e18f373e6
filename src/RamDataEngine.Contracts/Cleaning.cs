namespace RamDataEngine.Contracts;

/// <summary>
/// One tag's cleaning statistics within one clean campaign (key: <c>{campaignId}/{tagId}</c>, see <see cref="KeyOf"/>).
/// Phase 1 merges the shards' region samples into one bounded sample; phase 2 asks for the outlier cut, computed once
/// from that sample (K-Means++ and the distance cut) and kept, so every shard applies the same one.
/// </summary>
public interface ITagStatsGrain : IGrainWithStringKey
{
    public static string KeyOf(string campaignId, int tagId) => $"{campaignId}/{tagId}";

    /// <summary>Merges one shard's sample (<c>PrioritySample</c> bytes) and persists it before returning. Idempotent: a repeated shard changes nothing.</summary>
    Task AddSampleAsync(int shardId, byte[] sample, CancellationToken cancellationToken = default);

    /// <summary>The tag's cut (<c>TagCut</c> bytes), computed on the first call and fixed from then on; later samples are refused.</summary>
    Task<byte[]> GetCutAsync(TagCutRequest request, CancellationToken cancellationToken = default);
}

/// <summary>How a tag's cut is computed; every shard of a campaign asks with the same values.</summary>
[GenerateSerializer, Immutable, Alias("ram.TagCutRequest")]
public sealed record TagCutRequest(
    [property: Id(0)] double OutlierFraction,
    [property: Id(1)] int MinSamples,
    [property: Id(2)] long Seed,
    [property: Id(3)] int Dimension);
