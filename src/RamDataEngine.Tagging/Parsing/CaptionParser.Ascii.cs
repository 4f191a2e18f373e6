using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RamDataEngine.Tagging;

/// <summary>
/// The tokenizer for ASCII captions (nearly all captions of English corpora), in three tight passes: one vectorised pass
/// lowercases the caption into bytes and marks word chars and punctuation in bit masks; a second takes the words from
/// the masks' word starts and ends with bit scans (not char by char) and handles the few punctuation marks; a third
/// looks each word up once by its packed key. It yields exactly the tokens of the general tokenizer
/// (<see cref="TokenScanner"/>), which takes every other caption. Pointers keep these loops in registers.
/// </summary>
public sealed partial class CaptionParser
{
    /// <summary>Longest caption the ASCII path takes (its buffers live on the stack); longer ones take the general one.</summary>
    private const int AsciiMaxLength = 1024;

    private const int MaxBlocks = AsciiMaxLength / 64;

    /// <summary>Tokenizes an ASCII caption of at most <see cref="AsciiMaxLength"/> chars; returns -1 when the caption holds
    /// any other char (the caller then uses the general tokenizer).</summary>
    [SkipLocalsInit]
    private unsafe int TokenizeAscii(ReadOnlySpan<char> caption, Span<Token> tokens, out int wordCount, out int knownCount)
    {
        wordCount = knownCount = 0;
        int length = caption.Length;
        if (length == 0) return 0;
        int blocks = (length + 63) >> 6;
        ulong* masks = stackalloc ulong[3 * MaxBlocks];
        // Rounded up to whole 32-byte chunks, plus 8 bytes of slack: word keys are read 8 bytes at a time.
        byte* lower = stackalloc byte[AsciiMaxLength + 40];
        if (!Classify(caption, lower, masks, masks + 2 * MaxBlocks, blocks)) return -1;

        // The word-char mask becomes word starts (in place) and word ends (the last char of each word).
        ulong* starts = masks, ends = masks + MaxBlocks;
        ulong carry = 0;
        for (int b = 0; b < blocks; b++)
        {
            ulong w = starts[b];
            ulong next = b + 1 < blocks ? starts[b + 1] & 1 : 0;
            ends[b] = w & ~((w >> 1) | (next << 63));
            starts[b] = w & ~((w << 1) | carry);
            carry = w >> 63;
        }

        fixed (Token* first = tokens)
        {
            int count = Segment(lower, length, starts, ends, masks + 2 * MaxBlocks, blocks, first);
            (wordCount, knownCount) = LookUp(lower, first, count);
            return count;
        }
    }

    /// <summary>Pass 2: the tokens' kinds and spans. Word tokens get <see cref="WordFlags.None"/> (looked up in pass 3),
    /// breaks and negations their final <see cref="WordInfo"/>.</summary>
    private static unsafe int Segment(byte* lower, int length, ulong* starts, ulong* ends, ulong* other, int blocks, Token* tokens)
    {
        int sBlock = 0, eBlock = 0, oBlock = 0;
        ulong sBits = starts[0], eBits = ends[0], oBits = other[0];
        int nextOther = Pop(other, blocks, ref oBlock, ref oBits);
        int start = Pop(starts, blocks, ref sBlock, ref sBits);
        int end = Pop(ends, blocks, ref eBlock, ref eBits) + 1;
        int count = 0;
        while (true)
        {
            if (nextOther < start)
            {
                int p = nextOther;
                nextOther = Pop(other, blocks, ref oBlock, ref oBits);
                byte c = lower[p];
                if (c is (byte)'\'' or (byte)'`')
                {
                    // Tokenized corpora write clitics apart: "bear 's".
                    if (p + 1 == start && IsLowerClitic(lower + start, end - start))
                    {
                        start = Pop(starts, blocks, ref sBlock, ref sBits);
                        end = Pop(ends, blocks, ref eBlock, ref eBits) + 1;
                    }

                    continue;
                }

                bool isBreak;
                if (c == '-')
                {
                    bool inWord = p > 0 && p + 1 < length && IsWordByte(lower[p - 1]) && IsWordByte(lower[p + 1]);
                    isBreak = !inWord && ((p + 1 < length && lower[p + 1] == '-') || (p > 0 && IsAsciiWhiteSpace(lower[p - 1])));
                }
                else
                {
                    isBreak = c is (byte)',' or (byte)';' or (byte)':' or (byte)'.' or (byte)'!' or (byte)'?' or (byte)'(' or (byte)')'
                        or (byte)'[' or (byte)']' or (byte)'{' or (byte)'}' or (byte)'/' or (byte)'\\' or (byte)'|';
                }

                if (!isBreak || count == 0 || (tokens[count - 1].Word.Flags & WordFlags.Break) != 0) continue;
                var mark = tokens + count++;
                mark->Word = WordInfo.BreakMark;
                mark->Start = p;
                mark->Length = 1;
                continue;
            }

            if (start == int.MaxValue) break;
            int nextStart = Pop(starts, blocks, ref sBlock, ref sBits);
            int nextEnd = nextStart == int.MaxValue ? int.MaxValue : Pop(ends, blocks, ref eBlock, ref eBits) + 1;
            if (nextStart == end + 1 && lower[end] is (byte)'\'' or (byte)'`')
            {
                // A clitic: "n't" is a negation, "'s" and the like are dropped, anything else is a word of its own.
                bool negation = nextEnd == nextStart + 1 && lower[nextStart] == 't' && lower[end - 1] == 'n';
                if (negation || IsLowerClitic(lower + nextStart, nextEnd - nextStart))
                {
                    nextOther = Pop(other, blocks, ref oBlock, ref oBits);
                    if (negation)
                    {
                        var token = tokens + count++;
                        token->Word = WordInfo.NegationClitic;
                        token->Start = start;
                        token->Length = nextEnd - start;
                        start = Pop(starts, blocks, ref sBlock, ref sBits);
                        end = start == int.MaxValue ? int.MaxValue : Pop(ends, blocks, ref eBlock, ref eBits) + 1;
                        continue;
                    }

                    nextStart = Pop(starts, blocks, ref sBlock, ref sBits);
                    nextEnd = nextStart == int.MaxValue ? int.MaxValue : Pop(ends, blocks, ref eBlock, ref eBits) + 1;
                }
            }

            var word = tokens + count++;
            word->Word.Flags = WordFlags.None;
            word->Start = start;
            word->Length = end - start;
            start = nextStart;
            end = nextEnd;
        }

        return count;
    }

    /// <summary>Pass 3: looks up every word token; returns the number of words (numbers excluded) and of known words.</summary>
    private unsafe (int Words, int Known) LookUp(byte* lower, Token* tokens, int count)
    {
        var table = forms;
        int words = 0, known = 0;
        for (var token = tokens; token < tokens + count; token++)
        {
            var flags = token->Word.Flags;
            if (flags != WordFlags.None)
            {
                // "n't" counts as a known word; a break is no word.
                if ((flags & WordFlags.Clitic) != 0)
                {
                    words++;
                    known++;
                }

                continue;
            }

            int length = token->Length;
            byte* word = lower + token->Start;
            token->Word = length <= ParserTables.MaxWordLength ? table.Find(word, length) : WordInfo.Unknown;

            // A number is not a word for the language check.
            if (*word >= 'a' || !IsDigits(word, length))
            {
                words++;
                if ((token->Word.Flags & WordFlags.Known) != 0) known++;
            }
        }

        return (words, known);
    }

    /// <summary>The next set bit of a mask walked block by block, or int.MaxValue.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int Pop(ulong* mask, int blocks, ref int block, ref ulong bits)
    {
        while (bits == 0)
        {
            if (++block >= blocks) return int.MaxValue;
            bits = mask[block];
        }

        int at = (block << 6) + BitOperations.TrailingZeroCount(bits);
        bits &= bits - 1;
        return at;
    }

    /// <summary>Pass 1: lowercases <paramref name="caption"/> into <paramref name="lower"/> (one byte a char) and sets,
    /// per char, a bit in <paramref name="word"/> (letter or digit) or <paramref name="other"/> (neither a word char nor a
    /// space). False when a char is not ASCII.</summary>
    private static unsafe bool Classify(ReadOnlySpan<char> caption, byte* lower, ulong* word, ulong* other, int blocks)
    {
        int length = caption.Length;
        new Span<ulong>(word, blocks).Clear();
        new Span<ulong>(other, blocks).Clear();
        if (!Vector256.IsHardwareAccelerated) return ClassifyScalar(caption, lower, word, other);

        ref ushort source = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(caption));
        var seen = Vector256<ushort>.Zero;
        int i = 0;
        for (; i + 32 <= length; i += 32)
        {
            var a = Vector256.LoadUnsafe(ref source, (nuint)i);
            var b = Vector256.LoadUnsafe(ref source, (nuint)(i + 16));
            seen |= a | b;
            Chunk(Vector256.Narrow(a, b), lower, word, other, i);
        }

        if (i < length)
        {
            // The last partial chunk goes through a copy padded with spaces (which set no bit).
            ushort* tail = stackalloc ushort[32];
            var padding = Vector256.Create((ushort)' ');
            padding.Store(tail);
            padding.Store(tail + 16);
            MemoryMarshal.Cast<char, ushort>(caption[i..]).CopyTo(new Span<ushort>(tail, 32));
            var a = Vector256.Load(tail);
            var b = Vector256.Load(tail + 16);
            seen |= a | b;
            Chunk(Vector256.Narrow(a, b), lower, word, other, i);
        }

        return (seen & Vector256.Create((ushort)0xFF80)) == Vector256<ushort>.Zero;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Chunk(Vector256<byte> v, byte* lower, ulong* word, ulong* other, int at)
    {
        var upper = Vector256.LessThanOrEqual(v - Vector256.Create((byte)'A'), Vector256.Create((byte)('Z' - 'A')));
        var low = v | (upper & Vector256.Create((byte)0x20));
        low.Store(lower + at);
        var isWord = Vector256.LessThanOrEqual(low - Vector256.Create((byte)'a'), Vector256.Create((byte)('z' - 'a')))
            | Vector256.LessThanOrEqual(v - Vector256.Create((byte)'0'), Vector256.Create((byte)9));
        var isOther = ~(isWord | Vector256.Equals(v, Vector256.Create((byte)' ')));
        int block = at >> 6, shift = at & 32;
        word[block] |= (ulong)isWord.ExtractMostSignificantBits() << shift;
        other[block] |= (ulong)isOther.ExtractMostSignificantBits() << shift;
    }

    private static unsafe bool ClassifyScalar(ReadOnlySpan<char> caption, byte* lower, ulong* word, ulong* other)
    {
        for (int i = 0; i < caption.Length; i++)
        {
            char c = caption[i];
            if (c >= 128) return false;
            if ((uint)(c - 'A') <= 'Z' - 'A') c = (char)(c | 0x20);
            lower[i] = (byte)c;
            ulong bit = 1UL << (i & 63);
            if (IsWordByte((byte)c)) word[i >> 6] |= bit;
            else if (c != ' ') other[i >> 6] |= bit;
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsWordByte(byte c) => (uint)(c - 'a') <= 'z' - 'a' || (uint)(c - '0') <= 9;

    private static unsafe bool IsDigits(byte* word, int length)
    {
        for (int i = 0; i < length; i++)
        {
            if ((uint)(word[i] - '0') > 9) return false;
        }

        return true;
    }

    private static bool IsAsciiWhiteSpace(byte c) => c == ' ' || (uint)(c - '\t') <= '\r' - '\t';

    /// <summary>'s, 'd, 'm, 're, 'll, 've (lowercase).</summary>
    private static unsafe bool IsLowerClitic(byte* clitic, int length) => length switch
    {
        1 => clitic[0] is (byte)'s' or (byte)'d' or (byte)'m',
        2 => (clitic[0], clitic[1]) is ((byte)'r', (byte)'e') or ((byte)'l', (byte)'l') or ((byte)'v', (byte)'e'),
        _ => false,
    };
}
