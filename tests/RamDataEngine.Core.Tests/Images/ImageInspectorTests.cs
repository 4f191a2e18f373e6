using RamDataEngine.Core.Images;
using SkiaSharp;

namespace RamDataEngine.Core.Tests.Images;

public sealed class ImageInspectorTests
{
    private readonly ImageInspector _inspector = new();

    [Theory]
    [InlineData(SKEncodedImageFormat.Png, ImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Jpeg, ImageFormat.Jpeg)]
    [InlineData(SKEncodedImageFormat.Webp, ImageFormat.WebP)]
    public void Inspect_WholeImage_OkWithFormatAndSize(SKEncodedImageFormat encoding, ImageFormat expected)
    {
        var bytes = TestImages.Encode(97, 61, encoding);

        var result = _inspector.Inspect(bytes);

        Assert.True(result.IsOk, result.ToString());
        Assert.Equal(expected, result.Format);
        Assert.Equal(97, result.Width);
        Assert.Equal(61, result.Height);
    }

    [Fact]
    public void Inspect_HandMadeBmp_Ok()
    {
        var bytes = TestImages.Bmp(5, 3);

        var result = _inspector.Inspect(bytes);

        Assert.True(result.IsOk, result.ToString());
        Assert.Equal(ImageFormat.Bmp, result.Format);
        Assert.Equal((5, 3), (result.Width, result.Height));
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    [InlineData(SKEncodedImageFormat.Webp)]
    public void Inspect_FirstHalfOnly_Truncated(SKEncodedImageFormat encoding)
    {
        var bytes = TestImages.Encode(120, 90, encoding);

        var result = _inspector.Inspect(bytes.AsSpan(0, bytes.Length / 2));

        Assert.False(result.IsOk);
        Assert.Equal(ImageRejectReasons.Truncated, result.Reason);
        Assert.Equal(120, result.Width);
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    public void Inspect_HeaderOnly_TruncatedOrUnreadable(SKEncodedImageFormat encoding)
    {
        var bytes = TestImages.Encode(120, 90, encoding);

        var result = _inspector.Inspect(bytes.AsSpan(0, 40));

        Assert.False(result.IsOk);
        Assert.Contains(result.Reason, new[] { ImageRejectReasons.Truncated, ImageRejectReasons.Unreadable });
    }

    [Theory]
    [InlineData(SKEncodedImageFormat.Png)]
    [InlineData(SKEncodedImageFormat.Jpeg)]
    public void InspectHeader_FirstHalfOnly_OkBecauseItDoesNotDecode(SKEncodedImageFormat encoding)
    {
        var bytes = TestImages.Encode(120, 90, encoding);

        var result = _inspector.InspectHeader(bytes.AsSpan(0, bytes.Length / 2));

        Assert.True(result.IsOk, result.ToString());
        Assert.Equal((120, 90), (result.Width, result.Height));
    }

    [Fact]
    public void Inspect_CorruptedJpegBody_Rejected()
    {
        var bytes = TestImages.Encode(120, 90, SKEncodedImageFormat.Jpeg);
        var random = new Random(7);

        // Overwrite the entropy-coded middle with noise, keeping the headers and the end marker.
        for (var i = bytes.Length / 3; i < bytes.Length * 2 / 3; i++) bytes[i] = (byte)random.Next(256);
        var result = _inspector.Inspect(bytes);

        Assert.False(result.IsOk);
        Assert.Contains(result.Reason, new[] { ImageRejectReasons.Truncated, ImageRejectReasons.Unreadable });
    }

    [Fact]
    public void Inspect_CorruptedPngBody_Unreadable()
    {
        var bytes = TestImages.Encode(120, 90, SKEncodedImageFormat.Png);
        for (var i = bytes.Length / 2; i < bytes.Length / 2 + 64; i++) bytes[i] ^= 0x5A;

        var result = _inspector.Inspect(bytes);

        Assert.False(result.IsOk);
        Assert.Contains(result.Reason, new[] { ImageRejectReasons.Truncated, ImageRejectReasons.Unreadable });
    }

    [Fact]
    public void Inspect_RandomBytes_UnsupportedFormat()
    {
        var bytes = new byte[4096];
        new Random(3).NextBytes(bytes);
        bytes[0] = 0x00; // make sure noise does not spell a magic number

        var result = _inspector.Inspect(bytes);

        Assert.Equal(ImageRejectReasons.UnsupportedFormat, result.Reason);
        Assert.Contains("not JPEG, PNG", result.Message);
    }

    [Fact]
    public void Inspect_PngMagicThenNoise_Unreadable()
    {
        var bytes = new byte[4096];
        new Random(4).NextBytes(bytes);
        TestImages.Encode(8, 8, SKEncodedImageFormat.Png).AsSpan(0, 8).CopyTo(bytes);

        var result = _inspector.Inspect(bytes);

        Assert.Equal(ImageFormat.Png, result.Format);
        Assert.Contains(result.Reason, new[] { ImageRejectReasons.Unreadable, ImageRejectReasons.Truncated });
    }

    [Fact]
    public void Inspect_ZeroBytes_Empty()
    {
        var result = _inspector.Inspect([]);

        Assert.Equal(ImageRejectReasons.Empty, result.Reason);
    }

    [Fact]
    public void Inspect_PngClaiming100000Squared_TooLargeBeforeDecode()
    {
        var bytes = TestImages.PngClaiming(100_000, 100_000);

        var result = _inspector.Inspect(bytes);

        Assert.Equal(ImageRejectReasons.TooLarge, result.Reason);
        Assert.Equal((100_000, 100_000), (result.Width, result.Height));
        Assert.Contains("100000x100000", result.Message);
    }

    [Fact]
    public void Inspect_OverPixelLimit_TooLarge()
    {
        var inspector = new ImageInspector(new ImageLimits { MaxPixels = 100 * 100 });

        var result = inspector.Inspect(TestImages.Encode(120, 90, SKEncodedImageFormat.Png));

        Assert.Equal(ImageRejectReasons.TooLarge, result.Reason);
    }

    [Fact]
    public void Inspect_OverSideLimit_TooLarge()
    {
        var inspector = new ImageInspector(new ImageLimits { MaxSide = 100 });

        var result = inspector.Inspect(TestImages.Encode(120, 20, SKEncodedImageFormat.Png));

        Assert.Equal(ImageRejectReasons.TooLarge, result.Reason);
        Assert.Contains("side", result.Message);
    }

    [Fact]
    public void Inspect_OverByteLimit_TooLargeWithoutReadingHeader()
    {
        var inspector = new ImageInspector(new ImageLimits { MaxBytes = 1000 });

        var result = inspector.Inspect(new byte[1001]);

        Assert.Equal(ImageRejectReasons.TooLarge, result.Reason);
        Assert.Equal(ImageFormat.Unknown, result.Format);
    }

    [Fact]
    public void Sniff_Gif_Recognised()
    {
        Assert.Equal(ImageFormat.Gif, ImageFormatSniffer.Sniff("GIF89a\x01\0\x01\0\0\0"u8));
        Assert.Equal(ImageFormat.Unknown, ImageFormatSniffer.Sniff("BMxxxxyyyy"u8));
    }
}
