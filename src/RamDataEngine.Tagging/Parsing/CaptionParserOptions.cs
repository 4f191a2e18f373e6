namespace RamDataEngine.Tagging;

/// <summary>Options of a <see cref="CaptionParser"/>.</summary>
public sealed class CaptionParserOptions
{
    /// <summary>Captions longer than this many characters are cut at the last word boundary before it and flagged.</summary>
    public int MaxCaptionLength { get; init; } = 2048;

    /// <summary>A caption with at least <see cref="MinWordsForLanguageCheck"/> words is treated as not English, and gets
    /// no tags, when fewer than this share of its words are known English words.</summary>
    public double MinEnglishWordShare { get; init; } = 0.4;

    /// <summary>Shorter captions are not language-checked.</summary>
    public int MinWordsForLanguageCheck { get; init; } = 3;

    /// <summary>Longest negation scope, in words after the cue.</summary>
    public int MaxNegationScope { get; init; } = 8;

    internal void Validate()
    {
        if (MaxCaptionLength is < 16 or > 1 << 20) throw new ArgumentOutOfRangeException(nameof(MaxCaptionLength), MaxCaptionLength, "MaxCaptionLength must be between 16 and 1048576 characters.");
        if (MinEnglishWordShare is < 0 or > 1 || double.IsNaN(MinEnglishWordShare)) throw new ArgumentOutOfRangeException(nameof(MinEnglishWordShare), MinEnglishWordShare, "MinEnglishWordShare must be between 0 and 1.");
        if (MinWordsForLanguageCheck < 1) throw new ArgumentOutOfRangeException(nameof(MinWordsForLanguageCheck), MinWordsForLanguageCheck, "MinWordsForLanguageCheck must be at least 1.");
        if (MaxNegationScope is < 1 or > 64) throw new ArgumentOutOfRangeException(nameof(MaxNegationScope), MaxNegationScope, "MaxNegationScope must be between 1 and 64.");
    }
}
