using System.Text.Json;
using System.Text.Json.Nodes;
using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Engine;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Cli.Tests;

/// <summary>
/// The engine on real photos with the defaults, as docs/engine.md reports it (bench/real-photos/run.sh): flickr8k_dev
/// ingested with each photo's first caption, judged against the tags of all five. It must never make labels worse.
/// Runs only when ../shared/data is present.
/// </summary>
public sealed class RealPhotoEngineTests : IDisposable
{
    private readonly TempDirectory _dir = new("real-photos");

    public void Dispose() => _dir.Dispose();

    [SharedDataFact]
    public async Task Engine_Flickr8kDevOneCaption_NeverWorseAndSaysWhy()
    {
        string source = SharedData.PathOf("flickr8k_dev");
        string jsonl = Path.Combine(source, "flickr8k_dev.jsonl");
        CopyDirectory(Path.Combine(source, "images"), _dir.Combine("images"));
        WriteCaptions(jsonl, _dir.Combine("one.jsonl"), captions: 1);
        WriteCaptions(jsonl, _dir.Combine("five.jsonl"), captions: 5);
        string data = _dir.Combine("data"), tags = SharedData.PathOf("ram_tags");
        await Ok("ingest", _dir.Combine("five.jsonl"), "--dataset", "five", "--data", data);
        await Ok("parse", "five", "--vocab", tags, "--data", data);
        await Ok("ingest", _dir.Combine("one.jsonl"), "--dataset", "one", "--data", data);
        await Ok(
            "engine", "start", "one", "--id", "eng", "--vocab", tags, "--data", data,
            "--audit", SharedData.PathOf("coco_captions_val2017", "coco_val2017_captions.jsonl"), "--audit-exclude", jsonl);
        string report = await Ok("engine", "report", "eng", "--truth-from", "five@2", "--data", data);

        var stored = (await new LocalFolderBlobStore(data).ReadJsonAsync<EngineReport>(EngineSteps.ReportPath("eng"), EngineSteps.Json))!.Value.Value;
        Assert.NotNull(stored.Trust);
        Assert.True(stored.Trust.AddAbstentions.Count > 0, report);
        Assert.Contains("low-support", report);

        // Judged against the five captions: on the test split and on all rows, never worse (to the third decimal), and
        // what it adds (if anything) mostly right, what it removes under 2% of caption 1's labels.
        foreach (string table in new[] { "test split", "all rows" })
        {
            var rows = TableRows(report, table);
            double parsedF1 = rows["parsed"][3], finalF1 = rows["+cleaning"][3];
            Assert.True(Math.Round(finalF1, 3) >= Math.Round(parsedF1, 3), $"{table}: final F1 {finalF1} < parsed {parsedF1}\n{report}");
        }

        var all = TableRows(report, "all rows")["+cleaning"];
        double added = all[6], removed = all[9];
        long parsedLabels = (await new DatasetCatalog(new LocalFolderBlobStore(data), TimeProvider.System).OpenAsync("one", 2)).TagCounts.Values.Sum();
        Assert.True(added == 0 || all[7] >= 0.8, $"{added} labels added at precision {all[7]}\n{report}");
        Assert.True(removed < 0.02 * parsedLabels, $"{removed} labels removed\n{report}");
        Assert.Equal(0, all[11]);
    }

    /// <summary>The numbers of each row of the label table titled with <paramref name="title"/>: rows, P, R, F1, macro F1, mAP, added, added P, missed found, removed, removed true, empty rows ('-' as NaN).</summary>
    private static Dictionary<string, double[]> TableRows(string report, string title)
    {
        var lines = report.Split('\n');
        int start = Array.FindIndex(lines, l => l.Contains("Label quality", StringComparison.Ordinal) && l.Contains(title, StringComparison.Ordinal));
        Assert.True(start >= 0, $"no table '{title}' in:\n{report}");
        var rows = new Dictionary<string, double[]>();
        foreach (var line in lines.Skip(start + 1))
        {
            if (line.StartsWith('└')) break;
            var cells = line.Split('│', StringSplitOptions.TrimEntries);
            if (cells.Length < 15 || cells[1] is not ("parsed" or "+generation" or "+cleaning")) continue;
            // cells[1] name, [2] version, then rows, P, R, F1, macro F1, mAP, added, added P, missed found, removed, removed true, empty rows
            rows[cells[1]] = [.. cells[3..15].Select(c => double.TryParse(c.Replace(",", ""), System.Globalization.CultureInfo.InvariantCulture, out double v) ? v : double.NaN)];
        }

        return rows;
    }

    private static async Task<string> Ok(params string[] args)
    {
        var (code, output) = await RamAppTests.RunAsync(args);
        Assert.True(code == 0, $"ram {string.Join(' ', args)}:\n{output}");
        return output;
    }

    private static void WriteCaptions(string from, string to, int captions)
    {
        using var writer = new StreamWriter(to);
        foreach (var line in File.ReadLines(from))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var row = JsonNode.Parse(line)!.AsObject();
            var kept = new JsonArray([.. row["captions"]!.AsArray().Take(captions).Select(c => (JsonNode?)JsonValue.Create(c!.GetValue<string>()))]);
            row["captions"] = kept;
            writer.WriteLine(row.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
    }
}
