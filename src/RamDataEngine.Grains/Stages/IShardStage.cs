using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Stages;

/// <summary>Where a stage's shard work must run.</summary>
public enum StageDevice
{
    Cpu,
    Gpu,
}

/// <summary>
/// A stage plug-in: turns one shard's input files into one output file (a layer, or the base at ingest) and its
/// manifest entry. Registered by name with <c>AddShardStage</c>; runs on a silo's executor, never in a grain turn.
/// </summary>
/// <remarks>
/// Write output only to <see cref="ShardStageContext.OutputPath"/>: it depends on (campaign, stage, shard) alone,
/// so a retried or duplicated run overwrites its own unpublished file and the result is the same.
/// </remarks>
public interface IShardStage
{
    string Name { get; }

    StageDevice Device { get; }

    Task<ShardStageResult> RunAsync(ShardStageContext context, CancellationToken cancellationToken);

    /// <summary>
    /// Checks, when a campaign is started and before anything is dispatched, that its spec gives this stage what it
    /// needs (required settings, values in range, the artifacts they name); throws <see cref="StageSettingException"/>
    /// naming the setting and the stage. A campaign that would fail on every shard is refused instead of started.
    /// </summary>
    Task ValidateAsync(CampaignSpec spec, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>A campaign's spec does not give a stage a setting it needs, or gives a bad value: the campaign is refused.</summary>
public sealed class StageSettingException(string message) : ArgumentException(message)
{
    /// <summary>The value of a required setting, or a refusal naming the setting, the stage and how to set it.</summary>
    public static string Require(CampaignSpec spec, string stage, string key, string what)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return spec.Config.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value)
            ? value
            : throw new StageSettingException($"Stage '{stage}' needs setting '{key}' ({what}); none was given. Pass it with --set {key}=VALUE.");
    }

    /// <summary>Runs a check that throws <see cref="ArgumentException"/> and refuses the campaign with its message, naming the stage.</summary>
    public static void Check(string stage, Action check)
    {
        ArgumentNullException.ThrowIfNull(check);
        try
        {
            check();
        }
        catch (ArgumentException e) when (e is not StageSettingException)
        {
            throw new StageSettingException($"Stage '{stage}': {e.Message}");
        }
    }
}

/// <summary>What a stage sees of one shard task.</summary>
public sealed class ShardStageContext
{
    public required ShardTask Task { get; init; }

    public required IBlobStore Store { get; init; }

    /// <summary>The shard's current entry; null for source stages, which read <see cref="SourceChunk"/>.</summary>
    public ShardEntry? Input { get; init; }

    /// <summary>The source chunk this shard is made from (JSON as the planner wrote it), for source stages.</summary>
    public string? SourceChunk { get; init; }

    /// <summary>The silo running the task, for logs and provenance.</summary>
    public required string Silo { get; init; }

    public string Dataset => Task.Input.Dataset;

    public int ShardId => Task.ShardId;

    public IReadOnlyDictionary<string, string> Config => Task.Config;

    /// <summary>The deterministic path of this task's output file.</summary>
    public string OutputPath(string extension = "parquet")
        => DatasetPaths.ShardFile(Dataset, Task.CampaignId, Task.Stage, Task.ShardId, extension);

    public ShardEntry RequireInput()
        => Input ?? throw new InvalidOperationException($"Stage '{Task.Stage}' needs an input shard entry; shard {ShardId} has none.");
}

/// <summary>A stage's output for one shard: its new manifest entry and the rows it processed.</summary>
public sealed record ShardStageResult(ShardEntry Entry, long Rows);

/// <summary>Thrown by a stage when the shard's input itself is bad: retrying cannot help, so it is quarantined at once.</summary>
public sealed class ShardInputException(string message, Exception? innerException = null) : Exception(message, innerException);
