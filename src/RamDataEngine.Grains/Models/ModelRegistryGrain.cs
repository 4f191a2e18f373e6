using RamDataEngine.Contracts;

namespace RamDataEngine.Grains.Models;

/// <summary>The registry's persisted state: every model version recorded, oldest first.</summary>
[GenerateSerializer, Alias("ram.ModelRegistryState")]
public sealed class ModelRegistryState
{
    [Id(0)] public List<ModelRecord> Models { get; set; } = [];
}

/// <summary>Lists and records model versions; the artifacts themselves are in <see cref="ModelStore"/>.</summary>
public sealed class ModelRegistryGrain(
    [PersistentState("models", "ram")] IPersistentState<ModelRegistryState> state) : Grain, IModelRegistryGrain
{
    public async Task RecordAsync(ModelRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var existing = state.State.Models.Find(m => m.Id == record.Id);
        if (existing is not null)
        {
            if (existing.HeadSha256 == record.HeadSha256) return;
            throw new InvalidOperationException($"Model '{record.Id}' is already recorded with another head; model versions are immutable.");
        }

        state.State.Models.Add(record);
        await state.WriteStateAsync(cancellationToken);
    }

    public Task<IReadOnlyList<ModelRecord>> ListAsync(CancellationToken cancellationToken = default)
        => Task.FromResult<IReadOnlyList<ModelRecord>>(state.State.Models.ToArray());

    public Task<ModelRecord?> GetAsync(string modelId, CancellationToken cancellationToken = default)
        => Task.FromResult(state.State.Models.Find(m => m.Id == modelId));
}
