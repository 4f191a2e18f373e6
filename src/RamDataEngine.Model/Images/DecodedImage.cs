namespace RamDataEngine.Model.Images;

/// <summary>A decoded image: RGBA8888 pixels (premultiplied, row-major, no padding).</summary>
public sealed class DecodedImage
{
    /// <summary>Wraps <paramref name="rgba"/> (width x height x 4 bytes) without copying.</summary>
    public DecodedImage(int width, int height, byte[] rgba)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(rgba);
        if (rgba.Length != (long)width * height * 4)
        {
            throw new ArgumentException($"A {width}x{height} RGBA image needs {(long)width * height * 4} bytes, got {rgba.Length}.", nameof(rgba));
        }

        Width = width;
        Height = height;
        Rgba = rgba;
    }

    public int Width { get; }

    public int Height { get; }

    public byte[] Rgba { get; }
}
