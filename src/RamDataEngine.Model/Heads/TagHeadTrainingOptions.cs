using System.ComponentModel.DataAnnotations;

namespace RamDataEngine.Model.Heads;

/// <summary>Hyperparameters of tag head training (saved in checkpoints and meant for the model registry).</summary>
public sealed record TagHeadTrainingOptions
{
    /// <summary>The MLP head is the default: on real features it measured at least as well as the query head at a fraction of the cost (docs/model.md).</summary>
    public TagHeadKind Kind { get; init; } = TagHeadKind.Mlp;

    /// <summary>MLP hidden width, or the query head's model width; null = 256 for the MLP, 128 for the query head.</summary>
    [Range(1, 65536)]
    public int? HiddenSize { get; init; }

    [Range(1, 64)]
    public int AttentionHeads { get; init; } = 4;

    public bool FeedForward { get; init; }

    [Range(1, 100000)]
    public int MaxEpochs { get; init; } = 30;

    [Range(1, 1 << 20)]
    public int BatchSize { get; init; } = 64;

    /// <summary>AdamW learning rate.</summary>
    [Range(1e-9, 10)]
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>AdamW decoupled weight decay.</summary>
    [Range(0, 10)]
    public double WeightDecay { get; init; } = 0.05;

    /// <summary>Share of rows held out (a seeded random split) to measure mAP for early stopping; 0 trains on everything for <see cref="MaxEpochs"/>.</summary>
    [Range(0, 0.9)]
    public double ValidationFraction { get; init; } = 0.1;

    /// <summary>Epochs without a validation mAP improvement before stopping.</summary>
    [Range(1, 1000)]
    public int Patience { get; init; } = 3;

    /// <summary>Seeds weight initialisation, the validation split and each epoch's data order.</summary>
    public long Seed { get; init; } = 42;

    /// <summary>
    /// Torch CPU threads (process-wide in libtorch); 0 leaves libtorch's default (one per core). 1 by default: these
    /// heads are small, and on a shared 2-core machine 2 threads measured 2-10x slower than 1 (docs/model.md).
    /// </summary>
    [Range(0, 1024)]
    public int Threads { get; init; } = 1;

    /// <summary><see cref="ComputeDevice.Cuda"/> runs on the GPU where TorchSharp has a CUDA backend; same code path.</summary>
    public ComputeDevice Device { get; init; } = ComputeDevice.Cpu;

    public AsymmetricLossOptions Loss { get; init; } = new();

    internal int EffectiveHiddenSize => HiddenSize ?? (Kind == TagHeadKind.Query ? 128 : 256);

    internal void Validate()
    {
        if (MaxEpochs < 1) throw new ArgumentException($"MaxEpochs must be at least 1, got {MaxEpochs}.");
        if (BatchSize < 1) throw new ArgumentException($"BatchSize must be at least 1, got {BatchSize}.");
        if (LearningRate <= 0) throw new ArgumentException($"LearningRate must be positive, got {LearningRate}.");
        if (ValidationFraction is < 0 or >= 1) throw new ArgumentException($"ValidationFraction must be in [0, 1), got {ValidationFraction}.");
        if (Patience < 1) throw new ArgumentException($"Patience must be at least 1, got {Patience}.");
    }
}
