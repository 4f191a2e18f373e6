using System.Text;
using RamDataEngine.Core.Images;
using RamDataEngine.Core.Ingest;
using RamDataEngine.Core.Tests.Images;
using RamDataEngine.Testing;
using SkiaSharp;

namespace RamDataEngine.Core.Tests.Ingest;

public sealed class JsonlSourceTests : IDisposable
{
    private readonly TempDirectory _temp = new("ram-jsonl");
    private readonly string _data;

    public JsonlSourceTests()
    {
        _data = _temp.Combine("data");
        Directory.CreateDirectory(Path.Combine(_data, "images"));
        File.WriteAllBytes(Path.Combine(_data, "images", "good.png"), TestImages.Encode(64, 48, SKEncodedImageFormat.Png));
        File.WriteAllBytes(Path.Combine(_data, "images", "good.jpg"), TestImages.Encode(80, 60, SKEncodedImageFormat.Jpeg));
        File.WriteAllBytes(Path.Combine(_data, "images", "big.png"), TestImages.Encode(300, 300, SKEncodedImageFormat.Png));
        var whole = TestImages.Encode(120, 90, SKEncodedImageFormat.Jpeg);
        File.WriteAllBytes(Path.Combine(_data, "images", "half.jpg"), whole[..(whole.Length / 2)]);
        var noise = new byte[2048];
        new Random(5).NextBytes(noise);
        noise[0] = 0;
        File.WriteAllBytes(Path.Combine(_data, "images", "noise.jpg"), noise);
        File.WriteAllBytes(Path.Combine(_data, "images", "empty.png"), []);
        File.WriteAllBytes(_temp.Combine("outside.png"), TestImages.Encode(10, 10, SKEncodedImageFormat.Png));
        File.CreateSymbolicLink(Path.Combine(_data, "images", "escape.png"), Path.Combine("..", "..", "outside.png"));
        File.CreateSymbolicLink(Path.Combine(_data, "images", "alias.png"), "good.png");
        Directory.CreateSymbolicLink(Path.Combine(_data, "linked-dir"), _temp.Path);
    }

    public void Dispose() => _temp.Dispose();

    private static JsonlSourceOptions Options(int linesPerChunk = 1000) => new()
    {
        LinesPerChunk = linesPerChunk,
        MaxCaptionChars = 200,
        MaxLineBytes = 100_000,
        ImageLimits = new ImageLimits { MaxPixels = 200 * 200 },
    };

    private static string Row(string imageFile, params string[] captions)
        => $$"""{"image_file": "{{imageFile}}", "image_id": 1, "captions": [{{string.Join(", ", captions.Select(c => $"\"{c}\""))}}], "labels": ["dog", "cat"], "labels_known": true}""";

    // Every bad-row kind, each on a known line, between good rows.
    private static readonly (string Line, string? Reason)[] MixedLines =
    [
        (Row("images/good.png", "a dog and a cat"), null),                                        // 1
        ("""{"image_file": "images/good.png", "captions": ["unclosed" """, QuarantineReasons.JsonMalformed), // 2
        (Row("images/missing.png", "nothing here"), QuarantineReasons.ImageMissing),               // 3
        (Row("/etc/hostname", "absolute"), QuarantineReasons.ImagePathInvalid),                   // 4
        (Row("../outside.png", "climbs out"), QuarantineReasons.ImagePathInvalid),                // 5
        (Row("images/escape.png", "symlink out"), QuarantineReasons.ImagePathInvalid),            // 6
        (Row("linked-dir/outside.png", "dir symlink out"), QuarantineReasons.ImagePathInvalid),   // 7
        (Row("images/half.jpg", "truncated"), ImageRejectReasons.Truncated),                      // 8
        (Row("images/noise.jpg", "noise"), ImageRejectReasons.UnsupportedFormat),                 // 9
        (Row("images/empty.png", "zero bytes"), ImageRejectReasons.Empty),                        // 10
        (Row("images/good.jpg"), QuarantineReasons.CaptionsEmpty),                                // 11
        (Row("images/good.jpg", "", "   "), QuarantineReasons.CaptionsEmpty),                     // 12
        ("""{"image_file": "images/good.jpg"}""", QuarantineReasons.CaptionsEmpty),              // 13
        (Row("images/big.png", "too many pixels"), ImageRejectReasons.TooLarge),                  // 14
        (Row("images/good.jpg", new string('x', 201)), QuarantineReasons.CaptionTooLong),          // 15
        ("", null),                                                                                // 16: blank, skipped
        ("[1, 2]", QuarantineReasons.FieldInvalid),                                                // 17
        ("""{"captions": ["no image"]}""", QuarantineReasons.FieldInvalid),                        // 18
        ("""{"image_file": "images/good.jpg", "captions": "not a list"}""", QuarantineReasons.FieldInvalid), // 19
        (Row("images/alias.png", "symlink inside is fine", "  "), null),                           // 20
        (Row("images/../images/good.jpg", "dot-dot inside is fine"), null),                        // 21
        ("BAD-UTF8", QuarantineReasons.Utf8Invalid),                                               // 22
        ("TOO-LONG", QuarantineReasons.LineTooLong),                                               // 23
        ("LONE-SURROGATE", QuarantineReasons.Utf8Invalid),                                         // 24
        (Row("images/good.jpg", "last line, CRLF") + "\r", null),                                  // 25
    ];

    private string WriteMixed(bool trailingNewline = true)
    {
        using var stream = new MemoryStream();
        for (var i = 0; i < MixedLines.Length; i++)
        {
            var text = MixedLines[i].Line;
            if (text == "BAD-UTF8")
            {
                // "caf\xC3\x28": a lead byte followed by a non-continuation byte.
                stream.Write("{\"image_file\": \"images/good.png\", \"captions\": [\"caf"u8);
                stream.Write([0xC3, 0x28]);
                stream.Write("\"]}"u8);
            }
            else if (text == "LONE-SURROGATE")
            {
                // Valid UTF-8 bytes, but the escape decodes to half a surrogate pair: not Unicode text.
                stream.Write("""{"image_file": "images/good.png", "captions": ["half \ud800 pair"]}"""u8);
            }
            else if (text == "TOO-LONG")
            {
                stream.Write(Encoding.UTF8.GetBytes(Row("images/good.png", new string('y', 150_000))));
            }
            else
            {
                stream.Write(Encoding.UTF8.GetBytes(text));
            }

            if (trailingNewline || i < MixedLines.Length - 1) stream.WriteByte((byte)'\n');
        }

        var path = Path.Combine(_data, "mixed.jsonl");
        File.WriteAllBytes(path, stream.ToArray());
        return path;
    }

    private static async Task<List<SourceItem>> ReadAllAsync(IAsyncEnumerable<SourceItem> items)
    {
        var list = new List<SourceItem>();
        await foreach (var item in items) list.Add(item);
        return list;
    }

    [Fact]
    public async Task ReadAllAsync_EveryBadRowKind_QuarantinedWithReasonAndGoodRowsIntact()
    {
        var source = new JsonlSource(WriteMixed(), Options());

        var items = await ReadAllAsync(source.ReadAllAsync());

        var expected = MixedLines.Select((entry, index) => (Number: index + 1L, entry.Reason, Text: entry.Line)).Where(e => e.Text.Length > 0).ToList();
        Assert.Equal(expected.Select(e => e.Number), items.Select(i => i.Line));
        foreach (var (line, reason, _) in expected)
        {
            var item = items.Single(i => i.Line == line);
            if (reason is null)
            {
                Assert.True(item.IsRow, $"line {line}: {item.Quarantine}");
            }
            else
            {
                Assert.False(item.IsRow, $"line {line} should be quarantined as {reason}");
                Assert.Equal(reason, item.Quarantine!.Reason);
                Assert.Equal($"mixed.jsonl:line {line}", item.Quarantine.Location);
                Assert.Equal($"mixed:{line}", item.Quarantine.SourceKey);
                Assert.False(string.IsNullOrWhiteSpace(item.Quarantine.Detail));
            }
        }

        var first = items[0].Row!;
        Assert.Equal("mixed:1", first.SourceKey);
        Assert.Equal("mixed", first.Source);
        Assert.Equal(["a dog and a cat"], first.Captions);
        Assert.Equal(["dog", "cat"], first.TruthLabels);
        Assert.True(first.TruthKnown);
        Assert.Equal((64, 48), (first.Width, first.Height));
        Assert.Equal(File.ReadAllBytes(Path.Combine(_data, "images", "good.png")), first.ImageBytes);

        Assert.Equal(["symlink inside is fine"], items.Single(i => i.Line == 20).Row!.Captions); // blank caption dropped
        Assert.Equal(["last line, CRLF"], items.Single(i => i.Line == 25).Row!.Captions);
    }

    [Fact]
    public async Task ReadAllAsync_Details_NameWhatAndWhere()
    {
        var items = await ReadAllAsync(new JsonlSource(WriteMixed(), Options()).ReadAllAsync());
        string Detail(long line) => items.Single(i => i.Line == line).Quarantine!.Detail;

        Assert.Contains("images/missing.png", Detail(3));
        Assert.Contains("absolute", Detail(4));
        Assert.Contains("climbs out", Detail(5));
        Assert.Contains("symlink", Detail(6));
        Assert.Contains("column 52", Detail(22));
        Assert.Contains("201 characters", Detail(15));
        Assert.Contains("90,000 pixels", Detail(14));
    }

    [Fact]
    public async Task ReadChunkAsync_ChunksReadInParallel_SameItemsAsOneSequentialRead()
    {
        var path = WriteMixed(trailingNewline: false);
        var sequential = await ReadAllAsync(new JsonlSource(path, Options()).ReadAllAsync());

        foreach (var perChunk in new[] { 1, 2, 3, 5, 7, 24, 100 })
        {
            var source = new JsonlSource(path, Options(perChunk));
            var chunks = await source.ScanChunksAsync();
            var parts = await Task.WhenAll(chunks.Reverse().Select(chunk => Task.Run(() => ReadAllAsync(source.ReadChunkAsync(chunk)))));
            var chunked = parts.Reverse().SelectMany(part => part).ToList();

            Assert.Equal(Describe(sequential), Describe(chunked));
            Assert.Equal((MixedLines.Length + perChunk - 1) / perChunk, chunks.Count);
        }

        static List<string> Describe(List<SourceItem> items) => items.Select(i => i.IsRow
            ? $"{i.Line} {i.Row!.SourceKey} {string.Join('|', i.Row.Captions)} {i.Row.Width}x{i.Row.Height} {Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(i.Row.ImageBytes))}"
            : $"{i.Line} {i.Quarantine}").ToList();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ScanChunksAsync_BoundariesAtLineStarts_CoverTheFile(bool trailingNewline)
    {
        var path = WriteMixed(trailingNewline);
        var bytes = File.ReadAllBytes(path);

        var chunks = await new JsonlSource(path, Options(5)).ScanChunksAsync();

        Assert.Equal(0, chunks[0].StartOffset);
        Assert.Equal(bytes.Length, chunks[^1].EndOffset);
        Assert.Equal(MixedLines.Length, chunks.Sum(c => c.LineCount));
        for (var i = 0; i < chunks.Count; i++)
        {
            Assert.Equal(i, chunks[i].Index);
            Assert.Equal(1 + (i * 5), chunks[i].FirstLine);
            if (i > 0)
            {
                Assert.Equal(chunks[i - 1].EndOffset, chunks[i].StartOffset);
                Assert.Equal((byte)'\n', bytes[chunks[i].StartOffset - 1]);
            }
        }
    }

    [Fact]
    public async Task ScanChunksAsync_EmptyFile_NoChunks()
    {
        var path = Path.Combine(_data, "empty.jsonl");
        File.WriteAllBytes(path, []);
        var source = new JsonlSource(path);

        Assert.Empty(await source.ScanChunksAsync());
        Assert.Empty(await ReadAllAsync(source.ReadAllAsync()));
    }

    [Fact]
    public async Task ReadAllAsync_LineLongerThanTheFirstBuffer_ParsedWhole()
    {
        var path = Path.Combine(_data, "long.jsonl");
        var caption = new string('z', 90_000);
        File.WriteAllText(path, "\uFEFF" + Row("images/good.png", caption) + "\n" + Row("images/good.jpg", "next") + "\n");

        var items = await ReadAllAsync(new JsonlSource(path, new JsonlSourceOptions { MaxCaptionChars = 100_000 }).ReadAllAsync());

        Assert.Equal(2, items.Count);
        Assert.Equal(caption, items[0].Row!.Captions[0]);
        Assert.Equal("next", items[1].Row!.Captions[0]);
    }

    [Fact]
    public async Task ReadChunkAsync_StartNotAtLineStart_ClearError()
    {
        var path = WriteMixed();
        var source = new JsonlSource(path);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => ReadAllAsync(source.ReadChunkAsync(new SourceChunk(0, 5, 50, 1, 1))));

        Assert.Contains("not the start of a line", error.Message);
    }

    [Fact]
    public async Task ReadAllAsync_LabelsAbsent_TruthUnknown()
    {
        var path = Path.Combine(_data, "plain.jsonl");
        File.WriteAllText(path, """{"image_file": "images/good.png", "captions": ["x"]}""" + "\n");

        var row = (await ReadAllAsync(new JsonlSource(path).ReadAllAsync())).Single().Row!;

        Assert.False(row.TruthKnown);
        Assert.Empty(row.TruthLabels);
    }

    [Fact]
    public async Task ReadAllAsync_LineNamesItsSource_RowKeepsItAndTheKeyKeepsTheFileName()
    {
        var path = Path.Combine(_data, "named.jsonl");
        File.WriteAllText(path, """{"image_file": "images/good.png", "captions": ["x"], "source": " web crawl "}""" + "\n" + """{"image_file": "images/good.png", "captions": ["y"], "source": null}""" + "\n");

        var rows = (await ReadAllAsync(new JsonlSource(path).ReadAllAsync())).Select(i => i.Row!).ToList();

        Assert.Equal(["web crawl", "named"], rows.Select(r => r.Source));
        Assert.Equal(["named:1", "named:2"], rows.Select(r => r.SourceKey));
    }

    [Theory]
    [InlineData("3")]
    [InlineData("\"  \"")]
    [InlineData("[\"a\"]")]
    public async Task ReadAllAsync_SourceNotANonBlankString_Quarantined(string source)
    {
        var path = Path.Combine(_data, "bad-source.jsonl");
        File.WriteAllText(path, $$"""{"image_file": "images/good.png", "captions": ["x"], "source": {{source}}}""" + "\n");

        var item = (await ReadAllAsync(new JsonlSource(path).ReadAllAsync())).Single();

        Assert.Equal(QuarantineReasons.FieldInvalid, item.Quarantine?.Reason);
        Assert.Contains("source", item.Quarantine!.Detail);
    }
}
