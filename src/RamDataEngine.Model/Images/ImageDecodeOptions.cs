using System.ComponentModel.DataAnnotations;

namespace RamDataEngine.Model.Images;

/// <summary>Limits checked before any pixel is decoded, so a decompression bomb costs only its header.</summary>
public sealed class ImageDecodeOptions
{
    /// <summary>Largest encoded image accepted, in bytes.</summary>
    [Range(1, int.MaxValue)]
    public int MaxEncodedBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>Largest width x height accepted (as declared by the header, before any scaling).</summary>
    [Range(1, long.MaxValue)]
    public long MaxPixels { get; set; } = 64L * 1024 * 1024;

    /// <summary>Largest width or height accepted.</summary>
    [Range(1, int.MaxValue)]
    public int MaxSide { get; set; } = 16384;

    /// <summary>Whether a truncated file that decodes partly is accepted (the rest is filled by the codec) rather than rejected.</summary>
    public bool AcceptIncomplete { get; set; }
}
