using System.Text.Json;
using RamDataEngine.Contracts;
using RamDataEngine.Storage;

namespace RamDataEngine.Grains.Engine;

/// <summary>An engine run's durable state: the spec, and per step its child, state and output.</summary>
[GenerateSerializer, Alias("ram.EngineState")]
public sealed class EngineState
{
    [Id(0)] public EngineSpec? Spec { get; set; }

    [Id(1)] public EnginePhase Phase { get; set; }

    /// <summary>The input version, fixed at start.</summary>
    [Id(2)] public int InputVersion { get; set; }

    [Id(3)] public List<EngineStepRecord> Steps { get; set; } = [];

    [Id(4)] public string? Message { get; set; }

    [Id(5)] public DateTimeOffset? StartedAt { get; set; }

    [Id(6)] public DateTimeOffset? EndedAt { get; set; }

    [Id(7)] public EngineReport? Report { get; set; }

    [Id(8)] public string? ReportPath { get; set; }
}

/// <summary>One step's durable record; its output is saved before the next step starts.</summary>
[GenerateSerializer, Alias("ram.EngineStepRecord")]
public sealed class EngineStepRecord
{
    [Id(0)] public required string Name { get; set; }

    [Id(1)] public EngineStepState State { get; set; }

    [Id(2)] public string? ChildId { get; set; }

    [Id(3)] public string? ChildKind { get; set; }

    [Id(4)] public int? OutputVersion { get; set; }

    [Id(5)] public string? OutputModel { get; set; }

    [Id(6)] public string? Message { get; set; }

    [Id(7)] public DateTimeOffset? StartedAt { get; set; }

    [Id(8)] public DateTimeOffset? EndedAt { get; set; }

    [Id(9)] public int Attempts { get; set; }

    /// <summary>The child's last progress seen (kept so a finished step still shows it).</summary>
    [Id(10)] public long Done { get; set; }

    [Id(11)] public long Total { get; set; }

    [Id(12)] public string? Unit { get; set; }
}

/// <summary>The steps, in order, and where an engine run keeps its readable files.</summary>
public static class EngineSteps
{
    public const string Parse = "parse";
    public const string Featurize = "featurize";
    public const string Train = "train";
    public const string Folds = "folds";
    public const string Annotate = "annotate";
    public const string Clean = "clean";
    public const string Retrain = "retrain";
    public const string Finetune = "finetune";
    public const string Evaluate = "evaluate";

    public static readonly IReadOnlyList<string> All = [Parse, Featurize, Train, Folds, Annotate, Clean, Retrain, Finetune, Evaluate];

    /// <summary>Fold <paramref name="fold"/>'s training job under the folds step's child id.</summary>
    public static string FoldJobId(string foldsChildId, int fold) => $"{foldsChildId}-f{fold.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string Folder(string engineId) => $"engine/{BlobPath.ValidateSegment(engineId, "engine id")}";

    /// <summary>The evaluate step's JSON report.</summary>
    public static string ReportPath(string engineId) => $"{Folder(engineId)}/report.json";

    /// <summary>A status snapshot rewritten at every state change, readable without a silo.</summary>
    public static string StatusPath(string engineId) => $"{Folder(engineId)}/status.json";

    /// <summary>
    /// The child of a step: a fixed id derived from the engine id and the step, so a resumed engine re-attaches to
    /// it; a retry after a failure gets the attempt number appended (the failed child cannot be resumed).
    /// </summary>
    public static string ChildId(string engineId, string step, int attempt)
        => attempt <= 1 ? $"{engineId}-{step}" : $"{engineId}-{step}-{attempt.ToString(System.Globalization.CultureInfo.InvariantCulture)}";
}
