using RamDataEngine.Datasets.Shards;
using RamDataEngine.Storage;
using RamDataEngine.Testing;

namespace RamDataEngine.Datasets.Tests.Shards;

public sealed class ShardRoundTripTests : IDisposable
{
    private static readonly string[] BaseColumns = ["id", "source_key", "image", "image_uri", "captions", "source", "width", "height", "truth_labels", "truth_known"];
    private static readonly string[] FeatureColumns = ["id", "embedding", "region_embeddings", "region_count"];
    private static readonly string[] ParsedColumns = ["id", "parsed_tag_ids", "caption_tag_ids", "truncated"];
    private static readonly string[] LabelColumns =
        ["id", "tag_ids", "tag_scores", "parsed_tag_ids", "added_tag_ids", "added_scores", "removed_tag_ids", "removed_reasons", "removed_scores", "candidate_tag_ids", "candidate_scores"];

    private readonly TempDirectory _temp = new("ram-shards");
    private readonly LocalFolderBlobStore _store;
    private readonly ShardWriterOptions _smallGroups;

    public ShardRoundTripTests()
    {
        _store = new LocalFolderBlobStore(_temp.Combine("store"));
        _smallGroups = new ShardWriterOptions { RowGroupMaxRows = 40, TempDirectory = _temp.Combine("staging") };
    }

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task BaseShard_WriteThenRead_RoundTripsEveryColumnAcrossRowGroups()
    {
        var written = ShardTestData.Base(150);
        var info = await WriteAsync("datasets/d/shards/00000/base.parquet", written);

        var read = await ReadAllAsync<BaseShardBatch>(info, expectedGroups: 4);

        Assert.Equal(ShardTestData.Canonical(written), ShardTestData.Canonical(read));
        // The data really has the awkward cases in it.
        Assert.Contains(Enumerable.Range(0, written.Count), r => written.Images[r] is null);
        Assert.Contains(Enumerable.Range(0, written.Count), r => written.ImageUris[r] is not null && written.Images[r] is not null);
        Assert.Contains(Enumerable.Range(0, written.Count), r => written.Captions.LengthOf(r) == 0);
        Assert.Contains(Enumerable.Range(0, written.Count), r => written.TruthKnown[r] && written.TruthLabels.LengthOf(r) == 0);
    }

    [Fact]
    public async Task BaseShard_ReadByDuckDb_MatchesWhatWasWritten()
    {
        var written = ShardTestData.Base(150);
        var info = await WriteAsync("datasets/d/shards/00000/base.parquet", written);

        var duck = DuckDb.ReadParquet(FileOf(info), BaseColumns);

        Assert.Equal(ShardTestData.Canonical(written), ShardTestData.Canonical(duck));
        Assert.Contains(ShardTestData.UnicodeSample.Split(" | ")[2], string.Concat(duck.SelectMany(r => (List<object?>)r[4]!)));
    }

    [Fact]
    public async Task FeaturesShard_WriteThenRead_RoundTripsWithDimensionFromMetadata()
    {
        var written = ShardTestData.Features(120, dimension: 16);
        var metadata = new ShardProvenance(ModelId: "resnet18-onnx", CampaignId: "c1", Stage: "featurize").ToMetadata("resnet18-imagenet", 16);
        var info = await WriteAsync("datasets/d/layers/c1/featurize/00000.parquet", written, metadata);

        await using var reader = await ShardReader<FeaturesShardBatch>.OpenAsync(_store, info.Path, info.Sha256);
        Assert.Equal("16", reader.Metadata[ShardMetadataKeys.EmbeddingDimension]);
        Assert.Equal("resnet18-imagenet", reader.Metadata[ShardMetadataKeys.EncoderId]);
        Assert.Equal(new ShardProvenance("resnet18-onnx", "c1", "featurize"), reader.Provenance);
        var read = await ReadAllAsync<FeaturesShardBatch>(info, expectedGroups: 3);

        Assert.Equal(ShardTestData.Canonical(written), ShardTestData.Canonical(read));
        Assert.Equal(16, read.Dimension);
        int withRegions = Enumerable.Range(0, read.Count).First(r => read.RegionCounts[r] == 3);
        Assert.Equal(written.RegionEmbedding(withRegions, 2).ToArray(), read.RegionEmbedding(withRegions, 2).ToArray());
    }

    [Fact]
    public async Task FeaturesShard_ReadByDuckDb_MatchesWhatWasWritten()
    {
        var written = ShardTestData.Features(120, dimension: 16);
        var info = await WriteAsync("f.parquet", written, new ShardProvenance().ToMetadata("enc", 16));

        var duck = DuckDb.ReadParquet(FileOf(info), FeatureColumns);

        Assert.Equal(ShardTestData.Canonical(written), ShardTestData.Canonical(duck));
    }

    [Fact]
    public async Task ParsedTagsShard_WriteThenRead_RoundTripsNestedCaptionLists()
    {
        var written = ShardTestData.ParsedTags(130);
        var info = await WriteAsync("p.parquet", written);

        var read = await ReadAllAsync<ParsedTagsShardBatch>(info, expectedGroups: 4);

        Assert.Equal(ShardTestData.Canonical(written), ShardTestData.Canonical(read));
        Assert.Contains(Enumerable.Range(0, read.Count), r => read.CaptionTagIds.ListCount(r) == 0);
        Assert.Contains(Enumerable.Range(0, read.Count), r => read.CaptionTagIds.ListCount(r) > 1 && read.CaptionTagIds.Get(r, 0).IsEmpty);
    }

    [Fact]
    public async Task ParsedTagsShard_ReadByDuckDb_MatchesWhatWasWritten()
    {
        var written = ShardTestData.ParsedTags(130);
        var info = await WriteAsync("p.parquet", written);

        var duck = DuckDb.ReadParquet(FileOf(info), ParsedColumns);

        Assert.Equal(ShardTestData.Canonical(written), ShardTestData.Canonical(duck));
        Assert.Equal("INTEGER[][]", DuckDb.Scalar($"SELECT typeof(caption_tag_ids) FROM read_parquet('{FileOf(info)}') LIMIT 1"));
    }

    [Fact]
    public async Task LabelsShard_WriteThenRead_RoundTripsProvenanceColumns()
    {
        var written = ShardTestData.Labels(100);
        var metadata = new ShardProvenance("tagger-v3", "relabel-7", "clean", "ram-4585").ToMetadata();
        var info = await WriteAsync("l.parquet", written, metadata);

        var read = await ReadAllAsync<LabelsShardBatch>(info, expectedGroups: 3);

        Assert.Equal(ShardTestData.Canonical(written), ShardTestData.Canonical(read));
        await using var reader = await ShardReader<LabelsShardBatch>.OpenAsync(_store, info.Path);
        Assert.Equal(new ShardProvenance("tagger-v3", "relabel-7", "clean", "ram-4585"), reader.Provenance);
        Assert.Equal("labels", reader.Metadata[ShardMetadataKeys.Kind]);
    }

    [Fact]
    public async Task LabelsShard_ReadByDuckDb_MatchesWhatWasWritten()
    {
        var written = ShardTestData.Labels(100);
        var info = await WriteAsync("l.parquet", written);

        var duck = DuckDb.ReadParquet(FileOf(info), LabelColumns);

        Assert.Equal(ShardTestData.Canonical(written), ShardTestData.Canonical(duck));
        Assert.Equal(
            "ram.shard.kind=labels",
            DuckDb.Scalar($"SELECT decode(key) || '=' || decode(value) FROM parquet_kv_metadata('{FileOf(info)}') WHERE decode(key) = 'ram.shard.kind'"));
    }

    [Fact]
    public async Task EmptyShard_WriteThenRead_HasNoRowsAndOpensInDuckDb()
    {
        var info = await WriteAsync("empty.parquet", new LabelsShardBatch());

        Assert.Equal(0, info.Rows);
        await using var reader = await ShardReader<LabelsShardBatch>.OpenAsync(_store, info.Path, info.Sha256);
        Assert.Equal(0, reader.RowCount);
        await foreach (var _ in reader.ReadBatchesAsync()) Assert.Fail("An empty shard yields no batches.");
        Assert.Empty(await ShardFiles.ReadIdsAsync(_store, info.Path));
        Assert.Equal(0L, DuckDb.Scalar($"SELECT count(*) FROM read_parquet('{FileOf(info)}')"));
    }

    private async Task<ShardFileInfo> WriteAsync<TBatch>(string path, TBatch batch, IReadOnlyDictionary<string, string>? metadata = null)
        where TBatch : ShardBatch, new()
    {
        await using var writer = await ShardWriter<TBatch>.CreateAsync(_store, path, metadata, _smallGroups);
        await writer.WriteAsync(batch);
        return await writer.CompleteAsync();
    }

    private async Task<TBatch> ReadAllAsync<TBatch>(ShardFileInfo info, int expectedGroups)
        where TBatch : ShardBatch, new()
    {
        await using var reader = await ShardReader<TBatch>.OpenAsync(_store, info.Path, info.Sha256);
        Assert.Equal(info.Rows, reader.RowCount);
        Assert.Equal(expectedGroups, reader.RowGroupCount);
        var all = new TBatch();
        int batches = 0;
        await foreach (var batch in reader.ReadBatchesAsync())
        {
            batches++;
            Assert.InRange(batch.Count, 1, _smallGroups.RowGroupMaxRows);
            all.AppendRows(batch, 0, batch.Count);
        }

        Assert.Equal(expectedGroups, batches);
        return all;
    }

    private string FileOf(ShardFileInfo info) => Path.Combine(_store.Root, info.Path);
}
