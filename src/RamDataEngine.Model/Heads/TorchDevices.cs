using TorchSharp;

namespace RamDataEngine.Model.Heads;

/// <summary>Maps <see cref="ComputeDevice"/> to a torch device, failing clearly where CUDA is not there.</summary>
internal static class TorchDevices
{
    public static torch.Device Resolve(ComputeDevice device)
    {
        if (device == ComputeDevice.Cpu) return torch.CPU;
        if (!torch.cuda.is_available())
        {
            throw new InvalidOperationException(
                "The tag head is configured for CUDA but TorchSharp finds no CUDA device: this build references libtorch-cpu. " +
                "Build with TorchSharp-cuda-linux (or libtorch-cuda-*) where a full NuGet feed is reached and run on a GPU machine, or set Device to Cpu.");
        }

        return torch.CUDA;
    }
}
