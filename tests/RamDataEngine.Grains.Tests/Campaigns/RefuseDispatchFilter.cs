using RamDataEngine.Contracts;

namespace RamDataEngine.Grains.Tests.Campaigns;

/// <summary>
/// A fault injected on every silo: worker grains refuse the shard tasks of campaigns whose id starts with
/// <see cref="Prefix"/>, as a silo would that cannot take them, so their dispatch never succeeds.
/// </summary>
public sealed class RefuseDispatchFilter : IIncomingGrainCallFilter
{
    public const string Prefix = "undispatchable-";

    public const string Error = "injected: no silo takes these shard tasks";

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.Request.GetArgumentCount() > 0 && context.Request.GetArgument(0) is IReadOnlyList<ShardTask> tasks
            && tasks.Count > 0 && tasks[0].CampaignId.StartsWith(Prefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(Error);
        }

        return context.Invoke();
    }
}
