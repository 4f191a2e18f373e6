namespace RamDataEngine.Core.Images;

/// <summary>The encoded image formats that ingest accepts, recognised by their header bytes.</summary>
public enum ImageFormat
{
    /// <summary>Not recognised: not one of the formats below.</summary>
    Unknown = 0,

    /// <summary>JPEG (FF D8 FF).</summary>
    Jpeg,

    /// <summary>PNG (89 'PNG' 0D 0A 1A 0A).</summary>
    Png,

    /// <summary>WebP (RIFF....WEBP).</summary>
    WebP,

    /// <summary>GIF (GIF87a / GIF89a).</summary>
    Gif,

    /// <summary>BMP ('BM').</summary>
    Bmp,
}

/// <summary>Recognises an image format from its first bytes, without trusting file names.</summary>
public static class ImageFormatSniffer
{
    /// <summary>How many leading bytes <see cref="Sniff"/> needs to recognise every supported format.</summary>
    public const int HeaderLength = 12;

    /// <summary>The format the header announces, or <see cref="ImageFormat.Unknown"/>.</summary>
    public static ImageFormat Sniff(ReadOnlySpan<byte> header)
    {
        if (header.Length >= 3 && header[0] == 0xFF && header[1] == 0xD8 && header[2] == 0xFF) return ImageFormat.Jpeg;
        if (header.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])) return ImageFormat.Png;
        if (header.Length >= 12 && header.StartsWith("RIFF"u8) && header.Slice(8, 4).SequenceEqual("WEBP"u8)) return ImageFormat.WebP;
        if (header.StartsWith("GIF87a"u8) || header.StartsWith("GIF89a"u8)) return ImageFormat.Gif;

        // "BM" alone is two common bytes; also require the reserved header words to be zero, as every writer leaves them.
        if (header.Length >= 10 && header[0] == (byte)'B' && header[1] == (byte)'M' && header.Slice(6, 4).IndexOfAnyExcept((byte)0) < 0) return ImageFormat.Bmp;
        return ImageFormat.Unknown;
    }
}
