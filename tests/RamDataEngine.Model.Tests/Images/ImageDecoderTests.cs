using RamDataEngine.Model.Images;
using SkiaSharp;

namespace RamDataEngine.Model.Tests.Images;

public sealed class ImageDecoderTests
{
    [Fact]
    public void Decode_Png_GivesRgbaPixels()
    {
        var image = new ImageDecoder().Decode(TestImages.Circle(40, 30));

        Assert.Equal(40, image.Width);
        Assert.Equal(30, image.Height);
        // Centre is the red circle, corner the white background.
        int centre = ((15 * 40) + 20) * 4, corner = 0;
        Assert.Equal([255, 0, 0, 255], image.Rgba[centre..(centre + 4)]);
        Assert.Equal([255, 255, 255, 255], image.Rgba[corner..(corner + 4)]);
    }

    [Fact]
    public void Decode_LargeJpegWithMinimumSide_DecodesAtReducedScale()
    {
        var jpeg = TestImages.Draw(1600, 1200, SKColors.Blue, _ => { }, SKEncodedImageFormat.Jpeg);

        var image = new ImageDecoder().Decode(jpeg, minimumSide: 224);

        Assert.Equal((400, 300), (image.Width, image.Height));
    }

    [Fact]
    public void Decode_OverPixelLimit_RejectedFromHeader()
    {
        var decoder = new ImageDecoder(new ImageDecodeOptions { MaxPixels = 1000 });

        var error = Assert.Throws<ImageDecodeException>(() => decoder.Decode(TestImages.Circle(100, 100)));

        Assert.Equal(ImageRejection.TooManyPixels, error.Reason);
        Assert.Contains("100x100", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_OverByteLimit_Rejected()
    {
        var decoder = new ImageDecoder(new ImageDecodeOptions { MaxEncodedBytes = 10 });

        Assert.Equal(ImageRejection.TooManyBytes, Assert.Throws<ImageDecodeException>(() => decoder.Decode(TestImages.Circle())).Reason);
    }

    [Fact]
    public void Decode_Garbage_UnknownFormat()
    {
        var error = Assert.Throws<ImageDecodeException>(() => new ImageDecoder().Decode("not an image at all"u8));

        Assert.Equal(ImageRejection.UnknownFormat, error.Reason);
    }

    [Fact]
    public void Decode_TruncatedPng_Corrupt()
    {
        var png = TestImages.Stripes();

        var error = Assert.Throws<ImageDecodeException>(() => new ImageDecoder().Decode(png.AsSpan(0, png.Length / 2)));

        Assert.Equal(ImageRejection.Corrupt, error.Reason);
    }

    [Fact]
    public void Decode_Empty_Rejected()
    {
        Assert.Equal(ImageRejection.Empty, Assert.Throws<ImageDecodeException>(() => new ImageDecoder().Decode([])).Reason);
    }
}
