using Microsoft.ML.OnnxRuntime;
using RamDataEngine.Model.Encoders;
using RamDataEngine.Model.Images;
using SkiaSharp;

namespace RamDataEngine.Model.Tests.Encoders;

/// <summary>Loads the 64 MB model once for the class.</summary>
public sealed class EncoderFixture : IDisposable
{
    public OnnxResNet18Encoder Encoder { get; } = new(new OnnxResNet18EncoderOptions { Threads = 2 });

    public void Dispose() => Encoder.Dispose();
}

public sealed class OnnxResNet18EncoderTests(EncoderFixture fixture) : IClassFixture<EncoderFixture>
{
    private static readonly ImageDecoder Decoder = new();

    [Fact]
    public void Encode_DrawnImage_FiniteGlobalAndRegionEmbeddings()
    {
        var features = fixture.Encoder.Encode([Decoder.Decode(TestImages.Circle())]);

        Assert.Equal((1, 4, 512), (features.Count, features.RegionCount, features.Dimension));
        Assert.Equal("resnet18-onnx/fmap-2x2", fixture.Encoder.Id);
        Assert.All(features.Values, v => Assert.True(float.IsFinite(v)));
        // Pooled after a ReLU: non-negative, and not all zero.
        Assert.All(features.Values, v => Assert.True(v >= 0));
        Assert.True(features.Global(0).ToArray().Sum() > 0);
    }

    [Fact]
    public void Encode_SameImageTwice_IdenticalFeatures()
    {
        var image = Decoder.Decode(TestImages.Stripes());

        var first = fixture.Encoder.Encode([image]);
        var second = fixture.Encoder.Encode([image]);

        Assert.Equal(first.Values, second.Values);
    }

    [Fact]
    public void Encode_DifferentImages_DifferentFeatures()
    {
        var features = fixture.Encoder.Encode([Decoder.Decode(TestImages.Circle()), Decoder.Decode(TestImages.Stripes())]);

        Assert.True(Cosine(features.Global(0), features.Global(1)) < 0.95, "a red disc and green-yellow stripes should not embed alike");
    }

    [Fact]
    public void Encode_QuadrantsDiffer_RegionEmbeddingsFollowContent()
    {
        // Left half plain white, right half stripes: left regions alike, left vs right not.
        var png = TestImages.Draw(320, 320, SKColors.White, canvas =>
        {
            using var paint = new SKPaint { Color = SKColors.Black };
            for (int x = 160; x < 320; x += 16) canvas.DrawRect(x, 0, 8, 320, paint);
        });

        var features = fixture.Encoder.Encode([Decoder.Decode(png)]);

        double leftPair = Cosine(features.Region(0, 0), features.Region(0, 2));
        double acrossPair = Cosine(features.Region(0, 0), features.Region(0, 1));
        Assert.True(leftPair > acrossPair, $"top-left vs bottom-left {leftPair:F3} should beat top-left vs top-right {acrossPair:F3}");
    }

    [Fact]
    public void Encode_OneCellGrid_RegionEqualsGlobalPool()
    {
        // The exposed tensor is the one the model average-pools: pooled over one cell it must give the global vector.
        using var encoder = new OnnxResNet18Encoder(new OnnxResNet18EncoderOptions { Threads = 2, RegionGrid = 1 });

        var features = encoder.Encode([Decoder.Decode(TestImages.Circle())]);

        var global = features.Global(0).ToArray();
        var region = features.Region(0, 0).ToArray();
        for (int i = 0; i < global.Length; i++) Assert.Equal(global[i], region[i], 1e-3f);
    }

    [Fact]
    public void Encode_CropGrid_EncodesEachQuadrant()
    {
        using var encoder = new OnnxResNet18Encoder(new OnnxResNet18EncoderOptions { Threads = 2, Regions = RegionMode.CropGrid });
        var image = Decoder.Decode(TestImages.Circle(), encoder.PreferredDecodeSide);

        var features = encoder.Encode([image]);

        Assert.Equal("resnet18-onnx/crops-2x2", encoder.Id);
        Assert.All(features.Values, v => Assert.True(float.IsFinite(v)));
        // The disc is centred: the four quadrant crops are mirror images and embed alike, but not like the whole image.
        Assert.True(Cosine(features.Region(0, 0), features.Region(0, 3)) > Cosine(features.Region(0, 0), features.Global(0)));
    }

    [Fact]
    public void NormalizeRgbPlanar_MatchesPreprocessModel()
    {
        var random = new Random(7);
        var rgb = new float[3 * 224 * 224];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = random.Next(256);
        var ours = new float[rgb.Length];
        fixture.Encoder.NormalizeRgbPlanar(rgb, ours);

        var path = Path.Combine(AppContext.BaseDirectory, "DnnImageModels", "ResNetPrepOnnx", "ResNetPreprocess.onnx");
        using var session = new InferenceSession(path);
        using var input = OrtValue.CreateTensorValueFromMemory(rgb, [1, 3, 224, 224]);
        using var runOptions = new RunOptions();
        using var outputs = session.Run(runOptions, [session.InputMetadata.Keys.Single()], [input], [session.OutputMetadata.Keys.Single()]);
        var theirs = outputs[0].GetTensorDataAsSpan<float>().ToArray();

        Assert.Equal(theirs.Length, ours.Length);
        for (int i = 0; i < ours.Length; i++) Assert.Equal(theirs[i], ours[i], 1e-3f);
    }

    [Fact]
    public void Constructor_CudaWithoutGpuPackage_FailsClearly()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new OnnxResNet18Encoder(new OnnxResNet18EncoderOptions { Device = ComputeDevice.Cuda }));

        Assert.Contains("CUDA", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Constructor_MissingModelFolder_NamesThePath()
    {
        var error = Assert.Throws<FileNotFoundException>(() => new OnnxResNet18Encoder(new OnnxResNet18EncoderOptions { ModelDirectory = "/nonexistent/models" }));

        Assert.Contains("/nonexistent/models", error.Message, StringComparison.Ordinal);
    }

    private static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }

        return dot / Math.Sqrt(na * nb);
    }
}
