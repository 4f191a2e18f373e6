namespace RamDataEngine.Core.Images;

/// <summary>Size limits an image must pass before it is decoded; they stop decompression bombs and oversized inputs.</summary>
public sealed class ImageLimits
{
    /// <summary>The defaults: 50 MiB encoded, 50 megapixels, 20,000 pixels on the longer side.</summary>
    public static ImageLimits Default { get; } = new();

    /// <summary>Largest encoded size accepted, in bytes.</summary>
    public long MaxBytes { get; init; } = 50L * 1024 * 1024;

    /// <summary>Largest width x height accepted; checked from the header before any pixel is decoded.</summary>
    public long MaxPixels { get; init; } = 50_000_000;

    /// <summary>Largest width or height accepted, in pixels.</summary>
    public int MaxSide { get; init; } = 20_000;

    /// <summary>Throws when a limit is not positive.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBytes, 1, nameof(MaxBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPixels, 1, nameof(MaxPixels));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxSide, 1, nameof(MaxSide));
    }
}
