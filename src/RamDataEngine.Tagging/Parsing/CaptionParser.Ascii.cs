using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RamDataEngine.Tagging;

/// <summary>
/// The tokenizer for ASCII captions (nearly all captions of English corpora): one vectorised pass lowercases the caption
/// and marks word chars, letters and punctuation as bit masks; words are then found with bit scans, not char by char,
/// and each is looked up once by its packed key. Yields exactly the tokens <see cref="TokenScanner"/> would.
/// </summary>
public sealed partial class CaptionParser
{
    /// <summary>Longest caption the ASCII path takes (its buffers live on the stack); longer ones take the general one.</summary>
    private const int AsciiMaxLength = 1024;
    internal static int DebugStage;

    /// <summary>Tokenizes an ASCII caption of at most <see cref="AsciiMaxLength"/> chars; returns -1 when the caption holds
    /// any other char (the caller then uses the general tokenizer).</summary>
    [SkipLocalsInit]
    private int TokenizeAscii(ReadOnlySpan<char> caption, Span<Token> tokens, out int wordCount, out int knownCount)
    {
        wordCount = knownCount = 0;
        int length = caption.Length;
        int blocks = (length + 63) >> 6;
        Span<ulong> masks = stackalloc ulong[3 * (AsciiMaxLength / 64)];
        masks = masks[..(3 * blocks)];
        masks.Clear();
        var word = masks[..blocks];
        var letter = masks.Slice(blocks, blocks);
        var other = masks.Slice(2 * blocks, blocks);
        // 8 chars of slack: keys are read 8 chars at a time from a word's start.
        Span<char> lower = stackalloc char[AsciiMaxLength + 8];
        if (!Classify(caption, lower, word, letter, other)) return -1;
        if (DebugStage == 1) return 0;

        // Words and punctuation, in order: the next set bit of (word | other).
        int count = 0;
        int pos = 0;
        while (true)
        {
            int next = NextInEither(word, other, pos);
            if (next >= length) break;
            if (IsSet(word, next))
            {
                int start = next;
                int end = Math.Min(NextClear(word, start), length);
                pos = end;
                if (end + 1 < length && lower[end] is '\'' or '`' && IsSet(word, end + 1))
                {
                    int cliticEnd = Math.Min(NextClear(word, end + 1), length);
                    if (cliticEnd == end + 2 && lower[end + 1] == 't' && lower[end - 1] == 'n')
                    {
                        ref var negation = ref tokens[count++];
                        negation.Word = WordInfo.NegationClitic;
                        negation.Start = start;
                        negation.Length = cliticEnd - start;
                        wordCount++;
                        knownCount++;
                        pos = cliticEnd;
                        continue;
                    }

                    if (IsLowerClitic(lower[(end + 1)..cliticEnd])) pos = cliticEnd;
                }

                int wordLength = end - start;
                if (DebugStage == 2) { count++; continue; }
                ref var token = ref tokens[count++];
                token.Start = start;
                token.Length = wordLength;
                if (wordLength <= ParserTables.MaxWordLength)
                {
                    WordTable.Keys(ref lower[start], wordLength, out ulong key0, out ulong key1);
                    token.Word = forms.Find(key0, key1, lower.Slice(start, wordLength));
                }
                else
                {
                    token.Word = WordInfo.Unknown;
                }

                if (NextSet(letter, start) < end)
                {
                    wordCount++;
                    if ((token.Word.Flags & WordFlags.Known) != 0) knownCount++;
                }

                continue;
            }

            char c = lower[next];
            pos = next + 1;
            if (c is '\'' or '`')
            {
                // Tokenized corpora write clitics apart: "bear 's".
                if (next + 1 < length && IsSet(word, next + 1))
                {
                    int cliticEnd = Math.Min(NextClear(word, next + 1), length);
                    if (IsLowerClitic(lower[(next + 1)..cliticEnd])) pos = cliticEnd;
                }

                continue;
            }

            bool isBreak;
            if (c == '-')
            {
                bool inWord = next > 0 && next + 1 < length && IsSet(word, next - 1) && IsSet(word, next + 1);
                isBreak = !inWord && ((next + 1 < length && lower[next + 1] == '-') || (next > 0 && IsAsciiWhiteSpace(lower[next - 1])));
            }
            else
            {
                isBreak = c is ',' or ';' or ':' or '.' or '!' or '?' or '(' or ')' or '[' or ']' or '{' or '}' or '/' or '\\' or '|';
            }

            if (!isBreak || count == 0 || (tokens[count - 1].Word.Flags & WordFlags.Break) != 0) continue;
            ref var mark = ref tokens[count++];
            mark.Word = WordInfo.BreakMark;
            mark.Start = next;
            mark.Length = 1;
        }

        return count;
    }

    /// <summary>Lowercases <paramref name="caption"/> into <paramref name="lower"/> and sets, per char, a bit in
    /// <paramref name="word"/> (letter or digit), <paramref name="letter"/> and <paramref name="other"/> (neither a word
    /// char nor a space). False when a char is not ASCII.</summary>
    private static bool Classify(ReadOnlySpan<char> caption, Span<char> lower, Span<ulong> word, Span<ulong> letter, Span<ulong> other)
    {
        int length = caption.Length;
        if (!Vector256.IsHardwareAccelerated || length < Vector256<ushort>.Count) return ClassifyScalar(caption, 0, lower, word, letter, other);

        ref ushort source = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(caption));
        ref ushort destination = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(lower));
        var seen = Vector256<ushort>.Zero;
        int i = 0;
        while (true)
        {
            // The last chunk overlaps the one before it when the length is not a multiple of 16: same bits, set twice.
            if (i > length - Vector256<ushort>.Count) i = length - Vector256<ushort>.Count;
            var v = Vector256.LoadUnsafe(ref source, (nuint)i);
            seen |= v;
            var upper = Vector256.LessThanOrEqual(v - Vector256.Create((ushort)'A'), Vector256.Create((ushort)('Z' - 'A')));
            var low = v | (upper & Vector256.Create((ushort)0x20));
            low.StoreUnsafe(ref destination, (nuint)i);
            var isLetter = Vector256.LessThanOrEqual(low - Vector256.Create((ushort)'a'), Vector256.Create((ushort)('z' - 'a')));
            var isDigit = Vector256.LessThanOrEqual(v - Vector256.Create((ushort)'0'), Vector256.Create((ushort)9));
            var isWord = isLetter | isDigit;
            var isOther = ~(isWord | Vector256.Equals(v, Vector256.Create((ushort)' ')));
            SetBits(word, i, isWord.ExtractMostSignificantBits());
            SetBits(letter, i, isLetter.ExtractMostSignificantBits());
            SetBits(other, i, isOther.ExtractMostSignificantBits());
            i += Vector256<ushort>.Count;
            if (i >= length) break;
        }

        return (seen & Vector256.Create((ushort)0xFF80)) == Vector256<ushort>.Zero;
    }

    private static bool ClassifyScalar(ReadOnlySpan<char> caption, int from, Span<char> lower, Span<ulong> word, Span<ulong> letter, Span<ulong> other)
    {
        for (int i = from; i < caption.Length; i++)
        {
            char c = caption[i];
            if (c >= 128) return false;
            if ((uint)(c - 'A') <= 'Z' - 'A') c = (char)(c | 0x20);
            lower[i] = c;
            ulong bit = 1UL << (i & 63);
            if ((uint)(c - 'a') <= 'z' - 'a')
            {
                word[i >> 6] |= bit;
                letter[i >> 6] |= bit;
            }
            else if ((uint)(c - '0') <= 9)
            {
                word[i >> 6] |= bit;
            }
            else if (c != ' ')
            {
                other[i >> 6] |= bit;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetBits(Span<ulong> mask, int at, uint bits)
    {
        int block = at >> 6, offset = at & 63;
        mask[block] |= (ulong)bits << offset;
        if (offset > 48) mask[block + 1] |= (ulong)bits >> (64 - offset);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsSet(ReadOnlySpan<ulong> mask, int at) => ((mask[at >> 6] >> (at & 63)) & 1) != 0;

    /// <summary>First set bit at or after <paramref name="from"/> (mask.Length * 64 when none).</summary>
    private static int NextSet(ReadOnlySpan<ulong> mask, int from)
    {
        int block = from >> 6;
        if (block >= mask.Length) return mask.Length << 6;
        ulong bits = mask[block] & (ulong.MaxValue << (from & 63));
        while (bits == 0)
        {
            if (++block >= mask.Length) return mask.Length << 6;
            bits = mask[block];
        }

        return (block << 6) + BitOperations.TrailingZeroCount(bits);
    }

    /// <summary>First bit at or after <paramref name="from"/> set in either mask (a.Length * 64 when none).</summary>
    private static int NextInEither(ReadOnlySpan<ulong> a, ReadOnlySpan<ulong> b, int from)
    {
        int block = from >> 6;
        if (block >= a.Length) return a.Length << 6;
        ulong bits = (a[block] | b[block]) & (ulong.MaxValue << (from & 63));
        while (bits == 0)
        {
            if (++block >= a.Length) return a.Length << 6;
            bits = a[block] | b[block];
        }

        return (block << 6) + BitOperations.TrailingZeroCount(bits);
    }

    /// <summary>First clear bit at or after <paramref name="from"/> (mask.Length * 64 when none).</summary>
    private static int NextClear(ReadOnlySpan<ulong> mask, int from)
    {
        int block = from >> 6;
        if (block >= mask.Length) return from;
        ulong bits = ~mask[block] & (ulong.MaxValue << (from & 63));
        while (bits == 0)
        {
            if (++block >= mask.Length) return mask.Length << 6;
            bits = ~mask[block];
        }

        return (block << 6) + BitOperations.TrailingZeroCount(bits);
    }

    private static bool IsAsciiWhiteSpace(char c) => c == ' ' || (uint)(c - '\t') <= '\r' - '\t';

    /// <summary>'s, 'd, 'm, 're, 'll, 've (lowercase).</summary>
    private static bool IsLowerClitic(ReadOnlySpan<char> clitic) => clitic.Length switch
    {
        1 => clitic[0] is 's' or 'd' or 'm',
        2 => (clitic[0], clitic[1]) is ('r', 'e') or ('l', 'l') or ('v', 'e'),
        _ => false,
    };
}
