using System.Text.Json;
using RamDataEngine.Core.Ingest;
using RamDataEngine.Core.Synthetic;
using RamDataEngine.Testing;

namespace RamDataEngine.Core.Tests.Synthetic;

public sealed class SceneDatasetWriterTests
{
    [Fact]
    public async Task WriteAsync_ThenJsonlSource_EveryRowIngestedAsGenerated()
    {
        using var temp = new TempDirectory("ram-generate");
        var options = new SceneGeneratorOptions { Seed = 21 };
        var reports = new List<int>();

        var dataset = await SceneDatasetWriter.WriteAsync(temp.Path, 300, options, new Progress<int>(reports.Add));

        var generator = new SceneGenerator(options);
        var source = new JsonlSource(dataset.JsonlPath, new JsonlSourceOptions { LinesPerChunk = 64 });
        var index = 0;
        foreach (var chunk in await source.ScanChunksAsync())
        {
            await foreach (var item in source.ReadChunkAsync(chunk))
            {
                Assert.True(item.IsRow, item.Quarantine?.ToString());
                var expected = generator.Generate(index);
                var row = item.Row!;
                Assert.Equal($"dataset:{index + 1}", row.SourceKey);
                Assert.Equal(SceneGenerator.SourceName, row.Source);
                Assert.Equal(expected.ImageBytes, row.ImageBytes);
                Assert.Equal(expected.Captions, row.Captions);
                Assert.Equal(expected.TruthLabels, row.TruthLabels);
                Assert.True(row.TruthKnown);
                Assert.Equal((128, 128), (row.Width, row.Height));
                index++;
            }
        }

        Assert.Equal(300, index);
        Assert.Equal(300, dataset.Count);
        Assert.False(File.Exists(dataset.JsonlPath + ".partial"));
    }

    [Fact]
    public async Task WriteAsync_Twice_ByteIdenticalFolders()
    {
        using var first = new TempDirectory("ram-generate-a");
        using var second = new TempDirectory("ram-generate-b");
        var options = new SceneGeneratorOptions { Seed = 99, MaxCaptions = 3 };

        await SceneDatasetWriter.WriteAsync(first.Path, 270, options);
        await SceneDatasetWriter.WriteAsync(second.Path, 270, options);

        var files = Directory.GetFiles(first.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(first.Path, f)).Order().ToList();
        Assert.Equal(271, files.Count);
        Assert.Equal(files, Directory.GetFiles(second.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(second.Path, f)).Order());
        foreach (var file in files) Assert.Equal(File.ReadAllBytes(first.Combine(file)), File.ReadAllBytes(second.Combine(file)));
    }

    [Fact]
    public async Task WriteAsync_Lines_CarryTheCocoMiniFields()
    {
        using var temp = new TempDirectory("ram-generate");

        var dataset = await SceneDatasetWriter.WriteAsync(temp.Path, 3, new SceneGeneratorOptions());

        var lines = File.ReadAllLines(dataset.JsonlPath);
        Assert.Equal(3, lines.Length);
        using var document = JsonDocument.Parse(lines[2]);
        var root = document.RootElement;
        Assert.Equal("images/000002.png", root.GetProperty("image_file").GetString());
        Assert.Equal(2, root.GetProperty("image_id").GetInt64());
        Assert.Equal(128, root.GetProperty("width").GetInt32());
        Assert.Equal(128, root.GetProperty("height").GetInt32());
        Assert.True(root.GetProperty("labels_known").GetBoolean());
        Assert.NotEmpty(root.GetProperty("captions").EnumerateArray());
        Assert.NotEmpty(root.GetProperty("labels").EnumerateArray());
        Assert.Equal(4, root.GetProperty("objects")[0].GetProperty("bbox").GetArrayLength());
    }

    [Fact]
    public async Task WriteAsync_Cancelled_LeavesNoJsonl()
    {
        using var temp = new TempDirectory("ram-generate");
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => SceneDatasetWriter.WriteAsync(temp.Path, 10, new SceneGeneratorOptions(), cancellationToken: cancel.Token));

        Assert.False(File.Exists(Path.Combine(temp.Path, SceneDatasetWriter.JsonlFileName)));
    }
}
