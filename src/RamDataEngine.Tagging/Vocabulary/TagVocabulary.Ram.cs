using System.Globalization;
using System.Text;

namespace RamDataEngine.Tagging;

/// <content>RAM's released file formats: one tag a line (line index = id), thresholds and localized names aligned by line.</content>
public sealed partial class TagVocabulary
{
    /// <summary>File name of RAM's tag list.</summary>
    public const string RamTagListFileName = "ram_tag_list.txt";

    /// <summary>File name of RAM's per-class thresholds.</summary>
    public const string RamThresholdFileName = "ram_tag_list_threshold.txt";

    /// <summary>File name of RAM's Chinese tag names.</summary>
    public const string RamChineseFileName = "ram_tag_list_chinese.txt";

    private static readonly UTF8Encoding Utf8NoBom = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Loads RAM's files from a folder: the tag list, and the thresholds and Chinese names when present.</summary>
    public static TagVocabulary LoadRamFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"RAM tag folder '{folder}' does not exist.");
        var thresholds = Path.Combine(folder, RamThresholdFileName);
        var chinese = Path.Combine(folder, RamChineseFileName);
        return LoadRam(
            Path.Combine(folder, RamTagListFileName),
            File.Exists(thresholds) ? thresholds : null,
            File.Exists(chinese) ? chinese : null);
    }

    /// <summary>Loads RAM's tag list and, optionally, its thresholds and localized (Chinese) names, by path.</summary>
    public static TagVocabulary LoadRam(string tagListPath, string? thresholdPath = null, string? localizedPath = null, string localizedLanguage = "zh")
    {
        ArgumentException.ThrowIfNullOrEmpty(tagListPath);
        using var tagList = OpenRead(tagListPath);
        using var thresholds = thresholdPath is null ? null : OpenRead(thresholdPath);
        using var localized = localizedPath is null ? null : OpenRead(localizedPath);
        return ReadRam(tagList, thresholds, localized, localizedLanguage, Path.GetFileName(tagListPath),
            thresholdPath is null ? null : Path.GetFileName(thresholdPath), localizedPath is null ? null : Path.GetFileName(localizedPath));
    }

    /// <summary>Reads RAM's formats from streams (e.g. blobs): UTF-8 text, one entry a line, all files aligned by line.</summary>
    public static TagVocabulary ReadRam(Stream tagList, Stream? thresholds = null, Stream? localizedNames = null, string localizedLanguage = "zh")
        => ReadRam(tagList, thresholds, localizedNames, localizedLanguage, RamTagListFileName, RamThresholdFileName, RamChineseFileName);

    /// <summary>Writes RAM's formats: the tag list, and thresholds / localized names when streams are given.</summary>
    /// <exception cref="InvalidOperationException">A stream is given for thresholds or localized names that some tag lacks.</exception>
    public void WriteRam(Stream tagList, Stream? thresholds = null, Stream? localizedNames = null)
    {
        ArgumentNullException.ThrowIfNull(tagList);
        WriteLines(tagList, tags.Select(t => t.Name));
        if (thresholds is not null)
        {
            WriteLines(thresholds, tags.Select(t => t.Threshold is { } v
                ? v.ToString("R", CultureInfo.InvariantCulture)
                : throw new InvalidOperationException($"Tag {t.Id} '{t.Name}' has no threshold, so RAM's threshold file cannot be written.")));
        }

        if (localizedNames is not null)
        {
            WriteLines(localizedNames, tags.Select(t => t.LocalizedName
                ?? throw new InvalidOperationException($"Tag {t.Id} '{t.Name}' has no localized name, so RAM's localized file cannot be written.")));
        }
    }

    private static TagVocabulary ReadRam(Stream tagList, Stream? thresholds, Stream? localizedNames, string localizedLanguage,
        string tagListName, string? thresholdName, string? localizedName)
    {
        ArgumentNullException.ThrowIfNull(tagList);
        var names = ReadLines(tagList, tagListName);
        if (names.Count == 0) throw new InvalidDataException($"{tagListName} holds no tags.");
        for (int i = 0; i < names.Count; i++)
        {
            names[i] = names[i].Trim();
            if (names[i].Length == 0) throw new InvalidDataException($"{tagListName} line {i + 1}: empty tag name.");
        }

        float[]? values = null;
        if (thresholds is not null)
        {
            var lines = ReadLines(thresholds, thresholdName!);
            RequireSameCount(lines.Count, names.Count, thresholdName!, tagListName);
            values = new float[lines.Count];
            for (int i = 0; i < lines.Count; i++)
            {
                if (!float.TryParse(lines[i].AsSpan().Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out values[i]) || !float.IsFinite(values[i]))
                {
                    throw new InvalidDataException($"{thresholdName} line {i + 1}: '{lines[i]}' is not a number.");
                }
            }
        }

        List<string>? localized = null;
        if (localizedNames is not null)
        {
            localized = ReadLines(localizedNames, localizedName!);
            RequireSameCount(localized.Count, names.Count, localizedName!, tagListName);
        }

        var entries = new TagEntry[names.Count];
        for (int i = 0; i < names.Count; i++)
        {
            entries[i] = new TagEntry(i, names[i], [], TagCategory.Unknown, values?[i], localized?[i].Trim() is { Length: > 0 } l ? l : null);
        }

        try
        {
            return new TagVocabulary(entries, localizedLanguage: localized is null ? null : localizedLanguage);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{tagListName}: {e.Message}", e);
        }
    }

    private static void RequireSameCount(int count, int expected, string name, string tagListName)
    {
        if (count != expected)
        {
            throw new InvalidDataException($"{name} has {count} lines but {tagListName} has {expected} tags; the files must be aligned line by line.");
        }
    }

    /// <summary>Lines of a UTF-8 text; a final line break does not start an extra (empty) line.</summary>
    private static List<string> ReadLines(Stream stream, string name)
    {
        string text;
        try
        {
            using var reader = new StreamReader(stream, Utf8NoBom, detectEncodingFromByteOrderMarks: true, leaveOpen: true);
            text = reader.ReadToEnd();
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{name} is not valid UTF-8 text.", e);
        }

        var lines = new List<string>();
        if (text.Length == 0) return lines;
        foreach (var line in text.AsSpan().EnumerateLines()) lines.Add(line.ToString());
        if (lines.Count > 0 && lines[^1].Length == 0 && (text.EndsWith('\n') || text.EndsWith('\r'))) lines.RemoveAt(lines.Count - 1);
        return lines;
    }

    private static void WriteLines(Stream stream, IEnumerable<string> lines)
    {
        using var writer = new StreamWriter(stream, Utf8NoBom, bufferSize: 1 << 16, leaveOpen: true) { NewLine = "\n" };
        foreach (var line in lines) writer.WriteLine(line);
    }

    private static FileStream OpenRead(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Vocabulary file '{path}' does not exist.", path);
        return File.OpenRead(path);
    }
}
