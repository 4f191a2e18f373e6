using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using RamDataEngine.Model;
using RamDataEngine.Model.Encoders;
using RamDataEngine.Model.Images;

namespace RamDataEngine.Grains.Models;

/// <summary>Featurize settings of a silo: section <c>Ram:Featurize</c>.</summary>
public sealed class FeaturizeOptions
{
    public const string SectionName = "Ram:Featurize";

    /// <summary>ONNX Runtime intra-op threads of the silo's encoder; 0 = one per core.</summary>
    [Range(0, 1024)]
    public int Threads { get; set; } = 1;

    /// <summary>Images encoded per call (decoded images held at once).</summary>
    [Range(1, 4096)]
    public int BatchSize { get; set; } = 32;

    /// <summary>Region embeddings: feature-map cells (default, free) or crops (one pass per region).</summary>
    public RegionMode Regions { get; set; } = RegionMode.FeatureMapGrid;

    /// <summary>Limits checked on each image's header before decoding.</summary>
    public ImageDecodeOptions Decode { get; set; } = new();
}

/// <summary>
/// The silo's image encoders, created once per device and shared by every featurize task on the silo. An encoder
/// runs one call at a time (its buffers are reused), so callers take <see cref="Lease"/> around each call.
/// </summary>
public sealed class EncoderProvider(IOptions<FeaturizeOptions> options) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ComputeDevice, Entry> _encoders = [];

    public FeaturizeOptions Options => options.Value;

    /// <summary>The encoder for <paramref name="device"/>, created on first use (loading the ONNX model costs ~1 s).</summary>
    public Entry Get(ComputeDevice device)
    {
        lock (_gate)
        {
            if (_encoders.TryGetValue(device, out var entry)) return entry;
            var encoder = new OnnxResNet18Encoder(new OnnxResNet18EncoderOptions { Threads = Options.Threads, Device = device, Regions = Options.Regions });
            entry = new Entry(encoder);
            _encoders[device] = entry;
            return entry;
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var entry in _encoders.Values) entry.Encoder.Dispose();
            _encoders.Clear();
        }
    }

    /// <summary>One encoder and the semaphore serialising its calls.</summary>
    public sealed class Entry(IImageEncoder encoder)
    {
        public IImageEncoder Encoder { get; } = encoder;

        public SemaphoreSlim Lease { get; } = new(1, 1);
    }
}
