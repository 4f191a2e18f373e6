using RamDataEngine.Core.Ingest;

namespace RamDataEngine.Core.Synthetic;

/// <summary>
/// Generates labelled synthetic images: shapes of known kind, colour and size on a known scene, with captions that
/// name only some of them and sometimes one that is not there. Image <c>i</c> depends only on (seed, i, options),
/// so any subset can be generated in any order, in parallel, with byte-identical results. Thread-safe.
/// </summary>
public sealed class SceneGenerator
{
    /// <summary>
    /// The <see cref="SourceRow.Source"/> of every generated row: made in memory by <see cref="Generate"/>, or ingested
    /// from the JSONL of <see cref="SceneDatasetWriter"/> (its <c>source</c> field). A dataset whose rows carry it was generated.
    /// </summary>
    public const string SourceName = "synthetic";

    // Each purpose draws from its own stream, so that e.g. changing a caption option never moves an object.
    private const int LayoutStream = 0;
    private const int CaptionStream = 1;
    private const int BackgroundStream = 2;

    private static readonly ObjectSize[] Sizes = Enum.GetValues<ObjectSize>();

    /// <summary>Creates a generator; the options are validated here.</summary>
    public SceneGenerator(SceneGeneratorOptions? options = null)
    {
        Options = options ?? new SceneGeneratorOptions();
        Options.Validate();
    }

    /// <summary>The options in use.</summary>
    public SceneGeneratorOptions Options { get; }

    /// <summary>Decides image <paramref name="index"/>: scene, objects, captions and truth, without drawing it.</summary>
    public SceneSpec Describe(long index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var o = Options;
        var layout = SceneRandom.For(o.Seed, index, LayoutStream);
        var scene = layout.Pick(o.Scenes);
        var low = SceneVocabulary.LowContrast(scene);
        var colours = o.Colours.Where(c => !low.Contains(c)).ToArray();
        if (colours.Length == 0) colours = [.. o.Colours];

        var objects = new List<SceneObject>();
        var shortSide = Math.Min(o.Width, o.Height);
        for (var wanted = layout.Between(o.MinObjects, o.MaxObjects); wanted > 0; wanted--)
        {
            var kind = layout.Pick(o.Shapes);
            var colour = layout.Pick(colours);
            var size = layout.Pick(Sizes);
            var radius = SceneVocabulary.Diameter(size) * shortSide / 2;
            var rotation = kind == ShapeKind.Arrow ? layout.NextFloat(0, 360) : layout.NextFloat(-25, 25);
            if (TryPlace(ref layout, objects, radius, o.Width, o.Height, out var x, out var y))
            {
                objects.Add(new SceneObject(kind, colour, size, x, y, radius, rotation));
            }
        }

        return WriteCaptions(index, scene, objects);
    }

    /// <summary>Draws a described image and encodes it as PNG (deterministic bytes).</summary>
    public byte[] Render(SceneSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return SceneRenderer.RenderPng(spec, SceneRandom.For(Options.Seed, spec.Index, BackgroundStream));
    }

    /// <summary>Image <paramref name="index"/> as a row, as ingest would produce it (key <c>synthetic:{index + 1}</c>).</summary>
    public SourceRow Generate(long index)
    {
        var spec = Describe(index);
        return new SourceRow
        {
            SourceKey = $"{SourceName}:{index + 1}",
            ImageBytes = Render(spec),
            Captions = [.. spec.Captions],
            Source = SourceName,
            Width = spec.Width,
            Height = spec.Height,
            TruthLabels = [.. spec.TruthLabels],
            TruthKnown = true,
        };
    }

    private static bool TryPlace(ref SceneRandom random, List<SceneObject> placed, float radius, int width, int height, out float x, out float y)
    {
        // Rejection sampling: objects may touch but not hide each other; after enough misses the object is left out
        // (the truth is computed from what was placed, so it stays exact).
        for (var attempt = 0; attempt < 30; attempt++)
        {
            x = random.NextFloat(radius, width - radius);
            y = random.NextFloat(radius, height - radius);
            var free = true;
            foreach (var other in placed)
            {
                var dx = other.CenterX - x;
                var dy = other.CenterY - y;
                var gap = (other.Radius + radius) * 0.9f;
                if ((dx * dx) + (dy * dy) < gap * gap)
                {
                    free = false;
                    break;
                }
            }

            if (free) return true;
        }

        x = y = 0;
        return false;
    }

    private SceneSpec WriteCaptions(long index, SceneKind scene, List<SceneObject> objects)
    {
        var o = Options;
        var random = SceneRandom.For(o.Seed, index, CaptionStream);

        // Decided once per image: which kinds (and whether the scene) the captions name, and the one wrong object.
        var present = objects.Select(item => item.Kind).Distinct().ToList();
        var mentioned = present.Where(_ => random.Chance(o.MentionProbability)).ToList();
        var sceneMentioned = random.Chance(o.MentionProbability);
        var absent = o.Shapes.Where(kind => !present.Contains(kind)).ToList();
        ShapeKind? noise = random.Chance(o.NoiseProbability) && absent.Count > 0 ? random.Pick(absent) : null;

        // Colour is said (or not) per kind: "a red star and a blue star" or "two stars", never "a star and a blue star".
        var groups = new List<CaptionWriter.Group>();
        foreach (var kind in mentioned)
        {
            var ofKind = objects.Where(item => item.Kind == kind).ToList();
            if (random.Chance(o.ColourMentionProbability))
            {
                foreach (var run in ofKind.GroupBy(item => item.Colour))
                {
                    var items = run.ToList();
                    groups.Add(new CaptionWriter.Group(kind, run.Key, items.Count, items.Count == 1 ? items[0].Size : null, SayColour: true));
                }
            }
            else
            {
                groups.Add(new CaptionWriter.Group(kind, ofKind[0].Colour, ofKind.Count, ofKind.Count == 1 ? ofKind[0].Size : null, SayColour: false));
            }
        }

        var truthColours = objects.Select(item => SceneVocabulary.Tag(item.Colour)).ToHashSet();
        var noiseLabels = new List<string>();
        if (noise is { } noiseKind)
        {
            var noiseGroup = new CaptionWriter.Group(noiseKind, random.Pick(o.Colours), 1, random.Pick(Sizes), random.Chance(o.ColourMentionProbability));
            groups.Add(noiseGroup);
            noiseLabels.Add(SceneVocabulary.Tag(noiseKind));
            if (noiseGroup.SayColour && !truthColours.Contains(SceneVocabulary.Tag(noiseGroup.Colour))) noiseLabels.Add(SceneVocabulary.Tag(noiseGroup.Colour));
        }

        var captions = CaptionWriter.Write(ref random, groups, sceneMentioned ? scene : null, random.Between(o.MinCaptions, o.MaxCaptions));
        var truth = present.Select(SceneVocabulary.Tag).Append(SceneVocabulary.Tag(scene)).Concat(truthColours).Distinct().Order(StringComparer.Ordinal).ToList();
        return new SceneSpec
        {
            Index = index,
            Width = o.Width,
            Height = o.Height,
            Scene = scene,
            Objects = objects,
            Captions = captions,
            TruthLabels = truth,
            MentionedKinds = mentioned,
            SceneMentioned = sceneMentioned,
            NoiseKind = noise,
            NoiseLabels = noiseLabels,
        };
    }
}
