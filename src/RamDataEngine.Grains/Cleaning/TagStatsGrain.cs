using Microsoft.Extensions.Logging;
using RamDataEngine.Contracts;
using RamDataEngine.Core.Cleaning;

namespace RamDataEngine.Grains.Cleaning;

/// <summary>The durable state of one tag's cleaning statistics: the merged sample, then the cut fixed from it.</summary>
[GenerateSerializer, Alias("ram.TagStatsState")]
public sealed class TagStatsState
{
    /// <summary>The merged <see cref="PrioritySample"/> bytes; null before the first shard.</summary>
    [Id(0)] public byte[]? Sample { get; set; }

    /// <summary>Shards whose samples were merged (repeats included: merging is idempotent, this is for reports).</summary>
    [Id(1)] public int Reports { get; set; }

    /// <summary>The <see cref="TagCut"/> bytes once phase 2 asked for them.</summary>
    [Id(2)] public byte[]? Cut { get; set; }
}

/// <summary>
/// Phase 1 and the hinge of two-phase outlier cleaning for one tag (see <see cref="ITagStatsGrain"/>). Merging is
/// bottom-k by a hash of the row id, so the sample, and so the cut, is the same whatever the number of silos, the order
/// of reports or their repeats. K-Means++ runs off the grain scheduler.
/// </summary>
public sealed partial class TagStatsGrain(
    [PersistentState("tagstats", "ram")] IPersistentState<TagStatsState> state, ILogger<TagStatsGrain> logger) : Grain, ITagStatsGrain
{
    public async Task AddSampleAsync(int shardId, byte[] sample, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sample);
        var part = PrioritySample.FromBytes(sample);
        if (state.State.Cut is not null)
        {
            // Phase 2 has begun: the cut is fixed. A late repeat of a phase-1 shard carries items already merged.
            LogLateSample(this.GetPrimaryKeyString(), shardId);
            return;
        }

        var merged = state.State.Sample is { } bytes ? PrioritySample.FromBytes(bytes) : new PrioritySample(part.Capacity, part.Dim, part.Seed);
        if (merged.Capacity != part.Capacity)
            throw new ArgumentException($"Shard {shardId} samples {part.Capacity} regions per tag, but tag '{this.GetPrimaryKeyString()}' merges {merged.Capacity}.", nameof(sample));
        merged.MergeFrom(part);
        state.State.Sample = merged.ToBytes();
        state.State.Reports++;
        await SaveAsync(cancellationToken);
    }

    public async Task<byte[]> GetCutAsync(TagCutRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (state.State.Cut is { } saved) return saved;
        var options = new OutlierCutOptions { OutlierFraction = request.OutlierFraction, MinSampleSize = request.MinSamples };
        TagCut cut;
        if (state.State.Sample is { } bytes)
        {
            var sample = PrioritySample.FromBytes(bytes);
            cut = await Task.Run(() => OutlierCut.Compute(sample, request.Seed, options, cancellationToken), cancellationToken);
        }
        else
        {
            cut = TagCut.Skip(request.Dimension, 0);
        }

        state.State.Cut = cut.ToBytes();
        await SaveAsync(cancellationToken);
        LogCut(this.GetPrimaryKeyString(), cut.SampleSize, cut.Skipped, cut.KeptClusters, cut.CutDistance);
        return state.State.Cut;
    }

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        try
        {
            await state.WriteStateAsync(cancellationToken);
        }
        catch
        {
            // The write may have landed all the same (a lost reply, leaving a stale ETag): the next activation reads the
            // state afresh. The caller's retry re-sends the same items, and merging them again changes nothing.
            DeactivateOnIdle();
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Tag stats {Key}: cut from {Samples} regions (skipped: {Skipped}), {Clusters} clusters kept, cut distance {Cut:F3}")]
    private partial void LogCut(string key, int samples, bool skipped, int clusters, double cut);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Tag stats {Key}: a sample from shard {Shard} arrived after the cut was fixed; ignored")]
    private partial void LogLateSample(string key, int shard);
}
