using RamDataEngine.Core.Evaluation;
using TorchSharp;
using static TorchSharp.torch;

namespace RamDataEngine.Model.Heads;

/// <summary>A trained tag head: scores image features into per-tag probabilities; saves to and loads from a stream.</summary>
public sealed class TagHead : IDisposable
{
    internal const string Magic = "RAMTAGHEAD";
    private readonly nn.Module<Tensor, Tensor> _module;
    private readonly Device _device;

    internal TagHead(TagHeadConfig config, nn.Module<Tensor, Tensor> module, Device device)
    {
        Config = config;
        _module = module;
        _device = device;
        _module.eval();
    }

    public TagHeadConfig Config { get; }

    internal nn.Module<Tensor, Tensor> Module => _module;

    public int TagCount => Config.TagCount;

    /// <summary>Sigmoid probabilities [images, tags] for <paramref name="features"/>, computed in batches.</summary>
    public ScoreMatrix Score(ImageFeatures features, int batchSize = 256, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        CheckFeatures(Config, features);
        var scores = new float[(long)features.Count * Config.TagCount];
        using var _ = no_grad();
        for (int start = 0; start < features.Count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(batchSize, features.Count - start);
            using var scope = NewDisposeScope();
            var batch = features.Values.AsSpan(start * features.Stride, count * features.Stride);
            var input = tensor(batch.ToArray(), [count, features.TokenCount, features.Dimension]).to(_device);
            var probabilities = sigmoid(_module.forward(input)).cpu();
            probabilities.data<float>().CopyTo(scores.AsSpan(start * Config.TagCount, count * Config.TagCount));
        }

        return new ScoreMatrix(features.Count, Config.TagCount, scores);
    }

    /// <summary>Writes the architecture and weights (not the optimizer): what a model registry stores.</summary>
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        TagHeadSerializer.WriteHeader(writer, Magic, Config);
        _module.save(writer);
        writer.Flush();
    }

    /// <summary>Reads a head written by <see cref="Save"/>.</summary>
    public static TagHead Load(Stream stream, ComputeDevice device = ComputeDevice.Cpu)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var torchDevice = TorchDevices.Resolve(device);
        using var reader = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        var config = TagHeadSerializer.ReadHeader<TagHeadConfig>(reader, Magic, "tag head file");
        var module = TagHeadModules.Create(config);
        module.load(reader);
        module.to(torchDevice);
        return new TagHead(config, module, torchDevice);
    }

    public void Dispose() => _module.Dispose();

    internal static void CheckFeatures(TagHeadConfig config, ImageFeatures features)
    {
        if (features.Dimension != config.Dimension || features.TokenCount != config.TokenCount)
        {
            throw new ArgumentException(
                $"The head reads {config.TokenCount} tokens x {config.Dimension} floats{(config.EncoderId is null ? string.Empty : $" ({config.EncoderId})")}, " +
                $"but the features have {features.TokenCount} x {features.Dimension}.",
                nameof(features));
        }
    }
}
