using RamDataEngine.Model.Images;

namespace RamDataEngine.Model.Encoders;

/// <summary>Turns decoded images into a global embedding plus region embeddings per image. Encoders are pluggable.</summary>
public interface IImageEncoder : IDisposable
{
    /// <summary>Identifies the encoder and its configuration (what produced a features layer); features of different ids do not mix.</summary>
    string Id { get; }

    /// <summary>Floats per embedding.</summary>
    int Dimension { get; }

    /// <summary>Region embeddings per image (besides the global one).</summary>
    int RegionCount { get; }

    /// <summary>The shorter side an image needs to be decoded at (a hint to <see cref="ImageDecoder.Decode"/>).</summary>
    int PreferredDecodeSide { get; }

    /// <summary>Encodes <paramref name="images"/> into <paramref name="destination"/> starting at image <paramref name="offset"/>.</summary>
    void Encode(IReadOnlyList<DecodedImage> images, ImageFeatures destination, int offset, CancellationToken cancellationToken = default);
}

/// <summary>Convenience overloads for <see cref="IImageEncoder"/>.</summary>
public static class ImageEncoderExtensions
{
    /// <summary>Encodes <paramref name="images"/> into a new <see cref="ImageFeatures"/>.</summary>
    public static ImageFeatures Encode(this IImageEncoder encoder, IReadOnlyList<DecodedImage> images, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(images);
        var features = new ImageFeatures(images.Count, encoder.RegionCount, encoder.Dimension);
        encoder.Encode(images, features, 0, cancellationToken);
        return features;
    }
}
