using RamDataEngine.Core.Evaluation;
using RamDataEngine.Model.Encoders;
using RamDataEngine.Model.Images;
using RamDataEngine.Model.Tests.Encoders;
using RamDataEngine.Testing;

namespace RamDataEngine.Model.Tests;

/// <summary>The model library on the real data in ../shared/data (skipped when absent).</summary>
public sealed class SharedDataTests(EncoderFixture fixture) : IClassFixture<EncoderFixture>
{
    [SharedDataFact]
    public void Encode_CocoPhotos_FiniteAndDistinctFeatures()
    {
        var files = Directory.GetFiles(SharedData.PathOf("coco_mini", "val2017"), "*.jpg").Order(StringComparer.Ordinal).Take(3).ToList();
        var decoder = new ImageDecoder();
        var images = files.Select(f => decoder.Decode(File.ReadAllBytes(f), fixture.Encoder.PreferredDecodeSide)).ToList();

        var features = fixture.Encoder.Encode(images);

        Assert.Equal(3, features.Count);
        Assert.All(features.Values, v => Assert.True(float.IsFinite(v)));
        Assert.NotEqual(features.Global(0).ToArray(), features.Global(1).ToArray());
        Assert.All(images, i => Assert.True(Math.Min(i.Width, i.Height) >= OnnxResNet18Encoder.InputSize));
    }

    [SharedDataFact]
    public void ThresholdFile_RamThresholds_OnePerTagOfTheTagList()
    {
        int tagCount = File.ReadLines(SharedData.PathOf("ram_tags", "ram_tag_list.txt")).Count();
        using var reader = new StreamReader(SharedData.PathOf("ram_tags", "ram_tag_list_threshold.txt"));

        var thresholds = ThresholdFile.Read(reader, tagCount, "ram_tag_list_threshold.txt");

        Assert.Equal(4585, thresholds.Length);
        Assert.All(thresholds, t => Assert.InRange(t, 0f, 1f));
    }
}
