using RamDataEngine.Contracts;
using RamDataEngine.Tagging;

namespace RamDataEngine.Grains.Parsing;

/// <summary>Stores the vocabulary and returns the spec of a parse campaign over a dataset version.</summary>
public static class ParsePlanner
{
    public static async Task<CampaignSpec> PlanAsync(
        VocabularyStore vocabularies, string dataset, TagVocabulary vocabulary, int? inputVersion = null, int maxInFlight = 8, CancellationToken cancellationToken = default)
    {
        string vocabularyId = await vocabularies.SaveAsync(vocabulary, cancellationToken).ConfigureAwait(false);
        return new CampaignSpec
        {
            Dataset = dataset,
            Kind = ParseStage.StageName,
            Stages = [ParseStage.StageName],
            InputVersion = inputVersion,
            MaxInFlight = maxInFlight,
            Config = new Dictionary<string, string> { [ParseStage.VocabularyKey] = vocabularyId },
        };
    }
}
