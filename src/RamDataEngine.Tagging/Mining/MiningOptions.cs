namespace RamDataEngine.Tagging;

/// <summary>Options of vocabulary mining: what counts as a candidate term and how much memory the counts may take.</summary>
public sealed class MiningOptions
{
    /// <summary>Counters kept for single words (bounded memory; the rarest are evicted first).</summary>
    public int WordCapacity { get; init; } = 20_000;

    /// <summary>Counters kept for 2-3 word phrases.</summary>
    public int PhraseCapacity { get; init; } = 50_000;

    /// <summary>Longest phrase counted, in words (2 or 3).</summary>
    public int MaxPhraseWords { get; init; } = 3;

    /// <summary>Shortest word counted, in characters.</summary>
    public int MinWordLength { get; init; } = 2;

    /// <summary>Captions longer than this are cut before counting.</summary>
    public int MaxCaptionLength { get; init; } = 2048;

    internal void Validate()
    {
        if (WordCapacity < 1) throw new ArgumentOutOfRangeException(nameof(WordCapacity), WordCapacity, "WordCapacity must be at least 1.");
        if (PhraseCapacity < 1) throw new ArgumentOutOfRangeException(nameof(PhraseCapacity), PhraseCapacity, "PhraseCapacity must be at least 1.");
        if (MaxPhraseWords is < 1 or > 3) throw new ArgumentOutOfRangeException(nameof(MaxPhraseWords), MaxPhraseWords, "MaxPhraseWords must be 1, 2 or 3.");
        if (MinWordLength is < 1 or > 32) throw new ArgumentOutOfRangeException(nameof(MinWordLength), MinWordLength, "MinWordLength must be between 1 and 32.");
        if (MaxCaptionLength < 16) throw new ArgumentOutOfRangeException(nameof(MaxCaptionLength), MaxCaptionLength, "MaxCaptionLength must be at least 16.");
    }
}

/// <summary>Options of ranking mined candidates.</summary>
public sealed class MiningRankOptions
{
    /// <summary>Candidates seen in fewer captions than this are dropped.</summary>
    public long MinCount { get; init; } = 5;

    /// <summary>
    /// A phrase is a candidate only when it makes up at least this share of the captions of its rarest word
    /// ("fire hydrant" nearly always; "man riding" rarely), which keeps terms and drops chance word pairs.
    /// </summary>
    public double MinPhraseCohesion { get; init; } = 0.35;

    /// <summary>
    /// A single word is dropped when one candidate phrase holding it accounts for at least this share of the word's
    /// captions: the word is then only part of a term ("cell" of "cell phone"). 1 or more keeps every word.
    /// </summary>
    public double SubsumedWordShare { get; init; } = 0.9;

    internal void Validate()
    {
        if (MinCount < 1) throw new ArgumentOutOfRangeException(nameof(MinCount), MinCount, "MinCount must be at least 1.");
        if (MinPhraseCohesion is < 0 or > 1 || double.IsNaN(MinPhraseCohesion)) throw new ArgumentOutOfRangeException(nameof(MinPhraseCohesion), MinPhraseCohesion, "MinPhraseCohesion must be between 0 and 1.");
        if (SubsumedWordShare <= 0 || double.IsNaN(SubsumedWordShare)) throw new ArgumentOutOfRangeException(nameof(SubsumedWordShare), SubsumedWordShare, "SubsumedWordShare must be above 0.");
    }
}
