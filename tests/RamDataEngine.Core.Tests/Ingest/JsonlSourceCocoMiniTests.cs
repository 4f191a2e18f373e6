using RamDataEngine.Core.Images;
using RamDataEngine.Core.Ingest;
using RamDataEngine.Testing;

namespace RamDataEngine.Core.Tests.Ingest;

public sealed class JsonlSourceCocoMiniTests
{
    [SharedDataFact]
    public async Task ReadChunkAsync_CocoMini_239RowsNoneQuarantinedEveryImageWhole()
    {
        var source = new JsonlSource(SharedData.PathOf("coco_mini", "coco_mini.jsonl"), new JsonlSourceOptions { LinesPerChunk = 50 });
        var chunks = await source.ScanChunksAsync();
        var rows = new List<SourceRow>();
        var quarantined = new List<QuarantineRecord>();

        foreach (var chunk in chunks)
        {
            await foreach (var item in source.ReadChunkAsync(chunk))
            {
                if (item.IsRow) rows.Add(item.Row!);
                else quarantined.Add(item.Quarantine!);
            }
        }

        Assert.Empty(quarantined);
        Assert.Equal(5, chunks.Count);
        Assert.Equal(239, rows.Count);
        Assert.Equal(239, rows.Select(r => r.SourceKey).Distinct().Count());
        Assert.All(rows, row => Assert.Equal(5, row.Captions.Length));
        Assert.Equal(159, rows.Count(r => r.TruthKnown));
        Assert.All(rows.Where(r => r.TruthKnown), row => Assert.NotEmpty(row.TruthLabels));

        // Independent of the inspector the source used: the header sizes match and every image decodes to a tensor.
        var chw = new float[3 * 32 * 32];
        foreach (var row in rows)
        {
            var header = new ImageInspector().InspectHeader(row.ImageBytes);
            Assert.Equal((row.Width, row.Height), (header.Width, header.Height));
            Assert.Equal(ImageFormat.Jpeg, header.Format);
            Assert.True(ImagePreprocessor.DecodeToChw(row.ImageBytes, 32, 32, chw).IsOk, row.SourceKey);
        }
    }

    [SharedDataFact]
    public async Task ReadAllAsync_CocoMini_SizesMatchTheJsonlMetadata()
    {
        var path = SharedData.PathOf("coco_mini", "coco_mini.jsonl");
        var declared = File.ReadLines(path).Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement)
            .Select(e => (e.GetProperty("width").GetInt32(), e.GetProperty("height").GetInt32())).ToList();

        var index = 0;
        await foreach (var item in new JsonlSource(path).ReadAllAsync())
        {
            Assert.Equal(declared[index++], (item.Row!.Width, item.Row.Height));
        }

        Assert.Equal(239, index);
    }
}
