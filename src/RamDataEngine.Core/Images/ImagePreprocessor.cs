using System.Buffers;
using SkiaSharp;

namespace RamDataEngine.Core.Images;

/// <summary>
/// Turns encoded image bytes into a model input: decoded, scaled so the target is covered, center-cropped to the
/// target size, written as planar RGB floats (CHW, values 0..1) into a caller-owned buffer.
/// </summary>
public static class ImagePreprocessor
{
    /// <summary>
    /// Decodes <paramref name="encoded"/> into <paramref name="destination"/> (length 3 x <paramref name="width"/> x
    /// <paramref name="height"/>: all red values, then green, then blue). Transparent pixels become black; EXIF rotation
    /// is not applied. Returns the inspection of the source; on rejection the destination is left unspecified.
    /// </summary>
    public static unsafe ImageInspection DecodeToChw(ReadOnlySpan<byte> encoded, int width, int height, Span<float> destination, ImageLimits? limits = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        var plane = checked(width * height);
        if (destination.Length != 3 * plane)
        {
            throw new ArgumentException($"The destination holds {destination.Length} floats; a {width}x{height} CHW RGB image needs {3 * plane}.", nameof(destination));
        }

        limits ??= ImageLimits.Default;
        var early = ImageInspector.CheckBeforeCodec(encoded, limits, out var format);
        if (early is { } rejected) return rejected;

        fixed (byte* source = encoded)
        {
            using var codec = ImageInspector.OpenCodec(source, encoded.Length, format, out var failure);
            if (codec is null) return failure;
            var size = ImageInspector.CheckSize(codec, format, limits);
            if (!size.IsOk) return size;

            // JPEG and WebP decode straight to a smaller size (DCT scaling) when that still covers the target:
            // much less work than decoding full size and shrinking afterwards.
            var cover = Math.Max((float)width / size.Width, (float)height / size.Height);
            var decodeSize = new SKSizeI(size.Width, size.Height);
            if (cover < 1f)
            {
                var scaled = codec.GetScaledDimensions(cover);
                if (scaled.Width >= MathF.Ceiling(size.Width * cover) && scaled.Height >= MathF.Ceiling(size.Height * cover)) decodeSize = scaled;
            }

            var decodeInfo = new SKImageInfo(decodeSize.Width, decodeSize.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
            var decoded = ArrayPool<byte>.Shared.Rent(checked((int)decodeInfo.BytesSize64));
            var target = ArrayPool<byte>.Shared.Rent(plane * 4);
            try
            {
                fixed (byte* decodedPointer = decoded)
                fixed (byte* targetPointer = target)
                {
                    var result = codec.GetPixels(decodeInfo, (IntPtr)decodedPointer);
                    if (result != SKCodecResult.Success) return ImageInspector.FromDecodeResult(result, format, size.Width, size.Height);

                    using var full = new SKPixmap(decodeInfo, (IntPtr)decodedPointer, decodeInfo.RowBytes);
                    using var crop = new SKPixmap();
                    if (!full.ExtractSubset(crop, CenterCrop(decodeSize.Width, decodeSize.Height, width, height)))
                    {
                        throw new InvalidOperationException("The center crop is outside the decoded image.");
                    }

                    var targetInfo = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
                    using var scaled = new SKPixmap(targetInfo, (IntPtr)targetPointer, targetInfo.RowBytes);
                    if (!crop.ScalePixels(scaled, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)))
                    {
                        throw new InvalidOperationException($"Skia could not scale {crop.Width}x{crop.Height} to {width}x{height}.");
                    }
                }

                WriteChw(target.AsSpan(0, plane * 4), destination, plane);
                return size;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(decoded);
                ArrayPool<byte>.Shared.Return(target);
            }
        }
    }

    /// <summary>The largest centered rectangle of <paramref name="width"/>:<paramref name="height"/> aspect inside the source.</summary>
    internal static SKRectI CenterCrop(int sourceWidth, int sourceHeight, int width, int height)
    {
        // Compare aspect ratios in integers: w/h > W/H  <=>  w*H > W*h.
        int cropWidth, cropHeight;
        if ((long)sourceWidth * height > (long)width * sourceHeight)
        {
            cropHeight = sourceHeight;
            cropWidth = Math.Max(1, (int)Math.Round((double)sourceHeight * width / height));
        }
        else
        {
            cropWidth = sourceWidth;
            cropHeight = Math.Max(1, (int)Math.Round((double)sourceWidth * height / width));
        }

        var left = (sourceWidth - cropWidth) / 2;
        var top = (sourceHeight - cropHeight) / 2;
        return new SKRectI(left, top, left + cropWidth, top + cropHeight);
    }

    private static void WriteChw(ReadOnlySpan<byte> rgba, Span<float> destination, int plane)
    {
        const float Scale = 1f / 255f;
        var red = destination[..plane];
        var green = destination.Slice(plane, plane);
        var blue = destination.Slice(2 * plane, plane);
        for (var i = 0; i < plane; i++)
        {
            var pixel = rgba.Slice(i * 4, 4);
            red[i] = pixel[0] * Scale;
            green[i] = pixel[1] * Scale;
            blue[i] = pixel[2] * Scale;
        }
    }
}
