using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace RamDataEngine.Core.Cleaning;

/// <summary>The distance and normalisation kernels every cleaning type shares, so a sample point and a phase-2 row get the same bits.</summary>
internal static class VectorMath
{
    /// <summary>Largest dimension normalised into a stack buffer; wider embeddings rent from the pool.</summary>
    internal const int StackLimit = 2048;

    /// <summary>
    /// Squared Euclidean distance. Always 4 lanes (Vector128) and one fixed summation order, never the machine's widest
    /// vector: a cut computed on one silo must give the same answer for the same row on a silo with another CPU.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float SquaredDistance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var length = a.Length;
        ref var pa = ref MemoryMarshal.GetReference(a);
        ref var pb = ref MemoryMarshal.GetReference(b);
        var i = 0;
        var acc = Vector128<float>.Zero;
        for (; i <= length - 4; i += 4)
        {
            var d = Vector128.LoadUnsafe(ref pa, (nuint)i) - Vector128.LoadUnsafe(ref pb, (nuint)i);
            acc += d * d;
        }

        var sum = (acc.GetElement(0) + acc.GetElement(1)) + (acc.GetElement(2) + acc.GetElement(3));
        for (; i < length; i++)
        {
            var d = Unsafe.Add(ref pa, i) - Unsafe.Add(ref pb, i);
            sum += d * d;
        }

        return sum;
    }

    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="target"/>, scaled to unit L2 norm when asked. A zero vector
    /// stays zero (it has no direction; it ends up at distance |c| from every centroid). Negative zero becomes zero so
    /// that bitwise duplicate detection sees -0 and 0 as the same point.
    /// </summary>
    internal static void CopyPrepared(ReadOnlySpan<float> source, Span<float> target, bool normalize)
    {
        if (normalize)
        {
            double squares = 0;
            foreach (var v in source) squares += (double)v * v;
            if (squares > 0)
            {
                var scale = (float)(1.0 / Math.Sqrt(squares));
                for (var i = 0; i < source.Length; i++)
                {
                    var v = source[i] * scale;
                    target[i] = v == 0f ? 0f : v;
                }

                return;
            }
        }

        for (var i = 0; i < source.Length; i++)
        {
            var v = source[i];
            target[i] = v == 0f ? 0f : v;
        }
    }

    /// <summary>The index of the first non-finite value, or -1.</summary>
    internal static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i])) return i;
        }

        return -1;
    }

    /// <summary>Index and squared distance of the nearest of <paramref name="centroids"/> (k x dim); ties go to the lowest index.</summary>
    internal static int Nearest(ReadOnlySpan<float> point, ReadOnlySpan<float> centroids, int dim, out float squaredDistance)
    {
        // Start from centroid 0 rather than +infinity so an overflowing (infinite) distance still names a centroid.
        var best = 0;
        var bestDistance = SquaredDistance(point, centroids[..dim]);
        for (int c = 1, offset = dim; offset < centroids.Length; c++, offset += dim)
        {
            var d = SquaredDistance(point, centroids.Slice(offset, dim));
            if (d < bestDistance)
            {
                bestDistance = d;
                best = c;
            }
        }

        squaredDistance = bestDistance;
        return best;
    }
}
