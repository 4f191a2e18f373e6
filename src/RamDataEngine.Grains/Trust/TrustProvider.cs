using System.Collections.Concurrent;
using System.Text.Json;
using RamDataEngine.Core.Trust;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Trust;

/// <summary>The gates of one tag as stored and reported: the estimates with the tag's name.</summary>
public sealed record TagGate
{
    public required string Name { get; init; }

    public required TagTrust Trust { get; init; }
}

/// <summary>A campaign's trust gates, readable (<c>campaigns/ID/gates.json</c>): what `ram engine report` summarises.</summary>
public sealed record TrustGateFile
{
    public required string CampaignId { get; init; }

    /// <summary>The judging heads, fold order (one = no cross-fitting).</summary>
    public required string Models { get; init; }

    public required long Rows { get; init; }

    public required TrustOptions Options { get; init; }

    public string? Audit { get; init; }

    public required int TagsTrustedToAdd { get; init; }

    public required int TagsTrustedToClean { get; init; }

    /// <summary>Tags with caption support or model candidates (the rest have nothing to judge), by support.</summary>
    public required IReadOnlyList<TagGate> Tags { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<TrustGateFile?> ReadAsync(IBlobStore store, string campaignId, CancellationToken cancellationToken = default)
        => (await store.ReadJsonAsync<TrustGateFile>(TrustConfig.Gates(campaignId), Json, cancellationToken).ConfigureAwait(false))?.Value;
}

/// <summary>
/// Gives a campaign's shard tasks the trust statistics and gates they apply: from a stored statistics file the config
/// names, or by summing the campaign's own phase-1 shard files (once per silo and campaign; the sum and the readable
/// gates are written beside the campaign, deterministic, so any silo may write them).
/// </summary>
public sealed class TrustProvider(VocabularyStore vocabularies)
{
    private const int CacheLimit = 8;
    private readonly ConcurrentDictionary<string, Lazy<Task<TrustStats>>> _stats = new(StringComparer.Ordinal);

    /// <summary>The statistics the task's campaign judges with.</summary>
    public Task<TrustStats> StatsAsync(ShardStageContext context, string modelIds, string vocabularyId, CancellationToken cancellationToken)
    {
        // Per campaign, not per statistics file: each campaign writes its own gates file, even when it reuses another's statistics.
        string campaign = context.Task.CampaignId;
        if (_stats.Count > CacheLimit) _stats.Clear();
        var lazy = _stats.GetOrAdd(campaign, _ => new Lazy<Task<TrustStats>>(() => LoadOrMergeAsync(context.Store, context.Config, campaign, modelIds, vocabularyId)));
        var task = lazy.Value;
        // A failed merge (a shard file missing for a moment) is not cached.
        if (task.IsFaulted) _stats.TryRemove(new KeyValuePair<string, Lazy<Task<TrustStats>>>(campaign, lazy));
        return task.WaitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<TagTrust>> GatesAsync(ShardStageContext context, string modelIds, string vocabularyId, CancellationToken cancellationToken)
        => TrustGates.Compute(await StatsAsync(context, modelIds, vocabularyId, cancellationToken), TrustConfig.OptionsFrom(context.Config));

    private async Task<TrustStats> LoadOrMergeAsync(IBlobStore store, IReadOnlyDictionary<string, string> config, string campaign, string modelIds, string vocabularyId)
    {
        TrustStats stats;
        if (config.GetValueOrDefault(TrustConfig.StatsKey) is { } path)
        {
            stats = TrustStats.FromBytes(await store.ReadAllBytesAsync(path).ConfigureAwait(false), path);
        }
        else
        {
            stats = await MergeAsync(store, campaign).ConfigureAwait(false);
            string? audit = config.GetValueOrDefault(TrustConfig.AuditKey);
            if (audit is not null) (await CaptionAudit.LoadAsync(store, audit).ConfigureAwait(false)).AddTo(stats, vocabularyId);
            await store.WriteAsync(TrustConfig.MergedStats(campaign), stats.ToBytes(), BlobCondition.None).ConfigureAwait(false);
        }

        var vocabulary = await vocabularies.LoadAsync(vocabularyId).ConfigureAwait(false);
        if (vocabulary.Count != stats.TagCount) throw new InvalidDataException($"Trust statistics of campaign '{campaign}' count {stats.TagCount} tags; vocabulary '{vocabularyId}' has {vocabulary.Count}.");
        var options = TrustConfig.OptionsFrom(config);
        var gates = TrustGates.Compute(stats, options);
        var file = new TrustGateFile
        {
            CampaignId = campaign,
            Models = modelIds,
            Rows = stats.Rows,
            Options = options,
            Audit = config.GetValueOrDefault(TrustConfig.AuditKey),
            TagsTrustedToAdd = gates.Count(g => g.Add),
            TagsTrustedToClean = gates.Count(g => g.Clean),
            Tags = gates.Where(g => g.Support > 0 || g.CandidateAdds > 0)
                .OrderByDescending(g => g.Support).ThenBy(g => g.Tag)
                .Select(g => new TagGate { Name = vocabulary[g.Tag].Name, Trust = g }).ToList(),
        };
        await store.WriteJsonAsync(TrustConfig.Gates(campaign), file, TrustGateFile.Json, BlobCondition.None).ConfigureAwait(false);
        return stats;
    }

    private static async Task<TrustStats> MergeAsync(IBlobStore store, string campaign)
    {
        TrustStats? total = null;
        await foreach (var blob in store.ListAsync(TrustConfig.Folder(campaign) + "/").ConfigureAwait(false))
        {
            var shard = TrustStats.FromBytes(await store.ReadAllBytesAsync(blob.Path).ConfigureAwait(false), blob.Path);
            if (total is null) total = shard;
            else total.Merge(shard);
        }

        return total ?? throw new InvalidOperationException($"Campaign '{campaign}' has no trust statistics under {TrustConfig.Folder(campaign)}/: its trust-stats phase wrote none.");
    }
}
