namespace RamDataEngine.Core.Evaluation;

/// <summary>Sparse multi-label rows: for each image, the set of tag ids it carries (compressed rows, no per-row objects).</summary>
public sealed class LabelMatrix
{
    private readonly int[] _offsets;
    private readonly int[] _tagIds;

    /// <summary>Wraps compressed rows: row i holds <c>tagIds[offsets[i]..offsets[i + 1]]</c>; ids are checked against <paramref name="tagCount"/>.</summary>
    public LabelMatrix(int tagCount, int[] offsets, int[] tagIds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(tagCount);
        ArgumentNullException.ThrowIfNull(offsets);
        ArgumentNullException.ThrowIfNull(tagIds);
        if (offsets.Length == 0 || offsets[0] != 0 || offsets[^1] != tagIds.Length)
        {
            throw new ArgumentException($"Offsets must start at 0 and end at the tag id count ({tagIds.Length}).", nameof(offsets));
        }

        for (int row = 0; row + 1 < offsets.Length; row++)
        {
            if (offsets[row + 1] < offsets[row]) throw new ArgumentException($"Offsets decrease at row {row}.", nameof(offsets));
            for (int k = offsets[row]; k < offsets[row + 1]; k++)
            {
                if ((uint)tagIds[k] >= (uint)tagCount)
                {
                    throw new ArgumentOutOfRangeException(nameof(tagIds), $"Row {row} holds tag id {tagIds[k]}, outside the vocabulary of {tagCount} tags.");
                }
            }
        }

        TagCount = tagCount;
        _offsets = offsets;
        _tagIds = tagIds;
    }

    public int RowCount => _offsets.Length - 1;

    public int TagCount { get; }

    /// <summary>The tag ids of one row (may hold duplicates if the caller gave them; metrics treat a row as a set).</summary>
    public ReadOnlySpan<int> Row(int row) => _tagIds.AsSpan(_offsets[row], _offsets[row + 1] - _offsets[row]);

    /// <summary>Builds the matrix from per-row tag id collections.</summary>
    public static LabelMatrix FromRows(int tagCount, IEnumerable<IEnumerable<int>> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var offsets = new List<int> { 0 };
        var ids = new List<int>();
        foreach (var row in rows)
        {
            ids.AddRange(row);
            offsets.Add(ids.Count);
        }

        return new LabelMatrix(tagCount, [.. offsets], [.. ids]);
    }

    /// <summary>Rows whose tags are the scores at or above the per-tag thresholds.</summary>
    public static LabelMatrix FromScores(ScoreMatrix scores, ReadOnlySpan<float> thresholds)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ScoreMatrix.CheckThresholds(thresholds, scores.TagCount);
        var offsets = new int[scores.RowCount + 1];
        var ids = new List<int>();
        for (int row = 0; row < scores.RowCount; row++)
        {
            var values = scores.Row(row);
            for (int t = 0; t < values.Length; t++)
            {
                if (values[t] >= thresholds[t]) ids.Add(t);
            }

            offsets[row + 1] = ids.Count;
        }

        return new LabelMatrix(scores.TagCount, offsets, [.. ids]);
    }

    /// <summary>Dense 0/1 membership of row <paramref name="row"/>, written into <paramref name="destination"/> (length = tag count).</summary>
    internal void FillRow(int row, Span<bool> destination)
    {
        destination.Clear();
        foreach (var id in Row(row)) destination[id] = true;
    }
}
