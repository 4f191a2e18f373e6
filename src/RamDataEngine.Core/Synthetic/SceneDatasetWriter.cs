using System.Buffers;
using System.Text.Json;

namespace RamDataEngine.Core.Synthetic;

/// <summary>A generated dataset on disk: the JSONL to ingest and how many images it lists.</summary>
/// <param name="Folder">The dataset folder (holds <c>images/</c> and the JSONL).</param>
/// <param name="JsonlPath">The JSONL file, ready for <see cref="Ingest.JsonlSource"/>.</param>
/// <param name="Count">Images written.</param>
public sealed record SceneDataset(string Folder, string JsonlPath, int Count);

/// <summary>
/// Writes generated images as <c>images/NNNNNN.png</c> plus a <c>dataset.jsonl</c> in the coco_mini format, so that
/// generated data enters through the same ingest path as real data. Images are made in parallel; the output is
/// byte-identical for the same options whatever the parallelism.
/// </summary>
public static class SceneDatasetWriter
{
    /// <summary>The JSONL file name inside the dataset folder.</summary>
    public const string JsonlFileName = "dataset.jsonl";

    /// <summary>The image folder name inside the dataset folder.</summary>
    public const string ImagesFolderName = "images";

    private const int Batch = 256;

    /// <summary>
    /// Generates <paramref name="count"/> images into <paramref name="folder"/> (created if needed; files of an
    /// earlier run at the same paths are replaced). The JSONL appears under its final name only when complete.
    /// <paramref name="progress"/> receives the number of images written so far.
    /// </summary>
    public static async Task<SceneDataset> WriteAsync(string folder, int count, SceneGeneratorOptions options, IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var generator = new SceneGenerator(options);
        var root = Path.GetFullPath(folder);
        var images = Path.Combine(root, ImagesFolderName);
        Directory.CreateDirectory(images);
        var jsonlPath = Path.Combine(root, JsonlFileName);
        var partial = jsonlPath + ".partial";

        var line = new ArrayBufferWriter<byte>(4096);
        await using (var jsonl = new FileStream(partial, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024, FileOptions.Asynchronous))
        {
            using var writer = new Utf8JsonWriter(line);
            var specs = new SceneSpec[Math.Min(Batch, Math.Max(count, 1))];
            var parallel = new ParallelOptions { CancellationToken = cancellationToken };
            for (var start = 0; start < count; start += Batch)
            {
                var end = Math.Min(count, start + Batch);
                var batchStart = start;
                await Parallel.ForAsync(start, end, parallel, async (index, token) =>
                {
                    var spec = generator.Describe(index);
                    await File.WriteAllBytesAsync(Path.Combine(images, ImageFileName(index)), generator.Render(spec), token).ConfigureAwait(false);
                    specs[index - batchStart] = spec;
                }).ConfigureAwait(false);

                // Lines are written in index order after the batch, so the JSONL never depends on thread timing.
                for (var index = start; index < end; index++)
                {
                    line.ResetWrittenCount();
                    writer.Reset(line);
                    WriteLine(writer, specs[index - start]);
                    writer.Flush();
                    await jsonl.WriteAsync(line.WrittenMemory, cancellationToken).ConfigureAwait(false);
                    jsonl.WriteByte((byte)'\n');
                }

                progress?.Report(end);
            }
        }

        File.Move(partial, jsonlPath, overwrite: true);
        return new SceneDataset(root, jsonlPath, count);
    }

    /// <summary>
    /// Writes the JSONL lines of <paramref name="count"/> images without drawing them: captions and true labels only, what
    /// a caption-recall audit reads (a reviewed sample of the same captioner).
    /// </summary>
    public static void WriteDescriptions(string path, int count, SceneGeneratorOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var generator = new SceneGenerator(options);
        using var file = new FileStream(path + ".partial", FileMode.Create, FileAccess.Write, FileShare.None);
        using (var writer = new Utf8JsonWriter(file))
        {
            for (int index = 0; index < count; index++)
            {
                writer.Reset(file);
                WriteLine(writer, generator.Describe(index));
                writer.Flush();
                file.WriteByte((byte)'\n');
            }
        }

        file.Close();
        File.Move(path + ".partial", path, overwrite: true);
    }

    /// <summary>The image file of <paramref name="index"/>, relative to the images folder (e.g. <c>000042.png</c>).</summary>
    public static string ImageFileName(long index) => $"{index:D6}.png";

    private static void WriteLine(Utf8JsonWriter writer, SceneSpec spec)
    {
        writer.WriteStartObject();
        writer.WriteString("image_file", $"{ImagesFolderName}/{ImageFileName(spec.Index)}");
        writer.WriteNumber("image_id", spec.Index);
        writer.WriteNumber("width", spec.Width);
        writer.WriteNumber("height", spec.Height);
        WriteStrings(writer, "captions", spec.Captions);
        WriteStrings(writer, "labels", spec.TruthLabels);
        writer.WriteString("license", "CC0-1.0 (generated)");
        writer.WriteString("split", "synthetic");
        writer.WriteBoolean("labels_known", true);

        // Kept by ingest as each row's source: how a dataset made by the generator is told from real data later.
        writer.WriteString("source", SceneGenerator.SourceName);

        // Beyond the coco_mini fields (ingest ignores them): what was drawn where, and which caption tags are wrong.
        writer.WriteString("scene", SceneVocabulary.Tag(spec.Scene));
        writer.WriteStartArray("objects");
        foreach (var item in spec.Objects)
        {
            writer.WriteStartObject();
            writer.WriteString("label", SceneVocabulary.Tag(item.Kind));
            writer.WriteString("colour", SceneVocabulary.Tag(item.Colour));
            writer.WriteString("size", item.Size.ToString().ToLowerInvariant());
            var (x, y, width, height) = item.Box(spec.Width, spec.Height);
            writer.WriteStartArray("bbox");
            writer.WriteNumberValue(Math.Round(x, 1));
            writer.WriteNumberValue(Math.Round(y, 1));
            writer.WriteNumberValue(Math.Round(width, 1));
            writer.WriteNumberValue(Math.Round(height, 1));
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        WriteStrings(writer, "noise_labels", spec.NoiseLabels);
        writer.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string name, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(name);
        foreach (var value in values) writer.WriteStringValue(value);
        writer.WriteEndArray();
    }
}
