using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using RamDataEngine.Model.Images;
using SkiaSharp;

namespace RamDataEngine.Model.Encoders;

/// <summary>
/// The default encoder: the ImageNet-pretrained ResNet18 shipped as ONNX by Microsoft.ML.DnnImageFeaturizer.ResNet18,
/// run by ONNX Runtime. An image is squashed (not cropped) to 224x224 so every object stays in view, converted to BGR
/// minus the package's mean image (what ResNetPreprocess.onnx does), and encoded to a 512-d global embedding; regions
/// come from the same pass's 7x7 feature map or from extra crop passes (<see cref="RegionMode"/>).
/// The model's batch is fixed at 1. One call runs at a time per instance (calls are serialised): make one per worker.
/// </summary>
public sealed class OnnxResNet18Encoder : IImageEncoder
{
    /// <summary>Side of the square input.</summary>
    public const int InputSize = 224;

    private const int Pixels = InputSize * InputSize;
    private const string CudaProvider = "CUDAExecutionProvider";
    private static readonly SKSamplingOptions Bilinear = new(SKFilterMode.Linear, SKMipmapMode.None);
    private static readonly SKSamplingOptions Mipmapped = new(SKFilterMode.Linear, SKMipmapMode.Linear);

    private readonly Lock _gate = new();
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly float[] _mean;
    private readonly float[] _input = new float[3 * Pixels];
    private readonly byte[] _scaled = new byte[Pixels * 4];
    private readonly float[] _global;
    private readonly float[]? _map;
    private readonly int _mapSide;
    private readonly OrtValue[] _inputValues;
    private readonly OrtValue[] _outputValues;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly RegionMode _regionMode;
    private readonly int _grid;

    public OnnxResNet18Encoder(OnnxResNet18EncoderOptions? options = null)
    {
        options ??= new OnnxResNet18EncoderOptions();
        if (options.RegionGrid is < 1 or > 7) throw new ArgumentOutOfRangeException(nameof(options), $"RegionGrid must be 1..7, got {options.RegionGrid}.");
        var directory = options.ModelDirectory ?? Path.Combine(AppContext.BaseDirectory, "DnnImageModels");
        var modelPath = Path.Combine(directory, "ResNet18Onnx", "ResNet18.onnx");
        var preprocessPath = Path.Combine(directory, "ResNetPrepOnnx", "ResNetPreprocess.onnx");
        foreach (var path in new[] { modelPath, preprocessPath })
        {
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"ResNet18 ONNX file not found at {path}: reference RamDataEngine.Model (it copies DnnImageModels/ to the output) or set ModelDirectory.", path);
            }
        }

        _regionMode = options.Regions;
        _grid = options.RegionGrid;
        _mean = ReadMeanImage(preprocessPath);

        var model = File.ReadAllBytes(modelPath);
        using var sessionOptions = CreateSessionOptions(options);
        string globalName;
        string? mapName = null;
        using (var probe = new InferenceSession(model, sessionOptions))
        {
            _inputNames = [probe.InputMetadata.Keys.Single()];
            globalName = probe.OutputMetadata.Keys.Single();
        }

        if (_regionMode == RegionMode.FeatureMapGrid) (model, mapName) = OnnxGraphEditor.ExposeProducerInput(model, globalName);
        _session = new InferenceSession(model, sessionOptions);

        _outputNames = mapName is null ? [globalName] : [globalName, mapName];
        _global = new float[Dimension];
        var inputValue = OrtValue.CreateTensorValueFromMemory(_input, [1, 3, InputSize, InputSize]);
        _inputValues = [inputValue];
        if (mapName is not null)
        {
            // The map's shape is not declared in the edited graph: learn it from one run.
            using var outputs = _session.Run(_runOptions, _inputNames, _inputValues, [mapName]);
            var shape = outputs[0].GetTensorTypeAndShape().Shape;
            if (shape is not [1, 512, var h, var w] || h != w) throw new InvalidDataException($"Unexpected feature map shape [{string.Join(", ", shape)}] for '{mapName}'.");
            _mapSide = (int)h;
            _map = new float[512 * _mapSide * _mapSide];
            _outputValues = [OrtValue.CreateTensorValueFromMemory(_global, [1, 512, 1, 1]), OrtValue.CreateTensorValueFromMemory(_map, [1, 512, h, w])];
        }
        else
        {
            _outputValues = [OrtValue.CreateTensorValueFromMemory(_global, [1, 512, 1, 1])];
        }

        Id = $"resnet18-onnx/{(_regionMode == RegionMode.FeatureMapGrid ? "fmap" : "crops")}-{_grid}x{_grid}";
    }

    public string Id { get; }

    public int Dimension => 512;

    public int RegionCount => _grid * _grid;

    /// <summary>Crops need the image at twice the crop grid's resolution to give each crop its 224 pixels.</summary>
    public int PreferredDecodeSide => _regionMode == RegionMode.CropGrid ? InputSize * _grid : InputSize;

    public void Encode(IReadOnlyList<DecodedImage> images, ImageFeatures destination, int offset, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Dimension != Dimension || destination.RegionCount != RegionCount)
        {
            throw new ArgumentException($"Destination holds {destination.RegionCount} regions x {destination.Dimension} floats; {Id} makes {RegionCount} x {Dimension}.", nameof(destination));
        }

        if (offset < 0 || offset + images.Count > destination.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"Images {offset}..{offset + images.Count} do not fit a destination of {destination.Count}.");
        }

        lock (_gate)
        {
            for (int i = 0; i < images.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var image = images[i] ?? throw new ArgumentException($"Image {i} is null.", nameof(images));
                int row = offset + i;
                Run(image, new SKRectI(0, 0, image.Width, image.Height));
                _global.CopyTo(destination.Global(row));
                if (_regionMode == RegionMode.FeatureMapGrid)
                {
                    PoolMap(destination, row);
                    continue;
                }

                for (int gy = 0; gy < _grid; gy++)
                {
                    for (int gx = 0; gx < _grid; gx++)
                    {
                        var cell = new SKRectI(
                            image.Width * gx / _grid,
                            image.Height * gy / _grid,
                            Math.Max(image.Width * (gx + 1) / _grid, (image.Width * gx / _grid) + 1),
                            Math.Max(image.Height * (gy + 1) / _grid, (image.Height * gy / _grid) + 1));
                        Run(image, cell);
                        _global.CopyTo(destination.Region(row, (gy * _grid) + gx));
                    }
                }
            }
        }
    }

    public void Dispose()
    {
        foreach (var value in _inputValues) value.Dispose();
        foreach (var value in _outputValues) value.Dispose();
        _session.Dispose();
        _runOptions.Dispose();
    }

    /// <summary>The normalisation of ResNetPreprocess.onnx applied to an RGB planar 0..255 input: BGR order minus the mean image.</summary>
    internal void NormalizeRgbPlanar(ReadOnlySpan<float> rgb, Span<float> destination)
    {
        for (int p = 0; p < Pixels; p++)
        {
            destination[p] = rgb[(2 * Pixels) + p] - _mean[p];
            destination[Pixels + p] = rgb[Pixels + p] - _mean[Pixels + p];
            destination[(2 * Pixels) + p] = rgb[p] - _mean[(2 * Pixels) + p];
        }
    }

    /// <summary>Encodes one already-normalised input (for tests and the raw-throughput baseline).</summary>
    internal ReadOnlySpan<float> RunNormalized(ReadOnlySpan<float> input)
    {
        lock (_gate)
        {
            input.CopyTo(_input);
            _session.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);
            return _global.ToArray();
        }
    }

    private void Run(DecodedImage image, SKRectI rect)
    {
        Resize(image, rect);
        var mean = _mean.AsSpan();
        var input = _input.AsSpan();
        var scaled = _scaled.AsSpan();
        for (int p = 0; p < Pixels; p++)
        {
            int q = p * 4;
            input[p] = scaled[q + 2] - mean[p];
            input[Pixels + p] = scaled[q + 1] - mean[Pixels + p];
            input[(2 * Pixels) + p] = scaled[q] - mean[(2 * Pixels) + p];
        }

        _session.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);
    }

    private unsafe void Resize(DecodedImage image, SKRectI rect)
    {
        var sourceInfo = new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var targetInfo = new SKImageInfo(InputSize, InputSize, SKColorType.Rgba8888, SKAlphaType.Premul);
        fixed (byte* source = image.Rgba)
        fixed (byte* target = _scaled)
        {
            using var sourcePixmap = new SKPixmap(sourceInfo, (IntPtr)source, sourceInfo.RowBytes);
            using var subset = sourcePixmap.ExtractSubset(rect)
                ?? throw new InvalidOperationException($"Region {rect} is outside the {image.Width}x{image.Height} image.");
            using var targetPixmap = new SKPixmap(targetInfo, (IntPtr)target, targetInfo.RowBytes);
            // Bilinear alone aliases beyond a 2x reduction; mipmaps cost a pyramid per call, so only then.
            var sampling = Math.Max(rect.Width, rect.Height) > 2 * InputSize ? Mipmapped : Bilinear;
            if (!subset.ScalePixels(targetPixmap, sampling))
            {
                throw new InvalidOperationException($"Resizing a {rect.Width}x{rect.Height} region to {InputSize}x{InputSize} failed.");
            }
        }
    }

    /// <summary>Adaptive average pooling (as torch's AdaptiveAvgPool2d) of the feature map into the region grid.</summary>
    private void PoolMap(ImageFeatures destination, int row)
    {
        var map = _map!;
        int side = _mapSide, plane = side * side;
        for (int gy = 0; gy < _grid; gy++)
        {
            int y0 = gy * side / _grid, y1 = (((gy + 1) * side) + _grid - 1) / _grid;
            for (int gx = 0; gx < _grid; gx++)
            {
                int x0 = gx * side / _grid, x1 = (((gx + 1) * side) + _grid - 1) / _grid;
                float scale = 1f / ((y1 - y0) * (x1 - x0));
                var region = destination.Region(row, (gy * _grid) + gx);
                for (int c = 0; c < region.Length; c++)
                {
                    var channel = map.AsSpan(c * plane, plane);
                    float sum = 0;
                    for (int y = y0; y < y1; y++)
                    {
                        for (int x = x0; x < x1; x++) sum += channel[(y * side) + x];
                    }

                    region[c] = sum * scale;
                }
            }
        }
    }

    private static SessionOptions CreateSessionOptions(OnnxResNet18EncoderOptions options)
    {
        var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        sessionOptions.AddSessionConfigEntry("session.intra_op.allow_spinning", options.Spinning ? "1" : "0");
        if (options.Device == ComputeDevice.Cuda)
        {
            var available = OrtEnv.Instance().GetAvailableProviders();
            if (!available.Contains(CudaProvider))
            {
                sessionOptions.Dispose();
                throw new InvalidOperationException(
                    $"The encoder is configured for CUDA but this ONNX Runtime build has no {CudaProvider} (available: {string.Join(", ", available)}). " +
                    "Build with Microsoft.ML.OnnxRuntime.Gpu.Linux instead of Microsoft.ML.OnnxRuntime and run where an NVIDIA GPU and CUDA are present, or set Device to Cpu.");
            }

            try
            {
                sessionOptions.AppendExecutionProvider_CUDA(options.CudaDeviceId);
            }
            catch (Exception ex) when (ex is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
            {
                sessionOptions.Dispose();
                throw new InvalidOperationException($"The CUDA execution provider could not be started on device {options.CudaDeviceId}: {ex.Message}", ex);
            }
        }

        return sessionOptions;
    }

    /// <summary>Runs ResNetPreprocess.onnx on zeros: its output is minus the mean image, in BGR planes.</summary>
    private static float[] ReadMeanImage(string preprocessPath)
    {
        using var options = new SessionOptions { IntraOpNumThreads = 1 };
        using var session = new InferenceSession(preprocessPath, options);
        var zeros = new float[3 * Pixels];
        using var input = OrtValue.CreateTensorValueFromMemory(zeros, [1, 3, InputSize, InputSize]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [session.InputMetadata.Keys.Single()], [input], [session.OutputMetadata.Keys.Single()]);
        var negated = outputs[0].GetTensorDataAsSpan<float>();
        if (negated.Length != 3 * Pixels) throw new InvalidDataException($"ResNetPreprocess.onnx gave {negated.Length} values, expected {3 * Pixels}.");
        var mean = new float[negated.Length];
        for (int i = 0; i < mean.Length; i++) mean[i] = -negated[i];
        return mean;
    }
}
