using Orleans.Placement;
using Orleans.Runtime.MembershipService.SiloMetadata;
using Orleans.Runtime.Placement;
using RamDataEngine.Grains.Execution;

namespace RamDataEngine.Grains.Models;

/// <summary>Places an activation on a silo with the "gpu" role when one is active, else on any compatible silo.</summary>
[GenerateSerializer, Immutable, Alias("ram.GpuPreferredPlacement")]
public sealed class GpuPreferredPlacement : PlacementStrategy
{
    internal static readonly GpuPreferredPlacement Instance = new();
}

/// <summary>Marks a grain class for <see cref="GpuPreferredPlacement"/> (training jobs: GPU silos when there are any).</summary>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class GpuPreferredPlacementAttribute() : PlacementAttribute(GpuPreferredPlacement.Instance);

/// <summary>
/// Chooses at random among the compatible silos that publish role=gpu in their silo metadata; unlike a grain class
/// registered only on gpu silos, the activation still finds a home (a CPU silo) when the cluster has no GPU.
/// </summary>
public sealed class GpuPreferredPlacementDirector(ISiloMetadataCache metadata) : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target);
        var gpu = silos.Where(s => metadata.GetSiloMetadata(s).Metadata.TryGetValue(SiloRoles.MetadataKey, out var role) && role == SiloRoles.Gpu).ToArray();
        var pool = gpu.Length > 0 ? gpu : silos;
        return Task.FromResult(pool[Random.Shared.Next(pool.Length)]);
    }
}
