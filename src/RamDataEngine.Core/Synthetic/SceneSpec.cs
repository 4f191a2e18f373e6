namespace RamDataEngine.Core.Synthetic;

/// <summary>One drawn object: what it is and where (center and radius in pixels, rotation in degrees).</summary>
public sealed record SceneObject(ShapeKind Kind, ObjectColour Colour, ObjectSize Size, float CenterX, float CenterY, float Radius, float Rotation)
{
    /// <summary>The object's bounding box in COCO order (x, y, width, height), clipped to the image.</summary>
    public (float X, float Y, float Width, float Height) Box(int imageWidth, int imageHeight)
    {
        var left = Math.Max(0, CenterX - Radius);
        var top = Math.Max(0, CenterY - Radius);
        var right = Math.Min(imageWidth, CenterX + Radius);
        var bottom = Math.Min(imageHeight, CenterY + Radius);
        return (left, top, right - left, bottom - top);
    }
}

/// <summary>
/// Everything known about one generated image before it is drawn: the scene, the objects, the captions and which
/// tags the captions name (so evaluation knows exactly what is missing and what is noise).
/// </summary>
public sealed record SceneSpec
{
    /// <summary>The image's index in the dataset (0-based).</summary>
    public required long Index { get; init; }

    /// <summary>Image width in pixels.</summary>
    public required int Width { get; init; }

    /// <summary>Image height in pixels.</summary>
    public required int Height { get; init; }

    /// <summary>The background.</summary>
    public required SceneKind Scene { get; init; }

    /// <summary>The objects, in drawing order.</summary>
    public required IReadOnlyList<SceneObject> Objects { get; init; }

    /// <summary>The captions (1 or more, never blank).</summary>
    public required IReadOnlyList<string> Captions { get; init; }

    /// <summary>The truth: every shape kind present, the scene, and every object colour (as attribute tags); sorted.</summary>
    public required IReadOnlyList<string> TruthLabels { get; init; }

    /// <summary>The shape kinds present that the captions name.</summary>
    public required IReadOnlyList<ShapeKind> MentionedKinds { get; init; }

    /// <summary>True when the captions name the scene.</summary>
    public required bool SceneMentioned { get; init; }

    /// <summary>The shape kind the captions name although it is not in the image, if any.</summary>
    public ShapeKind? NoiseKind { get; init; }

    /// <summary>Tags the captions name that are not in the truth (the noise kind, and its colour when that is absent too).</summary>
    public required IReadOnlyList<string> NoiseLabels { get; init; }
}
