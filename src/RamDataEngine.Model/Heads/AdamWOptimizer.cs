using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace RamDataEngine.Model.Heads;

/// <summary>
/// AdamW (Loshchilov and Hutter), as torch.optim.AdamW without amsgrad. Written here rather than using TorchSharp's
/// because that one builds implicit temporary scalars, which can be finalized during the native call that reads them
/// (a crash seen in Release builds); here every scalar lives in a variable until the step ends. Its state (step count,
/// first and second moments) is saved and loaded explicitly, for exact resumption.
/// </summary>
internal sealed class AdamWOptimizer : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _firstMoments;
    private readonly Tensor[] _secondMoments;
    private readonly double _learningRate;
    private readonly double _beta1;
    private readonly double _beta2;
    private readonly double _epsilon;
    private readonly double _weightDecay;

    public AdamWOptimizer(IEnumerable<Parameter> parameters, double learningRate, double weightDecay, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        _parameters = [.. parameters];
        _firstMoments = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _secondMoments = [.. _parameters.Select(p => zeros_like(p).DetachFromDisposeScope())];
        _learningRate = learningRate;
        _weightDecay = weightDecay;
        _beta1 = beta1;
        _beta2 = beta2;
        _epsilon = epsilon;
    }

    public long StepCount { get; private set; }

    public void Step()
    {
        StepCount++;
        double correction1 = 1 - Math.Pow(_beta1, StepCount);
        double correction2 = 1 - Math.Pow(_beta2, StepCount);
        using var decay = (1 - (_learningRate * _weightDecay)).ToScalar();
        using var beta1 = _beta1.ToScalar();
        using var oneMinusBeta1 = (1 - _beta1).ToScalar();
        using var beta2 = _beta2.ToScalar();
        using var oneMinusBeta2 = (1 - _beta2).ToScalar();
        using var sqrtCorrection2 = Math.Sqrt(correction2).ToScalar();
        using var epsilon = _epsilon.ToScalar();
        using var stepSize = (-_learningRate / correction1).ToScalar();
        using var noGrad = no_grad();
        for (int i = 0; i < _parameters.Length; i++)
        {
            using var scope = NewDisposeScope();
            var parameter = _parameters[i];
            var gradient = parameter.grad;
            if (gradient is null) continue;
            parameter.mul_(decay);
            _firstMoments[i].mul_(beta1).add_(gradient, oneMinusBeta1);
            _secondMoments[i].mul_(beta2).addcmul_(gradient, gradient, oneMinusBeta2);
            var denominator = _secondMoments[i].sqrt().div_(sqrtCorrection2).add_(epsilon, TorchOps.One);
            parameter.addcdiv_(_firstMoments[i], denominator, stepSize);
        }
    }

    public void Save(BinaryWriter writer)
    {
        writer.Write(StepCount);
        writer.Write(_parameters.Length);
        for (int i = 0; i < _parameters.Length; i++)
        {
            _firstMoments[i].Save(writer);
            _secondMoments[i].Save(writer);
        }
    }

    public void Load(BinaryReader reader)
    {
        long steps = reader.ReadInt64();
        int count = reader.ReadInt32();
        if (count != _parameters.Length) throw new InvalidDataException($"The optimizer state holds {count} parameters, the head has {_parameters.Length}.");
        for (int i = 0; i < count; i++)
        {
            _firstMoments[i].Load(reader);
            _secondMoments[i].Load(reader);
        }

        StepCount = steps;
    }

    public void Dispose()
    {
        foreach (var tensor in _firstMoments) tensor.Dispose();
        foreach (var tensor in _secondMoments) tensor.Dispose();
    }
}
