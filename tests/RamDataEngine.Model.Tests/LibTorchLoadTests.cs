using TorchSharp;

namespace RamDataEngine.Model.Tests;

/// <summary>Proves the build-time ELF fix of Directory.Build.targets: libLibTorchSharp.so loads on this libstdc++.</summary>
public sealed class LibTorchLoadTests
{
    [Fact]
    public void Tensor_CreatedAndSummed_GivesExpectedValue()
    {
        using var t = torch.arange(1, 5, dtype: torch.float32);
        using var sum = t.sum();
        Assert.Equal(10f, sum.item<float>());
    }
}
