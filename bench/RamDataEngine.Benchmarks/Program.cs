using System.Diagnostics;
using RamDataEngine.Benchmarks;

var benchmarks = typeof(IBenchmark).Assembly.GetTypes()
    .Where(t => t is { IsClass: true, IsAbstract: false } && typeof(IBenchmark).IsAssignableFrom(t))
    .Select(t => (IBenchmark)Activator.CreateInstance(t)!)
    .OrderBy(b => b.Name, StringComparer.Ordinal)
    .ToList();

if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.WriteLine("usage: dotnet run -c Release --project bench/RamDataEngine.Benchmarks -- NAME [--key value ...]");
    foreach (var b in benchmarks) Console.WriteLine($"  {b.Name,-16} {b.Description}");
    return args.Length == 0 ? 1 : 0;
}

var benchmark = benchmarks.FirstOrDefault(b => b.Name == args[0]);
if (benchmark is null)
{
    Console.Error.WriteLine($"error: no benchmark named '{args[0]}'. Known: {string.Join(", ", benchmarks.Select(b => b.Name))}.");
    return 2;
}

#if DEBUG
Console.Error.WriteLine("warning: this is a Debug build; run with -c Release for figures worth recording.");
#endif
Console.WriteLine($"# {benchmark.Name}: {benchmark.Description}");
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}, {DateTimeOffset.UtcNow:yyyy-MM-dd}");
var total = Stopwatch.StartNew();
await benchmark.RunAsync(BenchmarkArgs.Parse(args[1..]), Console.Out, CancellationToken.None);
Console.WriteLine($"total time: {total.Elapsed.TotalSeconds:F1} s");
return 0;
