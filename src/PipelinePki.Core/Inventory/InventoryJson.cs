using System.Text.Json.Serialization;

namespace PipelinePki.Core.Inventory;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(string[]), TypeInfoPropertyName = "StringArray")]
[JsonSerializable(typeof(Requester))]
internal sealed partial class InventoryJson : JsonSerializerContext;
