namespace RamDataEngine.Tagging;

/// <summary>
/// What one shard's captions contributed to vocabulary mining: bounded heavy-hitter counts of candidate words and
/// phrases (each counted once per caption). Summaries of shards merge in any order and serialize for hand-over.
/// </summary>
public sealed class MiningSummary
{
    private const int Magic = 0x31534D52; // "RMS1"

    public MiningSummary(HeavyHitters words, HeavyHitters phrases, long captions)
    {
        ArgumentNullException.ThrowIfNull(words);
        ArgumentNullException.ThrowIfNull(phrases);
        ArgumentOutOfRangeException.ThrowIfNegative(captions);
        Words = words;
        Phrases = phrases;
        Captions = captions;
    }

    /// <summary>Lemmatized content words, counted once per caption.</summary>
    public HeavyHitters Words { get; }

    /// <summary>Lemmatized 2-3 word phrases of content words, counted once per caption.</summary>
    public HeavyHitters Phrases { get; }

    /// <summary>Captions counted.</summary>
    public long Captions { get; private set; }

    /// <summary>Merges summaries (e.g. of all shards) into a new one with the given capacities.</summary>
    public static MiningSummary Merge(IEnumerable<MiningSummary> parts, int wordCapacity, int phraseCapacity)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var list = parts.ToList();
        return new MiningSummary(
            HeavyHitters.Merge(list.Select(p => p.Words), wordCapacity),
            HeavyHitters.Merge(list.Select(p => p.Phrases), phraseCapacity),
            list.Sum(p => p.Captions));
    }

    /// <summary>Adds another summary's counts into this one.</summary>
    public void Merge(MiningSummary other)
    {
        ArgumentNullException.ThrowIfNull(other);
        Words.Merge(other.Words);
        Phrases.Merge(other.Phrases);
        Captions += other.Captions;
    }

    public void WriteTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using (var writer = new BinaryWriter(destination, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(Magic);
            writer.Write(Captions);
        }

        Words.WriteTo(destination);
        Phrases.WriteTo(destination);
    }

    /// <exception cref="InvalidDataException">The data is not a mining summary or is truncated.</exception>
    public static MiningSummary ReadFrom(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        long captions;
        using (var reader = new BinaryReader(source, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            try
            {
                if (reader.ReadInt32() != Magic) throw new InvalidDataException("The data is not a mining summary (bad magic number).");
                captions = reader.ReadInt64();
            }
            catch (EndOfStreamException e)
            {
                throw new InvalidDataException("The mining summary is truncated.", e);
            }
        }

        if (captions < 0) throw new InvalidDataException($"The mining summary's caption count {captions} is negative.");
        return new MiningSummary(HeavyHitters.ReadFrom(source), HeavyHitters.ReadFrom(source), captions);
    }
}
