namespace RamDataEngine.Tagging;

/// <summary>What kind of thing a tag names, where known (RAM's own files do not say).</summary>
public enum TagCategory
{
    Unknown = 0,
    Object = 1,
    Scene = 2,
    Attribute = 3,
    Action = 4,
}
