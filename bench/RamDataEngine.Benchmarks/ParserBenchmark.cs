using System.Diagnostics;
using System.Globalization;
using RamDataEngine.Tagging;

namespace RamDataEngine.Benchmarks;

/// <summary>
/// Caption parser with RAM's 4,585-tag vocabulary over the 25,014 COCO val2017 captions, repeated, on all cores,
/// against a bare pass that only splits the same captions into words and looks each word up in a dictionary.
/// </summary>
public sealed class ParserBenchmark : IBenchmark
{
    public string Name => "parser";

    public string Description => "caption parser (RAM vocabulary, COCO captions) vs split + dictionary lookup; captions/s and allocations";

    public Task RunAsync(BenchmarkArgs args, TextWriter report, CancellationToken cancellationToken)
    {
        var data = BenchData.Root(args);
        int repeat = args.GetInt("repeat", 4);
        int threads = args.GetInt("threads", Environment.ProcessorCount);
        int rounds = args.GetInt("rounds", 20);
        var captions = BenchData.ReadCaptions(Path.Combine(data, "coco_captions_val2017", "coco_val2017_captions.jsonl"));
        var clock = Stopwatch.StartNew();
        var vocabulary = TagVocabulary.LoadRamFolder(Path.Combine(data, "ram_tags")).WithSynonyms(SynonymTable.Default);
        var parser = new CaptionParser(vocabulary);
        var buildTime = clock.Elapsed;
        var baseline = new SplitAndLookup(vocabulary);

        // Warm up both (tiered JIT) before anything is measured.
        for (int i = 0; i < 3; i++)
        {
            ParsePartition(parser, captions, 0, captions.Length, 1);
            baseline.Run(captions, 0, captions.Length, 1);
        }

        long tags = ParsePartition(parser, captions, 0, captions.Length, 1);
        double parserBytes = AllocatedPerCaption(() => ParsePartition(parser, captions, 0, captions.Length, 1), captions.Length);
        double baselineBytes = AllocatedPerCaption(() => baseline.Run(captions, 0, captions.Length, 1), captions.Length);
        double tokenizerBytes = AllocatedPerCaption(() => TokenizePartition(parser, captions, 0, captions.Length, 1), captions.Length);

        const string Baseline = "baseline: split + dictionary lookup";
        const string Tokenizer = "parser stage 1 only: tokenize + word lookup";
        const string Parser = "parser";
        var results = new List<(string Pass, int Threads, Rates Rates)>();
        for (int round = 0; round < rounds; round++)
        {
            foreach (int t in threads == 1 ? [1] : new[] { 1, threads })
            {
                results.Add((Baseline, t, Measure(t, captions.Length, repeat, (from, to, r) => baseline.Run(captions, from, to, r))));
                results.Add((Tokenizer, t, Measure(t, captions.Length, repeat, (from, to, r) => TokenizePartition(parser, captions, from, to, r))));
                results.Add((Parser, t, Measure(t, captions.Length, repeat, (from, to, r) => ParsePartition(parser, captions, from, to, r))));
            }
        }

        var best = results.GroupBy(r => (r.Pass, r.Threads))
            .Select(g => (g.Key.Pass, g.Key.Threads, Wall: g.Max(x => x.Rates.Wall), Cpu: g.Max(x => x.Rates.PerCpuSecond)))
            .ToList();
        double Rate(string pass, int t) => best.First(b => b.Pass == pass && b.Threads == t).Wall;
        double CpuRate(string pass, int t) => best.First(b => b.Pass == pass && b.Threads == t).Cpu;
        var inv = CultureInfo.InvariantCulture;
        report.WriteLine();
        report.WriteLine($"{captions.Length:N0} captions x {repeat} repeats per measurement, best of {rounds} rounds; vocabulary {vocabulary.Count:N0} tags (+ default synonyms), parser built in {buildTime.TotalMilliseconds:F0} ms; {(double)tags / captions.Length:F2} tags per caption.");
        report.WriteLine();
        report.WriteLine($"Load average when the run ended: {LoadAverage()} (the machine is shared; \"per CPU-second\" divides by the CPU time the worker threads actually ran, from /proc/thread-self/schedstat; wall-clock rates include time other processes took).");
        report.WriteLine();
        report.WriteLine("| pass | threads | captions/s (wall clock) | captions per CPU-second | ns CPU per caption | bytes allocated per caption |");
        report.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (var (pass, t, wall, cpu) in best)
        {
            double bytes = pass == Parser ? parserBytes : pass == Baseline ? baselineBytes : tokenizerBytes;
            report.WriteLine(string.Create(inv, $"| {pass} | {t} | {wall:N0} | {cpu:N0} | {1e9 / cpu:F0} | {bytes:F2} |"));
        }

        report.WriteLine();
        foreach (int t in best.Select(b => b.Threads).Distinct())
        {
            report.WriteLine(string.Create(inv, $"- {t} thread(s): parser = {Rate(Parser, t) / Rate(Baseline, t):P0} of the baseline's wall-clock throughput, {CpuRate(Parser, t) / CpuRate(Baseline, t):P0} per CPU-second (target >= 50%)."));
        }

        int cores = Environment.ProcessorCount;
        report.WriteLine(string.Create(inv, $"- parser on {threads} threads: {Rate(Parser, threads):N0} captions/s wall clock; {cores} cores x {CpuRate(Parser, threads):N0} per CPU-second = {cores * CpuRate(Parser, threads):N0} captions/s with both cores to itself (target >= 1,000,000)."));

        report.WriteLine();
        report.WriteLine($"command: `dotnet run -c Release --project bench/RamDataEngine.Benchmarks -- parser --repeat {repeat} --threads {threads} --rounds {rounds}` (data from ../shared/data, or --data PATH)");
        return Task.CompletedTask;
    }

    private static long ParsePartition(CaptionParser parser, string[] captions, int from, int to, int repeat)
    {
        Span<ParsedTag> buffer = stackalloc ParsedTag[CaptionParser.RecommendedBufferSize];
        long tags = 0;
        for (int r = 0; r < repeat; r++)
        {
            for (int i = from; i < to; i++) tags += parser.Parse(captions[i], buffer).Count;
        }

        return tags;
    }

    private static long TokenizePartition(CaptionParser parser, string[] captions, int from, int to, int repeat)
    {
        long known = 0;
        for (int r = 0; r < repeat; r++)
        {
            for (int i = from; i < to; i++) known += parser.TokenizeOnly(captions[i]);
        }

        return known;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
        }
        catch (IOException)
        {
            return "n/a";
        }
    }

    private readonly record struct Rates(double Wall, double PerCpuSecond);

    /// <summary>Bytes allocated on this thread per caption by one single-threaded pass.</summary>
    private static double AllocatedPerCaption(Func<long> pass, int captions)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        pass();
        return (double)(GC.GetAllocatedBytesForCurrentThread() - before) / captions;
    }

    /// <summary>Captions per second with the captions split into one partition per thread, each thread looping over its own.</summary>
    private static Rates Measure(int threads, int count, int repeat, Func<int, int, int, long> work)
    {
        using var start = new ManualResetEventSlim();
        var workers = new Thread[threads];
        long sink = 0, cpuNanoseconds = 0;
        bool threadClock = true;
        for (int t = 0; t < threads; t++)
        {
            int from = (int)((long)count * t / threads), to = (int)((long)count * (t + 1) / threads);
            workers[t] = new Thread(() =>
            {
                start.Wait();
                long before = ThreadCpuNanoseconds();
                Interlocked.Add(ref sink, work(from, to, repeat));
                long after = ThreadCpuNanoseconds();
                if (before < 0 || after < 0) threadClock = false;
                Interlocked.Add(ref cpuNanoseconds, after - before);
            });
            workers[t].Start();
        }

        using var process = Process.GetCurrentProcess();
        var processBefore = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        start.Set();
        foreach (var w in workers) w.Join();
        clock.Stop();
        process.Refresh();
        GC.KeepAlive(sink);
        double cpuSeconds = threadClock ? cpuNanoseconds / 1e9 : (process.TotalProcessorTime - processBefore).TotalSeconds;
        double total = (double)count * repeat;
        return new Rates(total / clock.Elapsed.TotalSeconds, total / cpuSeconds);
    }

    /// <summary>Nanoseconds this thread has run on a CPU (Linux /proc/thread-self/schedstat), or -1 where unavailable.</summary>
    private static long ThreadCpuNanoseconds()
    {
        try
        {
            var text = File.ReadAllText("/proc/thread-self/schedstat");
            int space = text.IndexOf(' ');
            return long.Parse(space < 0 ? text : text[..space], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            return -1;
        }
    }

    /// <summary>The baseline: split on anything that is not a letter or digit, look each word up ignoring case.</summary>
    private sealed class SplitAndLookup
    {
        private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> lookup;

        public SplitAndLookup(TagVocabulary vocabulary)
        {
            var words = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            foreach (var tag in vocabulary.Tags)
            {
                foreach (var phrase in tag.Synonyms.Prepend(tag.Name))
                {
                    foreach (var word in phrase.Split(' ', StringSplitOptions.RemoveEmptyEntries)) words.TryAdd(word, tag.Id);
                }
            }

            lookup = words.GetAlternateLookup<ReadOnlySpan<char>>();
        }

        public long Run(string[] captions, int from, int to, int repeat)
        {
            long hits = 0;
            for (int r = 0; r < repeat; r++)
            {
                for (int c = from; c < to; c++)
                {
                    var text = captions[c].AsSpan();
                    int i = 0;
                    while (i < text.Length)
                    {
                        while (i < text.Length && !char.IsLetterOrDigit(text[i])) i++;
                        int start = i;
                        while (i < text.Length && char.IsLetterOrDigit(text[i])) i++;
                        if (i > start && lookup.TryGetValue(text[start..i], out _)) hits++;
                    }
                }
            }

            return hits;
        }
    }
}
