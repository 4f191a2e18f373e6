using RamDataEngine.Core.Images;
using SkiaSharp;

namespace RamDataEngine.Core.Tests.Images;

public sealed class ImagePreprocessorTests
{
    [Fact]
    public void DecodeToChw_WideImage_KeepsCenterThirdOnly()
    {
        // Left third green, middle third red, right third blue: a square center crop sees only red.
        using var bitmap = new SKBitmap(new SKImageInfo(300, 100, SKColorType.Rgba8888, SKAlphaType.Premul));
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.Red);
            using var paint = new SKPaint { Color = SKColors.Lime };
            canvas.DrawRect(0, 0, 100, 100, paint);
            paint.Color = SKColors.Blue;
            canvas.DrawRect(200, 0, 100, 100, paint);
        }

        using var png = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 100);
        var chw = new float[3 * 32 * 32];

        var result = ImagePreprocessor.DecodeToChw(png.AsSpan(), 32, 32, chw);

        Assert.True(result.IsOk, result.ToString());
        Assert.Equal((300, 100), (result.Width, result.Height));
        Assert.All(chw.AsSpan(0, 1024).ToArray(), red => Assert.Equal(1f, red, 0.02f));
        Assert.All(chw.AsSpan(1024, 2048).ToArray(), other => Assert.Equal(0f, other, 0.02f));
    }

    [Fact]
    public void DecodeToChw_LargeJpeg_ScaledDecodeGivesTheColour()
    {
        var jpeg = TestImages.Solid(800, 600, new SKColor(200, 100, 50), SKEncodedImageFormat.Jpeg);
        var chw = new float[3 * 64 * 48];

        var result = ImagePreprocessor.DecodeToChw(jpeg, 64, 48, chw);

        Assert.True(result.IsOk, result.ToString());
        Assert.Equal(200 / 255f, chw[0], 0.03f);
        Assert.Equal(100 / 255f, chw[64 * 48], 0.03f);
        Assert.Equal(50 / 255f, chw[2 * 64 * 48], 0.03f);
    }

    [Fact]
    public void DecodeToChw_SmallImage_UpscalesToTarget()
    {
        var png = TestImages.Solid(10, 20, SKColors.White);
        var chw = new float[3 * 40 * 40];

        var result = ImagePreprocessor.DecodeToChw(png, 40, 40, chw);

        Assert.True(result.IsOk);
        Assert.All(chw, value => Assert.Equal(1f, value, 0.01f));
    }

    [Fact]
    public void DecodeToChw_Truncated_RejectedWithReason()
    {
        var png = TestImages.Encode(120, 90, SKEncodedImageFormat.Png);
        var chw = new float[3 * 16 * 16];

        var result = ImagePreprocessor.DecodeToChw(png.AsSpan(0, png.Length / 2), 16, 16, chw);

        Assert.Equal(ImageRejectReasons.Truncated, result.Reason);
    }

    [Fact]
    public void DecodeToChw_WrongBufferLength_Throws()
    {
        var png = TestImages.Solid(10, 10, SKColors.White);

        var error = Assert.Throws<ArgumentException>(() => ImagePreprocessor.DecodeToChw(png, 8, 8, new float[100]));

        Assert.Contains("needs 192", error.Message);
    }

    [Theory]
    [InlineData(300, 100, 32, 32, 100, 0, 200, 100)]
    [InlineData(100, 300, 32, 32, 0, 100, 100, 200)]
    [InlineData(640, 480, 64, 48, 0, 0, 640, 480)]
    [InlineData(640, 480, 48, 64, 140, 0, 500, 480)]
    public void CenterCrop_Aspect_CenteredLargestRectangle(int sw, int sh, int w, int h, int left, int top, int right, int bottom)
    {
        Assert.Equal(new SKRectI(left, top, right, bottom), ImagePreprocessor.CenterCrop(sw, sh, w, h));
    }
}
