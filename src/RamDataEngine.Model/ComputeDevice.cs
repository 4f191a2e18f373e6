namespace RamDataEngine.Model;

/// <summary>Where a model runs. <see cref="Cuda"/> is a configuration switch: it needs CUDA-enabled native packages and a GPU.</summary>
public enum ComputeDevice
{
    Cpu,
    Cuda,
}
