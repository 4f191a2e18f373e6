namespace RamDataEngine.Core.Images;

/// <summary>Reason codes for rejected images; they are written to quarantine files, so they never change.</summary>
public static class ImageRejectReasons
{
    /// <summary>Zero bytes.</summary>
    public const string Empty = "image-empty";

    /// <summary>The header is not JPEG, PNG, WebP, GIF or BMP.</summary>
    public const string UnsupportedFormat = "image-unsupported-format";

    /// <summary>The header announces a supported format but the codec cannot read it, or decoding fails on bad data.</summary>
    public const string Unreadable = "image-unreadable";

    /// <summary>The data ends before every pixel was decoded.</summary>
    public const string Truncated = "image-truncated";

    /// <summary>Over a byte, pixel or side limit of <see cref="ImageLimits"/>.</summary>
    public const string TooLarge = "image-too-large";
}

/// <summary>What <see cref="ImageInspector"/> found: a whole, decodable image with its size, or why it was rejected.</summary>
public readonly record struct ImageInspection
{
    private ImageInspection(ImageFormat format, int width, int height, string? reason, string? message)
    {
        Format = format;
        Width = width;
        Height = height;
        Reason = reason;
        Message = message;
    }

    /// <summary>True when the image is whole and within limits.</summary>
    public bool IsOk => Reason is null;

    /// <summary>The sniffed format (known even for some rejections).</summary>
    public ImageFormat Format { get; }

    /// <summary>Width in pixels as encoded (before any EXIF rotation); 0 when unknown.</summary>
    public int Width { get; }

    /// <summary>Height in pixels as encoded; 0 when unknown.</summary>
    public int Height { get; }

    /// <summary>A code from <see cref="ImageRejectReasons"/>, or null when ok.</summary>
    public string? Reason { get; }

    /// <summary>A human sentence saying what is wrong, or null when ok.</summary>
    public string? Message { get; }

    /// <summary>A whole image.</summary>
    public static ImageInspection Ok(ImageFormat format, int width, int height) => new(format, width, height, null, null);

    /// <summary>A rejection with its reason code and message.</summary>
    public static ImageInspection Rejected(string reason, string message, ImageFormat format = ImageFormat.Unknown, int width = 0, int height = 0)
        => new(format, width, height, reason, message);

    /// <inheritdoc />
    public override string ToString() => IsOk ? $"ok {Format} {Width}x{Height}" : $"{Reason}: {Message}";
}
