namespace RamDataEngine.Model.Images;

/// <summary>Why an image was rejected: the caller quarantines the row with this reason.</summary>
public enum ImageRejection
{
    Empty,
    TooManyBytes,
    TooManyPixels,
    UnknownFormat,
    Corrupt,
}

/// <summary>An image that was rejected before or while decoding; <see cref="Reason"/> says why.</summary>
public sealed class ImageDecodeException : Exception
{
    public ImageDecodeException(ImageRejection reason, string message)
        : base(message)
    {
        Reason = reason;
    }

    public ImageRejection Reason { get; }
}
