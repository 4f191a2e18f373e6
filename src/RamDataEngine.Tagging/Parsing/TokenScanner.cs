using System.Globalization;
using System.Runtime.CompilerServices;

namespace RamDataEngine.Tagging;

internal enum RawTokenKind : byte
{
    /// <summary>A run of letters and digits.</summary>
    Word,

    /// <summary>Clause punctuation (, ; : . ! ? brackets, slashes, dashes): phrases and negation scopes stop here.</summary>
    Break,

    /// <summary>A contracted negation ("isn't", "don't", tokenized "n't").</summary>
    Negation,
}

/// <summary>
/// Splits caption text into words without allocating, lowercasing each word into the caller's buffer.
/// Hyphens inside a word split it
/// without a break ("t-shirt" is "t" "shirt"); clitics are dropped ("bear's" is "bear"); "n't" becomes a negation token;
/// emoji, symbols and quotes separate words; clause punctuation yields one break token.
/// </summary>
internal ref struct TokenScanner
{
    private readonly ReadOnlySpan<char> text;
    private int position;

    public TokenScanner(ReadOnlySpan<char> text)
    {
        this.text = text;
    }

    /// <summary>Reads the next token. For a word, <paramref name="lower"/> receives its lowercase form (when it fits:
    /// <paramref name="length"/> &lt;= lower.Length) and
    /// <paramref name="digitsOnly"/> whether it is a number.</summary>
    public bool MoveNext(scoped Span<char> lower, out RawTokenKind kind, out int start, out int length, out bool digitsOnly)
    {
        var s = text;
        int pos = position;
        while (pos < s.Length)
        {
            char c = s[pos];
            if (IsWordChar(c))
            {
                start = pos;
                bool digits = true;
                int n = 0;
                do
                {
                    c = s[pos];
                    if ((uint)(c - 'A') <= 'Z' - 'A') c = (char)(c | 0x20);
                    else if (c >= 128) c = char.ToLowerInvariant(c);
                    if ((uint)(c - '0') > 9) digits = false;
                    if (n < lower.Length) lower[n] = c;
                    n++;
                    pos++;
                }
                while (pos < s.Length && IsWordChar(s[pos]));

                digitsOnly = digits;
                int end = pos;
                if (pos + 1 < s.Length && IsApostrophe(s[pos]) && IsWordChar(s[pos + 1]))
                {
                    int cliticEnd = pos + 1;
                    while (cliticEnd < s.Length && IsWordChar(s[cliticEnd])) cliticEnd++;
                    var clitic = s[(pos + 1)..cliticEnd];
                    if (clitic.Length == 1 && (clitic[0] | 0x20) == 't' && (s[end - 1] | 0x20) == 'n')
                    {
                        position = cliticEnd;
                        kind = RawTokenKind.Negation;
                        length = cliticEnd - start;
                        return true;
                    }

                    if (IsClitic(clitic)) pos = cliticEnd;
                }

                position = pos;
                kind = RawTokenKind.Word;
                length = end - start;
                return true;
            }

            digitsOnly = false;
            if (IsApostrophe(c))
            {
                // Tokenized corpora write clitics apart: "bear 's".
                int cliticEnd = pos + 1;
                while (cliticEnd < s.Length && IsWordChar(s[cliticEnd])) cliticEnd++;
                pos = cliticEnd > pos + 1 && IsClitic(s[(pos + 1)..cliticEnd]) ? cliticEnd : pos + 1;
                continue;
            }

            if (c is '-' or '\u2010' or '\u2011')
            {
                bool inWord = pos > 0 && pos + 1 < s.Length && IsWordChar(s[pos - 1]) && IsWordChar(s[pos + 1]);
                if (inWord)
                {
                    pos++;
                    continue;
                }

                if (pos + 1 < s.Length && s[pos + 1] == '-' || pos > 0 && char.IsWhiteSpace(s[pos - 1]))
                {
                    return Break(pos, out kind, out start, out length);
                }

                pos++;
                continue;
            }

            if (IsBreakChar(c)) return Break(pos, out kind, out start, out length);
            pos++;
        }

        position = pos;
        kind = default;
        start = length = 0;
        digitsOnly = false;
        return false;
    }

    private bool Break(int at, out RawTokenKind kind, out int start, out int length)
    {
        start = at;
        length = 1;
        position = at + 1;
        kind = RawTokenKind.Break;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsWordChar(char c)
    {
        if (c < 128) return (uint)((c | 0x20) - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9;
        return IsNonAsciiWordChar(c);
    }

    private static bool IsNonAsciiWordChar(char c)
    {
        if (char.IsSurrogate(c)) return false;
        var category = char.GetUnicodeCategory(c);
        return category is <= UnicodeCategory.OtherLetter or UnicodeCategory.NonSpacingMark or UnicodeCategory.DecimalDigitNumber;
    }

    private static bool IsApostrophe(char c) => c is '\'' or '\u2019' or '\u2018' or '`' or '\u00b4';

    private static bool IsBreakChar(char c) => c switch
    {
        ',' or ';' or ':' or '.' or '!' or '?' or '(' or ')' or '[' or ']' or '{' or '}' or '/' or '\\' or '|' => true,
        '\u2013' or '\u2014' or '\u2026' or '\u3002' or '\uff0c' or '\u00bf' or '\u00a1' => true,
        _ => false,
    };

    private static bool IsClitic(ReadOnlySpan<char> clitic)
    {
        if (clitic.Length == 1) return (clitic[0] | 0x20) is 's' or 'd' or 'm';
        if (clitic.Length == 2)
        {
            int a = clitic[0] | 0x20, b = clitic[1] | 0x20;
            return (a, b) is ('r', 'e') or ('l', 'l') or ('v', 'e');
        }

        return false;
    }
}
