using RamDataEngine.Cli.Infrastructure;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Cli.Tests;

/// <summary>`ram datasets delete | expire | gc | verify` on the embedded default, and what a damaged file does to a campaign.</summary>
public sealed class DatasetsLifecycleCommandsTests : IDisposable
{
    private readonly TempDirectory _dir = new("cli-lifecycle");

    public void Dispose() => _dir.Dispose();

    private string Data => _dir.Combine("data");

    [Fact]
    public async Task DatasetsDelete_ThenIngestAgain_ReusesTheName()
    {
        await IngestAsync("good", 20);

        var (dry, dryOut) = await RamAppTests.RunAsync("datasets", "delete", "good", "--dry-run", "--data", Data);
        var (deleted, deleteOut) = await RamAppTests.RunAsync("datasets", "delete", "good", "--data", Data);
        var (_, list) = await RamAppTests.RunAsync("datasets", "list", "--data", Data);
        var (shown, _, showErr) = await RamAppTests.RunSplitAsync("datasets", "show", "good", "--data", Data);
        var (again, againOut) = await RamAppTests.RunAsync("ingest", _dir.Combine("src", "dataset.jsonl"), "--dataset", "good", "--rows-per-shard", "7", "--data", Data);

        Assert.True(dry == 0, dryOut);
        Assert.Matches(@"Would delete dataset 'good': 1 versions, \d+ files", dryOut);
        Assert.True(deleted == 0, deleteOut);
        Assert.Contains("The name can be used again", deleteOut);
        Assert.Contains("No datasets", list);
        Assert.Equal(ExitCodes.NotFound, shown);
        Assert.StartsWith("error: Dataset 'good'", showErr);
        Assert.True(again == 0, againOut);
        Assert.Contains("Committed good@1", againOut);
        Assert.Equal(3, (await Catalog().OpenAsync("good")).Shards);
    }

    [Fact]
    public async Task DatasetsVerify_DamagedShardFile_NamesItAndExitsDamaged()
    {
        await IngestAsync("checked", 12);
        var (ok, okOut) = await RamAppTests.RunAsync("datasets", "verify", "checked@1", "--data", Data);
        var entry = await Catalog().ReadShardsAsync(await Catalog().OpenAsync("checked", 1)).FirstAsync();
        string file = Path.Combine(Data, entry.Files[ShardFileKinds.Base].Path);
        var bytes = File.ReadAllBytes(file);
        bytes[bytes.Length / 2] ^= 0xFF;
        File.WriteAllBytes(file, bytes);

        var (code, output, error) = await RamAppTests.RunSplitAsync("datasets", "verify", "checked", "--data", Data);

        Assert.True(ok == 0, okOut);
        Assert.Matches(@"checked@1: all \d+ files \(.*\) match their checksums", okOut);
        Assert.Equal(ExitCodes.Damaged, code);
        Assert.Contains($"damaged: {entry.Files[ShardFileKinds.Base].Path}: checksum mismatch", output);
        Assert.StartsWith("error: checked@1: 1 of ", error);
    }

    [Fact]
    public async Task Parse_DamagedShardFile_FailsAtOnceWithoutRetriesAndTheHeadStays()
    {
        await IngestAsync("hurt", 12);
        var entry = await Catalog().ReadShardsAsync(await Catalog().OpenAsync("hurt", 1)).FirstAsync();
        string file = Path.Combine(Data, entry.Files[ShardFileKinds.Base].Path);
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..100]);

        var (code, output, error) = await RamAppTests.RunSplitAsync("parse", "hurt", "--vocab", "scenes", "--data", Data);

        Assert.Equal(ExitCodes.Failed, code);
        Assert.Contains("1 failed attempts", output);
        Assert.Contains("input damaged", error);
        Assert.Contains(entry.Files[ShardFileKinds.Base].Path, error);
        Assert.Equal(1, await Catalog().GetHeadVersionAsync("hurt"));
    }

    [Fact]
    public async Task DatasetsExpireAndGc_DryRunListsThenTheyCollectOnlyWhatNoKeptVersionUses()
    {
        await IngestAsync("aging", 12);
        Assert.Equal(0, (await RamAppTests.RunAsync("parse", "aging", "--vocab", "scenes", "--data", Data)).Code);
        Assert.Equal(0, (await RamAppTests.RunAsync("parse", "aging", "--vocab", "scenes", "--data", Data)).Code);
        string orphan = Path.Combine(Data, "datasets", "aging", "shards", "gone", "parse", "shard-000000.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(orphan)!);
        File.WriteAllText(orphan, "junk");

        var (gcDry, gcDryOut) = await RamAppTests.RunAsync("datasets", "gc", "aging", "--dry-run", "--min-age", "0s", "--data", Data);
        bool orphanAfterDryRun = File.Exists(orphan);
        var (young, youngOut) = await RamAppTests.RunAsync("datasets", "gc", "aging", "--data", Data);
        var (expireDry, expireDryOut) = await RamAppTests.RunAsync("datasets", "expire", "aging", "--keep", "1", "--dry-run", "--min-age", "0s", "--data", Data);
        var (expired, expireOut) = await RamAppTests.RunAsync("datasets", "expire", "aging", "--keep", "1", "--min-age", "0s", "--data", Data);
        var (verified, verifyOut) = await RamAppTests.RunAsync("datasets", "verify", "aging", "--data", Data);

        Assert.True(gcDry == 0, gcDryOut);
        Assert.Contains("Would collect 1 files", gcDryOut);
        Assert.Contains("datasets/aging/shards/gone/parse/shard-000000.parquet", gcDryOut);
        Assert.True(orphanAfterDryRun, "the dry run deleted nothing");
        Assert.True(young == 0, youngOut);
        Assert.Contains("Collected 0 files", youngOut);
        Assert.Contains("Kept 1 unreferenced files younger than the minimum age", youngOut);
        Assert.True(expireDry == 0, expireDryOut);
        Assert.Contains("Would expire v1, v2 of 'aging'; kept v3.", expireDryOut);
        Assert.True(expired == 0, expireOut);
        Assert.Contains("Expired v1, v2 of 'aging'; kept v3.", expireOut);
        Assert.Matches(@"Collected [1-9]\d* files", expireOut);
        Assert.False(File.Exists(orphan));
        Assert.True(verified == 0, verifyOut);
        Assert.Equal([3], await Catalog().ListVersionsAsync("aging").Select(v => v.Version).ToListAsync());
    }

    private async Task IngestAsync(string dataset, int rows)
    {
        if (!File.Exists(_dir.Combine("src", "dataset.jsonl"))) Assert.Equal(0, (await RamAppTests.RunAsync("generate", _dir.Combine("src"), "--count", $"{rows}", "--seed", "6")).Code);
        var (code, output) = await RamAppTests.RunAsync("ingest", _dir.Combine("src", "dataset.jsonl"), "--dataset", dataset, "--rows-per-shard", "4", "--data", Data);
        Assert.True(code == 0, output);
    }

    private DatasetCatalog Catalog() => new(new LocalFolderBlobStore(Data), TimeProvider.System);
}
