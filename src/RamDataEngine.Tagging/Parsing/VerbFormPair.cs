namespace RamDataEngine.Tagging;

/// <summary>
/// Two tags of one vocabulary that name the same action: a verb's lemma and its -ing form (RAM's <c>sit</c> and
/// <c>sitting</c>). The parser yields both wherever a caption has either, in any form ("sits", "sat", "sitting").
/// </summary>
/// <param name="LemmaTagId">The tag named by the lemma (<c>sit</c>, <c>play tennis</c>).</param>
/// <param name="IngTagId">The tag named by its -ing form (<c>sitting</c>, <c>playing tennis</c>).</param>
public readonly record struct VerbFormPair(int LemmaTagId, int IngTagId);
