namespace RamDataEngine.Core.Tests.Cleaning;

/// <summary>Seeded point clouds for the cleaning tests.</summary>
internal sealed class CleaningTestData(int seed)
{
    private readonly Random _random = new(seed);

    public double Gaussian()
    {
        // Box-Muller: two uniforms in (0, 1] give one standard normal.
        var u1 = 1.0 - _random.NextDouble();
        var u2 = _random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>A random unit direction in dim dimensions.</summary>
    public float[] Direction(int dim)
    {
        var v = new float[dim];
        double norm = 0;
        for (var i = 0; i < dim; i++)
        {
            v[i] = (float)Gaussian();
            norm += v[i] * v[i];
        }

        for (var i = 0; i < dim; i++) v[i] = (float)(v[i] / Math.Sqrt(norm));
        return v;
    }

    /// <summary>Appends count points centre + N(0, sigma^2) per component.</summary>
    public void AddBlob(List<float> points, float[] centre, int count, double sigma)
    {
        for (var p = 0; p < count; p++)
        {
            foreach (var c in centre) points.Add((float)(c + (sigma * Gaussian())));
        }
    }

    /// <summary>Appends count random unit directions (far, in angle, from any blob in a high enough dim).</summary>
    public void AddNoise(List<float> points, int dim, int count)
    {
        for (var p = 0; p < count; p++) points.AddRange(Direction(dim));
    }
}
