using System.Collections.Frozen;

namespace RamDataEngine.Tagging;

/// <summary>
/// Counts candidate vocabulary terms in one shard's captions: lemmatized content words and 2-3 word phrases of
/// consecutive content words (function words, numbers and punctuation break phrases), each counted once per caption
/// into bounded heavy-hitter summaries. One counter per shard or worker; merge the <see cref="Summary"/> of each.
/// </summary>
public sealed class CaptionTermCounter
{
    private const int MaxLemmaCache = 200_000;

    private readonly MiningOptions options;
    private readonly FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> function;
    private readonly FrozenSet<string> functionWords;
    private readonly Dictionary<string, string> lemmas = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> lemmasBySpan;
    private readonly List<string?> sequence = [];
    private readonly List<string> captionWords = [];
    private readonly List<(int Start, int Length)> captionPhrases = [];
    private char[] phraseBuffer = new char[1024];
    private long captions;

    public CaptionTermCounter(MiningOptions? options = null)
    {
        this.options = options ?? new MiningOptions();
        this.options.Validate();
        var english = EnglishLexicon.Default;
        functionWords = english.Function.Concat(english.Negation).ToFrozenSet(StringComparer.Ordinal);
        function = functionWords.GetAlternateLookup<ReadOnlySpan<char>>();
        lemmasBySpan = lemmas.GetAlternateLookup<ReadOnlySpan<char>>();
        Words = new HeavyHitters(this.options.WordCapacity);
        Phrases = new HeavyHitters(this.options.PhraseCapacity);
    }

    public HeavyHitters Words { get; }

    public HeavyHitters Phrases { get; }

    /// <summary>This counter's counts so far (the live summaries, not a copy).</summary>
    public MiningSummary Summary => new(Words, Phrases, captions);

    /// <summary>Counts the candidate terms of one caption; any text is accepted.</summary>
    public void Add(ReadOnlySpan<char> caption)
    {
        if (caption.Length > options.MaxCaptionLength) caption = caption[..options.MaxCaptionLength];
        captions++;
        sequence.Clear();
        captionWords.Clear();
        captionPhrases.Clear();
        Span<char> lower = stackalloc char[ParserTables.MaxWordLength];
        var scanner = new TokenScanner(caption);
        while (scanner.MoveNext(lower, out var kind, out _, out var length, out bool digits))
        {
            if (kind != RawTokenKind.Word || digits || length > lower.Length || length < options.MinWordLength)
            {
                sequence.Add(null);
                continue;
            }

            var lemma = LemmaOf(lower[..length]);
            sequence.Add(lemma);
            if (lemma is not null && !captionWords.Contains(lemma)) captionWords.Add(lemma);
        }

        foreach (var word in captionWords) Words.Add(word);
        int phraseLength = 0;
        for (int i = 0; i < sequence.Count; i++)
        {
            for (int n = 2; n <= options.MaxPhraseWords && i + n <= sequence.Count; n++)
            {
                if (sequence[i + n - 1] is null) break;
                if (sequence[i] is null) break;
                int start = phraseLength;
                for (int k = 0; k < n; k++)
                {
                    var w = sequence[i + k]!;
                    if (k > 0) Append(' ', ref phraseLength);
                    foreach (char c in w) Append(c, ref phraseLength);
                }

                var phrase = phraseBuffer.AsSpan(start, phraseLength - start);
                bool seen = false;
                foreach (var (s, l) in captionPhrases)
                {
                    if (phraseBuffer.AsSpan(s, l).SequenceEqual(phrase))
                    {
                        seen = true;
                        break;
                    }
                }

                if (seen)
                {
                    phraseLength = start;
                    continue;
                }

                captionPhrases.Add((start, phrase.Length));
            }
        }

        foreach (var (s, l) in captionPhrases) Phrases.Add(phraseBuffer.AsSpan(s, l));
    }

    private void Append(char c, ref int length)
    {
        if (length == phraseBuffer.Length) Array.Resize(ref phraseBuffer, phraseBuffer.Length * 2);
        phraseBuffer[length++] = c;
    }

    /// <summary>The lemma of a lowercase word, or null for a function word.</summary>
    private string? LemmaOf(ReadOnlySpan<char> word)
    {
        if (function.Contains(word)) return null;
        if (lemmasBySpan.TryGetValue(word, out var cached)) return cached.Length == 0 ? null : cached;
        var lemma = EnglishLemmatizer.Lemmatize(word) ?? word.ToString();
        if (functionWords.Contains(lemma)) lemma = string.Empty;
        if (lemmas.Count >= MaxLemmaCache) lemmas.Clear();
        lemmas[word.ToString()] = lemma;
        return lemma.Length == 0 ? null : lemma;
    }
}
