using System.Text.RegularExpressions;
using RamDataEngine.Core.Images;
using RamDataEngine.Core.Synthetic;
using RamDataEngine.Testing;

namespace RamDataEngine.Core.Tests.Synthetic;

public sealed class SceneGeneratorTests
{
    private static readonly ShapeKind[] Kinds = Enum.GetValues<ShapeKind>();

    [Fact]
    public void Generate_SameSeed_IdenticalBytesAndCaptions()
    {
        var first = new SceneGenerator(new SceneGeneratorOptions { Seed = 7 });
        var second = new SceneGenerator(new SceneGeneratorOptions { Seed = 7 });

        for (var i = 0; i < 40; i++)
        {
            var a = first.Generate(i);
            var b = second.Generate(i);
            Assert.Equal(a.ImageBytes, b.ImageBytes);
            Assert.Equal(a.Captions, b.Captions);
            Assert.Equal(a.TruthLabels, b.TruthLabels);
        }
    }

    [Fact]
    public void Generate_OtherSeed_DifferentImages()
    {
        var a = new SceneGenerator(new SceneGeneratorOptions { Seed = 1 });
        var b = new SceneGenerator(new SceneGeneratorOptions { Seed = 2 });

        var same = Enumerable.Range(0, 20).Count(i => a.Generate(i).ImageBytes.AsSpan().SequenceEqual(b.Generate(i).ImageBytes));

        Assert.Equal(0, same);
    }

    [Fact]
    public void Generate_InParallelAndOutOfOrder_SameBytesAsSequential()
    {
        var generator = new SceneGenerator(new SceneGeneratorOptions { Seed = 11 });
        var sequential = Enumerable.Range(0, 64).Select(i => generator.Generate(i).ImageBytes).ToArray();

        var parallel = new byte[64][];
        Parallel.For(0, 64, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => parallel[63 - i] = generator.Generate(63 - i).ImageBytes);

        for (var i = 0; i < 64; i++) Assert.Equal(sequential[i], parallel[i]);
    }

    [Fact]
    public void Generate_CaptionOptionsChange_ImagesStay()
    {
        var plain = new SceneGenerator(new SceneGeneratorOptions { Seed = 3 });
        var noisy = new SceneGenerator(new SceneGeneratorOptions { Seed = 3, NoiseProbability = 0.9, MentionProbability = 0.2, MaxCaptions = 2 });

        for (var i = 0; i < 10; i++) Assert.Equal(plain.Generate(i).ImageBytes, noisy.Generate(i).ImageBytes);
    }

    [Theory]
    [InlineData(128, 128)]
    [InlineData(96, 64)]
    public void Render_EveryImage_DecodesWholeWithDeclaredSize(int width, int height)
    {
        var generator = new SceneGenerator(new SceneGeneratorOptions { Seed = 5, Width = width, Height = height });
        var inspector = new ImageInspector();

        for (var i = 0; i < 60; i++)
        {
            var row = generator.Generate(i);
            var result = inspector.Inspect(row.ImageBytes);
            Assert.True(result.IsOk, result.ToString());
            Assert.Equal(ImageFormat.Png, result.Format);
            Assert.Equal((width, height), (result.Width, result.Height));
            Assert.Equal((width, height), (row.Width, row.Height));
        }
    }

    [Fact]
    public void Describe_2000Images_CaptionsMissAndInventAtTheConfiguredRates()
    {
        var options = new SceneGeneratorOptions { Seed = 2024 };
        var generator = new SceneGenerator(options);
        int present = 0, named = 0, images = 0, noisy = 0, scenesNamed = 0, captions = 0;

        for (var i = 0; i < 2000; i++)
        {
            var spec = generator.Describe(i);
            var text = string.Join(" | ", spec.Captions).ToLowerInvariant();
            var kindsPresent = spec.Objects.Select(o => o.Kind).ToHashSet();
            var kindsNamed = Kinds.Where(kind => Names(text, kind)).ToHashSet();

            // Measured on the caption text, as a tag parser would see it, not on the generator's own bookkeeping.
            images++;
            present += kindsPresent.Count;
            named += kindsPresent.Count(kindsNamed.Contains);
            if (kindsNamed.Except(kindsPresent).Any()) noisy++;
            if (Regex.IsMatch(text, $@"\b{SceneVocabulary.Tag(spec.Scene)}\b")) scenesNamed++;
            captions += spec.Captions.Count;

            Assert.All(spec.Captions, caption => Assert.False(string.IsNullOrWhiteSpace(caption)));
            Assert.InRange(spec.Captions.Count, options.MinCaptions, options.MaxCaptions);
            Assert.Equal(kindsNamed.Except(kindsPresent).Select(SceneVocabulary.Tag), spec.NoiseLabels.Where(label => Kinds.Any(k => SceneVocabulary.Tag(k) == label)));
        }

        Assert.InRange((double)named / present, 0.57, 0.63);
        Assert.InRange((double)noisy / images, 0.08, 0.12);
        Assert.InRange((double)scenesNamed / images, 0.56, 0.64);
        Assert.InRange((double)captions / images, 2.8, 3.2);
    }

    [Fact]
    public void Describe_TruthLabels_AreKindsSceneAndColoursSorted()
    {
        var generator = new SceneGenerator(new SceneGeneratorOptions { Seed = 9 });

        for (var i = 0; i < 200; i++)
        {
            var spec = generator.Describe(i);
            var expected = spec.Objects.Select(o => SceneVocabulary.Tag(o.Kind))
                .Concat(spec.Objects.Select(o => SceneVocabulary.Tag(o.Colour)))
                .Append(SceneVocabulary.Tag(spec.Scene))
                .Distinct().Order(StringComparer.Ordinal);
            Assert.Equal(expected, spec.TruthLabels);
            Assert.DoesNotContain(spec.Objects, o => SceneVocabulary.LowContrast(spec.Scene).Contains(o.Colour));
            Assert.InRange(spec.Objects.Count, 1, 4);
        }
    }

    [Fact]
    public void Phrases_NameOnlyTheirOwnScene()
    {
        var generatorTags = SceneVocabulary.AllTags().ToList();
        foreach (var scene in Enum.GetValues<SceneKind>())
        {
            foreach (var phrase in SceneVocabulary.Phrases(scene))
            {
                var tags = generatorTags.Where(tag => Regex.IsMatch(phrase, $@"\b{tag}s?\b")).ToList();
                Assert.Equal([SceneVocabulary.Tag(scene)], tags);
            }
        }
    }

    [Fact]
    public void Constructor_BadOptions_ThrowNamingTheOption()
    {
        Assert.Contains("MaxObjects", Assert.ThrowsAny<ArgumentException>(() => new SceneGenerator(new SceneGeneratorOptions { MinObjects = 3, MaxObjects = 2 })).Message);
        Assert.Contains("NoiseProbability", Assert.ThrowsAny<ArgumentException>(() => new SceneGenerator(new SceneGeneratorOptions { NoiseProbability = 1.5 })).Message);
        Assert.Contains("Shapes", Assert.ThrowsAny<ArgumentException>(() => new SceneGenerator(new SceneGeneratorOptions { Shapes = [] })).Message);
        Assert.Contains("Colours", Assert.ThrowsAny<ArgumentException>(() => new SceneGenerator(new SceneGeneratorOptions { Colours = [ObjectColour.Red, ObjectColour.Red] })).Message);
    }

    [SharedDataFact]
    public void AllTags_AreInTheRamVocabulary()
    {
        var vocabulary = File.ReadLines(SharedData.PathOf("ram_tags", "ram_tag_list.txt")).ToHashSet();

        Assert.All(SceneVocabulary.AllTags(), tag => Assert.Contains(tag, vocabulary));
    }

    private static bool Names(string text, ShapeKind kind)
        => Regex.IsMatch(text, $@"\b({SceneVocabulary.Tag(kind)}|{SceneVocabulary.Plural(kind)})\b");
}
