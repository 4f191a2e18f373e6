using System.ComponentModel.DataAnnotations;
using TorchSharp;
using static TorchSharp.torch;

namespace RamDataEngine.Model.Heads;

/// <summary>Parameters of the asymmetric loss; the defaults are RAM's (gamma_neg 7, gamma_pos 0, clip 0.05).</summary>
public sealed class AsymmetricLossOptions
{
    [Range(0, 20)]
    public double GammaNegative { get; set; } = 7;

    [Range(0, 20)]
    public double GammaPositive { get; set; }

    /// <summary>Probability margin shifted off negatives: an easy negative (p &lt; clip) costs nothing.</summary>
    [Range(0, 1)]
    public double Clip { get; set; } = 0.05;

    [Range(0, 1)]
    public double Epsilon { get; set; } = 1e-8;
}

/// <summary>
/// Asymmetric loss (Ridnik et al., ICCV 2021) as RAM uses it: for p = sigmoid(x), positives cost
/// (1 - p)^gamma_pos * -log p and negatives, with p_m = max(p - clip, 0), cost p_m^gamma_neg * -log(1 - p_m);
/// summed over batch and tags. As in the reference code the focusing weights carry no gradient.
/// </summary>
public static class AsymmetricLoss
{
    /// <summary>The summed loss (a scalar tensor) of <paramref name="logits"/> against 0/1 <paramref name="targets"/>, both [n, tags].</summary>
    public static Tensor Compute(Tensor logits, Tensor targets, AsymmetricLossOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(logits);
        ArgumentNullException.ThrowIfNull(targets);
        options ??= new AsymmetricLossOptions();

        // Scalars are held in variables and arithmetic goes through TorchOps: see there why.
        using var clip = options.Clip.ToScalar();
        using var epsilon = options.Epsilon.ToScalar();
        using var gammaPositive = options.GammaPositive.ToScalar();
        using var gammaNegative = options.GammaNegative.ToScalar();
        using var scope = NewDisposeScope();
        var positive = sigmoid(logits);
        var negative = positive.OneMinus();
        if (options.Clip > 0) negative = negative.Plus(clip).clamp_max(TorchOps.One);
        var notTargets = targets.OneMinus();
        var loss = targets.mul(positive.clamp_min(epsilon).log()).Plus(notTargets.mul(negative.clamp_min(epsilon).log()));
        if (options.GammaNegative > 0 || options.GammaPositive > 0)
        {
            Tensor weight;
            using (no_grad())
            {
                var pt = positive.mul(targets).Plus(negative.mul(notTargets));
                var gamma = targets.mul(gammaPositive).Plus(notTargets.mul(gammaNegative));
                weight = pt.OneMinus().pow(gamma);
            }

            loss = loss.mul(weight);
        }

        return loss.sum().neg().MoveToOuterDisposeScope();
    }
}
