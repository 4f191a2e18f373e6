using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using RamDataEngine.Core.Evaluation;
using RamDataEngine.Model;
using RamDataEngine.Model.Encoders;
using RamDataEngine.Model.Heads;
using RamDataEngine.Model.Images;
using SkiaSharp;

namespace RamDataEngine.Benchmarks;

/// <summary>
/// The model library: encoder throughput (decode + resize + ONNX) against raw ONNX Runtime passes in the same run,
/// tag head training and scoring throughput, and head quality (coco_mini's labelled photos when present).
/// Options: --threads N (2), --images N (64, encoder timing), --tags N (500, head timing), --data DIR (../shared/data),
/// --sections encoder,heads,quality (all), --torch-threads N (1, for the quality runs).
/// </summary>
public sealed class ModelBenchmark : IBenchmark
{
    public string Name => "model";

    public string Description => "encoder images/s vs raw ONNX Runtime, head training/scoring samples/s, head mAP (linear, mlp, query)";

    public Task RunAsync(BenchmarkArgs args, TextWriter report, CancellationToken cancellationToken)
    {
        int threads = args.GetInt("threads", 2);
        int imageCount = args.GetInt("images", 64);
        int tags = args.GetInt("tags", 500);
        int torchThreads = args.GetInt("torch-threads", 1);
        var dataDir = args.GetString("data") ?? Environment.GetEnvironmentVariable("RAM_SHARED_DATA") ?? Path.GetFullPath("../shared/data");
        var coco = LoadCocoMini(Path.Combine(dataDir, "coco_mini"));
        var encoded = coco is { Count: > 0 }
            ? coco.Select(c => c.Bytes).ToList()
            : Enumerable.Range(0, imageCount).Select(DrawImage).ToList();
        report.WriteLine($"images: {(coco is null ? "drawn 640x480 PNGs (coco_mini absent)" : $"coco_mini photos ({coco.Count})")}; threads {threads}");
        report.WriteLine();

        var sections = (args.GetString("sections") ?? "encoder,heads,quality").Split(',', StringSplitOptions.TrimEntries);
        if (sections.Contains("encoder")) EncoderThroughput(report, encoded.Take(imageCount).ToList(), threads, cancellationToken);
        if (sections.Contains("heads")) HeadThroughput(report, tags, threads, cancellationToken);
        if (sections.Contains("quality")) SyntheticQuality(report, torchThreads, cancellationToken);
        if (sections.Contains("quality") && coco is { Count: > 0 }) CocoQuality(report, coco, threads, torchThreads, cancellationToken);
        report.WriteLine($"reproduce: dotnet run -c Release --project bench/RamDataEngine.Benchmarks -- model --threads {threads} --images {imageCount} --tags {tags} --torch-threads {torchThreads}");
        return Task.CompletedTask;
    }

    private static void EncoderThroughput(TextWriter report, List<byte[]> images, int threads, CancellationToken cancellationToken)
    {
        report.WriteLine("## Encoder (ResNet18 ONNX, batch 1)");
        report.WriteLine();
        report.WriteLine("| encoder | images | decode+resize+encode images/s | ms/image | raw ONNX passes/s | forward passes per image | share of raw |");
        report.WriteLine("|---|---:|---:|---:|---:|---:|---:|");
        var decoder = new ImageDecoder();
        foreach (var mode in new[] { RegionMode.FeatureMapGrid, RegionMode.CropGrid })
        {
            using var encoder = new OnnxResNet18Encoder(new OnnxResNet18EncoderOptions { Threads = threads, Regions = mode });
            var features = new ImageFeatures(1, encoder.RegionCount, encoder.Dimension);
            var input = new float[3 * 224 * 224];
            for (int i = 0; i < input.Length; i++) input[i] = (i % 255) - 120f;
            for (int w = 0; w < 3; w++) encoder.RunNormalized(input);

            // Raw passes and full images alternate, each timed on its own, so both see the same load on a shared machine.
            int passes = mode == RegionMode.CropGrid ? 1 + encoder.RegionCount : 1;
            TimeSpan rawTime = TimeSpan.Zero, pipelineTime = TimeSpan.Zero;
            foreach (var bytes in images)
            {
                cancellationToken.ThrowIfCancellationRequested();
                long start = Stopwatch.GetTimestamp();
                for (int p = 0; p < passes; p++) encoder.RunNormalized(input);
                rawTime += Stopwatch.GetElapsedTime(start);
                start = Stopwatch.GetTimestamp();
                var image = decoder.Decode(bytes, encoder.PreferredDecodeSide);
                encoder.Encode([image], features, 0, cancellationToken);
                pipelineTime += Stopwatch.GetElapsedTime(start);
            }

            double rawPerSecond = images.Count * passes / rawTime.TotalSeconds;
            double perSecond = images.Count / pipelineTime.TotalSeconds;
            report.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {encoder.Id} | {images.Count} | {perSecond:F1} | {1000 / perSecond:F1} | {rawPerSecond:F1} | {passes} | {perSecond * passes / rawPerSecond:P0} |"));
        }

        report.WriteLine();
    }

    private static void HeadThroughput(TextWriter report, int tags, int threads, CancellationToken cancellationToken)
    {
        const int Rows = 2000;
        var (features, labels) = Synthetic(Rows, tags, 512, 4, seed: 1);
        report.WriteLine($"## Tag heads: throughput ({Rows} synthetic rows, 5 tokens x 512, {tags} tags, batch 64)");
        report.WriteLine();
        report.WriteLine($"| head | torch threads | training samples/s | scoring images/s |");
        report.WriteLine("|---|---:|---:|---:|");
        foreach (var kind in new[] { TagHeadKind.Linear, TagHeadKind.Mlp, TagHeadKind.Query })
        {
            foreach (var torchThreads in threads == 1 ? new[] { 1 } : new[] { 1, threads })
            {
                var options = new TagHeadTrainingOptions { Kind = kind, MaxEpochs = 2, ValidationFraction = 0, Threads = torchThreads };
                using var session = TagHeadTrainingSession.Start(options, features, labels);
                session.RunToEnd(cancellationToken);
                using var head = session.BestHead();
                head.Score(features.Select([0, 1, 2, 3]), cancellationToken: cancellationToken);
                var clock = Stopwatch.StartNew();
                head.Score(features, cancellationToken: cancellationToken);
                double scoring = Rows / clock.Elapsed.TotalSeconds;
                report.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {kind} | {torchThreads} | {session.History[^1].SamplesPerSecond:F0} | {scoring:F0} |"));
            }
        }

        report.WriteLine();
    }

    /// <summary>5-fold cross-validated mAP of each head on the labelled coco_mini photos (80 COCO classes), features from the default encoder.</summary>
    private static void CocoQuality(TextWriter report, List<CocoImage> coco, int threads, int torchThreads, CancellationToken cancellationToken)
    {
        var labelled = coco.Where(c => c.LabelsKnown).ToList();
        var classes = labelled.SelectMany(c => c.Labels).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var classId = classes.Select((name, i) => (name, i)).ToDictionary(p => p.name, p => p.i, StringComparer.Ordinal);
        var labels = LabelMatrix.FromRows(classes.Count, labelled.Select(c => c.Labels.Select(l => classId[l])));

        using var encoder = new OnnxResNet18Encoder(new OnnxResNet18EncoderOptions { Threads = threads });
        var decoder = new ImageDecoder();
        var features = new ImageFeatures(labelled.Count, encoder.RegionCount, encoder.Dimension);
        for (int i = 0; i < labelled.Count; i++) encoder.Encode([decoder.Decode(labelled[i].Bytes, encoder.PreferredDecodeSide)], features, i, cancellationToken);

        report.WriteLine($"## Tag heads: quality on coco_mini ({labelled.Count} labelled photos, {classes.Count} COCO classes, {encoder.Id} features, 5-fold cross-validation)");
        report.WriteLine();
        report.WriteLine("| head | mAP (held-out folds) | classes with positives | mean epochs | micro F1 @ 0.5 | train s (all folds) |");
        report.WriteLine("|---|---:|---:|---:|---:|---:|");
        const int Folds = 5;
        var foldRandom = new Random(7);
        var shuffled = Enumerable.Range(0, labelled.Count).OrderBy(_ => foldRandom.Next()).ToArray();
        foreach (var kind in new[] { TagHeadKind.Linear, TagHeadKind.Mlp, TagHeadKind.Query })
        {
            var scores = new float[labelled.Count * classes.Count];
            var clock = Stopwatch.StartNew();
            double epochs = 0;
            for (int fold = 0; fold < Folds; fold++)
            {
                var test = shuffled.Where((_, k) => k % Folds == fold).ToArray();
                var train = shuffled.Where((_, k) => k % Folds != fold).ToArray();
                var trainLabels = LabelMatrix.FromRows(classes.Count, train.Select(r => labels.Row(r).ToArray()));
                var options = new TagHeadTrainingOptions { Kind = kind, Threads = torchThreads, MaxEpochs = 60, Patience = 6, BatchSize = 16, ValidationFraction = 0.15 };
                using var session = TagHeadTrainingSession.Start(options, features.Select(train), trainLabels, encoder.Id);
                session.RunToEnd(cancellationToken);
                epochs += session.Epoch;
                using var head = session.BestHead();
                var foldScores = head.Score(features.Select(test), cancellationToken: cancellationToken);
                for (int k = 0; k < test.Length; k++) foldScores.Row(k).CopyTo(scores.AsSpan(test[k] * classes.Count, classes.Count));
            }

            var all = new ScoreMatrix(labelled.Count, classes.Count, scores);
            var map = AveragePrecision.Compute(all, labels);
            var f1 = MultiLabelMetrics.AtThreshold(all, labels, 0.5f).Micro.F1;
            report.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {kind} | {map.Mean:F3} | {map.TagCount} | {epochs / Folds:F1} | {f1:F3} | {clock.Elapsed.TotalSeconds:F1} |"));
        }

        report.WriteLine();
    }

    /// <summary>
    /// A synthetic problem where a tag shows weakly in one region (a small object): its prototype (+1 on 10 of 512
    /// dimensions) is added to one random region token; the global token is the regions' mean plus its own noise, so
    /// the signal is 4x weaker there. Measures whether attending over regions pays.
    /// </summary>
    private static void SyntheticQuality(TextWriter report, int torchThreads, CancellationToken cancellationToken)
    {
        const int Tags = 50, Dimension = 512, Regions = 4;
        var prototypes = new Random(5);
        var dims = Enumerable.Range(0, Tags).Select(_ => Enumerable.Range(0, 10).Select(_ => prototypes.Next(Dimension)).ToArray()).ToArray();
        (ImageFeatures, LabelMatrix) Make(int rows, int seed)
        {
            var random = new Random(seed);
            var features = new ImageFeatures(rows, Regions, Dimension);
            var labelRows = new List<int[]>();
            for (int i = 0; i < rows; i++)
            {
                var tags = Enumerable.Range(0, Tags).Where(_ => random.NextDouble() < 0.1).ToArray();
                for (int r = 0; r < Regions; r++)
                {
                    var region = features.Region(i, r);
                    for (int d = 0; d < Dimension; d++) region[d] = (float)random.NextDouble();
                }

                foreach (var t in tags)
                {
                    var region = features.Region(i, random.Next(Regions));
                    foreach (var d in dims[t]) region[d] += 1;
                }

                var global = features.Global(i);
                for (int d = 0; d < Dimension; d++)
                {
                    float sum = 0;
                    for (int r = 0; r < Regions; r++) sum += features.Region(i, r)[d];
                    global[d] = (sum / Regions) + (float)random.NextDouble();
                }

                labelRows.Add(tags);
            }

            return (features, LabelMatrix.FromRows(Tags, labelRows));
        }

        var (train, trainLabels) = Make(2000, 1);
        var (test, testLabels) = Make(500, 2);
        report.WriteLine($"## Tag heads: quality on a synthetic small-object problem (2,000 train / 500 test rows, {Tags} tags, signal 4x weaker in the global token)");
        report.WriteLine();
        report.WriteLine("| head | test mAP | epochs | train s |");
        report.WriteLine("|---|---:|---:|---:|");
        foreach (var kind in new[] { TagHeadKind.Linear, TagHeadKind.Mlp, TagHeadKind.Query })
        {
            var clock = Stopwatch.StartNew();
            using var session = TagHeadTrainingSession.Start(new TagHeadTrainingOptions { Kind = kind, Threads = torchThreads, MaxEpochs = 40, Patience = 4 }, train, trainLabels);
            session.RunToEnd(cancellationToken);
            using var head = session.BestHead();
            var map = AveragePrecision.Compute(head.Score(test, cancellationToken: cancellationToken), testLabels).Mean;
            report.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {kind} | {map:F3} | {session.Epoch} | {clock.Elapsed.TotalSeconds:F1} |"));
        }

        report.WriteLine();
    }

    private static (ImageFeatures Features, LabelMatrix Labels) Synthetic(int rows, int tags, int dimension, int regions, int seed)
    {
        var random = new Random(seed);
        var features = new ImageFeatures(rows, regions, dimension);
        for (int i = 0; i < features.Values.Length; i++) features.Values[i] = (float)random.NextDouble();
        var labels = LabelMatrix.FromRows(tags, Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, 5).Select(_ => random.Next(tags)).Distinct().ToArray()));
        return (features, labels);
    }

    private static byte[] DrawImage(int index)
    {
        using var bitmap = new SKBitmap(640, 480, SKColorType.Rgba8888, SKAlphaType.Premul);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(new SKColor((byte)(index * 37), (byte)(index * 91), (byte)(index * 13)));
            using var paint = new SKPaint { Color = SKColors.White, IsAntialias = true };
            canvas.DrawCircle(100 + (index * 17 % 400), 240, 80, paint);
        }

        using var data = SKImage.FromBitmap(bitmap).Encode(SKEncodedImageFormat.Png, 90);
        return data.ToArray();
    }

    private sealed record CocoImage(byte[] Bytes, string[] Labels, bool LabelsKnown);

    private static List<CocoImage>? LoadCocoMini(string folder)
    {
        var index = Path.Combine(folder, "coco_mini.jsonl");
        if (!File.Exists(index)) return null;
        var result = new List<CocoImage>();
        foreach (var line in File.ReadLines(index))
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            var labels = root.GetProperty("labels").EnumerateArray().Select(e => e.GetString()!).ToArray();
            result.Add(new CocoImage(File.ReadAllBytes(Path.Combine(folder, root.GetProperty("image_file").GetString()!)), labels, root.GetProperty("labels_known").GetBoolean()));
        }

        return result;
    }
}
