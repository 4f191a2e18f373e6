using System.ComponentModel.DataAnnotations;

namespace RamDataEngine.Model.Encoders;

/// <summary>How region embeddings are made.</summary>
public enum RegionMode
{
    /// <summary>Cells of the final 7x7 feature map, average-pooled into a grid: free (same forward pass as the global embedding).</summary>
    FeatureMapGrid,

    /// <summary>Image crops on a grid, each resized to 224x224 and encoded on its own: one extra forward pass per region.</summary>
    CropGrid,
}

/// <summary>Options of <see cref="OnnxResNet18Encoder"/>.</summary>
public sealed class OnnxResNet18EncoderOptions
{
    /// <summary>Folder holding ResNet18Onnx/ResNet18.onnx and ResNetPrepOnnx/ResNetPreprocess.onnx; default: DnnImageModels beside the application.</summary>
    public string? ModelDirectory { get; set; }

    /// <summary>ONNX Runtime intra-op threads; 0 = one per core.</summary>
    [Range(0, 1024)]
    public int Threads { get; set; }

    /// <summary>Whether ONNX Runtime's idle intra-op threads spin; spinning wastes a shared core (other stages, other silos' work) for little gain.</summary>
    public bool Spinning { get; set; }

    /// <summary><see cref="ComputeDevice.Cuda"/> selects ONNX Runtime's CUDA provider; it fails clearly where that provider is not in the native package.</summary>
    public ComputeDevice Device { get; set; } = ComputeDevice.Cpu;

    [Range(0, 64)]
    public int CudaDeviceId { get; set; }

    public RegionMode Regions { get; set; } = RegionMode.FeatureMapGrid;

    /// <summary>Regions form a grid of this many cells per side (2 = four quadrants).</summary>
    [Range(1, 7)]
    public int RegionGrid { get; set; } = 2;
}
