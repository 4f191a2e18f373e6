using SkiaSharp;

namespace RamDataEngine.Core.Synthetic;

/// <summary>The object shapes the generator draws; each name is a RAM tag (lower case).</summary>
public enum ShapeKind
{
    /// <summary>A filled disc.</summary>
    Circle,

    /// <summary>A filled square.</summary>
    Square,

    /// <summary>A filled equilateral triangle.</summary>
    Triangle,

    /// <summary>A five-pointed star.</summary>
    Star,

    /// <summary>A heart.</summary>
    Heart,

    /// <summary>A plus-shaped cross.</summary>
    Cross,

    /// <summary>A thick ring (an annulus).</summary>
    Ring,

    /// <summary>A rhombus standing on a point.</summary>
    Diamond,

    /// <summary>A crescent moon.</summary>
    Moon,

    /// <summary>An arrow (shaft and head).</summary>
    Arrow,
}

/// <summary>Object colours; each name is a RAM tag and becomes an attribute tag in the truth labels.</summary>
public enum ObjectColour
{
    /// <summary>red</summary>
    Red,

    /// <summary>blue</summary>
    Blue,

    /// <summary>green</summary>
    Green,

    /// <summary>yellow</summary>
    Yellow,

    /// <summary>orange</summary>
    Orange,

    /// <summary>purple</summary>
    Purple,

    /// <summary>pink</summary>
    Pink,

    /// <summary>white</summary>
    White,

    /// <summary>black</summary>
    Black,

    /// <summary>brown</summary>
    Brown,

    /// <summary>gray</summary>
    Gray,
}

/// <summary>Backgrounds; each name is a RAM tag and is the scene's truth label.</summary>
public enum SceneKind
{
    /// <summary>Green grass with blades.</summary>
    Grass,

    /// <summary>Sand below a strip of sea.</summary>
    Beach,

    /// <summary>White snow with drifts.</summary>
    Snow,

    /// <summary>Blue sky with clouds.</summary>
    Sky,

    /// <summary>Dark night with small dots of light.</summary>
    Night,

    /// <summary>Blue water with waves.</summary>
    Water,

    /// <summary>Ochre desert dunes.</summary>
    Desert,

    /// <summary>Gray asphalt road with lane marks.</summary>
    Road,

    /// <summary>Wooden floor planks.</summary>
    Floor,
}

/// <summary>Object sizes, as a fraction of the image's shorter side.</summary>
public enum ObjectSize
{
    /// <summary>About a sixth of the image.</summary>
    Small,

    /// <summary>About a quarter of the image.</summary>
    Medium,

    /// <summary>About a third of the image.</summary>
    Large,
}

/// <summary>The words and colours behind the generator's enums: tag names, plurals, RGB values and scene phrases.</summary>
public static class SceneVocabulary
{
    /// <summary>The RAM tag of a shape (e.g. <c>circle</c>).</summary>
    public static string Tag(ShapeKind kind) => kind switch
    {
        ShapeKind.Circle => "circle",
        ShapeKind.Square => "square",
        ShapeKind.Triangle => "triangle",
        ShapeKind.Star => "star",
        ShapeKind.Heart => "heart",
        ShapeKind.Cross => "cross",
        ShapeKind.Ring => "ring",
        ShapeKind.Diamond => "diamond",
        ShapeKind.Moon => "moon",
        ShapeKind.Arrow => "arrow",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>The plural noun of a shape.</summary>
    public static string Plural(ShapeKind kind) => kind == ShapeKind.Cross ? "crosses" : Tag(kind) + "s";

    /// <summary>The RAM tag of a colour (e.g. <c>red</c>).</summary>
    public static string Tag(ObjectColour colour) => colour.ToString().ToLowerInvariant();

    /// <summary>The RAM tag of a scene (e.g. <c>grass</c>).</summary>
    public static string Tag(SceneKind scene) => scene.ToString().ToLowerInvariant();

    /// <summary>Every tag the generator can emit, for checks against a vocabulary.</summary>
    public static IEnumerable<string> AllTags()
        => Enum.GetValues<ShapeKind>().Select(Tag).Concat(Enum.GetValues<ObjectColour>().Select(Tag)).Concat(Enum.GetValues<SceneKind>().Select(Tag));

    /// <summary>The fill colour drawn for an object colour.</summary>
    public static SKColor Rgb(ObjectColour colour) => colour switch
    {
        ObjectColour.Red => new SKColor(220, 30, 30),
        ObjectColour.Blue => new SKColor(30, 80, 225),
        ObjectColour.Green => new SKColor(30, 170, 60),
        ObjectColour.Yellow => new SKColor(250, 220, 30),
        ObjectColour.Orange => new SKColor(250, 140, 20),
        ObjectColour.Purple => new SKColor(140, 50, 180),
        ObjectColour.Pink => new SKColor(250, 130, 190),
        ObjectColour.White => new SKColor(250, 250, 250),
        ObjectColour.Black => new SKColor(20, 20, 20),
        ObjectColour.Brown => new SKColor(125, 75, 35),
        ObjectColour.Gray => new SKColor(130, 130, 130),
        _ => throw new ArgumentOutOfRangeException(nameof(colour), colour, null),
    };

    /// <summary>Object colours that would blend into a scene; the generator does not use them there (unless nothing else is allowed).</summary>
    public static IReadOnlyList<ObjectColour> LowContrast(SceneKind scene) => scene switch
    {
        SceneKind.Grass => [ObjectColour.Green],
        SceneKind.Beach => [ObjectColour.Yellow],
        SceneKind.Snow => [ObjectColour.White],
        SceneKind.Sky => [ObjectColour.Blue, ObjectColour.White],
        SceneKind.Night => [ObjectColour.Black, ObjectColour.Blue],
        SceneKind.Water => [ObjectColour.Blue],
        SceneKind.Desert => [ObjectColour.Yellow, ObjectColour.Orange, ObjectColour.Brown],
        SceneKind.Road => [ObjectColour.Gray, ObjectColour.Black],
        SceneKind.Floor => [ObjectColour.Brown, ObjectColour.Orange],
        _ => [],
    };

    /// <summary>Ways to say where the objects are; every phrase names the scene's tag and no other generator tag (nor RAM tags such as dark, calm or dune).</summary>
    public static IReadOnlyList<string> Phrases(SceneKind scene) => scene switch
    {
        SceneKind.Grass => ["on the grass", "in the grass", "lying in the grass"],
        SceneKind.Beach => ["on the beach", "at the beach", "down on the beach"],
        SceneKind.Snow => ["in the snow", "on the snow", "on fresh snow"],
        SceneKind.Sky => ["in the sky", "up in the sky", "high in the sky"],
        SceneKind.Night => ["at night", "in the night", "late at night"],
        SceneKind.Water => ["on the water", "floating on the water", "out on the water"],
        SceneKind.Desert => ["in the desert", "out in the desert", "in a sandy desert"],
        SceneKind.Road => ["on the road", "on an empty road", "in the middle of the road"],
        SceneKind.Floor => ["on the floor", "on a wooden floor", "lying on the floor"],
        _ => throw new ArgumentOutOfRangeException(nameof(scene), scene, null),
    };

    /// <summary>Relative diameter of a size, as a fraction of the shorter image side.</summary>
    public static float Diameter(ObjectSize size) => size switch
    {
        ObjectSize.Small => 0.17f,
        ObjectSize.Medium => 0.25f,
        ObjectSize.Large => 0.34f,
        _ => throw new ArgumentOutOfRangeException(nameof(size), size, null),
    };
}
