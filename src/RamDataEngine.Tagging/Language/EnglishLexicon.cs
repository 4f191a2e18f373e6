using System.Collections.Frozen;

namespace RamDataEngine.Tagging;

/// <summary>The English word knowledge the parser and the miner share, read from the embedded English.txt.</summary>
internal sealed class EnglishLexicon
{
    private static readonly Lazy<EnglishLexicon> DefaultLexicon = new(Load);

    private EnglishLexicon(
        FrozenSet<string> function,
        FrozenSet<string> negation,
        FrozenSet<string> scopeBreak,
        FrozenSet<string> preposition,
        FrozenSet<string> signage,
        FrozenSet<string> modifier,
        FrozenSet<string> verbs,
        FrozenDictionary<string, IrregularForm> irregular,
        FrozenSet<string> ingNouns)
    {
        Function = function;
        Negation = negation;
        ScopeBreak = scopeBreak;
        Preposition = preposition;
        Signage = signage;
        Modifier = modifier;
        Verbs = verbs;
        Irregular = irregular;
        IngNouns = ingNouns;
    }

    public static EnglishLexicon Default => DefaultLexicon.Value;

    /// <summary>Words that never name a visual concept (determiners, pronouns, prepositions, quantities...).</summary>
    public FrozenSet<string> Function { get; }

    /// <summary>Words that open a negation scope ("n't" stands for every contracted negation).</summary>
    public FrozenSet<string> Negation { get; }

    /// <summary>Words that close a negation scope.</summary>
    public FrozenSet<string> ScopeBreak { get; }

    /// <summary>Prepositions: they close a negation scope that already holds a verb or a noun.</summary>
    public FrozenSet<string> Preposition { get; }

    /// <summary>Sign words: "no" followed by one of them is a sign's text ("no smoking sign"), not a negation.</summary>
    public FrozenSet<string> Signage { get; }

    /// <summary>Adjectives: a tag matched on one does not end a negation scope.</summary>
    public FrozenSet<string> Modifier { get; }

    /// <summary>Lemmas that take verb inflections.</summary>
    public FrozenSet<string> Verbs { get; }

    /// <summary>Irregular form to lemma.</summary>
    public FrozenDictionary<string, IrregularForm> Irregular { get; }

    /// <summary>Nouns ending in -ing, not reduced by the mining lemmatizer.</summary>
    public FrozenSet<string> IngNouns { get; }

    private static EnglishLexicon Load()
    {
        using var stream = typeof(EnglishLexicon).Assembly.GetManifestResourceStream("RamDataEngine.Tagging.English.txt")
            ?? throw new InvalidOperationException("English.txt is not embedded in RamDataEngine.Tagging.");
        using var reader = new StreamReader(stream);
        var sections = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        List<string>? current = null;
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var text = line.Trim();
            if (text.Length == 0 || text[0] == '#') continue;
            if (text[0] == '[')
            {
                if (!text.EndsWith(']')) throw new InvalidDataException($"English.txt line {lineNumber}: bad section header '{text}'.");
                current = [];
                sections[text[1..^1]] = current;
                continue;
            }

            if (current is null) throw new InvalidDataException($"English.txt line {lineNumber}: text before the first section.");
            if (sections.TryGetValue("irregular", out var irregularLines) && ReferenceEquals(current, irregularLines)) current.Add(text);
            else current.AddRange(text.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }

        FrozenSet<string> Set(string name) => sections.TryGetValue(name, out var words)
            ? words.ToFrozenSet(StringComparer.Ordinal)
            : throw new InvalidDataException($"English.txt has no [{name}] section.");

        var irregular = new Dictionary<string, IrregularForm>(StringComparer.Ordinal);
        foreach (var entry in sections["irregular"])
        {
            var parts = entry.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length is < 2 or > 3 || (parts.Length == 3 && parts[2] != "v")) throw new InvalidDataException($"English.txt: bad irregular entry '{entry}' (expected 'FORM LEMMA [v]').");
            irregular[parts[0]] = new IrregularForm(parts[1], parts.Length == 3);
        }

        return new EnglishLexicon(Set("function"), Set("negation"), Set("scope-break"), Set("preposition"), Set("signage"), Set("modifier"), Set("verb"),
            irregular.ToFrozenDictionary(StringComparer.Ordinal), Set("ing-noun"));
    }
}

/// <summary>An irregular form's lemma, and whether it is a verb form (used only when the lemma is a known verb).</summary>
internal readonly record struct IrregularForm(string Lemma, bool IsVerb);
