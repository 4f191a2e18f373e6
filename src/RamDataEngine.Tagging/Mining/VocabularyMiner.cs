namespace RamDataEngine.Tagging;

/// <summary>A ranked vocabulary candidate: a lemmatized word or phrase and the number of captions it was counted in.</summary>
/// <param name="Term">Lowercase lemmatized term ("tennis racket").</param>
/// <param name="Count">Captions counted (an upper bound; see <see cref="HeavyHitters"/>).</param>
/// <param name="Error">Most the count may overstate.</param>
/// <param name="Words">Words in the term.</param>
public sealed record MinedTerm(string Term, long Count, long Error, int Words);

/// <summary>
/// Vocabulary mining (<c>ram vocab mine</c>): count candidates per shard with <see cref="CaptionTermCounter"/>, merge the
/// shards' <see cref="MiningSummary"/>s, <see cref="Rank"/>, then write the top K as a new vocabulary
/// (<see cref="ToVocabulary"/>) or list the candidates an existing vocabulary lacks (<see cref="MissingFrom"/>).
/// </summary>
public static class VocabularyMiner
{
    /// <summary>Counts one shard's captions (convenience over <see cref="CaptionTermCounter"/>).</summary>
    public static MiningSummary Count(IEnumerable<string> captions, MiningOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(captions);
        var counter = new CaptionTermCounter(options);
        foreach (var caption in captions) counter.Add(caption);
        return counter.Summary;
    }

    /// <summary>
    /// Candidates, most frequent first: words seen in at least <see cref="MiningRankOptions.MinCount"/> captions (except
    /// words that are nearly always part of one candidate phrase), and phrases that also pass the cohesion test (they
    /// account for a large share of their rarest word's captions).
    /// </summary>
    public static IReadOnlyList<MinedTerm> Rank(MiningSummary summary, MiningRankOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(summary);
        options ??= new MiningRankOptions();
        options.Validate();
        var phrases = new List<MinedTerm>();
        var largestPhraseOf = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var p in summary.Phrases.ToList())
        {
            if (p.Count < options.MinCount) continue;
            var words = p.Term.Split(' ');
            long rarest = words.Min(summary.Words.UpperBound);
            if (rarest == 0 || p.GuaranteedCount < options.MinPhraseCohesion * rarest) continue;
            phrases.Add(new MinedTerm(p.Term, p.Count, p.Error, words.Length));
            foreach (var word in words) largestPhraseOf[word] = Math.Max(largestPhraseOf.GetValueOrDefault(word), p.GuaranteedCount);
        }

        var result = new List<MinedTerm>();
        foreach (var w in summary.Words.ToList())
        {
            if (w.Count < options.MinCount) continue;
            if (largestPhraseOf.TryGetValue(w.Term, out var inPhrase) && inPhrase >= options.SubsumedWordShare * w.Count) continue;
            result.Add(new MinedTerm(w.Term, w.Count, w.Error, 1));
        }

        result.AddRange(phrases);
        result.Sort((a, b) => b.Count != a.Count ? b.Count.CompareTo(a.Count) : string.CompareOrdinal(a.Term, b.Term));
        return result;
    }

    /// <summary>The first <paramref name="topK"/> candidates with at least <paramref name="minCount"/> captions, as a vocabulary (ids in rank order).</summary>
    public static TagVocabulary ToVocabulary(IReadOnlyList<MinedTerm> ranked, int topK, long minCount = 1)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        ArgumentOutOfRangeException.ThrowIfLessThan(topK, 1);
        var names = ranked.Where(t => t.Count >= minCount).Select(t => t.Term).Distinct(StringComparer.OrdinalIgnoreCase).Take(topK);
        return new TagVocabulary(names.Select((name, id) => new TagEntry(id, name)));
    }

    /// <summary>Candidates that the vocabulary does not name (see <see cref="VocabularyMatcher.Match"/>), in rank order.</summary>
    public static IReadOnlyList<MinedTerm> MissingFrom(IReadOnlyList<MinedTerm> ranked, TagVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(ranked);
        var matcher = new VocabularyMatcher(vocabulary);
        return ranked.Where(t => matcher.Match(t.Term) < 0).ToArray();
    }
}

/// <summary>Decides whether a mined term is a tag of a vocabulary.</summary>
public sealed class VocabularyMatcher
{
    private readonly Dictionary<string, int> byLemmatizedName = new(StringComparer.Ordinal);
    private readonly CaptionParser parser;

    public VocabularyMatcher(TagVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        Vocabulary = vocabulary;
        foreach (var tag in vocabulary.Tags) byLemmatizedName.TryAdd(LemmatizePhrase(tag.Name), tag.Id);
        parser = new CaptionParser(vocabulary, new CaptionParserOptions { MinWordsForLanguageCheck = int.MaxValue });
    }

    public TagVocabulary Vocabulary { get; }

    /// <summary>The tag whose name, lemmatized like mined terms, equals <paramref name="term"/>; or -1.</summary>
    public int MatchByName(string term)
    {
        ArgumentNullException.ThrowIfNull(term);
        return byLemmatizedName.TryGetValue(LemmatizePhrase(term), out var id) ? id : -1;
    }

    /// <summary>
    /// The tag that <paramref name="term"/> names: by lemmatized name, else a tag that the vocabulary's parser finds
    /// spanning the whole term (through a synonym or an inflection: "cell phone" is "smartphone"); or -1.
    /// </summary>
    public int Match(string term)
    {
        int byName = MatchByName(term);
        if (byName >= 0) return byName;
        Span<ParsedTag> found = stackalloc ParsedTag[8];
        var trimmed = term.Trim();
        var result = parser.Parse(trimmed, found);
        for (int i = 0; i < result.Count; i++)
        {
            if (found[i].Start == 0 && found[i].Length == trimmed.Length) return found[i].TagId;
        }

        return -1;
    }

    /// <summary>Lowercases a phrase and lemmatizes each of its words (as mining does).</summary>
    public static string LemmatizePhrase(string phrase)
    {
        ArgumentNullException.ThrowIfNull(phrase);
        var words = new List<string>();
        Span<char> lower = stackalloc char[ParserTables.MaxWordLength];
        var scanner = new TokenScanner(phrase);
        while (scanner.MoveNext(lower, out var kind, out var start, out var length, out _))
        {
            if (kind != RawTokenKind.Word) continue;
            var word = length <= lower.Length ? lower[..length] : phrase.AsSpan(start, length);
            words.Add(EnglishLemmatizer.Lemmatize(word) ?? word.ToString());
        }

        return string.Join(' ', words);
    }
}
