using System.Text.Json;
using System.Text.RegularExpressions;

namespace PipelinePki.Core.Signing;

/// <summary>
/// Container images are signed by digest, no registry needed: the signed artifact is a small
/// payload in the "simple signing" shape cosign and Red Hat's containers tooling use
/// (<c>critical.image.docker-manifest-digest</c>, <c>critical.identity.docker-reference</c>), so
/// the signature says which image it is for and a later stage can compare digests.
/// </summary>
public static partial class ImageDigestPayload
{
    public const string PayloadType = "cosign container image signature";

    public static string Normalize(string digest)
    {
        var match = DigestPattern().Match(digest.Trim());
        return match.Success
            ? (match.Groups[1].Success
                ? $"sha256:{match.Groups[2].Value.ToLowerInvariant()}"
                : $"sha512:{match.Groups[4].Value.ToLowerInvariant()}")
            : throw new UsageException($"--digest: '{digest}' is not an OCI digest; write sha256:<64 hex digits> (as 'docker buildx imagetools inspect' or 'skopeo inspect' print it).");
    }

    /// <summary>The payload file name for a digest: <c>sha256-HEX.payload.json</c>.</summary>
    public static string FileNameFor(string digest) => Normalize(digest).Replace(':', '-') + ".payload.json";

    public static byte[] Create(string digest, string? reference)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartObject("critical");
            json.WriteStartObject("identity");
            json.WriteString("docker-reference", reference ?? string.Empty);
            json.WriteEndObject();
            json.WriteStartObject("image");
            json.WriteString("docker-manifest-digest", Normalize(digest));
            json.WriteEndObject();
            json.WriteString("type", PayloadType);
            json.WriteEndObject();
            json.WriteNull("optional");
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads the digest and reference a payload names; malformed → <see cref="BadInputException"/>.</summary>
    public static (string Digest, string Reference) Read(byte[] payload, string source)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var critical = document.RootElement.GetProperty("critical");
            if (critical.GetProperty("type").GetString() != PayloadType)
            {
                throw new BadInputException($"{source}: not a container image signature payload (type is not '{PayloadType}').");
            }

            return (
                Normalize(critical.GetProperty("image").GetProperty("docker-manifest-digest").GetString() ?? string.Empty),
                critical.GetProperty("identity").GetProperty("docker-reference").GetString() ?? string.Empty);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or UsageException)
        {
            throw new BadInputException($"{source}: malformed image signature payload ({e.Message}).", e);
        }
    }

    [GeneratedRegex("^(?:(sha256):([0-9a-fA-F]{64})|(sha512):([0-9a-fA-F]{128}))$")]
    private static partial Regex DigestPattern();
}
