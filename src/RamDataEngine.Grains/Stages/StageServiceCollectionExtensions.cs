using Microsoft.Extensions.DependencyInjection;

namespace RamDataEngine.Grains.Stages;

/// <summary>Registers stage plug-ins by name.</summary>
public static class StageServiceCollectionExtensions
{
    public static IServiceCollection AddShardStage<TStage>(this IServiceCollection services)
        where TStage : class, IShardStage
    {
        services.AddSingleton<TStage>();
        services.AddSingleton<IShardStage>(sp => sp.GetRequiredService<TStage>());
        return services;
    }
}

/// <summary>The stages this silo knows, by name.</summary>
public sealed class StageRegistry(IEnumerable<IShardStage> stages)
{
    private readonly Dictionary<string, IShardStage> _stages = stages.ToDictionary(s => s.Name, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => _stages.Keys;

    public IShardStage Get(string name) => _stages.TryGetValue(name, out var stage)
        ? stage
        : throw new KeyNotFoundException($"No stage named '{name}' is registered on this silo. Known: {string.Join(", ", _stages.Keys.Order())}.");

    public bool TryGet(string name, out IShardStage stage) => _stages.TryGetValue(name, out stage!);
}
