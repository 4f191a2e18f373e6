namespace RamDataEngine.Tagging;

/// <summary>One tag of a vocabulary: its id, canonical name, the phrases that mean it, and optional metadata.</summary>
/// <param name="Id">Dense id, equal to the tag's position in the vocabulary (RAM: the line index).</param>
/// <param name="Name">Canonical name as the vocabulary spells it (case kept, e.g. "French fries").</param>
/// <param name="Synonyms">Other phrases that mean this tag (e.g. "ocean" for "sea").</param>
/// <param name="Category">Object, scene, attribute or action where known.</param>
/// <param name="Threshold">Per-class score threshold for a tagger, when the vocabulary carries one.</param>
/// <param name="LocalizedName">Name in the vocabulary's <see cref="TagVocabulary.LocalizedLanguage"/>, when present.</param>
public sealed record TagEntry(
    int Id,
    string Name,
    IReadOnlyList<string> Synonyms,
    TagCategory Category = TagCategory.Unknown,
    float? Threshold = null,
    string? LocalizedName = null)
{
    /// <summary>A tag with a name only.</summary>
    public TagEntry(int id, string name)
        : this(id, name, [])
    {
    }

    public bool Equals(TagEntry? other)
        => other is not null
           && Id == other.Id
           && string.Equals(Name, other.Name, StringComparison.Ordinal)
           && Synonyms.SequenceEqual(other.Synonyms, StringComparer.Ordinal)
           && Category == other.Category
           && Threshold == other.Threshold
           && string.Equals(LocalizedName, other.LocalizedName, StringComparison.Ordinal);

    public override int GetHashCode() => HashCode.Combine(Id, Name, Synonyms.Count, Category, Threshold, LocalizedName);
}
