using RamDataEngine.Datasets.Shards;
using RamDataEngine.Datasets.Versions;
using RamDataEngine.Grains.Datasets;
using RamDataEngine.Grains.Parsing;
using RamDataEngine.Storage;
using RamDataEngine.Tagging;
using RamDataEngine.Testing;

namespace RamDataEngine.Grains.Tests.Datasets;

/// <summary><see cref="LabelDiff"/> over versions with real parsed and labels layers committed through the catalog.</summary>
public sealed class LabelDiffTests : IAsyncLifetime
{
    private const int Cat = 0, Dog = 1, Tree = 2, Car = 3;
    private static readonly TagVocabulary Vocabulary = new([new TagEntry(Cat, "cat", []), new TagEntry(Dog, "dog", []), new TagEntry(Tree, "tree", []), new TagEntry(Car, "car", [])]);

    private readonly TempDirectory _dir = new("label-diff");
    private DatasetCatalog _catalog = null!;

    public async Task InitializeAsync()
    {
        var store = new LocalFolderBlobStore(_dir.Path);
        _catalog = new DatasetCatalog(store, TimeProvider.System);
        await new VocabularyStore(store).SaveAsync(Vocabulary);

        // v1: parsed tags only. Shard 0 holds rows 0-2, shard 1 rows 3-6.
        var v1 = new LabelVersions(_catalog, "d", Vocabulary.Id);
        await v1.ParsedAsync(0, (0, [Cat, Dog]), (1, [Cat]), (2, [Tree]));
        await v1.ParsedAsync(1, (3, [Dog, Car]), (4, []), (5, [Cat, Tree]), (6, [Car]));
        await v1.CommitAsync(parent: null);

        // v2: a labels layer by model m1 over both shards, and a new shard 2 (row 7, only in v2).
        var v2 = new LabelVersions(_catalog, "d", Vocabulary.Id);
        await v2.LabelsAsync(0, "m1",
            new LabelRow(0, [Cat, Tree], [Cat, Dog], Added: [(Tree, 0.8f)], Removed: [(Dog, "model-disagrees")]),
            new LabelRow(1, [Cat, Dog], [Cat], Added: [(Dog, 0.6f)]),
            new LabelRow(2, [], [Tree], Removed: [(Tree, "outlier")]));
        await v2.LabelsAsync(1, "m1",
            new LabelRow(3, [Dog, Car, Tree], [Dog, Car], Added: [(Tree, 0.9f)]),
            new LabelRow(4, [Cat], [Cat]), // re-parsed: the caption now names a cat
            new LabelRow(5, [Cat], [Cat, Tree]), // tree dropped without a reason (a threshold change)
            new LabelRow(6, [Car], [Car]));
        await v2.LabelsAsync(2, "m1", new LabelRow(7, [Dog], [Dog]));
        await v2.CommitAsync(parent: 1);
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task CompareAsync_ParsedToLabels_CountsEachTagByRuleFromBsProvenance()
    {
        var diff = await LabelDiff.CompareAsync(_catalog, await _catalog.OpenAsync("d", 1), await _catalog.OpenAsync("d", 2));

        Assert.Equal(("parsed", "labels"), (diff.ASource, diff.BSource));
        Assert.Equal(Vocabulary.Id, diff.VocabularyId);
        Assert.Equal(7, diff.RowsCompared);
        Assert.Equal(6, diff.RowsChanged);
        Assert.Equal(0, diff.RowsOnlyInA);
        Assert.Equal(1, diff.RowsOnlyInB);
        Assert.Equal((4, 3), (diff.Added, diff.Removed));
        Assert.Equal(["tree", "dog", "cat"], diff.Tags.Select(t => t.Name));

        var tree = diff.Tags[0];
        Assert.Equal((2, 2), (tree.Added, tree.Removed));
        var model = Assert.Single(tree.AddedBy);
        Assert.Equal(("model:m1", 2), (model.Rule, model.Count));
        Assert.Equal(0.85, model.MeanScore!.Value, 5);
        Assert.Equal([("not-kept", 1L), ("outlier", 1L)], tree.RemovedBy.Select(r => (r.Rule, r.Count)));
        Assert.All(tree.RemovedBy, r => Assert.Null(r.MeanScore));

        var dog = diff.Tags[1];
        Assert.Equal(("model:m1", 1L, (double?)0.6f), (dog.AddedBy[0].Rule, dog.AddedBy[0].Count, dog.AddedBy[0].MeanScore));
        Assert.Equal(("model-disagrees", 1L), (Assert.Single(dog.RemovedBy).Rule, dog.RemovedBy[0].Count));

        var cat = diff.Tags[2];
        Assert.Equal((1, 0), (cat.Added, cat.Removed));
        Assert.Equal(("caption", 1L, (double?)null), (cat.AddedBy[0].Rule, cat.AddedBy[0].Count, cat.AddedBy[0].MeanScore));

        Assert.Equal([("model:m1", 3L), ("caption", 1L)], diff.AddedBy.Select(r => (r.Rule, r.Count)));
        Assert.Equal([("model-disagrees", 1L), ("not-kept", 1L), ("outlier", 1L)], diff.RemovedBy.Select(r => (r.Rule, r.Count)));
        Assert.Null(diff.Tag);
        Assert.Empty(diff.TagRows);
    }

    [Fact]
    public async Task CompareAsync_LabelsBackToParsed_AttributesToCaptionAndNotKept()
    {
        var diff = await LabelDiff.CompareAsync(_catalog, await _catalog.OpenAsync("d", 2), await _catalog.OpenAsync("d", 1));

        Assert.Equal((1, 0), (diff.RowsOnlyInA, diff.RowsOnlyInB));
        Assert.Equal((3, 4), (diff.Added, diff.Removed));
        Assert.Equal([("caption", 3L)], diff.AddedBy.Select(r => (r.Rule, r.Count)));
        Assert.Equal([("not-kept", 4L)], diff.RemovedBy.Select(r => (r.Rule, r.Count)));
        var tree = diff.Tags.Single(t => t.Name == "tree");
        Assert.Equal((2, 2), (tree.Added, tree.Removed));
    }

    [Fact]
    public async Task CompareAsync_Tag_ListsItsChangedRowsWithRuleAndScore()
    {
        var diff = await LabelDiff.CompareAsync(_catalog, await _catalog.OpenAsync("d", 1), await _catalog.OpenAsync("d", 2), tag: "tree");

        Assert.NotNull(diff.Tag);
        Assert.Equal("tree", diff.Tag.Name);
        Assert.Equal(
            [
                new RowLabelChange(0, LabelChangeKind.Added, "model:m1", 0.8f),
                new RowLabelChange(2, LabelChangeKind.Removed, "outlier", null),
                new RowLabelChange(3, LabelChangeKind.Added, "model:m1", 0.9f),
                new RowLabelChange(5, LabelChangeKind.Removed, "not-kept", null),
            ],
            diff.TagRows);
    }

    [Fact]
    public async Task CompareAsync_UnchangedTag_ReportsZeroChanges()
    {
        var diff = await LabelDiff.CompareAsync(_catalog, await _catalog.OpenAsync("d", 1), await _catalog.OpenAsync("d", 2), tag: "car");

        Assert.Equal((0L, 0L), (diff.Tag!.Added, diff.Tag.Removed));
        Assert.Empty(diff.TagRows);
        Assert.DoesNotContain(diff.Tags, t => t.Name == "car");
    }

    [Fact]
    public async Task CompareAsync_TwoDatasetsSharingRowIds_CountsRowsOnlyInOne()
    {
        var other = new LabelVersions(_catalog, "e", Vocabulary.Id);
        await other.LabelsAsync(0, "m2", new LabelRow(0, [Cat, Dog], [Cat, Dog]), new LabelRow(1, [], [Cat], Removed: [(Cat, "outlier")]), new LabelRow(99, [Car], [Car]));
        await other.CommitAsync(parent: null);

        var diff = await LabelDiff.CompareAsync(_catalog, await _catalog.OpenAsync("d", 2), await _catalog.OpenAsync("e", 1));

        Assert.Equal((2, 6, 1), (diff.RowsCompared, diff.RowsOnlyInA, diff.RowsOnlyInB));
        Assert.Equal(2, diff.RowsChanged);
        // Row 0: dog from the caption, tree gone without a reason; row 1: dog gone without a reason, cat removed as an outlier.
        Assert.Equal([("caption", 1L)], diff.AddedBy.Select(r => (r.Rule, r.Count)));
        Assert.Equal([("not-kept", 2L), ("outlier", 1L)], diff.RemovedBy.Select(r => (r.Rule, r.Count)));
    }

    [Fact]
    public async Task CompareAsync_DifferentVocabularies_ThrowsNamingBoth()
    {
        var other = new LabelVersions(_catalog, "f", "other-vocabulary");
        await other.ParsedAsync(0, (0, [Cat]));
        await other.CommitAsync(parent: null);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await LabelDiff.CompareAsync(_catalog, await _catalog.OpenAsync("d", 1), await _catalog.OpenAsync("f", 1)));

        Assert.Contains("other-vocabulary", e.Message);
        Assert.Contains(Vocabulary.Id, e.Message);
    }

    [Fact]
    public async Task CompareAsync_UnknownTag_ThrowsNamingIt()
    {
        var e = await Assert.ThrowsAsync<ArgumentException>(async () =>
            await LabelDiff.CompareAsync(_catalog, await _catalog.OpenAsync("d", 1), await _catalog.OpenAsync("d", 2), tag: "zebra"));

        Assert.Contains("'zebra'", e.Message);
    }
}

/// <summary>One row of a labels layer written by a test.</summary>
internal sealed record LabelRow(long Id, int[] Tags, int[] Parsed, (int Tag, float Score)[]? Added = null, (int Tag, string Reason)[]? Removed = null);

/// <summary>Writes shards' parsed or labels layers (with a placeholder base file: the diff never reads it) and commits them as a version.</summary>
internal sealed class LabelVersions(DatasetCatalog catalog, string dataset, string vocabularyId)
{
    private readonly List<ShardEntry> _shards = [];

    public async Task ParsedAsync(int shardId, params (long Id, int[] Tags)[] rows)
    {
        var batch = new ParsedTagsShardBatch();
        foreach (var (id, tags) in rows) batch.Add(id, tags, tags, [tags.Length]);
        var file = await WriteAsync(batch, shardId, "parsed", new ShardProvenance(Stage: "parse", VocabularyId: vocabularyId));
        _shards.Add(Entry(shardId, rows.Length).WithLayer(ShardFileKinds.Parsed, file));
    }

    public async Task LabelsAsync(int shardId, string modelId, params LabelRow[] rows)
    {
        var batch = new LabelsShardBatch();
        foreach (var row in rows)
        {
            var added = row.Added ?? [];
            var removed = row.Removed ?? [];
            batch.Add(row.Id, row.Tags, row.Tags.Select(_ => 1f).ToArray(), row.Parsed,
                added.Select(a => a.Tag).ToArray(), added.Select(a => a.Score).ToArray(), removed.Select(r => r.Tag).ToArray(), removed.Select(r => r.Reason).ToArray(),
                removed.Select(_ => 0.1f).ToArray());
        }

        var file = await WriteAsync(batch, shardId, "labels", new ShardProvenance(ModelId: modelId, Stage: "clean", VocabularyId: vocabularyId));
        _shards.Add(Entry(shardId, rows.Length).WithLayer(ShardFileKinds.Labels, file));
    }

    public Task<VersionRoot> CommitAsync(int? parent) => catalog.CommitAsync(new DatasetCommit
    {
        Dataset = dataset,
        ParentVersion = parent,
        Lineage = new VersionLineage { Operation = "test" },
        Shards = _shards,
    });

    private ShardEntry Entry(int shardId, int rows) => new()
    {
        ShardId = shardId,
        Rows = rows,
        Files = new Dictionary<string, ShardFileRef> { [ShardFileKinds.Base] = new($"base/{dataset}/{shardId}.parquet", new string('a', 64), 1, rows) },
    };

    private async Task<ShardFileRef> WriteAsync<TBatch>(TBatch batch, int shardId, string stage, ShardProvenance provenance)
        where TBatch : ShardBatch, new()
    {
        string path = DatasetPaths.ShardFile(dataset, $"test-{Guid.NewGuid():N}", stage, shardId);
        await using var writer = await ShardWriter<TBatch>.CreateAsync(catalog.Store, path, provenance.ToMetadata());
        await writer.WriteAsync(batch);
        var info = await writer.CompleteAsync();
        return new ShardFileRef(info.Path, info.Sha256, info.Bytes, info.Rows);
    }
}
