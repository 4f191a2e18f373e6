using Spectre.Console;
using Spectre.Console.Rendering;

namespace RamDataEngine.Cli.Infrastructure;

/// <summary>The console every command writes to: the terminal at its own width, or a log that no table is wrapped in.</summary>
internal static class RamConsole
{
    /// <summary>The console for this process's standard output.</summary>
    public static IAnsiConsole Create() => Create(Console.Out, Console.IsOutputRedirected);

    /// <summary>
    /// A terminal keeps Spectre's width (the window's). Redirected output has no width: Spectre would assume 80 columns
    /// (or the width of a terminal the process still has) and wrap every wider table cell over several lines, which
    /// makes logs unreadable and ungreppable; so each renderable is written at its full natural width instead.
    /// </summary>
    public static IAnsiConsole Create(TextWriter output, bool redirected)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!redirected && ReferenceEquals(output, Console.Out)) return AnsiConsole.Console;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            // What Spectre decides by itself for a redirected stdout, made explicit so any writer standing for one gets the same.
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        return redirected ? new NaturalWidthConsole(console) : console;
    }
}

/// <summary>
/// Writes each renderable at the width it needs rather than at the profile's width. Renderables that fill whatever
/// width they get (a rule) have no natural width and keep the profile's.
/// </summary>
internal sealed class NaturalWidthConsole(IAnsiConsole inner) : IAnsiConsole
{
    /// <summary>Wider than any table the CLI draws; a measurement that reaches it means "fills the width".</summary>
    internal const int Unbounded = 1 << 16;

    private readonly Lock _gate = new();
    private readonly int _fallbackWidth = inner.Profile.Width;

    public Profile Profile => inner.Profile;

    public IAnsiConsoleCursor Cursor => inner.Cursor;

    public IAnsiConsoleInput Input => inner.Input;

    public IExclusivityMode ExclusivityMode => inner.ExclusivityMode;

    public RenderPipeline Pipeline => inner.Pipeline;

    public void Clear(bool home) => inner.Clear(home);

    public void Write(IRenderable renderable)
    {
        // Progress displays write from their own thread; the width is set per write, so writes take turns.
        lock (_gate)
        {
            int natural = renderable.Measure(RenderOptions.Create(inner, inner.Profile.Capabilities), Unbounded).Max;
            inner.Profile.Width = natural >= Unbounded ? _fallbackWidth : Math.Max(_fallbackWidth, natural);
            inner.Write(renderable);
        }
    }

    public void WriteAnsi(Action<AnsiWriter> action) => inner.WriteAnsi(action);
}
