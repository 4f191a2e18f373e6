using System.Text.Json;
using RamDataEngine.Testing;

namespace RamDataEngine.Tagging.Tests;

/// <summary>RAM's vocabulary and the COCO captions from ../shared/data, loaded once per test run (only from [SharedDataFact] tests).</summary>
internal static class SharedCorpus
{
    private static readonly Lazy<TagVocabulary> RamVocabulary = new(() =>
        TagVocabulary.LoadRamFolder(SharedData.PathOf("ram_tags")).WithSynonyms(SynonymTable.Default));

    private static readonly Lazy<CaptionParser> RamParser = new(() => new CaptionParser(Ram));

    private static readonly Lazy<IReadOnlyList<CocoImage>> Val2017 = new(() => ReadCoco(SharedData.PathOf("coco_captions_val2017", "coco_val2017_captions.jsonl")));

    private static readonly Lazy<IReadOnlyList<CocoImage>> Mini = new(() => ReadCoco(SharedData.PathOf("coco_mini", "coco_mini.jsonl")));

    /// <summary>RAM's 4,585 tags with thresholds, Chinese names and the default synonym table.</summary>
    public static TagVocabulary Ram => RamVocabulary.Value;

    public static CaptionParser Parser => RamParser.Value;

    /// <summary>All 5,000 images (25,014 captions) of COCO val2017, in file order.</summary>
    public static IReadOnlyList<CocoImage> CocoVal2017 => Val2017.Value;

    /// <summary>The 239 coco_mini images (159 with known labels).</summary>
    public static IReadOnlyList<CocoImage> CocoMini => Mini.Value;

    /// <summary>Every val2017 caption in file order with its id "image_id:index".</summary>
    public static IEnumerable<(string Id, string Caption)> AllCaptions()
        => CocoVal2017.SelectMany(image => image.Captions.Select((c, i) => ($"{image.ImageId}:{i}", c)));

    private static List<CocoImage> ReadCoco(string path)
    {
        var images = new List<CocoImage>();
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var captions = root.GetProperty("captions").EnumerateArray().Select(c => c.GetString()!).ToArray();
            var labels = root.TryGetProperty("labels", out var l) ? l.EnumerateArray().Select(x => x.GetString()!).ToArray() : [];
            var known = root.TryGetProperty("labels_known", out var k) && k.GetBoolean();
            images.Add(new CocoImage(root.GetProperty("image_id").GetInt64(), captions, labels, known));
        }

        return images;
    }
}

internal sealed record CocoImage(long ImageId, IReadOnlyList<string> Captions, IReadOnlyList<string> Labels, bool LabelsKnown);
