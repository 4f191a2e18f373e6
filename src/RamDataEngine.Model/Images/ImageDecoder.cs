using SkiaSharp;

namespace RamDataEngine.Model.Images;

/// <summary>Decodes encoded images (JPEG, PNG, WebP, GIF, BMP...) with SkiaSharp after checking size limits on the header.</summary>
public sealed class ImageDecoder
{
    private static readonly float[] Scales = [0.125f, 0.25f, 0.5f];
    private readonly ImageDecodeOptions _options;

    public ImageDecoder(ImageDecodeOptions? options = null)
    {
        _options = options ?? new ImageDecodeOptions();
    }

    /// <summary>
    /// Decodes <paramref name="encoded"/>. When <paramref name="minimumSide"/> is given, codecs that can (JPEG) decode at
    /// the smallest of 1/8, 1/4, 1/2 scale whose shorter side still reaches it: the encoder only needs 224 pixels.
    /// </summary>
    /// <exception cref="ImageDecodeException">The image is empty, over a limit, of an unknown format or corrupt.</exception>
    public DecodedImage Decode(ReadOnlySpan<byte> encoded, int minimumSide = 0)
    {
        if (encoded.IsEmpty) throw new ImageDecodeException(ImageRejection.Empty, "The image is empty (0 bytes).");
        if (encoded.Length > _options.MaxEncodedBytes)
        {
            throw new ImageDecodeException(ImageRejection.TooManyBytes, $"The image is {encoded.Length} bytes, over the limit of {_options.MaxEncodedBytes}.");
        }

        using var data = SKData.CreateCopy(encoded);
        using var codec = SKCodec.Create(data)
            ?? throw new ImageDecodeException(ImageRejection.UnknownFormat, $"Not a recognised image format (first bytes {Convert.ToHexString(encoded[..Math.Min(8, encoded.Length)])}).");
        var info = codec.Info;
        long pixels = (long)info.Width * info.Height;
        if (info.Width <= 0 || info.Height <= 0) throw new ImageDecodeException(ImageRejection.Corrupt, $"The header declares a {info.Width}x{info.Height} image.");
        if (pixels > _options.MaxPixels || info.Width > _options.MaxSide || info.Height > _options.MaxSide)
        {
            throw new ImageDecodeException(
                ImageRejection.TooManyPixels,
                $"The header declares {info.Width}x{info.Height} pixels, over the limits of {_options.MaxPixels} pixels and {_options.MaxSide} per side.");
        }

        var size = new SKSizeI(info.Width, info.Height);
        if (minimumSide > 0)
        {
            foreach (var scale in Scales)
            {
                var scaled = codec.GetScaledDimensions(scale);
                if (Math.Min(scaled.Width, scaled.Height) >= minimumSide && scaled.Width < size.Width)
                {
                    size = scaled;
                    break;
                }
            }
        }

        var target = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var rgba = new byte[target.BytesSize];
        var result = codec.GetPixels(target, rgba);
        if (result == SKCodecResult.Success || (result == SKCodecResult.IncompleteInput && _options.AcceptIncomplete))
        {
            return new DecodedImage(size.Width, size.Height, rgba);
        }

        throw new ImageDecodeException(ImageRejection.Corrupt, $"The {info.Width}x{info.Height} image failed to decode: {result}.");
    }
}
