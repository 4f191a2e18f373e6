using System.ComponentModel.DataAnnotations;

namespace RamDataEngine.Model.Heads;

/// <summary>Which tag head architecture.</summary>
public enum TagHeadKind
{
    /// <summary>A linear layer over the normalised global embedding.</summary>
    Linear,

    /// <summary>One hidden layer (GELU) over the normalised global embedding.</summary>
    Mlp,

    /// <summary>RAM-style: one learned query per tag cross-attends over the global and region embeddings; one logit per tag from its query's output.</summary>
    Query,
}

/// <summary>The architecture of a tag head: saved with its weights so a head file is self-describing.</summary>
public sealed record TagHeadConfig
{
    public TagHeadKind Kind { get; init; } = TagHeadKind.Mlp;

    /// <summary>Tags (outputs), aligned with the vocabulary the head was trained on.</summary>
    [Range(1, int.MaxValue)]
    public int TagCount { get; init; }

    /// <summary>Floats per input embedding.</summary>
    [Range(1, int.MaxValue)]
    public int Dimension { get; init; }

    /// <summary>Input tokens per image: 1 global + the encoder's regions.</summary>
    [Range(1, 1024)]
    public int TokenCount { get; init; } = 1;

    /// <summary>MLP hidden width, or the query head's model width.</summary>
    [Range(1, 65536)]
    public int HiddenSize { get; init; } = 256;

    /// <summary>Attention heads of the query head (must divide <see cref="HiddenSize"/>).</summary>
    [Range(1, 64)]
    public int AttentionHeads { get; init; } = 4;

    /// <summary>Adds a feed-forward block after the query head's attention (costs tags x width^2 per image).</summary>
    public bool FeedForward { get; init; }

    /// <summary>The encoder whose features this head reads (e.g. <c>resnet18-onnx/fmap-2x2</c>); informational.</summary>
    public string? EncoderId { get; init; }

    internal void Validate()
    {
        if (TagCount < 1) throw new ArgumentException($"TagCount must be at least 1, got {TagCount}.");
        if (Dimension < 1) throw new ArgumentException($"Dimension must be at least 1, got {Dimension}.");
        if (TokenCount < 1) throw new ArgumentException($"TokenCount must be at least 1, got {TokenCount}.");
        if (HiddenSize < 1) throw new ArgumentException($"HiddenSize must be at least 1, got {HiddenSize}.");
        if (Kind == TagHeadKind.Query && (AttentionHeads < 1 || HiddenSize % AttentionHeads != 0))
        {
            throw new ArgumentException($"AttentionHeads ({AttentionHeads}) must divide HiddenSize ({HiddenSize}).");
        }
    }
}
