using System.ComponentModel;
using System.Globalization;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Datasets.Versions;
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
        Row("quarantined rows", DatasetsListCommand.N(root.QuarantinedRows));
        Row("storage", store.Location);
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
