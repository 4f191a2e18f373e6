using RamDataEngine.Contracts;
using RamDataEngine.Core.Cleaning;
using RamDataEngine.Grains.Models;
using RamDataEngine.Grains.Stages;
using RamDataEngine.Grains.Trust;

namespace RamDataEngine.Grains.Cleaning;

/// <summary>
/// Clean, phase 1 (<c>clean-sample</c>): per shard, the labels the model confirms, and for each the region scoring
/// highest for its tag; each tag's regions go into a bounded sample sent to that tag's <see cref="ITagStatsGrain"/>.
/// Writes nothing to the dataset: the shard's entry passes through to phase 2.
/// </summary>
public sealed class CleanSampleStage(ModelStore models, TrustProvider trust, IGrainFactory grains) : IShardStage
{
    public string Name => CleanPlanner.SampleStage;

    public StageDevice Device => StageDevice.Cpu;

    public Task ValidateAsync(CampaignSpec spec, CancellationToken cancellationToken) => CleanPlanner.ValidateAsync(spec, models, Name, cancellationToken);

    public async Task<ShardStageResult> RunAsync(ShardStageContext context, CancellationToken cancellationToken)
    {
        var options = CleanPlanner.OptionsFrom(context.Config);
        var input = context.RequireInput();
        if (options.OutlierFraction == 0) return new ShardStageResult(input, 0);
        var shard = await ShardCleaning.LoadAsync(context, models, trust, options, cancellationToken);

        var samples = new Dictionary<int, PrioritySample>();
        for (int row = 0; row < shard.Rows; row++)
        {
            foreach (var label in shard.Verdicts(row))
            {
                if (!label.HasRegion) continue;
                if (!samples.TryGetValue(label.Tag, out var sample))
                {
                    sample = new PrioritySample(options.SampleCapacity, shard.Dimension, CleanPlanner.SampleSeed(options.Seed, label.Tag));
                    samples[label.Tag] = sample;
                }

                sample.Add(shard.Id(row), shard.Region(row, label.Region));
            }
        }

        await Task.WhenAll(samples.Select(s => grains.GetGrain<ITagStatsGrain>(ITagStatsGrain.KeyOf(context.Task.CampaignId, s.Key))
            .AddSampleAsync(context.ShardId, s.Value.ToBytes(), cancellationToken)));
        return new ShardStageResult(input, shard.Rows);
    }
}

/// <summary>
/// Clean, phase 2 (<c>clean-apply</c>): removes the labels the model does not confirm (<c>model-disagrees</c>) and
/// those whose region lies beyond its tag's cut (<c>outlier</c>), and writes the new labels layer with the reasons.
/// </summary>
public sealed class CleanApplyStage(ModelStore models, TrustProvider trust, IGrainFactory grains) : IShardStage
{
    public string Name => CleanPlanner.ApplyStage;

    public StageDevice Device => StageDevice.Cpu;

    public Task ValidateAsync(CampaignSpec spec, CancellationToken cancellationToken) => CleanPlanner.ValidateAsync(spec, models, Name, cancellationToken);

    public async Task<ShardStageResult> RunAsync(ShardStageContext context, CancellationToken cancellationToken)
    {
        var options = CleanPlanner.OptionsFrom(context.Config);
        var shard = await ShardCleaning.LoadAsync(context, models, trust, options, cancellationToken);

        var cuts = new Dictionary<int, TagCut>();
        if (options.OutlierFraction > 0)
        {
            var tags = new SortedSet<int>();
            for (int row = 0; row < shard.Rows; row++)
            {
                foreach (var label in shard.Verdicts(row))
                {
                    if (label.HasRegion) tags.Add(label.Tag);
                }
            }

            var request = new TagCutRequest(options.OutlierFraction, options.MinSamples, options.Seed, shard.Dimension);
            var fetched = await Task.WhenAll(tags.Select(async tag => (tag, bytes: await grains
                .GetGrain<ITagStatsGrain>(ITagStatsGrain.KeyOf(context.Task.CampaignId, tag)).GetCutAsync(request, cancellationToken))));
            foreach (var (tag, bytes) in fetched) cuts[tag] = TagCut.FromBytes(bytes);
        }

        return await shard.WriteAsync(
            context,
            (row, label) => label.HasRegion && cuts.TryGetValue(label.Tag, out var cut) && cut.IsOutlier(shard.Region(row, label.Region)),
            cancellationToken);
    }
}
