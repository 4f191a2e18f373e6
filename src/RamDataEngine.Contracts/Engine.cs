using Orleans.Concurrency;

namespace RamDataEngine.Contracts;

/// <summary>
/// Runs RAM's whole data engine over a dataset (key: engine run id): parse, featurize, train a preliminary model,
/// annotate, clean (which commits), retrain, fine-tune, evaluate; each step a child campaign or training job whose
/// output is recorded before the next step starts, so a restarted engine re-attaches instead of redoing work.
/// </summary>
public interface IEngineGrain : IGrainWithStringKey
{
    /// <summary>Starts the run; the same spec again is a no-op (or, after a failure, a retry from the failed step); another spec is an error.</summary>
    Task<EngineStatus> StartAsync(EngineSpec spec, CancellationToken cancellationToken = default);

    /// <summary>Every step's state and the running child's progress. Never waits behind a step.</summary>
    [AlwaysInterleave]
    Task<EngineStatus> GetStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>Status snapshots until the run ends (the last one is final).</summary>
    [AlwaysInterleave]
    IAsyncEnumerable<EngineStatus> WatchAsync(TimeSpan interval, CancellationToken cancellationToken = default);

    /// <summary>The evaluation report, once the evaluate step finished.</summary>
    [AlwaysInterleave]
    Task<EngineReport?> GetReportAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops the run (a running child campaign is cancelled); <see cref="ResumeAsync"/> continues it from that step.</summary>
    Task<EngineStatus> CancelAsync(string reason, CancellationToken cancellationToken = default);

    /// <summary>Wakes the run after a restart; after a failure or a cancel, re-runs from the step that stopped.</summary>
    Task<EngineStatus> ResumeAsync(CancellationToken cancellationToken = default);
}

/// <summary>What an engine run does: the input, the model settings and the judgement thresholds of every step.</summary>
[GenerateSerializer, Immutable, Alias("ram.EngineSpec")]
public sealed record EngineSpec
{
    public const string DefaultFinetuneFilter = "split=train;min-confidence=0.7";

    [Id(0)] public required string Dataset { get; init; }

    /// <summary>The version to start from; null = the head when the run starts (then fixed in its state).</summary>
    [Id(1)] public int? InputVersion { get; init; }

    /// <summary>A stored vocabulary to parse the captions with; null = skip parsing (the input must already have parsed tags).</summary>
    [Id(2)] public string? VocabularyId { get; init; }

    /// <summary>Tag head kind: linear, mlp or query.</summary>
    [Id(3)] public string HeadKind { get; init; } = "mlp";

    /// <summary>Most epochs of the preliminary and retrained models.</summary>
    [Id(4)] public int Epochs { get; init; } = 30;

    /// <summary>Most epochs of the fine-tune.</summary>
    [Id(5)] public int FinetuneEpochs { get; init; } = 10;

    [Id(6)] public int Patience { get; init; } = 3;

    [Id(7)] public long Seed { get; init; } = 42;

    /// <summary>
    /// Annotate: the lowest score a tag is added at. With the trust gates it is a lower bound on each tag's gate
    /// threshold (default 0.7: docs/engine.md); without them, one threshold for every tag (the engine before the gates
    /// used 0.85); null = the models' calibrated per-tag thresholds (without gates).
    /// </summary>
    [Id(8)] public float? AnnotateThreshold { get; init; } = DefaultAnnotateThreshold;

    /// <summary>Annotate: model tags scored below this are not kept at all (null = the stage default).</summary>
    [Id(9)] public float? AnnotateFloor { get; init; }

    /// <summary>Clean: global disagreement floor; null = per-tag threshold times <see cref="CleanDisagreeScale"/>. Default 0.7 (docs/engine.md).</summary>
    [Id(10)] public float? CleanDisagreeFloor { get; init; } = DefaultCleanDisagreeFloor;

    [Id(11)] public float CleanDisagreeScale { get; init; } = 0.5f;

    /// <summary>
    /// Clean: share of each tag's regions cut as outliers (0 = no outlier removal). Default 0.02, not RAM's 0.1: with the
    /// default feature-map regions each 1% cut here bought ~0.06 points of precision for ~0.65 of recall (docs/engine.md).
    /// </summary>
    [Id(12)] public double CleanOutlierFraction { get; init; } = DefaultCleanOutlierFraction;

    [Id(13)] public int CleanMinSamples { get; init; } = 20;

    [Id(14)] public int CleanSampleCapacity { get; init; } = 512;

    /// <summary>Skip the clean step (its output is then the annotate version).</summary>
    [Id(15)] public bool SkipClean { get; init; }

    /// <summary>Rows and labels of the fine-tune: filters joined by ';' (see the training job's filter).</summary>
    [Id(16)] public string FinetuneFilter { get; init; } = DefaultFinetuneFilter;

    [Id(17)] public int MaxInFlight { get; init; } = 8;

    /// <summary>cpu or cuda, for featurize and training.</summary>
    [Id(18)] public string Device { get; init; } = "cpu";

    /// <summary>
    /// Cross-fitting: rows are split into this many folds by a hash of the row id, and each fold is annotated and cleaned
    /// by a head trained on the other folds (1 = no cross-fitting: the preliminary model judges every row, its own
    /// training rows included). Default 5 (docs/engine.md).
    /// </summary>
    [Id(19)] public int Folds { get; init; } = DefaultFolds;

    /// <summary>Trust gates: false = the model adds and removes wherever its scores say (the old behaviour, for comparison).</summary>
    [Id(20)] public bool Gates { get; init; } = true;

    /// <summary>Generation adds a tag only where the estimated precision of its additions reaches this.</summary>
    [Id(21)] public double AddPrecision { get; init; } = 0.8;

    /// <summary>Tags named by fewer captions than this are left as the captions say.</summary>
    [Id(22)] public int MinSupport { get; init; } = 50;

    /// <summary>Cleaning touches a tag only where the model confirms at least this share of its caption labels.</summary>
    [Id(23)] public double CleanConfirm { get; init; } = 0.9;

    /// <summary>A stored caption-recall audit (blob path, from `ram audit` or `--audit FILE`), for data with one caption per image.</summary>
    [Id(24)] public string? Audit { get; init; }

    /// <summary>The model's best other tags kept per row as candidates in the labels layer (0 = none).</summary>
    [Id(25)] public int Candidates { get; init; }

    /// <summary>Generation adds only tags that captions name at least this often when present (see the trust options).</summary>
    [Id(26)] public double MinCaptionRecall { get; init; } = 0.3;

    /// <summary>z of the one-sided confidence bounds the gates put on estimated rates (default 0.25; 1.645 = 95%; see the trust options).</summary>
    [Id(27)] public double ConfidenceZ { get; init; } = 0.25;

    /// <summary>Cleaning needs known caption errors to explain at least this share of the model's disagreements with a tag's caption labels.</summary>
    [Id(28)] public double RemovePrecision { get; init; } = 0.5;

    public const int DefaultFolds = 5;

    public const float DefaultAnnotateThreshold = 0.7f;

    public const float DefaultCleanDisagreeFloor = 0.7f;

    public const double DefaultCleanOutlierFraction = 0.02;
}

public enum EnginePhase
{
    Pending,
    Running,
    Completed,
    Failed,
    Cancelled,
}

public enum EngineStepState
{
    Pending,
    Running,
    Completed,
    Failed,
    Skipped,
}

/// <summary>One step of an engine run: its child, its output, its own progress.</summary>
[GenerateSerializer, Immutable, Alias("ram.EngineStepStatus")]
public sealed record EngineStepStatus
{
    /// <summary>parse, featurize, train, annotate, clean, retrain, finetune or evaluate.</summary>
    [Id(0)] public required string Name { get; init; }

    [Id(1)] public required EngineStepState State { get; init; }

    /// <summary>The campaign or training job id (null for evaluate, which runs in the engine).</summary>
    [Id(2)] public string? ChildId { get; init; }

    /// <summary>"campaign", "job" or "local".</summary>
    [Id(3)] public string? ChildKind { get; init; }

    [Id(4)] public int? OutputVersion { get; init; }

    [Id(5)] public string? OutputModel { get; init; }

    /// <summary>Progress of the child: shards done of total, or epochs done of the most.</summary>
    [Id(6)] public long Done { get; init; }

    [Id(7)] public long Total { get; init; }

    /// <summary>"shards" or "epochs".</summary>
    [Id(8)] public string? Unit { get; init; }

    /// <summary>The child's stage or epoch detail, or why the step failed.</summary>
    [Id(9)] public string? Message { get; init; }

    [Id(10)] public DateTimeOffset? StartedAt { get; init; }

    [Id(11)] public DateTimeOffset? EndedAt { get; init; }

    /// <summary>How many times the step was started (more than one after a retry from a failure).</summary>
    [Id(12)] public int Attempts { get; init; }
}

/// <summary>An engine run's progress, compact enough to poll often.</summary>
[GenerateSerializer, Immutable, Alias("ram.EngineStatus")]
public sealed record EngineStatus
{
    [Id(0)] public required string EngineId { get; init; }

    [Id(1)] public required EnginePhase Phase { get; init; }

    [Id(2)] public string? Dataset { get; init; }

    /// <summary>The step running now (or the one that failed).</summary>
    [Id(3)] public string? CurrentStep { get; init; }

    [Id(4)] public IReadOnlyList<EngineStepStatus> Steps { get; init; } = [];

    [Id(5)] public string? Message { get; init; }

    /// <summary>Blob path of the JSON report, once written.</summary>
    [Id(6)] public string? ReportPath { get; init; }

    [Id(7)] public DateTimeOffset? StartedAt { get; init; }

    [Id(8)] public DateTimeOffset? EndedAt { get; init; }

    /// <summary>The version the run started from.</summary>
    [Id(9)] public int? InputVersion { get; init; }

    public bool IsFinished => Phase is EnginePhase.Completed or EnginePhase.Failed or EnginePhase.Cancelled;

    public EngineStepStatus? Step(string name) => Steps.FirstOrDefault(s => s.Name == name);
}

/// <summary>One row of the report: a label set or a model scored against the truth on the held-out split.</summary>
[GenerateSerializer, Immutable, Alias("ram.EngineQualityRow")]
public sealed record EngineQualityRow
{
    /// <summary>parsed, +generation, +cleaning; or preliminary, retrained, fine-tuned.</summary>
    [Id(0)] public required string Name { get; init; }

    /// <summary>The dataset version (labels) or model id scored.</summary>
    [Id(1)] public required string Source { get; init; }

    [Id(2)] public int Rows { get; init; }

    [Id(3)] public double Map { get; init; }

    [Id(4)] public double MicroPrecision { get; init; }

    [Id(5)] public double MicroRecall { get; init; }

    [Id(6)] public double MicroF1 { get; init; }

    [Id(7)] public double MacroF1 { get; init; }

    /// <summary>Labels in this set that the parsed tags lack (model additions), and the share of them the truth holds.</summary>
    [Id(8)] public long Added { get; init; }

    [Id(9)] public double? AddedPrecision { get; init; }

    /// <summary>Of the true tags the parsed tags missed, the share this set holds.</summary>
    [Id(10)] public double? MissedRecovered { get; init; }

    /// <summary>Parsed tags this set no longer holds (removed by cleaning), and the share of them the truth holds (true labels lost).</summary>
    [Id(11)] public long Removed { get; init; }

    [Id(12)] public double? RemovedSupported { get; init; }

    /// <summary>Rows that had parsed tags and have no label left.</summary>
    [Id(13)] public long EmptyRows { get; init; }
}

/// <summary>One tag's trust gate as the report shows it, with what the run did to the tag.</summary>
[GenerateSerializer, Immutable, Alias("ram.EngineTagTrust")]
public sealed record EngineTagTrust
{
    [Id(0)] public required string Name { get; init; }

    /// <summary>Rows whose captions name the tag.</summary>
    [Id(1)] public long Support { get; init; }

    [Id(2)] public double? CaptionRecall { get; init; }

    /// <summary>Estimated precision of the additions at the gate's threshold (or the best reached).</summary>
    [Id(3)] public double AddPrecision { get; init; }

    [Id(4)] public float? Threshold { get; init; }

    /// <summary>Share of its caption labels the model confirms out of fold.</summary>
    [Id(5)] public double ConfirmRate { get; init; }

    [Id(6)] public bool Add { get; init; }

    [Id(7)] public bool Clean { get; init; }

    [Id(8)] public string? AddReason { get; init; }

    [Id(9)] public string? CleanReason { get; init; }

    /// <summary>Labels of the tag the run added and removed (all rows).</summary>
    [Id(10)] public long Added { get; init; }

    [Id(11)] public long Removed { get; init; }
}

/// <summary>Where the run trusted its model: the gates per tag, summarised (from the annotate and clean campaigns' gate files).</summary>
[GenerateSerializer, Immutable, Alias("ram.EngineTrustSummary")]
public sealed record EngineTrustSummary
{
    /// <summary>Folds of the cross-fitting (1 = none).</summary>
    [Id(0)] public int Folds { get; init; }

    /// <summary>Tags named by at least one caption.</summary>
    [Id(1)] public int TagsJudged { get; init; }

    [Id(2)] public int TagsTrustedToAdd { get; init; }

    [Id(3)] public int TagsTrustedToClean { get; init; }

    /// <summary>Why generation left tags alone: reason kind -> tags (of those with caption support).</summary>
    [Id(4)] public IReadOnlyDictionary<string, int> AddAbstentions { get; init; } = new Dictionary<string, int>();

    /// <summary>Why cleaning left tags alone: reason kind -> tags.</summary>
    [Id(5)] public IReadOnlyDictionary<string, int> CleanAbstentions { get; init; } = new Dictionary<string, int>();

    /// <summary>The tags the run changed most, then the best-supported ones, with their gates.</summary>
    [Id(6)] public IReadOnlyList<EngineTagTrust> Tags { get; init; } = [];

    /// <summary>Blob paths of the gate files (annotate, clean).</summary>
    [Id(7)] public IReadOnlyList<string> GateFiles { get; init; } = [];

    /// <summary>Source of the caption-recall estimates besides the dataset's own multi-caption rows (an audit), if any.</summary>
    [Id(8)] public string? Audit { get; init; }
}

/// <summary>The evaluate step's result: label quality per step and model quality per model, against the truth.</summary>
[GenerateSerializer, Immutable, Alias("ram.EngineReport")]
public sealed record EngineReport
{
    [Id(0)] public required string EngineId { get; init; }

    [Id(1)] public required string Dataset { get; init; }

    /// <summary>False when the dataset carries no truth: the tables are then empty and <see cref="Message"/> says why.</summary>
    [Id(2)] public bool HasTruth { get; init; }

    /// <summary>The rows judged: "test" (the held-out 20%).</summary>
    [Id(3)] public string Split { get; init; } = "test";

    [Id(4)] public IReadOnlyList<EngineQualityRow> Labels { get; init; } = [];

    [Id(5)] public IReadOnlyList<EngineQualityRow> Models { get; init; } = [];

    [Id(6)] public string? Message { get; init; }

    /// <summary>Truth names that are not in the vocabulary (ignored), with counts.</summary>
    [Id(7)] public IReadOnlyDictionary<string, int> UnknownTruthNames { get; init; } = new Dictionary<string, int>();

    [Id(8)] public DateTimeOffset CreatedAt { get; init; }

    /// <summary>A sign the run did more harm than good, found without truth (e.g. cleaning removed a large share of the labels).</summary>
    [Id(9)] public string? Warning { get; init; }

    /// <summary>The label steps judged on every row with truth (the engine's models trained on the train split's rows; the judgments are out of fold).</summary>
    [Id(10)] public IReadOnlyList<EngineQualityRow> LabelsAllRows { get; init; } = [];

    /// <summary>The trust gates of the run, without truth; null when the run had no gates.</summary>
    [Id(11)] public EngineTrustSummary? Trust { get; init; }
}
