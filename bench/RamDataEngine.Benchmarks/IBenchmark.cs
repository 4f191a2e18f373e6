namespace RamDataEngine.Benchmarks;

/// <summary>One benchmark: measures our code and, in the same run, the baseline it is judged against.</summary>
public interface IBenchmark
{
    /// <summary>The name given on the command line: <c>dotnet run -c Release --project bench/RamDataEngine.Benchmarks -- NAME</c>.</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>Runs and writes a Markdown report (table + the command that reproduces it) to <paramref name="report"/>.</summary>
    Task RunAsync(BenchmarkArgs args, TextWriter report, CancellationToken cancellationToken);
}

/// <summary>Options after the benchmark name, as <c>--key value</c> pairs.</summary>
public sealed class BenchmarkArgs(IReadOnlyDictionary<string, string> values)
{
    public int GetInt(string key, int fallback) => values.TryGetValue(key, out var v) ? int.Parse(v, System.Globalization.CultureInfo.InvariantCulture) : fallback;

    public string? GetString(string key) => values.GetValueOrDefault(key);

    public static BenchmarkArgs Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < args.Count; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Unexpected argument '{args[i]}': options are --key value.");
            values[args[i][2..]] = i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal) ? args[++i] : "true";
        }

        return new BenchmarkArgs(values);
    }
}
