using SkiaSharp;

namespace RamDataEngine.Core.Synthetic;

/// <summary>Draws a <see cref="SceneSpec"/> with SkiaSharp's CPU rasteriser and encodes it as PNG.</summary>
internal static class SceneRenderer
{
    // Fixed encoder settings: the same pixels always give the same PNG bytes.
    private static readonly SKPngEncoderOptions Png = new(SKPngEncoderFilterFlags.AllFilters, zLibLevel: 6);

    public static byte[] RenderPng(SceneSpec spec, SceneRandom background)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(spec.Width, spec.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        using (var canvas = new SKCanvas(bitmap))
        {
            DrawBackground(canvas, spec.Scene, spec.Width, spec.Height, ref background);
            foreach (var item in spec.Objects) DrawObject(canvas, item);
        }

        using var pixmap = bitmap.PeekPixels();
        using var data = pixmap.Encode(Png) ?? throw new InvalidOperationException($"Skia could not encode image {spec.Index} as PNG.");
        return data.ToArray();
    }

    private static void DrawObject(SKCanvas canvas, SceneObject item)
    {
        var fill = SceneVocabulary.Rgb(item.Colour);
        using var path = ShapePath(item.Kind, item.Radius);
        using var paint = new SKPaint { IsAntialias = true, Color = fill, Style = SKPaintStyle.Fill };
        canvas.Save();
        canvas.Translate(item.CenterX, item.CenterY);
        canvas.RotateDegrees(item.Rotation);
        canvas.DrawPath(path, paint);

        // A darker rim of the same hue gives every shape a crisp edge on any background.
        paint.Style = SKPaintStyle.Stroke;
        paint.StrokeWidth = Math.Max(1f, item.Radius * 0.08f);
        paint.Color = item.Colour == ObjectColour.Black ? new SKColor(70, 70, 70) : new SKColor((byte)(fill.Red * 0.55f), (byte)(fill.Green * 0.55f), (byte)(fill.Blue * 0.55f));
        canvas.DrawPath(path, paint);
        canvas.Restore();
    }

    /// <summary>The outline of a shape centered on the origin, fitting a circle of radius <paramref name="r"/>.</summary>
    internal static SKPath ShapePath(ShapeKind kind, float r)
    {
        using var path = new SKPathBuilder();
        switch (kind)
        {
            case ShapeKind.Circle:
                path.AddCircle(0, 0, r);
                break;
            case ShapeKind.Square:
                path.AddRect(new SKRect(-r * 0.75f, -r * 0.75f, r * 0.75f, r * 0.75f));
                break;
            case ShapeKind.Triangle:
                AddPolygon(path, r, 3, -90);
                break;
            case ShapeKind.Star:
                var points = new SKPoint[10];
                for (var i = 0; i < 10; i++)
                {
                    var radius = i % 2 == 0 ? r : r * 0.42f;
                    var angle = (-90 + (i * 36)) * MathF.PI / 180;
                    points[i] = new SKPoint(radius * MathF.Cos(angle), radius * MathF.Sin(angle));
                }

                path.AddPoly(points, close: true);
                break;
            case ShapeKind.Heart:
                path.MoveTo(0, r * 0.95f);
                path.CubicTo(-r * 1.35f, r * 0.05f, -r * 0.75f, -r * 1.15f, 0, -r * 0.45f);
                path.CubicTo(r * 0.75f, -r * 1.15f, r * 1.35f, r * 0.05f, 0, r * 0.95f);
                path.Close();
                break;
            case ShapeKind.Cross:
                var arm = r * 0.3f;
                path.AddPoly(
                [
                    new(-arm, -r), new(arm, -r), new(arm, -arm), new(r, -arm), new(r, arm), new(arm, arm),
                    new(arm, r), new(-arm, r), new(-arm, arm), new(-r, arm), new(-r, -arm), new(-arm, -arm),
                ], close: true);
                break;
            case ShapeKind.Ring:
                path.FillType = SKPathFillType.EvenOdd;
                path.AddCircle(0, 0, r);
                path.AddCircle(0, 0, r * 0.6f);
                break;
            case ShapeKind.Diamond:
                path.AddPoly([new(0, -r), new(r * 0.62f, 0), new(0, r), new(-r * 0.62f, 0)], close: true);
                break;
            case ShapeKind.Moon:
                using (var disc = Circle(r, 0, 0))
                using (var bite = Circle(r * 0.85f, r * 0.45f, -r * 0.2f))
                using (var crescent = disc.Op(bite, SKPathOp.Difference) ?? throw new InvalidOperationException("Skia could not cut the moon."))
                {
                    path.AddPath(crescent);
                }

                break;
            case ShapeKind.Arrow:
                var shaft = r * 0.2f;
                path.AddPoly(
                [
                    new(-r, -shaft), new(r * 0.15f, -shaft), new(r * 0.15f, -r * 0.6f), new(r, 0),
                    new(r * 0.15f, r * 0.6f), new(r * 0.15f, shaft), new(-r, shaft),
                ], close: true);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }

        return path.Detach();
    }

    private static SKPath Circle(float r, float x, float y)
    {
        using var builder = new SKPathBuilder();
        builder.AddCircle(x, y, r);
        return builder.Detach();
    }

    private static void AddPolygon(SKPathBuilder path, float r, int sides, float startDegrees)
    {
        var points = new SKPoint[sides];
        for (var i = 0; i < sides; i++)
        {
            var angle = (startDegrees + (i * 360f / sides)) * MathF.PI / 180;
            points[i] = new SKPoint(r * MathF.Cos(angle), r * MathF.Sin(angle));
        }

        path.AddPoly(points, close: true);
    }

    private static void DrawBackground(SKCanvas canvas, SceneKind scene, int width, int height, ref SceneRandom random)
    {
        using var paint = new SKPaint { IsAntialias = true };
        switch (scene)
        {
            case SceneKind.Grass:
                Gradient(canvas, width, height, new SKColor(112, 190, 80), new SKColor(48, 128, 40));
                paint.Style = SKPaintStyle.Stroke;
                paint.StrokeWidth = Math.Max(1f, width / 128f);
                for (var i = 0; i < width * height / 24; i++)
                {
                    var x = random.NextFloat(0, width);
                    var y = random.NextFloat(0, height);
                    var shade = random.Between(90, 160);
                    paint.Color = new SKColor((byte)(shade / 3), (byte)shade, (byte)(shade / 4));
                    canvas.DrawLine(x, y, x + random.NextFloat(-2, 2), y - random.NextFloat(3, 8) * height / 128f, paint);
                }

                break;
            case SceneKind.Beach:
                var shore = height * random.NextFloat(0.22f, 0.32f);
                Gradient(canvas, width, height, new SKColor(243, 222, 172), new SKColor(222, 194, 138));
                paint.Color = new SKColor(38, 128, 200);
                canvas.DrawRect(0, 0, width, shore, paint);
                paint.Color = new SKColor(250, 250, 245);
                paint.Style = SKPaintStyle.Stroke;
                paint.StrokeWidth = Math.Max(1.5f, height / 64f);
                DrawWave(canvas, paint, width, shore, height / 40f, random.NextFloat(0, 6));
                Speckle(canvas, width, height, shore, new SKColor(190, 160, 110), width * height / 40, ref random);
                break;
            case SceneKind.Snow:
                Gradient(canvas, width, height, new SKColor(246, 249, 253), new SKColor(212, 224, 240));
                paint.Style = SKPaintStyle.Stroke;
                paint.StrokeWidth = Math.Max(1f, height / 96f);
                paint.Color = new SKColor(190, 205, 228);
                for (var i = 0; i < 3; i++) DrawWave(canvas, paint, width, height * random.NextFloat(0.3f, 0.95f), height / 20f, random.NextFloat(0, 6));
                Speckle(canvas, width, height, 0, new SKColor(255, 255, 255), width * height / 60, ref random);
                break;
            case SceneKind.Sky:
                Gradient(canvas, width, height, new SKColor(70, 140, 228), new SKColor(172, 212, 250));
                paint.Color = new SKColor(255, 255, 255, 235);
                for (var cloud = random.Between(2, 4); cloud > 0; cloud--)
                {
                    var cx = random.NextFloat(0, width);
                    var cy = random.NextFloat(0, height);
                    for (var puff = 0; puff < 4; puff++)
                    {
                        canvas.DrawOval(cx + random.NextFloat(-0.1f, 0.1f) * width, cy + random.NextFloat(-0.04f, 0.04f) * height, width * random.NextFloat(0.06f, 0.11f), height * random.NextFloat(0.04f, 0.07f), paint);
                    }
                }

                break;
            case SceneKind.Night:
                Gradient(canvas, width, height, new SKColor(6, 8, 28), new SKColor(26, 30, 66));
                for (var i = 0; i < width * height / 180; i++)
                {
                    paint.Color = new SKColor(255, 250, 220, (byte)random.Between(90, 255));
                    canvas.DrawCircle(random.NextFloat(0, width), random.NextFloat(0, height), random.NextFloat(0.3f, 0.8f) * width / 128f, paint);
                }

                break;
            case SceneKind.Water:
                Gradient(canvas, width, height, new SKColor(24, 100, 170), new SKColor(10, 58, 118));
                paint.Style = SKPaintStyle.Stroke;
                paint.StrokeWidth = Math.Max(1f, height / 110f);
                for (var y = random.NextFloat(2, 8) * height / 128f; y < height; y += random.NextFloat(9, 15) * height / 128f)
                {
                    paint.Color = new SKColor(120, 180, 230, (byte)random.Between(80, 160));
                    DrawWave(canvas, paint, width, y, height / 64f, random.NextFloat(0, 6));
                }

                break;
            case SceneKind.Desert:
                paint.Color = new SKColor(238, 196, 128);
                canvas.DrawRect(0, 0, width, height, paint);
                SKColor[] dunes = [new(226, 178, 106), new(212, 160, 90), new(198, 146, 78)];
                for (var band = 0; band < dunes.Length; band++)
                {
                    var top = height * (0.3f + (band * 0.22f) + random.NextFloat(-0.05f, 0.05f));
                    using var dune = new SKPathBuilder();
                    dune.MoveTo(0, top);
                    dune.QuadTo(width * random.NextFloat(0.2f, 0.8f), top - (height * random.NextFloat(0.08f, 0.18f)), width, top + (height * random.NextFloat(-0.05f, 0.05f)));
                    dune.LineTo(width, height);
                    dune.LineTo(0, height);
                    dune.Close();
                    paint.Color = dunes[band];
                    using var dunePath = dune.Detach();
                    canvas.DrawPath(dunePath, paint);
                }

                break;
            case SceneKind.Road:
                paint.Color = new SKColor(78, 78, 84);
                canvas.DrawRect(0, 0, width, height, paint);
                Speckle(canvas, width, height, 0, new SKColor(58, 58, 62), width * height / 12, ref random);
                var line = Math.Max(1.5f, height / 60f);
                paint.Color = new SKColor(235, 235, 235);
                canvas.DrawRect(0, height * 0.08f, width, line, paint);
                canvas.DrawRect(0, (height * 0.92f) - line, width, line, paint);
                var dash = width / 8f;
                for (var x = -random.NextFloat(0, dash); x < width; x += dash * 2) canvas.DrawRect(x, (height - line) / 2, dash, line, paint);
                break;
            case SceneKind.Floor:
                var plank = height / 6f;
                SKColor[] woods = [new(166, 114, 62), new(150, 100, 54), new(176, 124, 72)];
                for (var row = 0; row * plank < height; row++)
                {
                    paint.Color = woods[random.Next(woods.Length)];
                    paint.Style = SKPaintStyle.Fill;
                    canvas.DrawRect(0, row * plank, width, plank, paint);
                    paint.Style = SKPaintStyle.Stroke;
                    paint.StrokeWidth = Math.Max(1f, height / 128f);
                    paint.Color = new SKColor(96, 62, 30);
                    canvas.DrawLine(0, row * plank, width, row * plank, paint);
                    var joint = random.NextFloat(0.2f, 0.8f) * width;
                    canvas.DrawLine(joint, row * plank, joint, (row + 1) * plank, paint);
                    paint.Color = new SKColor(130, 86, 44, 120);
                    for (var grain = 0; grain < 3; grain++)
                    {
                        var y = (row * plank) + random.NextFloat(0.2f, 0.8f) * plank;
                        canvas.DrawLine(random.NextFloat(0, width / 2f), y, random.NextFloat(width / 2f, width), y, paint);
                    }
                }

                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scene), scene, null);
        }
    }

    private static void Gradient(SKCanvas canvas, int width, int height, SKColor top, SKColor bottom)
    {
        using var shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(0, height), [top, bottom], SKShaderTileMode.Clamp);
        using var paint = new SKPaint { Shader = shader };
        canvas.DrawRect(0, 0, width, height, paint);
    }

    private static void DrawWave(SKCanvas canvas, SKPaint paint, int width, float y, float amplitude, float phase)
    {
        using var builder = new SKPathBuilder();
        builder.MoveTo(0, y + (amplitude * MathF.Sin(phase)));
        for (var x = 2; x <= width; x += 2) builder.LineTo(x, y + (amplitude * MathF.Sin(phase + (x * 12f / width))));
        using var path = builder.Detach();
        canvas.DrawPath(path, paint);
    }

    private static void Speckle(SKCanvas canvas, int width, int height, float top, SKColor colour, int count, ref SceneRandom random)
    {
        using var paint = new SKPaint { IsAntialias = false, Color = colour };
        for (var i = 0; i < count; i++) canvas.DrawRect(random.NextFloat(0, width), random.NextFloat(top, height), 1, 1, paint);
    }
}
