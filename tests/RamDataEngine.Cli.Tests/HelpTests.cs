using RamDataEngine.Cli.Infrastructure;
using Spectre.Console.Cli;
using Spectre.Console.Cli.Help;
using Spectre.Console.Rendering;

namespace RamDataEngine.Cli.Tests;

/// <summary><c>--help</c> on every node of the real command tree, through the output path of a redirected stdout.</summary>
public sealed class HelpTests
{
    [Fact]
    public async Task Help_EveryCommandOfTheTree_ExitsZeroWithText()
    {
        var paths = await CommandPathsAsync();
        Assert.Contains(paths, p => p.SequenceEqual(["engine", "report"]));
        Assert.True(paths.Count > 20, $"Only {paths.Count} commands found in the tree.");

        var failures = new List<string>();
        foreach (var path in paths)
        {
            var output = new StringWriter();
            int code = await RamApp.RunAsync([.. path, "--help"], RamConsole.Create(output, redirected: true));
            string text = output.ToString();
            string name = string.Join(' ', ["ram", .. path]);
            if (code != 0 || string.IsNullOrWhiteSpace(text) || text.Contains("error:", StringComparison.Ordinal) || !text.Contains("USAGE:", StringComparison.Ordinal))
            {
                failures.Add($"{name} --help: exit {code}: {text.Trim()}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
    }

    [Fact]
    public async Task Help_DescriptionWithBrackets_ShownAsWritten()
    {
        var output = new StringWriter();

        int code = await RamApp.RunAsync(["engine", "report", "--help"], RamConsole.Create(output, redirected: true));

        Assert.Equal(0, code);
        Assert.Contains("""{"id": ROW_ID, "labels": [names]}""", output.ToString());
    }

    /// <summary>Every command and branch of the tree <see cref="RamApp"/> builds (the root as an empty path), read from its model.</summary>
    private static async Task<List<string[]>> CommandPathsAsync()
    {
        ICommandModel? model = null;
        await RamApp.Create(RamConsole.Create(new StringWriter(), redirected: true), help: _ => new ModelRecorder(m => model = m)).RunAsync(["--help"]);
        Assert.NotNull(model);
        var paths = new List<string[]> { Array.Empty<string>() };
        var pending = new Stack<(string[] Path, ICommandInfo Command)>(model.Commands.Select(c => (new[] { c.Name }, c)));
        while (pending.TryPop(out var next))
        {
            paths.Add(next.Path);
            foreach (var child in next.Command.Commands) pending.Push(([.. next.Path, child.Name], child));
        }

        return paths;
    }

    private sealed class ModelRecorder(Action<ICommandModel> record) : IHelpProvider
    {
        public IEnumerable<IRenderable> Write(ICommandModel model, ICommandInfo? command)
        {
            record(model);
            return [];
        }
    }
}
