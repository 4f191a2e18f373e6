using Orleans.Concurrency;
using Orleans.Placement;
using RamDataEngine.Contracts;
using RamDataEngine.Grains.Stages;

namespace RamDataEngine.Grains.Execution;

/// <summary>Takes CPU-stage shard tasks; activations spread over the cluster's silos and are reused, one per slot.</summary>
public interface ICpuShardWorkerGrain : IShardWorkerGrain;

/// <summary>Takes GPU-stage shard tasks; its grain class exists only on silos with the "gpu" role.</summary>
public interface IGpuShardWorkerGrain : IShardWorkerGrain;

[Reentrant, ActivationCountBasedPlacement]
internal sealed class CpuShardWorkerGrain(ShardExecutor executor) : Grain, ICpuShardWorkerGrain
{
    public Task<string> EnqueueAsync(IReadOnlyList<ShardTask> tasks, CancellationToken cancellationToken = default)
    {
        executor.Enqueue(tasks, StageDevice.Cpu);
        return Task.FromResult(executor.Silo);
    }
}

[Reentrant, ActivationCountBasedPlacement]
public sealed class GpuShardWorkerGrain(ShardExecutor executor) : Grain, IGpuShardWorkerGrain
{
    public Task<string> EnqueueAsync(IReadOnlyList<ShardTask> tasks, CancellationToken cancellationToken = default)
    {
        executor.Enqueue(tasks, StageDevice.Gpu);
        return Task.FromResult(executor.Silo);
    }
}
