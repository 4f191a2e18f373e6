using TorchSharp;
using static TorchSharp.torch;

namespace RamDataEngine.Model.Heads;

/// <summary>
/// Tensor arithmetic without TorchSharp's hidden temporary scalars. TorchSharp's <c>a + b</c> is <c>a.add(b, 1)</c>: the
/// implicit <see cref="Scalar"/> made from 1 is unreachable once its handle is read, and its finalizer can free it
/// while the native call still reads it (in Release builds training crashed with "Expected false to be true" at random
/// steps). Every scalar used here is a static or a caller-held variable, alive for the whole call.
/// </summary>
internal static class TorchOps
{
    /// <summary>A scalar 1 that lives for the whole process (a static root is never finalized).</summary>
    public static readonly Scalar One = 1.0.ToScalar();

    public static readonly Scalar MinusOne = (-1.0).ToScalar();

    /// <summary><c>a + b</c>.</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// <summary><c>a - b</c>.</summary>
    public static Tensor Minus(this Tensor a, Tensor b) => a.add(b, MinusOne);

    /// <summary><c>a + s</c> for a held scalar.</summary>
    public static Tensor Plus(this Tensor a, Scalar s) => a.add(s, One);

    /// <summary><c>1 - a</c>.</summary>
    public static Tensor OneMinus(this Tensor a) => a.neg().add_(One, One);
}
