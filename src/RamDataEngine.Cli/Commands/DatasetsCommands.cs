using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Datasets;
using RamDataEngine.Storage;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Commands;

/// <summary><c>ram datasets list</c>: every dataset with its head version.</summary>
public sealed class DatasetsListCommand(IAnsiConsole console) : AsyncCommand<EngineSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, EngineSettings settings, CancellationToken cancellationToken)
    {
        var (store, catalog) = StorageOnly.Open(settings);
        var table = new Table().AddColumns("dataset", "head", "shards", "rows", "quarantined", "last operation", "created");
        await foreach (var name in catalog.ListDatasetsAsync(cancellationToken))
        {
            var root = await catalog.OpenAsync(name, cancellationToken: cancellationToken);
            table.AddRow(Markup.Escape(name), $"v{root.Version}", N(root.Shards), N(root.Rows), N(root.QuarantinedRows), Markup.Escape(root.Lineage.Operation), $"{root.CreatedAt:u}");
        }

        if (table.Rows.Count == 0) console.MarkupLineInterpolated($"No datasets in {store.Location}.");
        else console.Write(table);
        return 0;
    }

    internal static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}

/// <summary><c>ram datasets show NAME[@VERSION]</c>: a version's lineage, files and tag counts; any old version too.</summary>
public sealed class DatasetsShowCommand(IAnsiConsole console) : AsyncCommand<DatasetsShowCommand.Settings>
{
    public sealed class Settings : EngineSettings
    {
        [CommandArgument(0, "<NAME[@VERSION]>")]
        [Description("A dataset, optionally with a version (default: the head), e.g. demo@1.")]
        public string Reference { get; init; } = "";

        [CommandOption("--shards <N>")]
        [Description("Shards to list. Default: 10.")]
        public int Shards { get; init; } = 10;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (name, version) = DatasetReference.Parse(settings.Reference);
        var (store, catalog) = StorageOnly.Open(settings);
        var root = await catalog.OpenAsync(name, version, cancellationToken);
        var versions = await catalog.ListVersionsAsync(name, cancellationToken).Select(v => $"v{v.Version}").ToListAsync(cancellationToken);

        var summary = new Grid().AddColumns(2);
        void Row(string key, string value) => summary.AddRow(new Markup($"[grey]{key}[/]"), new Markup(Markup.Escape(value)));
        Row("dataset", $"{root.Dataset} v{root.Version}" + (root.ParentVersion is { } p ? $" (parent v{p})" : ""));
        Row("versions", string.Join(" ", versions));
        Row("created", $"{root.CreatedAt:u}");
        Row("operation", root.Lineage.Operation + (root.Lineage.CampaignId is { } c ? $" by campaign {c}" : ""));
        if (root.Lineage.ConfigHash is { } hash) Row("config hash", hash);
        foreach (var (key, value) in root.Lineage.Properties) Row(key, value);
        Row("shards", DatasetsListCommand.N(root.Shards));
        Row("rows", DatasetsListCommand.N(root.Rows));
        Row("quarantined rows", DatasetsListCommand.N(root.QuarantinedRows)
            + (root.QuarantinedRows > 0 ? $" ({DatasetsListCommand.N(root.RemovedShards.Sum(r => r.Rows))} in {root.RemovedShards.Count} whole shards)" : ""));
        // Each campaign's quarantine file is named by the version it made: this one's and those of the versions before it.
        for (var v = root; v is not null; v = v.ParentVersion is { } parent ? await TryOpenAsync(catalog, name, parent, cancellationToken) : null)
        {
            if (v.Quarantine is { } q) Row($"quarantine file (v{v.Version})", $"{DatasetsListCommand.N(q.Rows)} rows: {store.Describe(q.Path)}");
        }

        Row("storage", store.Location);
        var layerBytes = new SortedDictionary<string, long>(StringComparer.Ordinal);
        await foreach (var entry in catalog.ReadShardsAsync(root, cancellationToken))
        {
            foreach (var (kind, file) in entry.Files) layerBytes[kind] = layerBytes.GetValueOrDefault(kind) + file.Bytes;
        }

        // Bytes per row of each layer: what a relabel costs to store, next to the base it never copies.
        Row("bytes per row", string.Join(", ", layerBytes.Select(p => string.Create(
            CultureInfo.InvariantCulture, $"{p.Key} {(root.Rows == 0 ? 0 : p.Value / (double)root.Rows):N1} ({p.Value:N0} bytes)"))));
        console.Write(summary);

        foreach (var removed in root.RemovedShards)
        {
            console.MarkupLineInterpolated($"[yellow]shard {removed.ShardId} quarantined at {removed.Stage}[/]: {removed.Reason} ({removed.Rows} rows)");
        }

        var shards = new Table().AddColumns("shard", "rows", "quarantined", "files");
        await foreach (var entry in catalog.ReadShardsAsync(root, cancellationToken).Take(settings.Shards).WithCancellation(cancellationToken))
        {
            shards.AddRow(entry.ShardId.ToString(CultureInfo.InvariantCulture), DatasetsListCommand.N(entry.Rows), DatasetsListCommand.N(entry.QuarantinedRows),
                Markup.Escape(string.Join("\n", entry.Files.Select(f => $"{f.Key}: {f.Value.Path}"))));
        }

        console.Write(shards);
        if (root.TagCounts.Count > 0)
        {
            console.MarkupLine($"Tags with labels: {root.TagCounts.Count}; most frequent: " +
                Markup.Escape(string.Join(", ", root.TagCounts.OrderByDescending(p => p.Value).Take(10).Select(p => $"#{p.Key} ({p.Value})"))));
        }

        return 0;
    }

    /// <summary>An older version, or null when it was expired.</summary>
    private static async Task<VersionRoot?> TryOpenAsync(DatasetCatalog catalog, string name, int version, CancellationToken cancellationToken)
    {
        try
        {
            return await catalog.OpenAsync(name, version, cancellationToken);
        }
        catch (DatasetNotFoundException)
        {
            return null;
        }
    }
}

/// <summary>
/// <c>ram datasets diff A B</c>: per tag, the labels B gained and lost against A (rows joined by id), and which rule
/// did it (caption, model, cleaning reason, or not kept), from B's provenance.
/// </summary>
public sealed class DatasetsDiffCommand(IAnsiConsole console) : AsyncCommand<DatasetsDiffCommand.Settings>
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    public sealed class Settings : EngineSettings
    {
        [CommandArgument(0, "<A>")]
        [Description("The version compared from: NAME[@VERSION] (default: the head).")]
        public string A { get; init; } = "";

        [CommandArgument(1, "<B>")]
        [Description("The version compared to, whose provenance explains the changes: NAME[@VERSION]; another dataset sharing row ids works too.")]
        public string B { get; init; } = "";

        [CommandOption("--tag <NAME>")]
        [Description("List the rows whose label for this tag changed, with the rule and score.")]
        public string? Tag { get; init; }

        [CommandOption("--json")]
        [Description("Print the whole result as JSON instead of tables.")]
        public bool Json { get; init; }

        [CommandOption("--top <N>")]
        [Description("Tags in the table (largest change first). Default: 50.")]
        public int Top { get; init; } = 50;

        [CommandOption("--rows <N>")]
        [Description("Rows listed for --tag in the table (--json lists all). Default: 100.")]
        public int Rows { get; init; } = 100;
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (nameA, versionA) = DatasetReference.Parse(settings.A);
        var (nameB, versionB) = DatasetReference.Parse(settings.B);
        var (_, catalog) = StorageOnly.Open(settings);
        var a = await catalog.OpenAsync(nameA, versionA, cancellationToken);
        var b = await catalog.OpenAsync(nameB, versionB, cancellationToken);
        var diff = await LabelDiff.CompareAsync(catalog, a, b, settings.Tag, cancellationToken: cancellationToken);
        if (settings.Json)
        {
            // Straight to the output: the console would wrap long lines.
            console.Profile.Out.Writer.WriteLine(JsonSerializer.Serialize(diff, JsonOptions));
            return 0;
        }

        console.MarkupLineInterpolated($"{diff.A} ({diff.ASource}) -> {diff.B} ({diff.BSource}): {N(diff.RowsCompared)} rows compared, {N(diff.RowsChanged)} changed; {N(diff.RowsOnlyInA)} only in {diff.A}, {N(diff.RowsOnlyInB)} only in {diff.B} (not compared)");
        console.MarkupLineInterpolated($"Labels added: {N(diff.Added)} ({Rules(diff.AddedBy)}); removed: {N(diff.Removed)} ({Rules(diff.RemovedBy)})");
        if (diff.Tag is { } asked)
        {
            console.MarkupLineInterpolated($"Tag {asked.Name}: added {N(asked.Added)} ({Rules(asked.AddedBy)}), removed {N(asked.Removed)} ({Rules(asked.RemovedBy)})");
            var rows = new Table().AddColumns("row", "change", "rule", "score");
            foreach (var row in diff.TagRows.Take(settings.Rows))
            {
                rows.AddRow(row.RowId.ToString(CultureInfo.InvariantCulture), row.Kind == LabelChangeKind.Added ? "added" : "removed", Markup.Escape(row.Rule),
                    row.Score is { } score ? score.ToString("0.000", CultureInfo.InvariantCulture) : "-");
            }

            if (rows.Rows.Count > 0) console.Write(rows);
            if (diff.TagRows.Count > settings.Rows) console.MarkupLineInterpolated($"... {N(diff.TagRows.Count - settings.Rows)} more rows (--rows, or --json for all)");
            return 0;
        }

        if (diff.Tags.Count == 0)
        {
            console.MarkupLine("No label changed.");
            return 0;
        }

        var table = new Table().AddColumns("tag", "added", "removed", "added by", "removed by");
        foreach (var tag in diff.Tags.Take(settings.Top))
        {
            table.AddRow(Markup.Escape(tag.Name), N(tag.Added), N(tag.Removed), Markup.Escape(Rules(tag.AddedBy)), Markup.Escape(Rules(tag.RemovedBy)));
        }

        table.AddRow("[bold]total[/]", N(diff.Added), N(diff.Removed), Markup.Escape(Rules(diff.AddedBy)), Markup.Escape(Rules(diff.RemovedBy)));
        console.Write(table);
        if (diff.Tags.Count > settings.Top) console.MarkupLineInterpolated($"... {diff.Tags.Count - settings.Top} more tags changed (--top)");
        return 0;
    }

    private static string N(long value) => DatasetsListCommand.N(value);

    /// <summary>"model:m1 3 (mean 0.850), caption 1"; "-" for none.</summary>
    private static string Rules(IReadOnlyList<LabelRuleCount> rules) => rules.Count == 0
        ? "-"
        : string.Join(", ", rules.Select(r => $"{r.Rule} {N(r.Count)}" + (r.MeanScore is { } m ? $" (mean {m.ToString("0.000", CultureInfo.InvariantCulture)})" : "")));
}

/// <summary>Parses <c>NAME[@VERSION]</c>.</summary>
public static class DatasetReference
{
    public static (string Name, int? Version) Parse(string reference)
    {
        int at = reference.LastIndexOf('@');
        if (at < 0) return (reference, null);
        string versionText = reference[(at + 1)..].TrimStart('v');
        return int.TryParse(versionText, NumberStyles.None, CultureInfo.InvariantCulture, out int version) && version > 0
            ? (reference[..at], version)
            : throw new ArgumentException($"'{reference}' is not NAME or NAME@VERSION (VERSION a positive number).");
    }
}
