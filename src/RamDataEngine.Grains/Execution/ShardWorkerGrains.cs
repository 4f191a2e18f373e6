using Orleans.Concurrency;
using Orleans.Placement;
using RamDataEngine.Contracts;
using RamDataEngine.Grains.Stages;

namespace RamDataEngine.Grains.Execution;

/// <summary>Takes CPU-stage shard tasks; activations are reused, one per slot, and placed at random so a burst of new slots spreads over every silo (activation-count placement sends a burst to whichever silo looked idlest).</summary>
public interface ICpuShardWorkerGrain : IShardWorkerGrain;

/// <summary>Takes GPU-stage shard tasks; its grain class exists only on silos with the "gpu" role.</summary>
public interface IGpuShardWorkerGrain : IShardWorkerGrain;

[Reentrant, RandomPlacement]
internal sealed class CpuShardWorkerGrain(ShardExecutor executor) : Grain, ICpuShardWorkerGrain
{
    public Task<string> EnqueueAsync(ShardTask task, CancellationToken cancellationToken = default)
    {
        executor.Enqueue(task, StageDevice.Cpu);
        return Task.FromResult(executor.Silo);
    }
}

[Reentrant, RandomPlacement]
public sealed class GpuShardWorkerGrain(ShardExecutor executor) : Grain, IGpuShardWorkerGrain
{
    public Task<string> EnqueueAsync(ShardTask task, CancellationToken cancellationToken = default)
    {
        executor.Enqueue(task, StageDevice.Gpu);
        return Task.FromResult(executor.Silo);
    }
}
