namespace RamDataEngine.Core.Cleaning;

/// <summary>How <see cref="KMeansPlusPlus"/> measures distance, how long it iterates and how many threads it may use.</summary>
public sealed class KMeansOptions
{
    /// <summary>Lloyd iterations at most; the fit stops earlier as soon as no point changes cluster.</summary>
    public int MaxIterations { get; init; } = 100;

    /// <summary>
    /// Scale every point to unit L2 norm before clustering (default): squared Euclidean distance on unit vectors is
    /// 2 - 2 cos, so clusters follow the direction of an embedding, not its magnitude.
    /// </summary>
    public bool Normalize { get; init; } = true;

    /// <summary>
    /// Threads for the assignment and update steps. Default 1: the silo's executor already runs one fit per tag in
    /// parallel. Any value gives bit-identical results: every reduction runs in a fixed order.
    /// </summary>
    public int MaxDegreeOfParallelism { get; init; } = 1;

    internal void Validate()
    {
        if (MaxIterations < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxIterations), MaxIterations, "KMeansOptions.MaxIterations must be at least 1.");
        if (MaxDegreeOfParallelism < 1)
            throw new ArgumentOutOfRangeException(nameof(MaxDegreeOfParallelism), MaxDegreeOfParallelism, "KMeansOptions.MaxDegreeOfParallelism must be at least 1.");
    }
}
