using System.Buffers;
using System.Text.Json;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Validation;

namespace PipelinePki.Cli.Output;

/// <summary>
/// <c>cert verify --format json</c> written directly with a <see cref="Utf8JsonWriter"/>. The document is
/// exactly what <see cref="CliJson"/> produces for <see cref="VerificationOutcome"/> (a test holds the two
/// byte-identical), without building serializer metadata: that step reads attributes through reflection
/// and cost a millisecond of every verification gate, which pipelines run at every stage.
/// </summary>
internal static class VerificationJson
{
    public static string Serialize(VerificationOutcome outcome)
    {
        var buffer = new ArrayBufferWriter<byte>(8192);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            Write(writer, outcome);
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Write(Utf8JsonWriter writer, VerificationOutcome outcome)
    {
        writer.WriteStartObject();
        writer.WriteBoolean("isValid", outcome.IsValid);
        writer.WriteStartArray("path");
        foreach (var certificate in outcome.Path)
        {
            Write(writer, certificate);
        }

        writer.WriteEndArray();
        WriteChecks(writer, "checks", outcome.Checks);
        writer.WriteNumber("candidatePaths", outcome.CandidatePaths);
        WriteStrings(writer, "validPolicies", outcome.ValidPolicies);
        WriteChecks(writer, "failures", outcome.Failures);
        writer.WriteEndObject();
    }

    private static void Write(Utf8JsonWriter writer, CertificateInfo certificate)
    {
        writer.WriteStartObject();
        WriteIfPresent(writer, "subject", certificate.Subject);
        WriteIfPresent(writer, "issuer", certificate.Issuer);
        WriteIfPresent(writer, "serial", certificate.Serial);
        writer.WriteString("notBefore", certificate.NotBefore);
        writer.WriteString("notAfter", certificate.NotAfter);
        WriteIfPresent(writer, "keyType", certificate.KeyType);
        WriteIfPresent(writer, "signatureAlgorithm", certificate.SignatureAlgorithm);
        WriteStrings(writer, "subjectAlternativeNames", certificate.SubjectAlternativeNames);
        writer.WriteBoolean("isCertificateAuthority", certificate.IsCertificateAuthority);
        if (certificate.PathLengthConstraint is { } pathLength)
        {
            writer.WriteNumber("pathLengthConstraint", pathLength);
        }

        WriteStrings(writer, "keyUsage", certificate.KeyUsage);
        WriteStrings(writer, "extendedKeyUsage", certificate.ExtendedKeyUsage);
        WriteIfPresent(writer, "subjectKeyIdentifier", certificate.SubjectKeyIdentifier);
        WriteIfPresent(writer, "authorityKeyIdentifier", certificate.AuthorityKeyIdentifier);
        WriteStrings(writer, "crlDistributionPoints", certificate.CrlDistributionPoints);
        WriteStrings(writer, "authorityInformationAccess", certificate.AuthorityInformationAccess);
        WriteStrings(writer, "permittedNames", certificate.PermittedNames);
        writer.WriteBoolean("selfSigned", certificate.SelfSigned);
        WriteIfPresent(writer, "sha256Fingerprint", certificate.Sha256Fingerprint);
        writer.WriteEndObject();
    }

    private static void WriteChecks(Utf8JsonWriter writer, string name, IEnumerable<CheckResult> checks)
    {
        writer.WriteStartArray(name);
        foreach (var check in checks)
        {
            writer.WriteStartObject();
            WriteIfPresent(writer, "check", check.Check);
            writer.WriteString("status", StatusName(check.Status));
            WriteIfPresent(writer, "detail", check.Detail);
            if (check.PathIndex is { } index)
            {
                writer.WriteNumber("pathIndex", index);
            }

            WriteIfPresent(writer, "subject", check.Subject);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    /// <summary>The serializer's string enum converter writes the member name as declared.</summary>
    private static string StatusName(CheckStatus status) => status switch
    {
        CheckStatus.Passed => nameof(CheckStatus.Passed),
        CheckStatus.Failed => nameof(CheckStatus.Failed),
        CheckStatus.Skipped => nameof(CheckStatus.Skipped),
        CheckStatus.Warning => nameof(CheckStatus.Warning),
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "a check status this document does not know"),
    };

    private static void WriteStrings(Utf8JsonWriter writer, string name, IReadOnlyList<string>? values)
    {
        if (values is null)
        {
            return;
        }

        writer.WriteStartArray(name);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static void WriteIfPresent(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
