namespace RamDataEngine.Grains.Mining;

/// <summary>
/// The durable state of a campaign's merged mining counts: the summary as bytes and one bit per shard merged, so a
/// shard reported again (a retry, a duplicate dispatch, a report after a restart) is recognised and not counted twice.
/// </summary>
/// <remarks>Never mutated once written: each merge writes a new state object, so readers never see an unsaved merge.</remarks>
[GenerateSerializer, Alias("ram.VocabularyMiningState")]
public sealed class VocabularyMiningState
{
    /// <summary>The merged summary (<c>MiningSummary.WriteTo</c>), or null before the first merge.</summary>
    [Id(0)] public byte[]? Summary { get; set; }

    /// <summary>Bit <c>i</c> is set when shard <c>i</c> has been merged.</summary>
    [Id(1)] public byte[] MergedShards { get; set; } = [];

    /// <summary>Shards merged (the bits set).</summary>
    [Id(2)] public int Shards { get; set; }

    /// <summary>Capacities of the merged summary, fixed by the first report.</summary>
    [Id(3)] public int WordCapacity { get; set; }

    [Id(4)] public int PhraseCapacity { get; set; }

    public bool IsMerged(int shardId) => (uint)(shardId >> 3) < (uint)MergedShards.Length && (MergedShards[shardId >> 3] & (1 << (shardId & 7))) != 0;

    /// <summary>A copy of this state with the given shards marked merged and the given summary.</summary>
    public VocabularyMiningState With(byte[] summary, IEnumerable<int> shardIds, int wordCapacity, int phraseCapacity)
    {
        var shards = shardIds.ToList();
        int bytes = Math.Max(MergedShards.Length, shards.Count == 0 ? 0 : (shards.Max() >> 3) + 1);
        var merged = new byte[bytes];
        MergedShards.CopyTo(merged, 0);
        int added = 0;
        foreach (int shard in shards)
        {
            ref byte cell = ref merged[shard >> 3];
            byte bit = (byte)(1 << (shard & 7));
            if ((cell & bit) != 0) continue;
            cell |= bit;
            added++;
        }

        return new VocabularyMiningState
        {
            Summary = summary,
            MergedShards = merged,
            Shards = Shards + added,
            WordCapacity = wordCapacity,
            PhraseCapacity = phraseCapacity,
        };
    }
}
