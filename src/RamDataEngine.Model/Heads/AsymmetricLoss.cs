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
        using var scope = NewDisposeScope();
        var positive = sigmoid(logits);
        var negative = 1 - positive;
        if (options.Clip > 0) negative = (negative + options.Clip).clamp_max(1);
        var loss = (targets * positive.clamp_min(options.Epsilon).log()) + ((1 - targets) * negative.clamp_min(options.Epsilon).log());
        if (options.GammaNegative > 0 || options.GammaPositive > 0)
        {
            Tensor weight;
            using (no_grad())
            {
                var pt = (positive * targets) + (negative * (1 - targets));
                var gamma = (targets * options.GammaPositive) + ((1 - targets) * options.GammaNegative);
                weight = pow(1 - pt, gamma);
            }

            loss = loss * weight;
        }

        return (-loss.sum()).MoveToOuterDisposeScope();
    }
}
