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

    /// <summary>Encoders (ONNX sessions) per device; 0 = one per core for the CPU, one per GPU. Each runs one call at a time.</summary>
    [Range(0, 256)]
    public int Encoders { get; set; }

    /// <summary>Images encoded per call (decoded images held at once).</summary>
    [Range(1, 4096)]
    public int BatchSize { get; set; } = 32;

    /// <summary>Region embeddings: feature-map cells (default, free) or crops (one pass per region).</summary>
    public RegionMode Regions { get; set; } = RegionMode.FeatureMapGrid;

    /// <summary>Limits checked on each image's header before decoding.</summary>
    public ImageDecodeOptions Decode { get; set; } = new();
}

/// <summary>
/// The silo's image encoders: per device a small pool, created on first use and shared by every featurize task on the
/// silo. An encoder runs one call at a time (it reuses its buffers), so a task rents one around each call; with one
/// encoder per core, featurize tasks on a CPU silo encode in parallel instead of queueing on one ONNX session.
/// </summary>
public sealed class EncoderProvider(IOptions<FeaturizeOptions> options) : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ComputeDevice, Pool> _pools = [];

    public FeaturizeOptions Options => options.Value;

    /// <summary>Encoders kept for <paramref name="device"/>: <see cref="FeaturizeOptions.Encoders"/>, else one per core on the CPU and one on a GPU.</summary>
    public int PoolSize(ComputeDevice device)
        => Options.Encoders > 0 ? Options.Encoders : device == ComputeDevice.Cpu ? Environment.ProcessorCount : 1;

    /// <summary>
    /// An encoder of <paramref name="device"/> for one call (or a few in a row), waiting while all are busy; creating the
    /// first ones costs ~1 s each (loading the ONNX model). Dispose the lease to hand it back.
    /// </summary>
    public async Task<Lease> RentAsync(ComputeDevice device, CancellationToken cancellationToken)
    {
        var pool = PoolOf(device);
        await pool.Slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var encoder = pool.Idle.TryPop(out var idle) ? idle : pool.Create();
            return new Lease(pool, encoder);
        }
        catch
        {
            pool.Slots.Release();
            throw;
        }
    }

    /// <summary>The first encoder of <paramref name="device"/> (created if needed), for its id, dimension and regions, or for benchmarks.</summary>
    public IImageEncoder Describe(ComputeDevice device) => PoolOf(device).First();

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var pool in _pools.Values) pool.Dispose();
            _pools.Clear();
        }
    }

    private Pool PoolOf(ComputeDevice device)
    {
        lock (_gate)
        {
            if (!_pools.TryGetValue(device, out var pool))
            {
                var settings = new OnnxResNet18EncoderOptions { Threads = Options.Threads, Device = device, Regions = Options.Regions };
                pool = new Pool(PoolSize(device), () => new OnnxResNet18Encoder(settings));
                _pools[device] = pool;
            }

            return pool;
        }
    }

    /// <summary>A rented encoder; disposing it returns the encoder to its pool.</summary>
    public sealed class Lease : IDisposable
    {
        private Pool? _pool;

        internal Lease(Pool pool, IImageEncoder encoder)
        {
            _pool = pool;
            Encoder = encoder;
        }

        public IImageEncoder Encoder { get; }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _pool, null) is not { } pool) return;
            pool.Idle.Push(Encoder);
            pool.Slots.Release();
        }
    }

    internal sealed class Pool(int size, Func<IImageEncoder> factory) : IDisposable
    {
        private readonly List<IImageEncoder> _all = [];

        public SemaphoreSlim Slots { get; } = new(size, size);

        public System.Collections.Concurrent.ConcurrentStack<IImageEncoder> Idle { get; } = new();

        /// <summary>A new encoder, kept for disposal; called with a slot held, so at most <c>size</c> exist.</summary>
        public IImageEncoder Create()
        {
            var encoder = factory();
            lock (_all) _all.Add(encoder);
            return encoder;
        }

        /// <summary>Some encoder of the pool, made (and left idle) when none exists yet.</summary>
        public IImageEncoder First()
        {
            lock (_all)
            {
                if (_all.Count > 0) return _all[0];
            }

            // Made outside the lock (it loads the model); a rare race makes one encoder more than needed, still pooled.
            var encoder = Create();
            Idle.Push(encoder);
            return encoder;
        }

        public void Dispose()
        {
            lock (_all)
            {
                foreach (var encoder in _all) encoder.Dispose();
                _all.Clear();
            }
        }
    }
}
