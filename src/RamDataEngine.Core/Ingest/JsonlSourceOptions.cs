using RamDataEngine.Core.Images;

namespace RamDataEngine.Core.Ingest;

/// <summary>Options for <see cref="JsonlSource"/>.</summary>
public sealed class JsonlSourceOptions
{
    /// <summary>Lines per chunk, i.e. rows per shard task.</summary>
    public int LinesPerChunk { get; init; } = 1000;

    /// <summary>
    /// Longest caption accepted, in UTF-16 characters. A longer caption quarantines its whole row rather than being
    /// cut or dropped: a huge caption is almost always scraped junk, and a cut caption would be text the source never had.
    /// </summary>
    public int MaxCaptionChars { get; init; } = 2000;

    /// <summary>Longest JSONL line accepted, in bytes; bounds the memory one row can take before it is parsed.</summary>
    public int MaxLineBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Limits every image must pass.</summary>
    public ImageLimits ImageLimits { get; init; } = ImageLimits.Default;

    /// <summary>Name of the source (row key prefix, <see cref="SourceRow.Source"/>); defaults to the JSONL file name without extension.</summary>
    public string? SourceName { get; init; }

    /// <summary>Throws when an option is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(LinesPerChunk, 1, nameof(LinesPerChunk));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCaptionChars, 1, nameof(MaxCaptionChars));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLineBytes, 16, nameof(MaxLineBytes));
        ArgumentNullException.ThrowIfNull(ImageLimits, nameof(ImageLimits));
        ImageLimits.Validate();
        if (SourceName is not null) ArgumentException.ThrowIfNullOrWhiteSpace(SourceName, nameof(SourceName));
    }
}
