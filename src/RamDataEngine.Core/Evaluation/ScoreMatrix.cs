namespace RamDataEngine.Core.Evaluation;

/// <summary>Dense scores, one row per image and one column per tag, row-major in one array.</summary>
public sealed class ScoreMatrix
{
    private readonly float[] _values;

    /// <summary>Wraps <paramref name="values"/> (length rows x tags) without copying.</summary>
    public ScoreMatrix(int rowCount, int tagCount, float[] values)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        ArgumentOutOfRangeException.ThrowIfNegative(tagCount);
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != (long)rowCount * tagCount)
        {
            throw new ArgumentException($"Expected {rowCount} x {tagCount} = {(long)rowCount * tagCount} scores, got {values.Length}.", nameof(values));
        }

        RowCount = rowCount;
        TagCount = tagCount;
        _values = values;
    }

    public int RowCount { get; }

    public int TagCount { get; }

    /// <summary>The backing row-major array.</summary>
    public float[] Values => _values;

    public ReadOnlySpan<float> Row(int row) => _values.AsSpan(row * TagCount, TagCount);

    public float this[int row, int tag] => _values[(row * TagCount) + tag];

    /// <summary>A matrix where a tag scores 1 when the row carries it and 0 otherwise: lets tag sets (e.g. parsed tags) be ranked by mAP.</summary>
    public static ScoreMatrix FromLabels(LabelMatrix labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        var values = new float[labels.RowCount * labels.TagCount];
        for (int row = 0; row < labels.RowCount; row++)
        {
            foreach (var id in labels.Row(row)) values[(row * labels.TagCount) + id] = 1f;
        }

        return new ScoreMatrix(labels.RowCount, labels.TagCount, values);
    }

    internal static void CheckThresholds(ReadOnlySpan<float> thresholds, int tagCount)
    {
        if (thresholds.Length != tagCount)
        {
            throw new ArgumentException($"Expected one threshold per tag ({tagCount}), got {thresholds.Length}.", nameof(thresholds));
        }
    }

    internal static void CheckSameShape(ScoreMatrix scores, LabelMatrix truth)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(truth);
        if (scores.RowCount != truth.RowCount || scores.TagCount != truth.TagCount)
        {
            throw new ArgumentException($"Scores are {scores.RowCount} rows x {scores.TagCount} tags but the truth is {truth.RowCount} rows x {truth.TagCount} tags.");
        }
    }
}
