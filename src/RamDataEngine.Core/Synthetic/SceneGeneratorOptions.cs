namespace RamDataEngine.Core.Synthetic;

/// <summary>What <see cref="SceneGenerator"/> draws and how its captions under-describe and mis-describe it.</summary>
public sealed class SceneGeneratorOptions
{
    /// <summary>The seed: the same seed and options give byte-identical images and captions.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Image width in pixels.</summary>
    public int Width { get; init; } = 128;

    /// <summary>Image height in pixels.</summary>
    public int Height { get; init; } = 128;

    /// <summary>The shapes objects are drawn from (default: all ten).</summary>
    public IReadOnlyList<ShapeKind> Shapes { get; init; } = Enum.GetValues<ShapeKind>();

    /// <summary>The colours objects are drawn from (default: all eleven).</summary>
    public IReadOnlyList<ObjectColour> Colours { get; init; } = Enum.GetValues<ObjectColour>();

    /// <summary>The scenes backgrounds are drawn from (default: all nine).</summary>
    public IReadOnlyList<SceneKind> Scenes { get; init; } = Enum.GetValues<SceneKind>();

    /// <summary>Fewest objects per image.</summary>
    public int MinObjects { get; init; } = 1;

    /// <summary>Most objects per image.</summary>
    public int MaxObjects { get; init; } = 4;

    /// <summary>Chance that the captions name a shape kind that is in the image (and, separately, the scene): 0.6 leaves ~40% unnamed.</summary>
    public double MentionProbability { get; init; } = 0.6;

    /// <summary>Chance that the captions name one shape kind that is not in the image.</summary>
    public double NoiseProbability { get; init; } = 0.1;

    /// <summary>Chance that a named object's colour is said with it.</summary>
    public double ColourMentionProbability { get; init; } = 0.8;

    /// <summary>Fewest captions per image.</summary>
    public int MinCaptions { get; init; } = 1;

    /// <summary>Most captions per image.</summary>
    public int MaxCaptions { get; init; } = 5;

    /// <summary>Throws when an option is out of range, naming it.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Width, 16, nameof(Width));
        ArgumentOutOfRangeException.ThrowIfLessThan(Height, 16, nameof(Height));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Width, 4096, nameof(Width));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Height, 4096, nameof(Height));
        RequireDistinct(Shapes, nameof(Shapes));
        RequireDistinct(Colours, nameof(Colours));
        RequireDistinct(Scenes, nameof(Scenes));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinObjects, 0, nameof(MinObjects));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxObjects, MinObjects, nameof(MaxObjects));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxObjects, 8, nameof(MaxObjects));
        RequireProbability(MentionProbability, nameof(MentionProbability));
        RequireProbability(NoiseProbability, nameof(NoiseProbability));
        RequireProbability(ColourMentionProbability, nameof(ColourMentionProbability));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinCaptions, 1, nameof(MinCaptions));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCaptions, MinCaptions, nameof(MaxCaptions));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxCaptions, 20, nameof(MaxCaptions));
    }

    private static void RequireDistinct<T>(IReadOnlyList<T>? values, string name)
    {
        if (values is null || values.Count == 0) throw new ArgumentException($"{name} must list at least one value.", name);
        if (values.Distinct().Count() != values.Count) throw new ArgumentException($"{name} lists a value twice.", name);
    }

    private static void RequireProbability(double value, string name)
    {
        if (!(value >= 0 && value <= 1)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be a probability between 0 and 1.");
    }
}
