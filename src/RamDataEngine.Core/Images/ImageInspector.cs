using System.Buffers;
using SkiaSharp;

namespace RamDataEngine.Core.Images;

/// <summary>
/// Checks encoded image bytes before they enter a dataset: recognises the format from the header, reads the size
/// without decoding, rejects over-limit images before any pixel buffer exists, then decodes every pixel to prove the
/// data is whole. Thread-safe; one instance can serve every ingest worker.
/// </summary>
public sealed class ImageInspector
{
    // Rows decoded per native call on the scanline path: big enough to amortise the call, small enough to stay in cache.
    private const int ScanlineBatch = 16;

    /// <summary>Creates an inspector enforcing <paramref name="limits"/> (or <see cref="ImageLimits.Default"/>).</summary>
    public ImageInspector(ImageLimits? limits = null)
    {
        Limits = limits ?? ImageLimits.Default;
        Limits.Validate();
    }

    /// <summary>The limits enforced.</summary>
    public ImageLimits Limits { get; }

    /// <summary>Reads format and size from the header only and checks the limits; does not prove the pixel data is whole.</summary>
    public unsafe ImageInspection InspectHeader(ReadOnlySpan<byte> encoded)
    {
        var early = CheckBeforeCodec(encoded, Limits, out var format);
        if (early is { } rejected) return rejected;
        fixed (byte* pointer = encoded)
        {
            using var codec = OpenCodec(pointer, encoded.Length, format, out var failure);
            return codec is null ? failure : CheckSize(codec, format, Limits);
        }
    }

    /// <summary>Full check: header, limits, then a decode of every pixel (truncated or corrupt data is rejected).</summary>
    public unsafe ImageInspection Inspect(ReadOnlySpan<byte> encoded)
    {
        var early = CheckBeforeCodec(encoded, Limits, out var format);
        if (early is { } rejected) return rejected;
        fixed (byte* pointer = encoded)
        {
            using var codec = OpenCodec(pointer, encoded.Length, format, out var failure);
            if (codec is null) return failure;
            var size = CheckSize(codec, format, Limits);
            if (!size.IsOk) return size;
            var decoded = DecodeAll(codec, format, size.Width, size.Height);
            if (decoded.IsOk && format == ImageFormat.Jpeg && JpegStructure.FindCorruption(encoded) is { } corruption)
            {
                return ImageInspection.Rejected(ImageRejectReasons.Unreadable, $"The JPEG data is corrupt: {corruption}.", format, size.Width, size.Height);
            }

            return decoded;
        }
    }

    internal static ImageInspection? CheckBeforeCodec(ReadOnlySpan<byte> encoded, ImageLimits limits, out ImageFormat format)
    {
        format = ImageFormat.Unknown;
        if (encoded.IsEmpty) return ImageInspection.Rejected(ImageRejectReasons.Empty, "The image has 0 bytes.");
        if (encoded.Length > limits.MaxBytes)
        {
            return ImageInspection.Rejected(ImageRejectReasons.TooLarge, $"The image has {encoded.Length:N0} bytes, over the limit of {limits.MaxBytes:N0}.");
        }

        format = ImageFormatSniffer.Sniff(encoded);
        if (format == ImageFormat.Unknown)
        {
            return ImageInspection.Rejected(ImageRejectReasons.UnsupportedFormat, $"The header ({HexPrefix(encoded)}) is not JPEG, PNG, WebP, GIF or BMP.");
        }

        return null;
    }

    /// <summary>Opens a codec over pinned bytes; the caller keeps them pinned until the codec is disposed.</summary>
    internal static unsafe SKCodec? OpenCodec(byte* pointer, int length, ImageFormat format, out ImageInspection failure)
    {
        failure = default;

        // SKData.Create(IntPtr, int) wraps the caller's memory without copying it.
        var data = SKData.Create((IntPtr)pointer, length);
        var stream = new SKMemoryStream(data);
        var codec = SKCodec.Create(stream, out var result);
        data.Dispose();
        if (codec is not null && result == SKCodecResult.Success) return codec;

        codec?.Dispose();
        stream.Dispose();
        failure = result == SKCodecResult.IncompleteInput
            ? ImageInspection.Rejected(ImageRejectReasons.Truncated, $"The {format} header ends early ({length:N0} bytes).", format)
            : ImageInspection.Rejected(ImageRejectReasons.Unreadable, $"The {format} header cannot be read ({result}).", format);
        return null;
    }

    internal static ImageInspection CheckSize(SKCodec codec, ImageFormat format, ImageLimits limits)
    {
        var width = codec.Info.Width;
        var height = codec.Info.Height;
        if (width <= 0 || height <= 0)
        {
            return ImageInspection.Rejected(ImageRejectReasons.Unreadable, $"The {format} header declares an empty size {width}x{height}.", format, width, height);
        }

        if (width > limits.MaxSide || height > limits.MaxSide)
        {
            return ImageInspection.Rejected(ImageRejectReasons.TooLarge, $"The {format} image is {width}x{height}, a side over the limit of {limits.MaxSide:N0} pixels.", format, width, height);
        }

        var pixels = (long)width * height;
        if (pixels > limits.MaxPixels)
        {
            return ImageInspection.Rejected(ImageRejectReasons.TooLarge, $"The {format} image is {width}x{height} = {pixels:N0} pixels, over the limit of {limits.MaxPixels:N0}.", format, width, height);
        }

        return ImageInspection.Ok(format, width, height);
    }

    internal static ImageInspection FromDecodeResult(SKCodecResult result, ImageFormat format, int width, int height) => result switch
    {
        SKCodecResult.Success => ImageInspection.Ok(format, width, height),
        SKCodecResult.IncompleteInput => ImageInspection.Rejected(ImageRejectReasons.Truncated, $"The {format} data ends before all {width}x{height} pixels were decoded.", format, width, height),
        _ => ImageInspection.Rejected(ImageRejectReasons.Unreadable, $"The {format} pixel data is corrupt ({result}).", format, width, height),
    };

    private static unsafe ImageInspection DecodeAll(SKCodec codec, ImageFormat format, int width, int height)
    {
        var info = new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);

        // Scanline decoding needs a buffer of a few rows instead of the whole image; formats without it fall back below.
        var started = codec.StartScanlineDecode(info);
        if (started == SKCodecResult.Success)
        {
            var rowBytes = info.RowBytes;
            var buffer = ArrayPool<byte>.Shared.Rent(rowBytes * Math.Min(ScanlineBatch, height));
            try
            {
                fixed (byte* rows = buffer)
                {
                    for (var done = 0; done < height;)
                    {
                        var want = Math.Min(ScanlineBatch, height - done);
                        var got = codec.GetScanlines((IntPtr)rows, want, rowBytes);
                        if (got < want)
                        {
                            return ImageInspection.Rejected(ImageRejectReasons.Truncated, $"The {format} data ends after {done + got} of {height} rows.", format, width, height);
                        }

                        done += got;
                    }
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            return ImageInspection.Ok(format, width, height);
        }

        var whole = ArrayPool<byte>.Shared.Rent(checked((int)info.BytesSize64));
        try
        {
            fixed (byte* pixels = whole)
            {
                return FromDecodeResult(codec.GetPixels(info, (IntPtr)pixels), format, width, height);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(whole);
        }
    }

    private static string HexPrefix(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes[..Math.Min(8, bytes.Length)]);
}
