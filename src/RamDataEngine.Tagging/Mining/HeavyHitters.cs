using System.Text;

namespace RamDataEngine.Tagging;

/// <summary>A term's estimated count in a <see cref="HeavyHitters"/> summary: the true count lies in [Count - Error, Count].</summary>
public readonly record struct TermCount(string Term, long Count, long Error)
{
    /// <summary>A count the term certainly reached.</summary>
    public long GuaranteedCount => Count - Error;
}

/// <summary>
/// Bounded-memory counts of the most frequent terms of a stream (Space-Saving, Metwally et al. 2005): at most
/// <see cref="Capacity"/> counters; once full, a new term takes over the smallest counter and inherits its count as error.
/// Summaries merge (Agarwal et al. 2012, "Mergeable summaries"), so per-shard summaries combine into one in any order.
/// Not thread-safe: one summary per shard or worker, merged afterwards.
/// </summary>
public sealed class HeavyHitters
{
    private const int Magic = 0x31484852; // "RHH1"

    private readonly Dictionary<string, int> slots;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> slotsBySpan;
    private readonly string[] terms;
    private readonly long[] counts;
    private readonly long[] errors;
    private readonly int[] heap; // slot ids ordered as a min-heap on counts
    private readonly int[] heapPosition; // slot id -> index in heap

    public HeavyHitters(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1 << 26);
        Capacity = capacity;
        slots = new Dictionary<string, int>(Math.Min(capacity, 1 << 16), StringComparer.Ordinal);
        slotsBySpan = slots.GetAlternateLookup<ReadOnlySpan<char>>();
        terms = new string[capacity];
        counts = new long[capacity];
        errors = new long[capacity];
        heap = new int[capacity];
        heapPosition = new int[capacity];
    }

    /// <summary>Most terms held at once.</summary>
    public int Capacity { get; }

    /// <summary>Terms held now.</summary>
    public int Count { get; private set; }

    /// <summary>Sum of all counts added (including terms no longer held).</summary>
    public long TotalCount { get; private set; }

    /// <summary>True once every counter is in use (new terms then evict the smallest).</summary>
    public bool IsFull => Count == Capacity;

    /// <summary>Upper bound of the count of any term not held: the smallest counter when full, else 0.</summary>
    public long MissingTermBound => IsFull ? counts[heap[0]] : 0;

    /// <summary>Counts one or more occurrences of a term.</summary>
    public void Add(string term, long count = 1)
    {
        ArgumentNullException.ThrowIfNull(term);
        AddCore(term.AsSpan(), term, count);
    }

    /// <summary>Counts occurrences of a term given as a span; allocates a string only for a term not held yet.</summary>
    public void Add(ReadOnlySpan<char> term, long count = 1) => AddCore(term, null, count);

    /// <summary>The estimate for a term, if held.</summary>
    public bool TryGet(string term, out TermCount estimate)
    {
        ArgumentNullException.ThrowIfNull(term);
        if (slots.TryGetValue(term, out var slot))
        {
            estimate = new TermCount(terms[slot], counts[slot], errors[slot]);
            return true;
        }

        estimate = default;
        return false;
    }

    /// <summary>An upper bound of a term's count: its counter if held, else <see cref="MissingTermBound"/>.</summary>
    public long UpperBound(string term) => slots.TryGetValue(term, out var slot) ? counts[slot] : MissingTermBound;

    /// <summary>The held terms, most frequent first (ties by term, ordinal).</summary>
    public IReadOnlyList<TermCount> ToList()
    {
        var list = new TermCount[Count];
        for (int i = 0; i < Count; i++) list[i] = new TermCount(terms[i], counts[i], errors[i]);
        Array.Sort(list, (a, b) => b.Count != a.Count ? b.Count.CompareTo(a.Count) : string.CompareOrdinal(a.Term, b.Term));
        return list;
    }

    /// <summary>Adds <paramref name="other"/>'s counts into this summary (see <see cref="Merge(IEnumerable{HeavyHitters}, int)"/>).</summary>
    public void Merge(HeavyHitters other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var merged = Merge([this, other], Capacity);
        Count = 0;
        slots.Clear();
        TotalCount = 0;
        foreach (var t in merged.ToList()) Insert(t.Term, t.Count, t.Error);
        TotalCount = merged.TotalCount;
    }

    /// <summary>
    /// Merges summaries: a term's count is the sum over parts of its counter, or of the part's
    /// <see cref="MissingTermBound"/> where a full part does not hold it (so counts stay upper bounds and
    /// Count - Error stays a lower bound); the <paramref name="capacity"/> largest are kept.
    /// </summary>
    public static HeavyHitters Merge(IEnumerable<HeavyHitters> parts, int capacity)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var list = parts.ToList();
        var all = new Dictionary<string, (long Count, long Error)>(StringComparer.Ordinal);
        foreach (var part in list)
        {
            for (int i = 0; i < part.Count; i++) all.TryAdd(part.terms[i], (0, 0));
        }

        foreach (var term in all.Keys.ToList())
        {
            long count = 0, error = 0;
            foreach (var part in list)
            {
                if (part.slots.TryGetValue(term, out var slot))
                {
                    count += part.counts[slot];
                    error += part.errors[slot];
                }
                else
                {
                    long bound = part.MissingTermBound;
                    count += bound;
                    error += bound;
                }
            }

            all[term] = (count, error);
        }

        var result = new HeavyHitters(capacity);
        foreach (var (term, (count, error)) in all
                     .OrderByDescending(x => x.Value.Count).ThenBy(x => x.Key, StringComparer.Ordinal).Take(capacity))
        {
            result.Insert(term, count, error);
        }

        result.TotalCount = list.Sum(p => p.TotalCount);
        return result;
    }

    /// <summary>
    /// Rebuilds a summary from its entries (e.g. received as records in a grain message rather than as bytes).
    /// </summary>
    /// <exception cref="ArgumentException">More entries than capacity, a duplicate term, or counts out of order.</exception>
    public static HeavyHitters FromEntries(int capacity, long totalCount, IEnumerable<TermCount> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentOutOfRangeException.ThrowIfNegative(totalCount);
        var result = new HeavyHitters(capacity);
        foreach (var e in entries)
        {
            if (result.IsFull) throw new ArgumentException($"More entries than the capacity {capacity}.", nameof(entries));
            if (e.Term is null || e.Count < 0 || e.Error < 0 || e.Error > e.Count) throw new ArgumentException($"Entry '{e.Term}' has a bad count ({e.Count}) or error ({e.Error}).", nameof(entries));
            if (result.slots.ContainsKey(e.Term)) throw new ArgumentException($"Term '{e.Term}' appears twice.", nameof(entries));
            result.Insert(e.Term, e.Count, e.Error);
        }

        result.TotalCount = totalCount;
        return result;
    }

    /// <summary>Writes the summary (binary, versioned) so a worker can hand it to a merger, e.g. through a blob.</summary>
    public void WriteTo(Stream destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        using var writer = new BinaryWriter(destination, Encoding.UTF8, leaveOpen: true);
        writer.Write(Magic);
        writer.Write(Capacity);
        writer.Write(TotalCount);
        writer.Write(Count);
        for (int i = 0; i < Count; i++)
        {
            writer.Write(terms[i]);
            writer.Write(counts[i]);
            writer.Write(errors[i]);
        }
    }

    /// <summary>Reads a summary written by <see cref="WriteTo"/>.</summary>
    /// <exception cref="InvalidDataException">The data is not a summary or is truncated.</exception>
    public static HeavyHitters ReadFrom(Stream source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var reader = new BinaryReader(source, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (reader.ReadInt32() != Magic) throw new InvalidDataException("The data is not a heavy-hitters summary (bad magic number).");
            int capacity = reader.ReadInt32();
            long total = reader.ReadInt64();
            int count = reader.ReadInt32();
            if (capacity < 1 || capacity > 1 << 26 || count < 0 || count > capacity || total < 0)
            {
                throw new InvalidDataException($"Heavy-hitters summary header is corrupt (capacity {capacity}, count {count}, total {total}).");
            }

            var result = new HeavyHitters(capacity);
            for (int i = 0; i < count; i++)
            {
                var term = reader.ReadString();
                long c = reader.ReadInt64(), e = reader.ReadInt64();
                if (c < 0 || e < 0 || e > c || result.slots.ContainsKey(term)) throw new InvalidDataException($"Heavy-hitters summary entry {i} ('{term}') is corrupt.");
                result.Insert(term, c, e);
            }

            result.TotalCount = total;
            return result;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("The heavy-hitters summary is truncated.", e);
        }
    }

    private void AddCore(ReadOnlySpan<char> term, string? termString, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        TotalCount += count;
        if (slotsBySpan.TryGetValue(term, out var slot))
        {
            counts[slot] += count;
            SiftDown(heapPosition[slot]);
            return;
        }

        termString ??= term.ToString();
        if (!IsFull)
        {
            Insert(termString, count, 0);
            return;
        }

        // Space-Saving: the new term replaces the smallest counter and inherits its count as error.
        slot = heap[0];
        long min = counts[slot];
        slots.Remove(terms[slot]);
        terms[slot] = termString;
        slots.Add(termString, slot);
        counts[slot] = min + count;
        errors[slot] = min;
        SiftDown(0);
    }

    private void Insert(string term, long count, long error)
    {
        int slot = Count++;
        terms[slot] = term;
        counts[slot] = count;
        errors[slot] = error;
        slots.Add(term, slot);
        heap[slot] = slot;
        heapPosition[slot] = slot;
        SiftUp(slot);
    }

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) / 2;
            if (counts[heap[parent]] <= counts[heap[i]]) return;
            Swap(i, parent);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            int left = 2 * i + 1, right = left + 1, smallest = i;
            if (left < Count && counts[heap[left]] < counts[heap[smallest]]) smallest = left;
            if (right < Count && counts[heap[right]] < counts[heap[smallest]]) smallest = right;
            if (smallest == i) return;
            Swap(i, smallest);
            i = smallest;
        }
    }

    private void Swap(int a, int b)
    {
        (heap[a], heap[b]) = (heap[b], heap[a]);
        heapPosition[heap[a]] = a;
        heapPosition[heap[b]] = b;
    }
}
