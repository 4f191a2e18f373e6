using Orleans.Concurrency;

namespace RamDataEngine.Contracts;

/// <summary>What the registry keeps of one model version: an immutable artifact in the blob store under <c>models/{id}/</c>.</summary>
[GenerateSerializer, Immutable, Alias("ram.ModelRecord")]
public sealed record ModelRecord
{
    [Id(0)] public required string Id { get; init; }

    /// <summary>The vocabulary whose tag ids the head scores (one logit per tag).</summary>
    [Id(1)] public required string VocabularyId { get; init; }

    /// <summary>The image encoder whose features the head reads.</summary>
    [Id(2)] public required string EncoderId { get; init; }

    /// <summary>Training data: dataset and version.</summary>
    [Id(3)] public required string Dataset { get; init; }

    [Id(4)] public required int DatasetVersion { get; init; }

    /// <summary>The model this one was fine-tuned from; null when trained from scratch.</summary>
    [Id(5)] public string? ParentModel { get; init; }

    /// <summary>"train" or "finetune", and the filter used for a fine-tune.</summary>
    [Id(6)] public required string Operation { get; init; }

    [Id(7)] public string? Filter { get; init; }

    /// <summary>The training job that made it.</summary>
    [Id(8)] public string? JobId { get; init; }

    /// <summary>Head kind, widths, optimizer and loss settings, seed (as strings, for display and lineage).</summary>
    [Id(9)] public IReadOnlyDictionary<string, string> Hyperparameters { get; init; } = new Dictionary<string, string>();

    /// <summary>Validation mAP, epochs, rows, ...</summary>
    [Id(10)] public IReadOnlyDictionary<string, double> Metrics { get; init; } = new Dictionary<string, double>();

    [Id(11)] public required DateTimeOffset CreatedAt { get; init; }

    [Id(12)] public int TagCount { get; init; }

    /// <summary>SHA-256 of head.bin, so a reader can check it.</summary>
    [Id(13)] public string? HeadSha256 { get; init; }
}

/// <summary>The model registry (single key "default"): every model version, in the order recorded.</summary>
public interface IModelRegistryGrain : IGrainWithStringKey
{
    public const string DefaultKey = "default";

    /// <summary>Records a stored model; recording the same id twice with the same record is a no-op.</summary>
    Task RecordAsync(ModelRecord record, CancellationToken cancellationToken = default);

    [AlwaysInterleave]
    Task<IReadOnlyList<ModelRecord>> ListAsync(CancellationToken cancellationToken = default);

    [AlwaysInterleave]
    Task<ModelRecord?> GetAsync(string modelId, CancellationToken cancellationToken = default);
}

/// <summary>What a training job does: train from scratch or fine-tune a model on (a subset of) a dataset version.</summary>
[GenerateSerializer, Immutable, Alias("ram.TrainingJobSpec")]
public sealed record TrainingJobSpec
{
    /// <summary>"train" or "finetune".</summary>
    [Id(0)] public required string Operation { get; init; }

    [Id(1)] public required string Dataset { get; init; }

    /// <summary>The dataset version; null = head at start (then fixed in the job's state).</summary>
    [Id(2)] public int? DatasetVersion { get; init; }

    /// <summary>For finetune: the model to start from.</summary>
    [Id(3)] public string? FromModel { get; init; }

    /// <summary>Row filter: <c>source=NAME</c>, <c>ids=1,2,3</c>, <c>min-confidence=0.7</c>, <c>split=train|test</c> (a seeded 80/20 split by row id); null = every row.</summary>
    [Id(4)] public string? Filter { get; init; }

    /// <summary>Head kind: linear, mlp (default) or query.</summary>
    [Id(5)] public string HeadKind { get; init; } = "mlp";

    [Id(6)] public int MaxEpochs { get; init; } = 30;

    [Id(7)] public int Patience { get; init; } = 3;

    [Id(8)] public double LearningRate { get; init; } = 1e-3;

    [Id(9)] public int BatchSize { get; init; } = 64;

    [Id(10)] public long Seed { get; init; } = 42;

    [Id(11)] public double ValidationFraction { get; init; } = 0.1;

    /// <summary>cpu or cuda.</summary>
    [Id(12)] public string Device { get; init; } = "cpu";

    /// <summary>Threshold given to tags the validation split cannot calibrate (RAM's default).</summary>
    [Id(13)] public float FallbackThreshold { get; init; } = 0.68f;
}

public enum TrainingJobPhase
{
    Pending,
    Running,
    Completed,
    Failed,
}

/// <summary>A training job's progress, polled by clients.</summary>
[GenerateSerializer, Immutable, Alias("ram.TrainingJobStatus")]
public sealed record TrainingJobStatus
{
    [Id(0)] public required string JobId { get; init; }

    [Id(1)] public required TrainingJobPhase Phase { get; init; }

    [Id(2)] public int Epoch { get; init; }

    [Id(3)] public int MaxEpochs { get; init; }

    [Id(4)] public double BestValidationMap { get; init; } = double.NaN;

    [Id(5)] public double LastLoss { get; init; } = double.NaN;

    /// <summary>The epoch the current run resumed from (0 = from scratch).</summary>
    [Id(6)] public int ResumedFromEpoch { get; init; }

    /// <summary>How many times the job was (re)started from its stored state.</summary>
    [Id(7)] public int Runs { get; init; }

    [Id(8)] public string? ModelId { get; init; }

    [Id(9)] public string? Message { get; init; }

    [Id(10)] public string? Silo { get; init; }

    [Id(11)] public int TrainingRows { get; init; }

    public bool IsFinished => Phase is TrainingJobPhase.Completed or TrainingJobPhase.Failed;
}

/// <summary>One training job (key: job id): trains off the grain scheduler, checkpoints each epoch, resumes after a restart.</summary>
public interface ITrainingJobGrain : IGrainWithStringKey
{
    /// <summary>Starts the job; a second call with the same spec is a no-op, with another an error.</summary>
    Task<TrainingJobStatus> StartAsync(TrainingJobSpec spec, CancellationToken cancellationToken = default);

    [AlwaysInterleave]
    Task<TrainingJobStatus> GetStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>Wakes the job after a restart (the reminder calls it too); harmless when running or finished.</summary>
    Task ResumeAsync(CancellationToken cancellationToken = default);

    /// <summary>Stops the running training after its current epoch and deactivates, as a crash after the last checkpoint would (for tests and operators).</summary>
    Task InterruptAsync(CancellationToken cancellationToken = default);
}
