using System.Collections.Frozen;
using System.Security.Cryptography;

namespace RamDataEngine.Tagging;

/// <summary>
/// A tag vocabulary: dense tag ids with canonical names, synonyms and optional category, threshold and localized name.
/// Immutable; its <see cref="Id"/> is a hash of its content, so it can be stored as a versioned artifact.
/// </summary>
public sealed partial class TagVocabulary
{
    private readonly TagEntry[] tags;
    private readonly FrozenDictionary<string, int> idByName;
    private readonly Lazy<string> id;

    /// <summary>Builds a vocabulary; tags must be given in id order with ids 0..n-1.</summary>
    /// <param name="tags">The tags, <c>tags[i].Id == i</c>.</param>
    /// <param name="ignoredPhrases">Phrases that never yield a tag (e.g. a word whose tag has another sense).</param>
    /// <param name="localizedLanguage">Language of <see cref="TagEntry.LocalizedName"/> (e.g. "zh"), if any tag has one.</param>
    public TagVocabulary(IEnumerable<TagEntry> tags, IEnumerable<string>? ignoredPhrases = null, string? localizedLanguage = null)
    {
        ArgumentNullException.ThrowIfNull(tags);
        this.tags = tags.ToArray();
        var byName = new Dictionary<string, int>(this.tags.Length, StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < this.tags.Length; i++)
        {
            var tag = this.tags[i] ?? throw new ArgumentException($"Tag {i} is null.", nameof(tags));
            if (tag.Id != i) throw new ArgumentException($"Tag '{tag.Name}' at position {i} has id {tag.Id}; ids must be 0..n-1 in order.", nameof(tags));
            ValidatePhrase(tag.Name, $"tag {i} name");
            if (!byName.TryAdd(tag.Name, i))
            {
                throw new ArgumentException($"Tag {i} '{tag.Name}' has the same name as tag {byName[tag.Name]} (names are compared ignoring case).", nameof(tags));
            }

            ArgumentNullException.ThrowIfNull(tag.Synonyms, $"tags[{i}].Synonyms");
            for (int s = 0; s < tag.Synonyms.Count; s++) ValidatePhrase(tag.Synonyms[s], $"tag {i} '{tag.Name}' synonym {s}");
            if (tag.Threshold is { } t && !float.IsFinite(t)) throw new ArgumentException($"Tag {i} '{tag.Name}' has a threshold that is not a finite number ({t}).", nameof(tags));
            if (!Enum.IsDefined(tag.Category)) throw new ArgumentException($"Tag {i} '{tag.Name}' has an unknown category {(int)tag.Category}.", nameof(tags));
            if (tag.LocalizedName is { } l && l.AsSpan().ContainsAny('\r', '\n')) throw new ArgumentException($"Tag {i} '{tag.Name}' has a localized name with a line break.", nameof(tags));
        }

        idByName = byName.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        IgnoredPhrases = (ignoredPhrases ?? []).Distinct(StringComparer.Ordinal).ToArray();
        for (int i = 0; i < IgnoredPhrases.Count; i++) ValidatePhrase(IgnoredPhrases[i], $"ignored phrase {i}");
        if (localizedLanguage is not null && string.IsNullOrWhiteSpace(localizedLanguage)) throw new ArgumentException("The localized language is blank.", nameof(localizedLanguage));
        LocalizedLanguage = localizedLanguage;
        id = new Lazy<string>(ComputeId);
    }

    /// <summary>All tags, in id order.</summary>
    public IReadOnlyList<TagEntry> Tags => tags;

    public int Count => tags.Length;

    public TagEntry this[int tagId] => (uint)tagId < (uint)tags.Length
        ? tags[tagId]
        : throw new ArgumentOutOfRangeException(nameof(tagId), tagId, $"The vocabulary has {tags.Length} tags.");

    /// <summary>Phrases that never yield a tag, whatever the tags' names and synonyms say.</summary>
    public IReadOnlyList<string> IgnoredPhrases { get; }

    /// <summary>Language of the localized names (e.g. "zh" for RAM's Chinese list), or null.</summary>
    public string? LocalizedLanguage { get; }

    /// <summary>Content id: lowercase hex SHA-256 of the compact JSON form; equal content gives an equal id.</summary>
    public string Id => id.Value;

    /// <summary>Finds a tag by name, ignoring case.</summary>
    public bool TryGetTag(string name, out TagEntry tag)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (idByName.TryGetValue(name, out var i))
        {
            tag = tags[i];
            return true;
        }

        tag = null!;
        return false;
    }

    /// <summary>The id of the tag with this name (ignoring case), or -1.</summary>
    public int IndexOf(string name) => idByName.TryGetValue(name, out var i) ? i : -1;

    /// <summary>
    /// A new vocabulary with the table's synonyms added to the tags they name and its ignore rules added to
    /// <see cref="IgnoredPhrases"/>. Rules whose target tag is not in this vocabulary are skipped
    /// (see <see cref="SynonymTable.MissingTargets"/>).
    /// </summary>
    public TagVocabulary WithSynonyms(SynonymTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var synonyms = tags.Select(t => new List<string>(t.Synonyms)).ToArray();
        var ignored = new List<string>(IgnoredPhrases);
        foreach (var rule in table.Rules)
        {
            if (rule.IsIgnore)
            {
                if (!ignored.Contains(rule.Phrase, StringComparer.Ordinal)) ignored.Add(rule.Phrase);
                continue;
            }

            foreach (var target in rule.Targets)
            {
                if (!idByName.TryGetValue(target, out var tagId)) continue;
                var list = synonyms[tagId];
                if (!string.Equals(tags[tagId].Name, rule.Phrase, StringComparison.OrdinalIgnoreCase)
                    && !list.Contains(rule.Phrase, StringComparer.OrdinalIgnoreCase))
                {
                    list.Add(rule.Phrase);
                }
            }
        }

        var entries = tags.Select((t, i) => t with { Synonyms = synonyms[i].ToArray() });
        return new TagVocabulary(entries, ignored, LocalizedLanguage);
    }

    /// <summary>A new vocabulary with the given categories set on the tags they name (names not present are skipped).</summary>
    public TagVocabulary WithCategories(IReadOnlyDictionary<string, TagCategory> categories)
    {
        ArgumentNullException.ThrowIfNull(categories);
        var entries = tags.Select(t => categories.TryGetValue(t.Name, out var c) ? t with { Category = c } : t);
        return new TagVocabulary(entries, IgnoredPhrases, LocalizedLanguage);
    }

    private string ComputeId()
    {
        using var buffer = new MemoryStream();
        WriteJson(buffer, indented: false);
        return Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }

    private static void ValidatePhrase(string? phrase, string what)
    {
        if (string.IsNullOrWhiteSpace(phrase)) throw new ArgumentException($"The {what} is empty.");
        if (phrase.AsSpan().ContainsAny('\r', '\n')) throw new ArgumentException($"The {what} '{phrase.ReplaceLineEndings(" ")}' contains a line break.");
        if (phrase.Length > MaxPhraseLength) throw new ArgumentException($"The {what} is {phrase.Length} characters long; at most {MaxPhraseLength} are allowed.");
    }

    /// <summary>Longest tag name, synonym or ignored phrase accepted.</summary>
    public const int MaxPhraseLength = 200;
}
