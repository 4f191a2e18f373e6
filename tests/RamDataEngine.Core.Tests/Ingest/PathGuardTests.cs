using RamDataEngine.Core.Ingest;
using RamDataEngine.Testing;

namespace RamDataEngine.Core.Tests.Ingest;

public sealed class PathGuardTests : IDisposable
{
    private readonly TempDirectory _temp = new("ram-guard");
    private readonly string _base;

    public PathGuardTests()
    {
        _base = _temp.Combine("base");
        Directory.CreateDirectory(Path.Combine(_base, "a", "b"));
        File.WriteAllText(Path.Combine(_base, "a", "b", "x.png"), "x");
        File.WriteAllText(_temp.Combine("secret.png"), "s");
        Directory.CreateDirectory(Path.Combine(_base, "dir.png"));
        File.CreateSymbolicLink(Path.Combine(_base, "loop1"), "loop2");
        File.CreateSymbolicLink(Path.Combine(_base, "loop2"), "loop1");
        File.CreateSymbolicLink(Path.Combine(_base, "a", "chain"), Path.Combine("..", "hop"));
        File.CreateSymbolicLink(Path.Combine(_base, "hop"), Path.Combine("..", "secret.png"));
        File.CreateSymbolicLink(Path.Combine(_base, "a", "inner"), Path.Combine("b", "x.png"));
    }

    public void Dispose() => _temp.Dispose();

    [Theory]
    [InlineData("a/b/x.png")]
    [InlineData("a/./b/x.png")]
    [InlineData("a/b/../b/x.png")]
    [InlineData("a/inner")]
    public void Resolve_InsideTheFolder_Ok(string relative)
    {
        var outcome = new PathGuard(_base).Resolve(relative, out var path, out _);

        Assert.Equal(PathGuard.Outcome.Ok, outcome);
        Assert.EndsWith(Path.Combine("a", "b", "x.png"), path);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("/etc/passwd", "absolute")]
    [InlineData("~/x.png", "absolute")]
    [InlineData("../secret.png", "climbs out")]
    [InlineData("a/../../secret.png", "climbs out")]
    [InlineData("a\\b\\x.png", "backslash")]
    [InlineData("a/b/x.png\0.jpg", "control character")]
    [InlineData("a/chain", "symlink")]
    public void Resolve_Escapes_Invalid(string relative, string why)
    {
        var outcome = new PathGuard(_base).Resolve(relative, out _, out var problem);

        Assert.Equal(PathGuard.Outcome.Invalid, outcome);
        Assert.Contains(why, problem);
    }

    [Theory]
    [InlineData("nope.png")]
    [InlineData("dir.png")]
    [InlineData("loop1")]
    public void Resolve_NothingReadable_Missing(string relative)
    {
        Assert.Equal(PathGuard.Outcome.Missing, new PathGuard(_base).Resolve(relative, out _, out _));
    }

    [Fact]
    public void Resolve_VeryLongName_Invalid()
    {
        Assert.Equal(PathGuard.Outcome.Invalid, new PathGuard(_base).Resolve(new string('a', 5000), out _, out var problem));
        Assert.Contains("over the limit", problem);
    }
}
