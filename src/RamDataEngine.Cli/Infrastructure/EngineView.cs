using System.Globalization;
using RamDataEngine.Contracts;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace RamDataEngine.Cli.Infrastructure;

/// <summary>How an engine run looks on the console: one live table of every step, and the report's quality tables.</summary>
public static class EngineView
{
    /// <summary>Redraws the step table from the grain's status stream until the run ends; returns the last status.</summary>
    public static async Task<EngineStatus> WatchAsync(IAnsiConsole console, IEngineGrain engine, CancellationToken cancellationToken)
    {
        var last = await engine.GetStatusAsync(cancellationToken);
        if (!console.Profile.Capabilities.Interactive)
        {
            // Redirected output (a log, a test): one line per step change instead of a redrawn table.
            var seen = new Dictionary<string, EngineStepState>(StringComparer.Ordinal);
            await foreach (var status in engine.WatchAsync(TimeSpan.FromMilliseconds(500), cancellationToken))
            {
                last = status;
                foreach (var step in status.Steps)
                {
                    if (seen.TryGetValue(step.Name, out var state) && state == step.State) continue;
                    seen[step.Name] = step.State;
                    if (step.State == EngineStepState.Pending) continue;
                    string output = step.OutputVersion is { } v ? $" -> v{v}" : step.OutputModel is { } m ? $" -> {m}" : "";
                    console.MarkupLineInterpolated($"  {step.Name}: {step.State}{output}{(step.ChildId is { } child && child != step.OutputModel ? $" ({child})" : "")}{Elapsed(step.StartedAt, step.EndedAt)}");
                }
            }

            console.Write(Steps(last));
            return last;
        }

        await console.Live(Steps(last)).AutoClear(false).StartAsync(async context =>
        {
            await foreach (var status in engine.WatchAsync(TimeSpan.FromMilliseconds(500), cancellationToken))
            {
                last = status;
                context.UpdateTarget(Steps(status));
            }
        });
        return last;
    }

    /// <summary>Every step: state, child, output, the child's own progress, and what it is doing.</summary>
    public static IRenderable Steps(EngineStatus status)
    {
        var table = new Table()
            .Title(Markup.Escape($"engine {status.EngineId}: {status.Dataset}{(status.InputVersion is { } v ? $"@{v}" : "")}, {status.Phase}{Elapsed(status.StartedAt, status.EndedAt)}"))
            .AddColumns("step", "state", "child", "output", "progress", "detail");
        foreach (var step in status.Steps)
        {
            string colour = step.State switch
            {
                EngineStepState.Completed => "green",
                EngineStepState.Running => "blue",
                EngineStepState.Failed => "red",
                EngineStepState.Skipped => "grey",
                _ => "default",
            };
            string output = step.OutputVersion is { } version ? $"v{version}" : step.OutputModel ?? "";
            table.AddRow(
                new Markup(Markup.Escape(step.Name)),
                new Markup($"[{colour}]{step.State}[/]"),
                new Markup(Markup.Escape(step.ChildId ?? "")),
                new Markup(Markup.Escape(output)),
                new Markup(Markup.Escape(Progress(step))),
                new Markup(Markup.Escape((step.Message ?? "") + Elapsed(step.StartedAt, step.EndedAt))));
        }

        return status.Message is { } message
            ? new Rows(table, new Markup($"[{(status.Phase == EnginePhase.Failed ? "red" : "yellow")}]{Markup.Escape(message)}[/]"))
            : table;
    }

    public static void PrintOutcome(IAnsiConsole console, EngineStatus status)
    {
        console.Write(Steps(status));
        if (status.Phase == EnginePhase.Failed) console.MarkupLineInterpolated($"Fix the cause, then run `ram engine watch {status.EngineId}` (embedded) or `ram engine start` again with --id {status.EngineId} and the same options: the run re-runs from the step that failed.");
    }

    /// <summary>Label quality per step and model quality per model, against the truth, on the held-out split.</summary>
    public static void PrintReport(IAnsiConsole console, EngineReport report)
    {
        if (report.Warning is { } warning)
        {
            foreach (var line in warning.Split(Environment.NewLine)) console.MarkupLineInterpolated($"[yellow]Warning: {line}[/]");
        }

        if (report.Trust is { } trust) PrintTrust(console, trust);
        if (!report.HasTruth)
        {
            console.MarkupLineInterpolated($"[yellow]{report.Message ?? "No truth to evaluate against."}[/]");
            return;
        }

        console.Write(LabelTable($"Label quality against the true labels ({report.Dataset}, {report.Split} split)", report.Labels));
        if (report.LabelsAllRows.Count > 0) console.Write(LabelTable($"Label quality against the true labels ({report.Dataset}, all rows)", report.LabelsAllRows));
        var models = new Table().Title(Markup.Escape($"Models against the true labels ({report.Split} split, each at its calibrated thresholds)"))
            .AddColumns("model", "rows", "mAP", "micro P", "micro R", "micro F1", "macro F1");
        foreach (var r in report.Models) models.AddRow(Markup.Escape(r.Name), N(r.Rows), P(r.Map), P(r.MicroPrecision), P(r.MicroRecall), P(r.MicroF1), P(r.MacroF1));
        console.Write(models);
        console.MarkupLineInterpolated($"[grey]Models: {string.Join(", ", report.Models.Select(r => $"{r.Name} = {r.Source}"))}[/]");
        if (report.UnknownTruthNames.Count > 0)
        {
            console.MarkupLineInterpolated($"[yellow]Truth names not in the vocabulary (ignored):[/] {string.Join(", ", report.UnknownTruthNames.OrderByDescending(p => p.Value).Take(10).Select(p => $"{p.Key} ({p.Value})"))}");
        }
    }

    private static Table LabelTable(string title, IReadOnlyList<EngineQualityRow> rows)
    {
        var table = new Table().Title(Markup.Escape(title))
            .AddColumns("labels", "version", "rows", "micro P", "micro R", "micro F1", "macro F1", "mAP", "added", "added P", "missed found", "removed", "removed true", "empty rows");
        foreach (var r in rows)
        {
            string version = r.Source[(r.Source.LastIndexOf('@') + 1)..];
            table.AddRow(
                Markup.Escape(r.Name), "v" + Markup.Escape(version), N(r.Rows), P(r.MicroPrecision), P(r.MicroRecall), P(r.MicroF1), P(r.MacroF1), P(r.Map),
                N(r.Added), Maybe(r.AddedPrecision), Maybe(r.MissedRecovered), N(r.Removed), Maybe(r.RemovedSupported), N(r.EmptyRows));
        }

        return table;
    }

    /// <summary>Where the run trusted its model, without truth: the gates' counts, why tags were left alone, the tags it changed most.</summary>
    private static void PrintTrust(IAnsiConsole console, EngineTrustSummary trust)
    {
        console.MarkupLineInterpolated(
            $"Trust gates ({(trust.Folds > 1 ? $"{trust.Folds}-fold cross-fitted judgments" : "no cross-fitting")}{(trust.Audit is { } audit ? $", caption recall from {audit}" : "")}): of {N(trust.TagsJudged)} tags the captions name, generation may add [green]{N(trust.TagsTrustedToAdd)}[/] and cleaning may remove from [green]{N(trust.TagsTrustedToClean)}[/]; every other tag stays as the captions say.");
        if (trust.AddAbstentions.Count > 0)
            console.MarkupLineInterpolated($"  generation abstains: {string.Join(", ", trust.AddAbstentions.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {N(p.Value)}"))}");
        if (trust.CleanAbstentions.Count > 0)
            console.MarkupLineInterpolated($"  cleaning abstains: {string.Join(", ", trust.CleanAbstentions.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {N(p.Value)}"))}");
        var table = new Table().Title("Tags the run changed most (then the best supported), with their gates")
            .AddColumns("tag", "support", "added", "removed", "caption recall", "est. add P", "threshold", "confirms", "add", "clean", "why not");
        foreach (var t in trust.Tags)
        {
            string why = string.Join("; ", new[] { t.Add ? null : "add: " + t.AddReason, t.Clean ? null : "clean: " + t.CleanReason }.OfType<string>());
            table.AddRow(
                Markup.Escape(t.Name), N(t.Support), N(t.Added), N(t.Removed), Maybe(t.CaptionRecall), P(t.AddPrecision),
                t.Threshold is { } th ? th.ToString("0.00", CultureInfo.InvariantCulture) : "-", P(t.ConfirmRate), t.Add ? "yes" : "no", t.Clean ? "yes" : "no", Markup.Escape(why));
        }

        console.Write(table);
        console.MarkupLineInterpolated($"[grey]Every tag's gate: {string.Join(", ", trust.GateFiles)}[/]");
    }

    private static string Maybe(double? value) => value is { } v ? P(v) : "-";

    private static string Progress(EngineStepStatus step)
    {
        if (step.Unit is null || step.Total <= 0) return "";
        const int width = 12;
        int filled = (int)Math.Clamp(step.Done * width / step.Total, 0, width);
        return string.Create(CultureInfo.InvariantCulture, $"{new string('#', filled)}{new string('.', width - filled)} {step.Done}/{step.Total} {step.Unit}");
    }

    private static string Elapsed(DateTimeOffset? start, DateTimeOffset? end)
    {
        if (start is not { } s) return "";
        var span = (end ?? TimeProvider.System.GetUtcNow()) - s;
        return string.Create(CultureInfo.InvariantCulture, $" ({span.TotalSeconds:0}s)");
    }

    private static string P(double value) => double.IsNaN(value) ? "-" : value.ToString("0.000", CultureInfo.InvariantCulture);

    private static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);
}
