using System.ComponentModel;
using System.Text.Json;
using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Grains.Trust;
using RamDataEngine.Storage;
using Spectre.Console;
using Spectre.Console.Cli;

namespace RamDataEngine.Cli.Commands;

/// <summary>Options of <c>ram audit</c>.</summary>
public sealed class AuditSettings : EngineSettings
{
    [CommandArgument(0, "<FILE.jsonl>")]
    [Description("Images with several captions (captions[]) and/or reviewed labels (labels[], labels_known), one JSON object a line; no image files are read.")]
    public string File { get; init; } = "";

    [CommandOption("--vocab <SOURCE>")]
    [Description("The vocabulary the engine parses with: a RAM tag folder or file, a vocabulary JSON, or scenes.")]
    public string? Vocabulary { get; init; }

    [CommandOption("--exclude <FILE.jsonl>")]
    [Description("Leave out the images whose image_id appears in this JSONL (the images the engine will judge: an audit must not contain them).")]
    public string? Exclude { get; init; }
}

/// <summary>
/// <c>ram audit FILE.jsonl --vocab V</c>: per tag, how often a caption names the tag when the image shows it, counted on an
/// audit set; stored in the blob store for `ram engine start --audit` (which can also take the JSONL directly).
/// </summary>
public sealed class AuditCommand(IAnsiConsole console) : AsyncCommand<AuditSettings>
{
    public override async Task<int> ExecuteAsync(CommandContext context, AuditSettings settings, CancellationToken cancellationToken)
    {
        var (store, _) = StorageOnly.Open(settings);
        string vocabularyId = await new VocabularyStore(store).SaveAsync(
            VocabularySources.Load(settings.Vocabulary ?? throw new ArgumentException("Give --vocab: the vocabulary the engine will parse with.")), cancellationToken);
        var (path, audit) = await Audits.StoreAsync(store, settings.File, vocabularyId, settings.Exclude, cancellationToken);
        console.WriteLine(FormattableString.Invariant(
            $"Audit of {audit.Images:N0} images ({audit.ReviewedImages:N0} with reviewed labels), {audit.Captions:N0} captions, {audit.TagsCounted:N0} tags counted: {path}"));
        return 0;
    }
}

/// <summary>Computing and storing a caption-recall audit from a JSONL file, shared by the commands that take <c>--audit</c>.</summary>
public static class Audits
{
    /// <summary>Counts <paramref name="file"/> with the stored vocabulary's parser and stores the audit; returns its blob path.</summary>
    public static async Task<(string Path, CaptionAudit Audit)> StoreAsync(IBlobStore store, string file, string vocabularyId, string? exclude, CancellationToken cancellationToken)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"Audit file '{file}' does not exist.", file);
        var parser = await new VocabularyStore(store).GetParserAsync(vocabularyId, cancellationToken);
        HashSet<string>? excluded = exclude is null ? null : ImageIdsOf(exclude);
        using var reader = new StreamReader(file);
        var audit = CaptionAudit.FromJsonl(reader, Path.GetFileName(file), parser, excluded);
        if (audit.Images == 0) throw new InvalidDataException($"Audit file '{file}' has no image with two or more captions or with reviewed labels.");
        return (await audit.SaveAsync(store, cancellationToken), audit);
    }

    private static HashSet<string> ImageIdsOf(string file)
    {
        if (!File.Exists(file)) throw new FileNotFoundException($"Exclude file '{file}' does not exist.", file);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in File.ReadLines(file))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.TryGetProperty("image_id", out var id)) ids.Add(id.ToString());
        }

        return ids;
    }
}
