using RamDataEngine.Core.Ingest;
using RamDataEngine.Testing;

namespace RamDataEngine.Core.Tests.Ingest;

public sealed class SourceScannerTests : IDisposable
{
    private readonly TempDirectory _dir = new("scanner");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task ScanAsync_RepeatedIds_ListsEachRepeatWithTheLineItRepeats()
    {
        string path = Write(
            """{"image_file": "a.png", "image_id": 7, "captions": ["x"]}""",
            """{"image_file": "b.png", "captions": ["x"]}""",
            "",
            """{"image_file": "c.png", "image_id": 7, "captions": ["x"]}""",
            """{"image_file": "b.png", "captions": ["x"]}""",
            """not json at all""",
            """{"image_file": "d.png", "image_id": "7", "captions": ["x"]}""");
        var chunks = await new JsonlSource(path, new JsonlSourceOptions { LinesPerChunk = 2 }).ScanChunksAsync();

        var fingerprint = await SourceScanner.ScanAsync(path, chunks, findDuplicates: true);

        Assert.Equal([(4L, 1L, "image_id 7"), (5L, 2L, "image_file b.png"), (7L, 1L, "image_id 7")], fingerprint.Duplicates.Select(d => (d.Line, d.FirstLine, d.Key)));
    }

    [Fact]
    public async Task ScanAsync_ChunkHashes_AreTheHashesOfTheirByteRanges()
    {
        string path = Write(Enumerable.Range(0, 25).Select(i => $$"""{"image_file": "{{i}}.png", "captions": ["x"]}""").ToArray());
        var chunks = await new JsonlSource(path, new JsonlSourceOptions { LinesPerChunk = 10 }).ScanChunksAsync();

        var fingerprint = await SourceScanner.ScanAsync(path, chunks, findDuplicates: false);

        Assert.Equal(3, fingerprint.ChunkSha256.Count);
        for (int i = 0; i < chunks.Count; i++) Assert.Equal(fingerprint.ChunkSha256[i], await SourceScanner.HashRangeAsync(path, chunks[i].StartOffset, chunks[i].EndOffset));
        Assert.Equal(new FileInfo(path).Length, fingerprint.Bytes);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path))), fingerprint.Sha256);
        Assert.Empty(fingerprint.Duplicates);
    }

    [Fact]
    public async Task HashRangeAsync_FileShorterThanTheRange_IsNull()
    {
        string path = Write("""{"image_file": "a.png", "captions": ["x"]}""");

        Assert.Null(await SourceScanner.HashRangeAsync(path, 0, new FileInfo(path).Length + 1));
    }

    private string Write(params string[] lines)
    {
        string path = _dir.Combine($"{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }
}
