using System.Text.Json;

namespace RamDataEngine.Tagging;

/// <content>The project's own JSON format, which carries everything a vocabulary holds.</content>
public sealed partial class TagVocabulary
{
    /// <summary>Value of the "format" field of the JSON form.</summary>
    public const string JsonFormatName = "ramdataengine.vocabulary";

    /// <summary>Version of the JSON form written by <see cref="WriteJson"/>.</summary>
    public const int JsonFormatVersion = 1;

    /// <summary>
    /// Writes the JSON form: <c>{"format", "version", "localizedLanguage"?, "tags": [{"id", "name", "synonyms"?,
    /// "category"?, "threshold"?, "localizedName"?}], "ignoredPhrases"?}</c>. Field order and number formatting are
    /// fixed, so equal vocabularies write equal bytes (the compact form is what <see cref="Id"/> hashes).
    /// </summary>
    public void WriteJson(Stream destination, bool indented = true)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var json = new Utf8JsonWriter(destination, new JsonWriterOptions { Indented = indented, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        json.WriteStartObject();
        json.WriteString("format", JsonFormatName);
        json.WriteNumber("version", JsonFormatVersion);
        if (LocalizedLanguage is not null) json.WriteString("localizedLanguage", LocalizedLanguage);
        json.WriteStartArray("tags");
        foreach (var tag in tags)
        {
            json.WriteStartObject();
            json.WriteNumber("id", tag.Id);
            json.WriteString("name", tag.Name);
            if (tag.Synonyms.Count > 0)
            {
                json.WriteStartArray("synonyms");
                foreach (var s in tag.Synonyms) json.WriteStringValue(s);
                json.WriteEndArray();
            }

            if (tag.Category != TagCategory.Unknown) json.WriteString("category", CategoryName(tag.Category));
            if (tag.Threshold is { } threshold) json.WriteNumber("threshold", threshold);
            if (tag.LocalizedName is not null) json.WriteString("localizedName", tag.LocalizedName);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        if (IgnoredPhrases.Count > 0)
        {
            json.WriteStartArray("ignoredPhrases");
            foreach (var p in IgnoredPhrases) json.WriteStringValue(p);
            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    /// <summary>Reads the JSON form written by <see cref="WriteJson"/>.</summary>
    /// <exception cref="InvalidDataException">The JSON is malformed or a field is missing or of the wrong kind (the message names it).</exception>
    public static TagVocabulary ReadJson(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(source, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Vocabulary JSON is malformed: {e.Message}", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException("Vocabulary JSON: the root is not an object.");
            var format = GetString(root, "format", "the root");
            if (format != JsonFormatName) throw new InvalidDataException($"Vocabulary JSON: format is '{format}', expected '{JsonFormatName}'.");
            var version = GetInt(root, "version", "the root");
            if (version != JsonFormatVersion) throw new InvalidDataException($"Vocabulary JSON: version {version} is not supported (this build reads version {JsonFormatVersion}).");
            string? language = root.TryGetProperty("localizedLanguage", out var l) ? AsString(l, "localizedLanguage") : null;
            if (!root.TryGetProperty("tags", out var tagsElement) || tagsElement.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException("Vocabulary JSON: 'tags' is missing or not an array.");
            }

            var entries = new List<TagEntry>(tagsElement.GetArrayLength());
            int index = 0;
            foreach (var t in tagsElement.EnumerateArray())
            {
                var where = $"tags[{index}]";
                if (t.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"Vocabulary JSON: {where} is not an object.");
                var tagId = GetInt(t, "id", where);
                var name = GetString(t, "name", where);
                var synonyms = t.TryGetProperty("synonyms", out var s) ? ReadStrings(s, $"{where}.synonyms") : [];
                var category = t.TryGetProperty("category", out var c) ? ParseCategory(AsString(c, $"{where}.category"), where) : TagCategory.Unknown;
                float? threshold = null;
                if (t.TryGetProperty("threshold", out var th))
                {
                    if (th.ValueKind != JsonValueKind.Number || !th.TryGetSingle(out var v)) throw new InvalidDataException($"Vocabulary JSON: {where}.threshold is not a number.");
                    threshold = v;
                }

                string? localized = t.TryGetProperty("localizedName", out var ln) ? AsString(ln, $"{where}.localizedName") : null;
                entries.Add(new TagEntry(tagId, name, synonyms, category, threshold, localized));
                index++;
            }

            var ignored = root.TryGetProperty("ignoredPhrases", out var ip) ? ReadStrings(ip, "ignoredPhrases") : [];
            try
            {
                return new TagVocabulary(entries, ignored, language);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"Vocabulary JSON: {e.Message}", e);
            }
        }
    }

    /// <summary>The JSON spelling of a category ("object", "scene", "attribute", "action").</summary>
    public static string CategoryName(TagCategory category) => category switch
    {
        TagCategory.Object => "object",
        TagCategory.Scene => "scene",
        TagCategory.Attribute => "attribute",
        TagCategory.Action => "action",
        _ => "unknown",
    };

    private static TagCategory ParseCategory(string value, string where) => value switch
    {
        "object" => TagCategory.Object,
        "scene" => TagCategory.Scene,
        "attribute" => TagCategory.Attribute,
        "action" => TagCategory.Action,
        "unknown" => TagCategory.Unknown,
        _ => throw new InvalidDataException($"Vocabulary JSON: {where}.category '{value}' is not one of object, scene, attribute, action, unknown."),
    };

    private static string[] ReadStrings(JsonElement element, string where)
    {
        if (element.ValueKind != JsonValueKind.Array) throw new InvalidDataException($"Vocabulary JSON: {where} is not an array.");
        var result = new string[element.GetArrayLength()];
        int i = 0;
        foreach (var item in element.EnumerateArray()) result[i] = AsString(item, $"{where}[{i++}]");
        return result;
    }

    private static string GetString(JsonElement element, string property, string where)
        => element.TryGetProperty(property, out var value)
            ? AsString(value, $"{where}.{property}")
            : throw new InvalidDataException($"Vocabulary JSON: {where} has no '{property}'.");

    private static int GetInt(JsonElement element, string property, string where)
    {
        if (!element.TryGetProperty(property, out var value)) throw new InvalidDataException($"Vocabulary JSON: {where} has no '{property}'.");
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt32(out var result)) throw new InvalidDataException($"Vocabulary JSON: {where}.{property} is not an integer.");
        return result;
    }

    private static string AsString(JsonElement element, string where)
        => element.ValueKind == JsonValueKind.String
            ? element.GetString()!
            : throw new InvalidDataException($"Vocabulary JSON: {where} is not a string.");
}
