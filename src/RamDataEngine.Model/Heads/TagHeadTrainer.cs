using RamDataEngine.Core.Evaluation;

namespace RamDataEngine.Model.Heads;

/// <summary>One-call training: runs a <see cref="TagHeadTrainingSession"/> to the end and returns the best head.</summary>
public static class TagHeadTrainer
{
    public static (TagHead Head, IReadOnlyList<TagHeadEpochResult> History) Train(
        TagHeadTrainingOptions options,
        ImageFeatures features,
        LabelMatrix labels,
        string? encoderId = null,
        CancellationToken cancellationToken = default)
    {
        using var session = TagHeadTrainingSession.Start(options, features, labels, encoderId);
        session.RunToEnd(cancellationToken);
        return (session.BestHead(), session.History);
    }
}
