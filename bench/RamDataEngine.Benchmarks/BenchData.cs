using System.Text.Json;

namespace RamDataEngine.Benchmarks;

/// <summary>Finds ../shared/data (or --data / RAM_SHARED_DATA) and reads what the tagging benchmarks need from it.</summary>
internal static class BenchData
{
    public static string Root(BenchmarkArgs args)
    {
        var explicitPath = args.GetString("data") ?? Environment.GetEnvironmentVariable("RAM_SHARED_DATA");
        if (!string.IsNullOrEmpty(explicitPath))
        {
            return Directory.Exists(explicitPath) ? explicitPath : throw new DirectoryNotFoundException($"Data folder '{explicitPath}' does not exist.");
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RamDataEngine.sln")))
            {
                var beside = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
                if (Directory.Exists(beside)) return beside;
                break;
            }
        }

        throw new DirectoryNotFoundException("../shared/data was not found beside the repository; pass --data PATH or set RAM_SHARED_DATA.");
    }

    /// <summary>Every caption of a COCO captions jsonl file, in file order.</summary>
    public static string[] ReadCaptions(string jsonlPath)
    {
        var captions = new List<string>();
        foreach (var line in File.ReadLines(jsonlPath))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            foreach (var c in doc.RootElement.GetProperty("captions").EnumerateArray()) captions.Add(c.GetString()!);
        }

        return captions.ToArray();
    }

    /// <summary>Each image of a COCO captions jsonl file with its captions, in file order.</summary>
    public static (long ImageId, string[] Captions)[] ReadImages(string jsonlPath)
    {
        var images = new List<(long, string[])>();
        foreach (var line in File.ReadLines(jsonlPath))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            images.Add((root.GetProperty("image_id").GetInt64(), root.GetProperty("captions").EnumerateArray().Select(c => c.GetString()!).ToArray()));
        }

        return images.ToArray();
    }
}
