using RamDataEngine.Cli.Infrastructure;
using Spectre.Console;

namespace RamDataEngine.Cli.Tests.Infrastructure;

/// <summary>What a redirected stdout (a log, a pipe) receives from the console the CLI writes to.</summary>
public sealed class RamConsoleTests
{
    [Fact]
    public void Write_WideTableToRedirectedOutput_EveryRowOnOneLine()
    {
        var output = new StringWriter();
        var console = RamConsole.Create(output, redirected: true);
        var table = new Table().AddColumns(Enumerable.Range(0, 10).Select(c => $"column {c}").ToArray());
        for (int row = 0; row < 3; row++) table.AddRow(Enumerable.Range(0, 10).Select(c => $"row {row} cell {c} {new string('x', 20)}").ToArray());

        console.Write(table);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 3 + 4, output.ToString());
        for (int row = 0; row < 3; row++)
        {
            var line = Assert.Single(lines, l => l.Contains($"row {row} cell 0", StringComparison.Ordinal));
            Assert.Contains($"row {row} cell 9 {new string('x', 20)}", line);
        }
    }

    [Fact]
    public void Write_LongLineToRedirectedOutput_NotWrapped()
    {
        var output = new StringWriter();
        var console = RamConsole.Create(output, redirected: true);
        string text = string.Join(' ', Enumerable.Range(0, 60).Select(i => $"word{i}"));

        console.MarkupLine(Markup.Escape(text));

        Assert.Equal(text, output.ToString().TrimEnd('\n', '\r'));
    }

    [Fact]
    public void Write_RuleToRedirectedOutput_KeepsTheProfileWidth()
    {
        var output = new StringWriter();
        var console = RamConsole.Create(output, redirected: true);
        int width = console.Profile.Width;

        console.Write(new Rule("title"));

        Assert.Equal(width, output.ToString().TrimEnd('\n', '\r').Length);
    }
}
