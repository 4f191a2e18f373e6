using Orleans.Runtime.MembershipService.SiloMetadata;

namespace RamDataEngine.Grains.Execution;

/// <summary>Which roles the cluster's active silos have, from the silo metadata each publishes ("role": cpu or gpu).</summary>
public sealed class SiloRoles(IClusterMembershipService membership, ISiloMetadataCache metadata)
{
    public const string MetadataKey = "role";
    public const string Gpu = "gpu";

    /// <summary>True when at least one active silo has the gpu role, so GPU worker grains can be placed.</summary>
    public bool AnyActive(string role) => membership.CurrentSnapshot.Members.Values
        .Where(m => m.Status == SiloStatus.Active)
        .Any(m => metadata.GetSiloMetadata(m.SiloAddress).Metadata.TryGetValue(MetadataKey, out var r) && r == role);
}
