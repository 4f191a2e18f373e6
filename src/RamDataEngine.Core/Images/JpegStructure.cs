using System.Buffers.Binary;

namespace RamDataEngine.Core.Images;

/// <summary>
/// Walks the marker structure of a JPEG to find corrupt entropy-coded data. libjpeg recovers from such corruption
/// with a warning that Skia does not surface, so a noise-damaged JPEG "decodes" into garbage with a success result;
/// an invalid marker inside scan data (or a restart marker out of sequence) is the evidence libjpeg warns about.
/// </summary>
internal static class JpegStructure
{
    /// <summary>A sentence describing the first structural corruption, or null when the structure is sound.</summary>
    public static string? FindCorruption(ReadOnlySpan<byte> jpeg)
    {
        var position = 2; // after SOI
        var restartInterval = 0;
        while (position < jpeg.Length)
        {
            // Between segments libjpeg skips stray bytes ("extraneous bytes before marker") with a warning that
            // some cameras trigger on good files; tolerate them and the 0xFF fill bytes alike.
            var next = jpeg[position..].IndexOf((byte)0xFF);
            if (next < 0) return null;
            position += next;
            while (position < jpeg.Length && jpeg[position] == 0xFF) position++;
            if (position >= jpeg.Length) return null;
            var marker = jpeg[position++];
            if (marker == 0xD9) return null; // EOI: whatever follows is not image data
            if (marker is 0x00 or 0x01 or (>= 0xD0 and <= 0xD8)) continue; // standalone markers outside a scan

            if (position + 2 > jpeg.Length) return null; // ends early: the decoder reports the truncation
            var length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[position..]);
            if (length < 2) return $"segment 0x{marker:X2} at byte {position - 2} has length {length}";
            if (marker == 0xDD && length >= 4 && position + 4 <= jpeg.Length) restartInterval = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(position + 2)..]);
            position += length;
            if (marker != 0xDA) continue;

            var scanEnd = ScanEntropyData(jpeg, position, restartInterval, out var problem);
            if (problem is not null) return problem;
            position = scanEnd;
        }

        return null;
    }

    /// <summary>Skips one scan's entropy-coded data; returns the offset of the marker that ends it.</summary>
    private static int ScanEntropyData(ReadOnlySpan<byte> jpeg, int position, int restartInterval, out string? problem)
    {
        problem = null;
        var expectedRestart = 0;
        while (true)
        {
            var next = jpeg[position..].IndexOf((byte)0xFF);
            if (next < 0) return jpeg.Length;
            position += next;
            var markerAt = position;
            while (position + 1 < jpeg.Length && jpeg[position + 1] == 0xFF) position++;
            if (position + 1 >= jpeg.Length) return jpeg.Length;
            var code = jpeg[position + 1];
            if (code == 0x00)
            {
                position += 2; // stuffed 0xFF data byte
                continue;
            }

            if (code is >= 0xD0 and <= 0xD7)
            {
                if (restartInterval == 0 || code - 0xD0 != expectedRestart)
                {
                    problem = $"unexpected restart marker 0x{code:X2} at byte {markerAt}";
                    return position;
                }

                expectedRestart = (expectedRestart + 1) & 7;
                position += 2;
                continue;
            }

            // The markers that may legally follow a scan: tables, the next scan, EOI, DNL, APPn and comments.
            if (code is 0xC4 or 0xCC or 0xDA or 0xDB or 0xDD or 0xD9 or 0xDC or 0xFE or (>= 0xE0 and <= 0xEF)) return markerAt;
            problem = $"invalid marker 0x{code:X2} inside scan data at byte {markerAt}";
            return position;
        }
    }
}
