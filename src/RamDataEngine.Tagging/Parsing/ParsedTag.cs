namespace RamDataEngine.Tagging;

/// <summary>A tag found in a caption, with the span of the caption it came from.</summary>
/// <param name="TagId">The tag's id in the parser's vocabulary.</param>
/// <param name="Start">Index of the span's first character in the caption.</param>
/// <param name="Length">Length of the span in characters (the whole matched phrase, e.g. "traffic lights").</param>
public readonly record struct ParsedTag(int TagId, int Start, int Length)
{
    /// <summary>The span of <paramref name="caption"/> this tag came from.</summary>
    public ReadOnlySpan<char> SourceIn(ReadOnlySpan<char> caption) => caption.Slice(Start, Length);
}

/// <summary>What happened to a caption besides the tags found.</summary>
[Flags]
public enum CaptionParseFlags
{
    None = 0,

    /// <summary>The caption was longer than <see cref="CaptionParserOptions.MaxCaptionLength"/>; only its start was parsed.</summary>
    Truncated = 1,

    /// <summary>Too few words were English; no tags are returned.</summary>
    NotEnglish = 2,

    /// <summary>The destination buffer filled up; later tags were dropped.</summary>
    DestinationFull = 4,
}

/// <summary>Result of parsing one caption into a caller's buffer: how many tags were written, and flags.</summary>
public readonly record struct CaptionParseResult(int Count, CaptionParseFlags Flags)
{
    public bool Truncated => (Flags & CaptionParseFlags.Truncated) != 0;
}
