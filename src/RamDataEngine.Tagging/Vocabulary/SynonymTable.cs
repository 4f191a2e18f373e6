namespace RamDataEngine.Tagging;

/// <summary>One synonym rule: a caption phrase and the tag names it means; no targets means the phrase never yields a tag.</summary>
public sealed record SynonymRule(string Phrase, IReadOnlyList<string> Targets)
{
    /// <summary>True when the phrase is ignored (written <c>PHRASE =&gt; -</c>).</summary>
    public bool IsIgnore => Targets.Count == 0;
}

/// <summary>
/// Synonyms that map caption phrases onto a vocabulary's tag names, in a small text format:
/// <c>PHRASE =&gt; TAG [; TAG ...]</c> or <c>PHRASE =&gt; -</c>, one rule a line, <c>#</c> comments.
/// <see cref="Default"/> is the table written for RAM's vocabulary; users extend it with <see cref="Concat"/>.
/// </summary>
public sealed class SynonymTable
{
    private static readonly Lazy<SynonymTable> DefaultTable = new(() =>
    {
        using var stream = typeof(SynonymTable).Assembly.GetManifestResourceStream("RamDataEngine.Tagging.DefaultSynonyms.txt")
            ?? throw new InvalidOperationException("The default synonym table is not embedded in RamDataEngine.Tagging.");
        using var reader = new StreamReader(stream);
        return Parse(reader, "default synonym table");
    });

    public SynonymTable(IEnumerable<SynonymRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Rules = rules.ToArray();
        foreach (var rule in Rules)
        {
            if (string.IsNullOrWhiteSpace(rule.Phrase)) throw new ArgumentException("A synonym rule has an empty phrase.", nameof(rules));
            if (rule.Targets.Any(string.IsNullOrWhiteSpace)) throw new ArgumentException($"The synonym rule for '{rule.Phrase}' has an empty target.", nameof(rules));
        }
    }

    /// <summary>The table written for RAM's vocabulary (embedded in this assembly).</summary>
    public static SynonymTable Default => DefaultTable.Value;

    public IReadOnlyList<SynonymRule> Rules { get; }

    /// <summary>Parses the text format; errors name the source and line.</summary>
    public static SynonymTable Parse(TextReader reader, string sourceName = "synonym table")
    {
        ArgumentNullException.ThrowIfNull(reader);
        var rules = new List<SynonymRule>();
        int lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            var text = line.AsSpan().Trim();
            if (text.IsEmpty || text[0] == '#') continue;
            int arrow = text.IndexOf("=>", StringComparison.Ordinal);
            if (arrow < 0) throw new FormatException($"{sourceName} line {lineNumber}: expected 'PHRASE => TAG', found '{line}'.");
            var phrase = text[..arrow].Trim().ToString();
            var right = text[(arrow + 2)..].Trim();
            if (phrase.Length == 0) throw new FormatException($"{sourceName} line {lineNumber}: the phrase before '=>' is empty.");
            if (phrase.Length > TagVocabulary.MaxPhraseLength) throw new FormatException($"{sourceName} line {lineNumber}: the phrase is longer than {TagVocabulary.MaxPhraseLength} characters.");
            if (right.SequenceEqual("-"))
            {
                rules.Add(new SynonymRule(phrase, []));
                continue;
            }

            var targets = new List<string>();
            foreach (var range in right.Split(';'))
            {
                var target = right[range].Trim();
                if (target.IsEmpty) throw new FormatException($"{sourceName} line {lineNumber}: an empty tag name after '=>' (use '-' to ignore the phrase).");
                targets.Add(target.ToString());
            }

            rules.Add(new SynonymRule(phrase, targets));
        }

        return new SynonymTable(rules);
    }

    /// <summary>Loads a table from a text file.</summary>
    public static SynonymTable Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var reader = new StreamReader(path);
        return Parse(reader, Path.GetFileName(path));
    }

    /// <summary>This table's rules followed by <paramref name="other"/>'s.</summary>
    public SynonymTable Concat(SynonymTable other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new SynonymTable(Rules.Concat(other.Rules));
    }

    /// <summary>Writes the text format.</summary>
    public void Write(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        foreach (var rule in Rules) writer.WriteLine(rule.IsIgnore ? $"{rule.Phrase} => -" : $"{rule.Phrase} => {string.Join("; ", rule.Targets)}");
    }

    /// <summary>Targets named by the rules that the vocabulary does not have (those rules are skipped when applied).</summary>
    public IReadOnlyList<string> MissingTargets(TagVocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        return Rules.SelectMany(r => r.Targets).Where(t => vocabulary.IndexOf(t) < 0).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();
    }
}
