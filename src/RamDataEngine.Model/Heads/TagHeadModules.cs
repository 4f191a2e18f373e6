using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace RamDataEngine.Model.Heads;

/// <summary>Builds the torch module of a <see cref="TagHeadConfig"/>: input [n, tokens, dimension], output logits [n, tags].</summary>
internal static class TagHeadModules
{
    public static Module<Tensor, Tensor> Create(TagHeadConfig config)
    {
        config.Validate();
        return config.Kind switch
        {
            TagHeadKind.Linear or TagHeadKind.Mlp => new GlobalTagHead(config),
            TagHeadKind.Query => new QueryTagHead(config),
            _ => throw new ArgumentOutOfRangeException(nameof(config), $"Unknown head kind {config.Kind}."),
        };
    }
}

/// <summary>Linear or one-hidden-layer head over the global embedding (token 0).</summary>
internal sealed class GlobalTagHead : Module<Tensor, Tensor>
{
    private readonly LayerNorm norm;
    private readonly Linear? hidden;
    private readonly Linear output;

    public GlobalTagHead(TagHeadConfig config)
        : base("global_tag_head")
    {
        norm = LayerNorm(config.Dimension);
        if (config.Kind == TagHeadKind.Mlp)
        {
            hidden = Linear(config.Dimension, config.HiddenSize);
            output = Linear(config.HiddenSize, config.TagCount);
        }
        else
        {
            output = Linear(config.Dimension, config.TagCount);
        }

        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        var h = norm.forward(input.select(1, 0));
        if (hidden is not null) h = functional.gelu(hidden.forward(h));
        return output.forward(h).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// RAM-style head: learned tag queries attend (multi-head) over the projected global + region tokens; each tag's
/// attended vector, after a residual and layer norm, gives its logit through a per-tag linear map.
/// Queries do not attend to each other (no self-attention), which keeps the cost linear in the number of tags.
/// </summary>
internal sealed class QueryTagHead : Module<Tensor, Tensor>
{
    private readonly LayerNorm input_norm;
    private readonly Linear key;
    private readonly Linear value;
    private readonly Parameter position;
    private readonly Parameter queries;
    private readonly LayerNorm attention_norm;
    private readonly Linear? ffn_in;
    private readonly Linear? ffn_out;
    private readonly LayerNorm? ffn_norm;
    private readonly Parameter class_weight;
    private readonly Parameter class_bias;
    private readonly Scalar attention_scale; // held for the module's life: see TorchOps on implicit scalars
    private readonly int heads;
    private readonly int width;

    public QueryTagHead(TagHeadConfig config)
        : base("query_tag_head")
    {
        width = config.HiddenSize;
        heads = config.AttentionHeads;
        input_norm = LayerNorm(config.Dimension);
        key = Linear(config.Dimension, width);
        value = Linear(config.Dimension, width);
        using var initScale = 0.02.ToScalar();
        position = Parameter(randn(config.TokenCount, width).mul_(initScale));
        queries = Parameter(randn(config.TagCount, width).mul_(initScale));
        attention_norm = LayerNorm(width);
        if (config.FeedForward)
        {
            ffn_in = Linear(width, 2 * width);
            ffn_out = Linear(2 * width, width);
            ffn_norm = LayerNorm(width);
        }

        using var range = (2 / Math.Sqrt(width)).ToScalar();
        using var offset = (-1 / Math.Sqrt(width)).ToScalar();
        class_weight = Parameter(rand(config.TagCount, width).mul_(range).add_(offset, TorchOps.One));
        attention_scale = (1 / Math.Sqrt(width / heads)).ToScalar();
        class_bias = Parameter(zeros(config.TagCount));
        RegisterComponents();
    }

    public override Tensor forward(Tensor input)
    {
        using var scope = NewDisposeScope();
        long n = input.shape[0], tokens = input.shape[1], tags = queries.shape[0];
        long headWidth = width / heads;
        var x = input_norm.forward(input);
        var k = key.forward(x).Plus(position);                                 // [n, L, w]
        var v = value.forward(x);                                            // [n, L, w]
        var q = queries.view(tags, heads, headWidth).permute(1, 0, 2);       // [h, T, hw]
        var kh = k.view(n, tokens, heads, headWidth).permute(0, 2, 3, 1);    // [n, h, hw, L]
        var vh = v.view(n, tokens, heads, headWidth).permute(0, 2, 1, 3);    // [n, h, L, hw]
        var attention = functional.softmax(matmul(q.unsqueeze(0), kh).mul_(attention_scale), -1); // [n, h, T, L]
        var attended = matmul(attention, vh).permute(0, 2, 1, 3).reshape(n, tags, width);       // [n, T, w]
        var o = attention_norm.forward(attended.Plus(queries));
        if (ffn_in is not null) o = ffn_norm!.forward(o.Plus(ffn_out!.forward(functional.gelu(ffn_in.forward(o)))));
        return o.mul(class_weight).sum(-1).Plus(class_bias).MoveToOuterDisposeScope();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) attention_scale.Dispose();
        base.Dispose(disposing);
    }
}
