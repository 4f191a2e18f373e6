namespace RamDataEngine.Hosting;

/// <summary>What the silo accepts as its HTTP API key (<c>Ram:Silo:ApiKey</c>): long, and not all of one kind of character.</summary>
public static class ApiKeyRules
{
    /// <summary>Shortest key accepted, in characters: 32 random characters of even one class are far beyond guessing.</summary>
    public const int MinimumLength = 32;

    /// <summary>Why <paramref name="key"/> is refused, or null when it is strong enough.</summary>
    public static string? Weakness(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Any(char.IsWhiteSpace))
        {
            // HTTP trims header values and shells split on spaces: a key with white space rarely arrives as configured.
            return "it contains white space.";
        }

        if (key.Length < MinimumLength) return $"it has {key.Length} characters; at least {MinimumLength} are required.";
        if (key.Any(char.IsControl)) return "it contains control characters.";
        var classes = key.Select(ClassOf).Distinct().Count();
        if (classes < 2) return $"every character is a {Describe(ClassOf(key[0]))}; mix at least two of lowercase letters, uppercase letters, digits and symbols.";
        return null;
    }

    private static int ClassOf(char c) => char.IsAsciiLetterLower(c) ? 0 : char.IsAsciiLetterUpper(c) ? 1 : char.IsAsciiDigit(c) ? 2 : 3;

    private static string Describe(int characterClass) => characterClass switch
    {
        0 => "lowercase letter",
        1 => "uppercase letter",
        2 => "digit",
        _ => "symbol",
    };
}
