using SkiaSharp;

namespace RamDataEngine.Model.Tests;

/// <summary>Real images drawn with SkiaSharp and encoded as PNG or JPEG, so tests go through the real codecs.</summary>
internal static class TestImages
{
    public static byte[] Circle(int width = 320, int height = 240, SKColor? background = null, SKColor? fill = null)
        => Draw(width, height, background ?? SKColors.White, canvas =>
        {
            using var paint = new SKPaint { Color = fill ?? SKColors.Red, IsAntialias = true };
            canvas.DrawCircle(width / 2f, height / 2f, Math.Min(width, height) / 3f, paint);
        });

    public static byte[] Stripes(int width = 300, int height = 300)
        => Draw(width, height, SKColors.DarkGreen, canvas =>
        {
            using var paint = new SKPaint { Color = SKColors.Yellow };
            for (int x = 0; x < width; x += 20) canvas.DrawRect(x, 0, 10, height, paint);
        });

    public static byte[] Draw(int width, int height, SKColor background, Action<SKCanvas> draw, SKEncodedImageFormat format = SKEncodedImageFormat.Png)
    {
        using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(background);
            draw(canvas);
        }

        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }
}
