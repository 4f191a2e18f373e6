using Spectre.Console;
using Spectre.Console.Cli;
using Spectre.Console.Cli.Help;

namespace RamDataEngine.Cli.Infrastructure;

/// <summary>
/// Spectre's help, with every command, argument and option description shown as plain text. Spectre renders
/// descriptions as markup, so a text such as <c>NAME[@VERSION]</c> or <c>{"labels": [names]}</c> made <c>--help</c> fail
/// ("Could not find color or style"); here the texts are escaped once, where help is rendered, instead of in each text.
/// </summary>
internal sealed class PlainTextHelpProvider(ICommandAppSettings settings) : HelpProvider(settings)
{
    public override IEnumerable<Spectre.Console.Rendering.IRenderable> Write(ICommandModel model, ICommandInfo? command)
    {
        var escaped = new EscapedModel(model);
        return base.Write(escaped, command is null ? null : escaped.Find(command));
    }

    private static string? Escape(string? text) => text is null ? null : Markup.Escape(text);

    /// <summary>The command tree with the same shape and escaped descriptions; each command is wrapped once, so parents match.</summary>
    private sealed class EscapedModel : ICommandModel
    {
        private readonly ICommandModel _model;
        private readonly Dictionary<ICommandInfo, EscapedCommand> _wrapped = new(ReferenceEqualityComparer.Instance);

        public EscapedModel(ICommandModel model)
        {
            _model = model;
            Commands = model.Commands.Select(c => Wrap(c, null)).ToList();
            DefaultCommand = model.DefaultCommand is { } d ? Find(d) : null;
        }

        public string ApplicationName => _model.ApplicationName;

        public string? ApplicationVersion => _model.ApplicationVersion;

        public IReadOnlyList<string[]> Examples => _model.Examples;

        public IReadOnlyList<ICommandInfo> Commands { get; }

        public ICommandInfo? DefaultCommand { get; }

        public ICommandInfo Find(ICommandInfo original) => _wrapped.TryGetValue(original, out var wrapped) ? wrapped : Wrap(original, original.Parent is { } p ? Find(p) : null);

        private EscapedCommand Wrap(ICommandInfo original, ICommandInfo? parent)
        {
            var wrapped = new EscapedCommand(original, parent);
            _wrapped[original] = wrapped;
            wrapped.Commands = original.Commands.Select(c => Wrap(c, wrapped)).ToList();
            wrapped.DefaultCommand = original.DefaultCommand is { } d ? Find(d) : null;
            return wrapped;
        }
    }

    private sealed class EscapedCommand(ICommandInfo original, ICommandInfo? parent) : ICommandInfo
    {
        public string Name => original.Name;

        public string? Description { get; } = Escape(original.Description);

        public bool IsBranch => original.IsBranch;

        public bool IsDefaultCommand => original.IsDefaultCommand;

        public bool IsHidden => original.IsHidden;

        public IReadOnlyList<ICommandParameter> Parameters { get; } = original.Parameters.Select(EscapeParameter).ToList();

        public ICommandInfo? Parent => parent;

        public IReadOnlyList<string[]> Examples => original.Examples;

        public IReadOnlyList<ICommandInfo> Commands { get; set; } = [];

        public ICommandInfo? DefaultCommand { get; set; }

        private static ICommandParameter EscapeParameter(ICommandParameter parameter) => parameter switch
        {
            ICommandOption option => new EscapedOption(option),
            ICommandArgument argument => new EscapedArgument(argument),
            _ => parameter,
        };
    }

    private sealed class EscapedOption(ICommandOption original) : ICommandOption
    {
        public IReadOnlyList<string> LongNames => original.LongNames;

        public IReadOnlyList<string> ShortNames => original.ShortNames;

        public string? ValueName => original.ValueName;

        public bool ValueIsOptional => original.ValueIsOptional;

        public bool IsFlag => original.IsFlag;

        public bool IsRequired => original.IsRequired;

        public string? Description { get; } = Escape(original.Description);

        public System.ComponentModel.DefaultValueAttribute? DefaultValue => original.DefaultValue;

        public bool IsHidden => original.IsHidden;
    }

    private sealed class EscapedArgument(ICommandArgument original) : ICommandArgument
    {
        public string Value => original.Value;

        public int Position => original.Position;

        public bool IsFlag => original.IsFlag;

        public bool IsRequired => original.IsRequired;

        public string? Description { get; } = Escape(original.Description);

        public System.ComponentModel.DefaultValueAttribute? DefaultValue => original.DefaultValue;

        public bool IsHidden => original.IsHidden;
    }
}
