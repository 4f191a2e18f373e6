using System.Text;
using RamDataEngine.Testing;

namespace RamDataEngine.Tagging.Tests.Vocabulary;

public sealed class TagVocabularyTests
{
    private static MemoryStream Text(string text) => new(Encoding.UTF8.GetBytes(text));

    private static string Read(MemoryStream stream) => Encoding.UTF8.GetString(stream.ToArray());

    private static TagVocabulary Rich() => new(
        [
            new TagEntry(0, "dog", ["puppy", "doggy"], TagCategory.Object, 0.65f, "狗"),
            new TagEntry(1, "living room", [], TagCategory.Scene, 0.8f, "客厅"),
            new TagEntry(2, "run", ["jog"], TagCategory.Action, null, null),
            new TagEntry(3, "French fries", [], TagCategory.Unknown, 0.9f, null),
        ],
        ignoredPhrases: ["watches"],
        localizedLanguage: "zh");

    [Fact]
    public void ReadRam_TagList_IdIsTheLineIndex()
    {
        var vocabulary = TagVocabulary.ReadRam(Text("3D CG rendering\nabacus\nFrench fries"));
        Assert.Equal(["3D CG rendering", "abacus", "French fries"], vocabulary.Tags.Select(t => t.Name));
        Assert.Equal([0, 1, 2], vocabulary.Tags.Select(t => t.Id));
        Assert.All(vocabulary.Tags, t => Assert.Null(t.Threshold));
        Assert.Null(vocabulary.LocalizedLanguage);
    }

    [Fact]
    public void ReadRam_WithThresholdsAndChinese_AlignsByLineAndTrims()
    {
        var vocabulary = TagVocabulary.ReadRam(
            Text("dog\r\ncat\r\n"),
            Text("0.65\n0.8\n"),
            Text("狗 \n猫\n"));
        Assert.Equal([0.65f, 0.8f], vocabulary.Tags.Select(t => t.Threshold!.Value));
        Assert.Equal(["狗", "猫"], vocabulary.Tags.Select(t => t.LocalizedName));
        Assert.Equal("zh", vocabulary.LocalizedLanguage);
    }

    [Fact]
    public void ReadRam_ThresholdCountDiffers_ThrowsNamingBothFiles()
    {
        var e = Assert.Throws<InvalidDataException>(() => TagVocabulary.ReadRam(Text("dog\ncat\n"), Text("0.65\n")));
        Assert.Contains("ram_tag_list_threshold.txt has 1 lines", e.Message, StringComparison.Ordinal);
        Assert.Contains("ram_tag_list.txt has 2 tags", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadRam_ThresholdNotANumber_ThrowsNamingTheLine()
    {
        var e = Assert.Throws<InvalidDataException>(() => TagVocabulary.ReadRam(Text("dog\ncat\n"), Text("0.65\nhigh\n")));
        Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
        Assert.Contains("'high'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadRam_EmptyLineInTheMiddle_ThrowsNamingTheLine()
    {
        var e = Assert.Throws<InvalidDataException>(() => TagVocabulary.ReadRam(Text("dog\n\ncat\n")));
        Assert.Contains("line 2", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadRam_DuplicateNames_ThrowsNamingBothTags()
    {
        var e = Assert.Throws<InvalidDataException>(() => TagVocabulary.ReadRam(Text("dog\ncat\nDog\n")));
        Assert.Contains("Tag 2 'Dog'", e.Message, StringComparison.Ordinal);
        Assert.Contains("tag 0", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReadRam_EmptyFile_Throws()
        => Assert.Throws<InvalidDataException>(() => TagVocabulary.ReadRam(Text("")));

    [Fact]
    public void ReadRam_InvalidUtf8_Throws()
        => Assert.Throws<InvalidDataException>(() => TagVocabulary.ReadRam(new MemoryStream([0x64, 0x6f, 0xff, 0xfe, 0x0a])));

    [Fact]
    public void WriteRam_ThenReadRam_RoundTrips()
    {
        var vocabulary = TagVocabulary.ReadRam(Text("dog\ncat\nFrench fries"), Text("0.65\n0.8\n0.9"), Text("狗\n猫\n薯条"));
        using MemoryStream tags = new(), thresholds = new(), chinese = new();
        vocabulary.WriteRam(tags, thresholds, chinese);
        Assert.Equal("dog\ncat\nFrench fries\n", Read(tags));
        Assert.Equal("0.65\n0.8\n0.9\n", Read(thresholds));
        tags.Position = thresholds.Position = chinese.Position = 0;
        var back = TagVocabulary.ReadRam(tags, thresholds, chinese);
        Assert.Equal(vocabulary.Tags, back.Tags);
        Assert.Equal(vocabulary.Id, back.Id);
    }

    [Fact]
    public void WriteRam_TagWithoutThreshold_ThrowsNamingTheTag()
    {
        using MemoryStream tags = new(), thresholds = new();
        var e = Assert.Throws<InvalidOperationException>(() => Rich().WriteRam(tags, thresholds));
        Assert.Contains("Tag 2 'run'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WriteJson_ThenReadJson_RoundTripsEverything()
    {
        var vocabulary = Rich();
        using var json = new MemoryStream();
        vocabulary.WriteJson(json);
        json.Position = 0;
        var back = TagVocabulary.ReadJson(json);
        Assert.Equal(vocabulary.Tags, back.Tags);
        Assert.Equal(vocabulary.IgnoredPhrases, back.IgnoredPhrases);
        Assert.Equal("zh", back.LocalizedLanguage);
        Assert.Equal(vocabulary.Id, back.Id);
    }

    [Fact]
    public void WriteJson_IsReadableText()
    {
        using var json = new MemoryStream();
        Rich().WriteJson(json);
        var text = Read(json);
        Assert.Contains("\"format\": \"ramdataengine.vocabulary\"", text, StringComparison.Ordinal);
        Assert.Contains("\"name\": \"living room\"", text, StringComparison.Ordinal);
        Assert.Contains("\"localizedName\": \"客厅\"", text, StringComparison.Ordinal);
        Assert.Contains("\"category\": \"scene\"", text, StringComparison.Ordinal);
        Assert.Contains("\"threshold\": 0.65", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{", "malformed")]
    [InlineData("[]", "root is not an object")]
    [InlineData("{\"format\":\"other\",\"version\":1,\"tags\":[]}", "format is 'other'")]
    [InlineData("{\"format\":\"ramdataengine.vocabulary\",\"version\":9,\"tags\":[]}", "version 9")]
    [InlineData("{\"format\":\"ramdataengine.vocabulary\",\"version\":1}", "'tags' is missing")]
    [InlineData("{\"format\":\"ramdataengine.vocabulary\",\"version\":1,\"tags\":[{\"id\":0,\"name\":\"a\"},{\"id\":1}]}", "tags[1] has no 'name'")]
    [InlineData("{\"format\":\"ramdataengine.vocabulary\",\"version\":1,\"tags\":[{\"id\":0,\"name\":\"a\",\"category\":\"colour\"}]}", "tags[0].category 'colour'")]
    [InlineData("{\"format\":\"ramdataengine.vocabulary\",\"version\":1,\"tags\":[{\"id\":0,\"name\":\"a\",\"threshold\":\"high\"}]}", "tags[0].threshold is not a number")]
    [InlineData("{\"format\":\"ramdataengine.vocabulary\",\"version\":1,\"tags\":[{\"id\":1,\"name\":\"a\"}]}", "has id 1")]
    public void ReadJson_BadContent_ThrowsNamingWhatAndWhere(string json, string expected)
    {
        var e = Assert.Throws<InvalidDataException>(() => TagVocabulary.ReadJson(Text(json)));
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Id_IsAStableContentHash()
    {
        var a = Rich();
        var b = Rich();
        Assert.Matches("^[0-9a-f]{64}$", a.Id);
        Assert.Equal(a.Id, b.Id);
        var changed = new TagVocabulary(a.Tags.Select(t => t.Id == 1 ? t with { Threshold = 0.81f } : t), a.IgnoredPhrases, a.LocalizedLanguage);
        Assert.NotEqual(a.Id, changed.Id);
        Assert.NotEqual(a.Id, a.WithSynonyms(new SynonymTable([new SynonymRule("pup", ["dog"])])).Id);
    }

    [Fact]
    public void Constructor_IdsNotInOrder_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new TagVocabulary([new TagEntry(1, "dog")]));
        Assert.Contains("ids must be 0..n-1", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("two\nlines")]
    public void Constructor_BadName_Throws(string name)
        => Assert.Throws<ArgumentException>(() => new TagVocabulary([new TagEntry(0, name)]));

    [Fact]
    public void TryGetTag_IgnoresCase()
    {
        Assert.True(Rich().TryGetTag("french FRIES", out var tag));
        Assert.Equal(3, tag.Id);
        Assert.False(Rich().TryGetTag("pizza", out _));
        Assert.Equal(-1, Rich().IndexOf("pizza"));
    }

    [Fact]
    public void WithSynonyms_AddsToNamedTagsAndIgnores_SkipsMissingTargets()
    {
        var table = new SynonymTable(
        [
            new SynonymRule("pup", ["Dog"]),
            new SynonymRule("lounge", ["living room", "sofa"]),
            new SynonymRule("puppy", ["dog"]),
            new SynonymRule("square", []),
        ]);
        var vocabulary = Rich().WithSynonyms(table);
        Assert.Equal(["puppy", "doggy", "pup"], vocabulary[0].Synonyms);
        Assert.Equal(["lounge"], vocabulary[1].Synonyms);
        Assert.Equal(["watches", "square"], vocabulary.IgnoredPhrases);
        Assert.Equal(["sofa"], table.MissingTargets(vocabulary));
    }

    [Fact]
    public void WithCategories_SetsNamedTags()
    {
        var vocabulary = Rich().WithCategories(new Dictionary<string, TagCategory> { ["French fries"] = TagCategory.Object });
        Assert.Equal(TagCategory.Object, vocabulary[3].Category);
        Assert.Equal(TagCategory.Scene, vocabulary[1].Category);
    }

    [Fact]
    public void LoadRam_MissingFile_ThrowsNamingIt()
    {
        using var folder = new TempDirectory();
        var e = Assert.Throws<FileNotFoundException>(() => TagVocabulary.LoadRam(folder.Combine("nope.txt")));
        Assert.Contains("nope.txt", e.Message, StringComparison.Ordinal);
        Assert.Throws<DirectoryNotFoundException>(() => TagVocabulary.LoadRamFolder(folder.Combine("absent")));
    }

    [Fact]
    public void LoadRamFolder_OnlyTheTagList_LoadsWithoutThresholds()
    {
        using var folder = new TempDirectory();
        File.WriteAllText(folder.Combine(TagVocabulary.RamTagListFileName), "dog\ncat");
        var vocabulary = TagVocabulary.LoadRamFolder(folder.Path);
        Assert.Equal(2, vocabulary.Count);
        Assert.Null(vocabulary[0].Threshold);
    }

    [SharedDataFact]
    public void LoadRamFolder_RamsRelease_Has4585TagsWithThresholdsAndChineseNames()
    {
        var vocabulary = TagVocabulary.LoadRamFolder(SharedData.PathOf("ram_tags"));
        Assert.Equal(4585, vocabulary.Count);
        Assert.Equal("3D CG rendering", vocabulary[0].Name);
        Assert.Equal("zoo", vocabulary[4584].Name);
        Assert.All(vocabulary.Tags, t => Assert.NotNull(t.Threshold));
        Assert.All(vocabulary.Tags, t => Assert.False(string.IsNullOrWhiteSpace(t.LocalizedName)));
        Assert.Equal("三维CG渲染", vocabulary[0].LocalizedName);
    }

    [SharedDataFact]
    public void WriteRam_RamsRelease_WritesTheSameLines()
    {
        var folder = SharedData.PathOf("ram_tags");
        var vocabulary = TagVocabulary.LoadRamFolder(folder);
        using MemoryStream tags = new(), thresholds = new(), chinese = new();
        vocabulary.WriteRam(tags, thresholds, chinese);
        Assert.Equal(File.ReadAllLines(Path.Combine(folder, TagVocabulary.RamTagListFileName)), Read(tags).TrimEnd('\n').Split('\n'));
        Assert.Equal(
            File.ReadAllLines(Path.Combine(folder, TagVocabulary.RamThresholdFileName)).Select(l => float.Parse(l, System.Globalization.CultureInfo.InvariantCulture)),
            Read(thresholds).TrimEnd('\n').Split('\n').Select(l => float.Parse(l, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(File.ReadAllLines(Path.Combine(folder, TagVocabulary.RamChineseFileName)).Select(l => l.Trim()), Read(chinese).TrimEnd('\n').Split('\n'));
    }

    [SharedDataFact]
    public void WriteJson_RamsReleaseWithDefaultSynonyms_RoundTripsWithTheSameId()
    {
        var vocabulary = SharedCorpus.Ram;
        using var json = new MemoryStream();
        vocabulary.WriteJson(json, indented: false);
        json.Position = 0;
        Assert.Equal(vocabulary.Id, TagVocabulary.ReadJson(json).Id);
    }
}
