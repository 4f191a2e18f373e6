using Orleans.Concurrency;

namespace RamDataEngine.Contracts;

/// <summary>
/// The merged vocabulary-mining counts of one campaign (key: campaign id): each shard's bounded summary of candidate
/// terms is merged in once, into a summary of fixed capacity, so memory stays bounded whatever the number of shards.
/// </summary>
public interface IVocabularyMiningGrain : IGrainWithStringKey
{
    /// <summary>
    /// Merges one shard's summary and persists the result before returning. Idempotent per shard: returns false (and
    /// changes nothing) when that shard was merged already, e.g. by a retried or duplicated task.
    /// </summary>
    Task<bool> MergeAsync(VocabularyMiningReport report, CancellationToken cancellationToken = default);

    /// <summary>What has been merged so far.</summary>
    [AlwaysInterleave]
    Task<VocabularyMiningInfo> GetInfoAsync(CancellationToken cancellationToken = default);

    /// <summary>Writes the merged summary (binary, <c>MiningSummary.WriteTo</c>) to a blob and returns its path.</summary>
    Task<string> SaveSummaryAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// One shard's contribution to vocabulary mining: its summary as the bytes of <c>MiningSummary.WriteTo</c>, or the
/// path of a blob holding them when they are too large for a message.
/// </summary>
/// <param name="ShardId">The shard counted; each is merged at most once.</param>
/// <param name="Summary">The summary's bytes, or null when <paramref name="SummaryPath"/> names a blob.</param>
/// <param name="SummaryPath">A blob with the summary's bytes, or null when they are inline.</param>
/// <param name="WordCapacity">Word counters kept by the merged summary (the same for every shard of a campaign).</param>
/// <param name="PhraseCapacity">Phrase counters kept by the merged summary.</param>
[GenerateSerializer, Immutable, Alias("ram.VocabularyMiningReport")]
public sealed record VocabularyMiningReport(
    [property: Id(0)] int ShardId,
    [property: Id(1)] byte[]? Summary,
    [property: Id(2)] string? SummaryPath,
    [property: Id(3)] int WordCapacity,
    [property: Id(4)] int PhraseCapacity);

/// <summary>The state of a campaign's merged mining counts, in brief.</summary>
/// <param name="Shards">Shards merged.</param>
/// <param name="Captions">Captions counted over those shards.</param>
/// <param name="Words">Word counters held (at most <paramref name="WordCapacity"/>).</param>
/// <param name="Phrases">Phrase counters held (at most <paramref name="PhraseCapacity"/>).</param>
[GenerateSerializer, Immutable, Alias("ram.VocabularyMiningInfo")]
public sealed record VocabularyMiningInfo(
    [property: Id(0)] int Shards,
    [property: Id(1)] long Captions,
    [property: Id(2)] int Words,
    [property: Id(3)] int Phrases,
    [property: Id(4)] int WordCapacity,
    [property: Id(5)] int PhraseCapacity);
