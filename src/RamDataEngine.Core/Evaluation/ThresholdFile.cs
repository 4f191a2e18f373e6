using System.Globalization;

namespace RamDataEngine.Core.Evaluation;

/// <summary>RAM's per-class threshold file: one float per line, line i for tag i of the tag list.</summary>
public static class ThresholdFile
{
    /// <summary>Writes one threshold per line (invariant culture, shortest round-trip form).</summary>
    public static void Write(TextWriter writer, ReadOnlySpan<float> thresholds)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (var value in thresholds)
        {
            if (!float.IsFinite(value)) throw new ArgumentException($"Threshold {value} is not finite.", nameof(thresholds));
            writer.Write(value.ToString(CultureInfo.InvariantCulture));
            writer.Write('\n');
        }
    }

    /// <summary>Reads thresholds; blank trailing lines are ignored. <paramref name="expectedCount"/> (the tag list length) is checked when given.</summary>
    public static float[] Read(TextReader reader, int? expectedCount = null, string source = "threshold file")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var values = new List<float>();
        int lineNumber = 0;
        int blankRun = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var text = line.Trim();
            if (text.Length == 0)
            {
                blankRun++;
                continue;
            }

            if (blankRun > 0) throw new FormatException($"{source}, line {lineNumber - blankRun}: blank line inside the file (each line must hold the threshold of one tag).");
            if (!float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !float.IsFinite(value))
            {
                throw new FormatException($"{source}, line {lineNumber}: '{Truncate(text)}' is not a number.");
            }

            values.Add(value);
        }

        if (expectedCount is { } expected && values.Count != expected)
        {
            throw new FormatException($"{source} holds {values.Count} thresholds but the tag list has {expected} tags.");
        }

        return [.. values];
    }

    private static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
