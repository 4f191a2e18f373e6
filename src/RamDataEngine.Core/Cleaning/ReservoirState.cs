namespace RamDataEngine.Core.Cleaning;

/// <summary>
/// The compact, plain-array form of a <see cref="ReservoirSample"/>: what a grain message or a blob carries.
/// <see cref="ReservoirSample.FromState"/> checks that the sizes agree.
/// </summary>
public sealed class ReservoirState
{
    /// <summary>Creates the state; arrays are taken as they are, not copied.</summary>
    public ReservoirState(int capacity, int dim, long seen, ulong randomState, long[] rowIds, float[] embeddings)
    {
        Capacity = capacity;
        Dim = dim;
        Seen = seen;
        RandomState = randomState;
        RowIds = rowIds;
        Embeddings = embeddings;
    }

    /// <summary>Most items the reservoir keeps.</summary>
    public int Capacity { get; }

    /// <summary>Floats per embedding.</summary>
    public int Dim { get; }

    /// <summary>Items offered so far (the population the sample is uniform over).</summary>
    public long Seen { get; }

    /// <summary>The random stream's position, so a restored reservoir continues exactly where it stopped.</summary>
    public ulong RandomState { get; }

    /// <summary>Row ids of the kept items.</summary>
    public long[] RowIds { get; }

    /// <summary>Embeddings of the kept items, <c>RowIds.Length</c> x <see cref="Dim"/>, row-major.</summary>
    public float[] Embeddings { get; }
}
