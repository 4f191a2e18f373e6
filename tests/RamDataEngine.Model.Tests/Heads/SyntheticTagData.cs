using RamDataEngine.Core.Evaluation;

namespace RamDataEngine.Model.Tests.Heads;

/// <summary>
/// A small separable tagging problem: each tag has a prototype vector; an image carrying a tag shows that prototype in
/// one random region token, and its global token is the mean of the regions, plus noise everywhere.
/// </summary>
internal static class SyntheticTagData
{
    public const int Tags = 6;
    public const int Dimension = 16;
    public const int Regions = 4;

    public static (ImageFeatures Features, LabelMatrix Labels) Create(int count, int seed, bool randomLabels = false)
    {
        var prototypes = new Random(1234); // the same tags in every split
        var protos = new float[Tags][];
        for (int t = 0; t < Tags; t++)
        {
            protos[t] = new float[Dimension];
            for (int d = 0; d < Dimension; d++) protos[t][d] = (float)((prototypes.NextDouble() * 2) - 1) * 2;
        }

        var random = new Random(seed);
        var features = new ImageFeatures(count, Regions, Dimension);
        var rows = new List<int[]>();
        for (int i = 0; i < count; i++)
        {
            var tags = Enumerable.Range(0, Tags).Where(_ => random.NextDouble() < 0.3).ToArray();
            for (int r = 0; r < Regions; r++)
            {
                var region = features.Region(i, r);
                for (int d = 0; d < Dimension; d++) region[d] = (float)(random.NextDouble() - 0.5);
            }

            foreach (var t in tags)
            {
                var region = features.Region(i, random.Next(Regions));
                for (int d = 0; d < Dimension; d++) region[d] += protos[t][d];
            }

            var global = features.Global(i);
            for (int r = 0; r < Regions; r++)
            {
                var region = features.Region(i, r);
                for (int d = 0; d < Dimension; d++) global[d] += region[d] / Regions;
            }

            rows.Add(randomLabels ? [.. Enumerable.Range(0, Tags).Where(_ => random.NextDouble() < 0.3)] : tags);
        }

        return (features, LabelMatrix.FromRows(Tags, rows));
    }
}
