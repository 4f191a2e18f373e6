using System.ComponentModel;
using System.Globalization;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Contracts;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Storage;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Commands;

/// <summary>Options naming one dataset, for the lifecycle commands.</summary>
public class DatasetNameSettings : EngineSettings
{
    [CommandArgument(0, "<NAME>")]
    public string Name { get; init; } = "";

    [CommandOption("--dry-run")]
    [Description("List what would go, and change nothing.")]
    public bool DryRun { get; init; }
}

/// <summary>Options of commands that collect unreferenced files.</summary>
public class CollectSettings : DatasetNameSettings
{
    [CommandOption("--min-age <DURATION>")]
    [Description("Collect only files older than this (30s, 15m, 1h, 2d); files a commit in progress elsewhere is writing are younger. Default: 1h.")]
    public string MinAge { get; init; } = "1h";

    public override ValidationResult Validate() => Durations.TryParse(MinAge, out _)
        ? ValidationResult.Success()
        : ValidationResult.Error($"--min-age '{MinAge}' is not a duration (30s, 15m, 1h, 2d, or hh:mm:ss).");
}

/// <summary><c>ram datasets delete NAME</c>: every version and file of a dataset; the name can be used again.</summary>
public sealed class DatasetsDeleteCommand(IAnsiConsole console) : AsyncCommand<DatasetsDeleteCommand.Settings>
{
    public sealed class Settings : DatasetNameSettings
    {
        [CommandOption("--force")]
        [Description("Cancel the campaigns running or interrupted on the dataset first (through an embedded silo), then delete.")]
        public bool Force { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (store, catalog) = StorageOnly.Open(settings);
        var lifecycle = new DatasetLifecycle(catalog, TimeProvider.System);
        var running = await lifecycle.RunningAsync(settings.Name, cancellationToken);
        if (running.Count > 0 && settings.Force && !settings.DryRun)
        {
            await using var engine = await EmbeddedEngine.StartAsync(settings, cancellationToken);
            foreach (var campaign in running)
            {
                await engine.Grains.GetGrain<ICampaignGrain>(campaign.CampaignId).CancelAsync($"dataset '{settings.Name}' deleted (--force)", cancellationToken);
                await store.DeleteAsync(DatasetPaths.Running(settings.Name, campaign.CampaignId), cancellationToken);
                console.WriteLine($"Cancelled campaign {campaign.CampaignId} ({campaign.Kind}).");
            }
        }

        var result = await lifecycle.DeleteAsync(settings.Name, settings.DryRun, cancellationToken);
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(settings.DryRun ? "Would delete" : "Deleted")} dataset '{settings.Name}': {result.Versions} versions, {result.Files:N0} files, {Durations.Bytes(result.Bytes)} in {store.Location}.{(settings.DryRun ? "" : " The name can be used again.")}"));
        return 0;
    }
}

/// <summary><c>ram datasets expire NAME --keep N | --older-than DURATION</c>: drop old versions, then collect what only they used.</summary>
public sealed class DatasetsExpireCommand(IAnsiConsole console) : AsyncCommand<DatasetsExpireCommand.Settings>
{
    public sealed class Settings : CollectSettings
    {
        [CommandOption("--keep <N>")]
        [Description("Keep the newest N versions (the head always stays).")]
        public int? Keep { get; init; }

        [CommandOption("--older-than <DURATION>")]
        [Description("Expire versions created longer ago than this (30d, 12h, ...). With --keep, a version must be both beyond the newest N and older.")]
        public string? OlderThan { get; init; }

        public override ValidationResult Validate()
            => Keep is null && OlderThan is null ? ValidationResult.Error("Say which versions expire: --keep N, --older-than DURATION, or both.")
            : Keep is < 1 ? ValidationResult.Error("--keep must be at least 1 (the head always stays).")
            : OlderThan is not null && !Durations.TryParse(OlderThan, out _) ? ValidationResult.Error($"--older-than '{OlderThan}' is not a duration (30s, 15m, 1h, 2d, or hh:mm:ss).")
            : base.Validate();
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (store, catalog) = StorageOnly.Open(settings);
        var result = await new DatasetLifecycle(catalog, TimeProvider.System).ExpireAsync(
            settings.Name, settings.Keep, settings.OlderThan is { } o ? Durations.Parse(o) : null, settings.DryRun, Durations.Parse(settings.MinAge), cancellationToken);
        string verb = settings.DryRun ? "Would expire" : "Expired";
        console.WriteLine(result.Expired.Count == 0
            ? $"No version of '{settings.Name}' expires; kept {Versions(result.Kept)}."
            : $"{verb} {Versions(result.Expired)} of '{settings.Name}'; kept {Versions(result.Kept)}.");
        if (result.KeptForCampaigns.Count > 0) console.WriteLine($"Kept {Versions(result.KeptForCampaigns)}: running campaigns read them.");
        DatasetsGcCommand.Print(console, store, settings.Name, result.Collection, settings.DryRun);
        return 0;
    }

    private static string Versions(IEnumerable<int> versions) => string.Join(", ", versions.Select(v => $"v{v}")) is { Length: > 0 } list ? list : "none";
}

/// <summary><c>ram datasets gc NAME</c>: delete the dataset's files that no version and no running campaign references.</summary>
public sealed class DatasetsGcCommand(IAnsiConsole console) : AsyncCommand<CollectSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, CollectSettings settings, CancellationToken cancellationToken)
    {
        var (store, catalog) = StorageOnly.Open(settings);
        if (await catalog.GetHeadVersionAsync(settings.Name, cancellationToken) is null
            && !await store.ListAsync(DatasetPaths.Dataset(settings.Name) + "/", cancellationToken).AnyAsync(cancellationToken))
        {
            throw new DatasetNotFoundException($"Dataset '{settings.Name}' does not exist in {store.Location}.");
        }

        var result = await new DatasetLifecycle(catalog, TimeProvider.System).CollectAsync(settings.Name, Durations.Parse(settings.MinAge), settings.DryRun, cancellationToken);
        Print(console, store, settings.Name, result, settings.DryRun);
        return 0;
    }

    internal static void Print(IAnsiConsole console, IBlobStore store, string dataset, CollectionResult result, bool dryRun)
    {
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(dryRun ? "Would collect" : "Collected")} {result.Files.Count:N0} files ({Durations.Bytes(result.Bytes)}) of '{dataset}' that no kept version references."));
        if (dryRun)
        {
            foreach (var file in result.Files) console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {file.Path} ({Durations.Bytes(file.Bytes)})"));
        }

        foreach (var campaign in result.Running) console.WriteLine($"Kept the files of campaign {campaign.CampaignId} ({campaign.Kind}), running or interrupted since {campaign.StartedAt:u}.");
        if (result.KeptYoung > 0) console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Kept {result.KeptYoung:N0} unreferenced files younger than the minimum age (--min-age)."));
    }
}

/// <summary><c>ram datasets verify NAME[@VERSION]</c>: every file of a version against the checksum its manifest records.</summary>
public sealed class DatasetsVerifyCommand(IAnsiConsole console) : AsyncCommand<DatasetsVerifyCommand.Settings>
{
    public sealed class Settings : EngineSettings
    {
        [CommandArgument(0, "<NAME[@VERSION]>")]
        public string Reference { get; init; } = "";
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var (name, version) = DatasetReference.Parse(settings.Reference);
        var (_, catalog) = StorageOnly.Open(settings);
        var result = await new DatasetLifecycle(catalog, TimeProvider.System).VerifyAsync(name, version, cancellationToken);
        if (result.Intact)
        {
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}@{result.Version}: all {result.Files:N0} files ({Durations.Bytes(result.Bytes)}) match their checksums."));
            return 0;
        }

        foreach (var problem in result.Problems) console.WriteLine($"damaged: {problem.Path}: {problem.Problem}");
        throw new CliException(string.Create(CultureInfo.InvariantCulture,
            $"{name}@{result.Version}: {result.Problems.Count:N0} of {result.Files:N0} files are missing or damaged (first: {result.Problems[0].Path}: {result.Problems[0].Problem})."), ExitCodes.Damaged);
    }
}

/// <summary>Durations and sizes as the lifecycle commands read and print them.</summary>
internal static class Durations
{
    /// <summary>"30s", "15m", "1h", "2d", "1w", or a TimeSpan ("01:00:00").</summary>
    public static bool TryParse(string text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        char unit = text[^1];
        if (char.IsLetter(unit) && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double n) && n >= 0)
        {
            TimeSpan? parsed = unit switch
            {
                's' => TimeSpan.FromSeconds(n),
                'm' => TimeSpan.FromMinutes(n),
                'h' => TimeSpan.FromHours(n),
                'd' => TimeSpan.FromDays(n),
                'w' => TimeSpan.FromDays(7 * n),
                _ => null,
            };
            duration = parsed ?? default;
            return parsed is not null;
        }

        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out duration) && duration >= TimeSpan.Zero;
    }

    public static TimeSpan Parse(string text) => TryParse(text, out var duration) ? duration : throw new ArgumentException($"'{text}' is not a duration (30s, 15m, 1h, 2d, or hh:mm:ss).");

    public static string Bytes(long bytes) => bytes switch
    {
        < 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes} B"),
        < 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1024.0:0.0} KB"),
        < 1024L * 1024 * 1024 => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024):0.0} MB"),
        _ => string.Create(CultureInfo.InvariantCulture, $"{bytes / (1024.0 * 1024 * 1024):0.00} GB"),
    };
}
