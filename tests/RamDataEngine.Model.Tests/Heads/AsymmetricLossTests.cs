using RamDataEngine.Model.Heads;
using static TorchSharp.torch;

namespace RamDataEngine.Model.Tests.Heads;

public sealed class AsymmetricLossTests
{
    [Fact]
    public void Compute_SmallCase_MatchesHandComputedValue()
    {
        // gamma_neg 7, gamma_pos 0, clip 0.05:
        //  positive, x = 0:    -log(0.5)                                   = 0.693147
        //  negative, x = 2:    p = 0.880797, 1 - p + clip = 0.169203; -log(0.169203) * (1 - 0.169203)^7 = 1.776613 * 0.273196 = 0.485365
        //  negative, x = -1:   p = 0.268941, 1 - p + clip = 0.781059; -log(0.781059) * (0.218941)^7 = 0.247104 * 2.4116e-5 = 5.959e-6
        //  positive, x = 0.5:  -log(sigmoid(0.5)) = -log(0.622459)          = 0.474077
        using var logits = tensor(new float[] { 0, 2, -1, 0.5f }, [2, 2]);
        using var targets = tensor(new float[] { 1, 0, 0, 1 }, [2, 2]);

        using var loss = AsymmetricLoss.Compute(logits, targets);

        Assert.Equal(0.693147 + 0.485365 + 5.959e-6 + 0.474077, loss.item<float>(), 4);
    }

    [Fact]
    public void Compute_NegativeBelowClip_CostsNothing()
    {
        // p = sigmoid(-4) = 0.018 < clip 0.05: the shifted probability is 0.
        using var logits = tensor(new float[] { -4 }, [1, 1]);
        using var targets = zeros(1, 1);

        using var loss = AsymmetricLoss.Compute(logits, targets);

        Assert.Equal(0f, loss.item<float>(), 6);
    }

    [Fact]
    public void Compute_NoFocusingNoClip_EqualsBinaryCrossEntropySum()
    {
        using var logits = tensor(new float[] { 0.3f, -1.2f, 2.5f }, [1, 3]);
        using var targets = tensor(new float[] { 1, 0, 1 }, [1, 3]);
        var plain = new AsymmetricLossOptions { GammaNegative = 0, GammaPositive = 0, Clip = 0 };

        using var loss = AsymmetricLoss.Compute(logits, targets, plain);
        using var bce = nn.functional.binary_cross_entropy_with_logits(logits, targets, reduction: nn.Reduction.Sum);

        Assert.Equal(bce.item<float>(), loss.item<float>(), 5);
    }

    [Fact]
    public void Compute_Backward_GivesGradientOnLogits()
    {
        using var logits = tensor(new float[] { 0.5f, 1.5f }, [1, 2]).requires_grad_();
        using var targets = tensor(new float[] { 1, 0 }, [1, 2]);

        using var loss = AsymmetricLoss.Compute(logits, targets);
        loss.backward();

        var gradient = logits.grad!.data<float>().ToArray();
        Assert.True(gradient[0] < 0, "a positive's logit should be pushed up");
        Assert.True(gradient[1] > 0, "a negative's logit should be pushed down");
    }
}
