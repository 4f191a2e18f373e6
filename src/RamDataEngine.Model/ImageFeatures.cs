namespace RamDataEngine.Model;

/// <summary>
/// Features of a batch of images in one array: per image, token 0 is the global embedding and tokens 1..R the region
/// embeddings, each <see cref="Dimension"/> floats (layout [count, 1 + regions, dimension]).
/// </summary>
public sealed class ImageFeatures
{
    /// <summary>Wraps <paramref name="values"/> (or allocates zeros when null) without copying.</summary>
    public ImageFeatures(int count, int regionCount, int dimension, float[]? values = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(regionCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        long length = (long)count * (1 + regionCount) * dimension;
        values ??= new float[length];
        if (values.Length != length)
        {
            throw new ArgumentException($"{count} images x {1 + regionCount} tokens x {dimension} floats = {length}, got {values.Length}.", nameof(values));
        }

        Count = count;
        RegionCount = regionCount;
        Dimension = dimension;
        Values = values;
    }

    public int Count { get; }

    public int RegionCount { get; }

    /// <summary>Global + regions.</summary>
    public int TokenCount => 1 + RegionCount;

    public int Dimension { get; }

    /// <summary>The backing array, [count, tokens, dimension] row-major.</summary>
    public float[] Values { get; }

    /// <summary>Floats per image.</summary>
    public int Stride => TokenCount * Dimension;

    public Span<float> Tokens(int image) => Values.AsSpan(image * Stride, Stride);

    public Span<float> Global(int image) => Values.AsSpan(image * Stride, Dimension);

    public Span<float> Region(int image, int region)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)region, (uint)RegionCount, nameof(region));
        return Values.AsSpan((image * Stride) + ((1 + region) * Dimension), Dimension);
    }

    /// <summary>A copy holding the given images, in the given order.</summary>
    public ImageFeatures Select(ReadOnlySpan<int> images)
    {
        var result = new ImageFeatures(images.Length, RegionCount, Dimension);
        for (int i = 0; i < images.Length; i++) Tokens(images[i]).CopyTo(result.Tokens(i));
        return result;
    }
}
