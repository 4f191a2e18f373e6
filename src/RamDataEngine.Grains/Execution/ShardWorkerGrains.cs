using Orleans.Concurrency;
using Orleans.Placement;
using RamDataEngine.Contracts;
using RamDataEngine.Grains.Stages;

namespace RamDataEngine.Grains.Execution;

/// <summary>
/// Takes CPU-stage shard tasks; activations spread over the cluster's silos and are reused, one per slot. Placement is
/// random: activation counts (what count-based placement weighs) say nothing about executor load, and their statistics
/// lag behind a campaign's first burst of calls, which could put every slot on one silo.
/// </summary>
public interface ICpuShardWorkerGrain : IShardWorkerGrain;

/// <summary>Takes GPU-stage shard tasks; its grain class exists only on silos with the "gpu" role.</summary>
public interface IGpuShardWorkerGrain : IShardWorkerGrain;

[Reentrant, RandomPlacement]
internal sealed class CpuShardWorkerGrain(ShardExecutor executor) : Grain, ICpuShardWorkerGrain
{
    public Task<string> EnqueueAsync(IReadOnlyList<ShardTask> tasks, CancellationToken cancellationToken = default)
    {
        executor.Enqueue(tasks, StageDevice.Cpu);
        return Task.FromResult(executor.Silo);
    }
}

[Reentrant, RandomPlacement]
public sealed class GpuShardWorkerGrain(ShardExecutor executor) : Grain, IGpuShardWorkerGrain
{
    public Task<string> EnqueueAsync(IReadOnlyList<ShardTask> tasks, CancellationToken cancellationToken = default)
    {
        executor.Enqueue(tasks, StageDevice.Gpu);
        return Task.FromResult(executor.Silo);
    }
}
