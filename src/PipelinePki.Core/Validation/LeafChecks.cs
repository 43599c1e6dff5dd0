using System.Net;
using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.X509;

namespace PipelinePki.Core.Validation;

/// <summary>What the leaf is for (EKU plus key usage) and whom it names (SAN matching, RFC 6125 for hosts).</summary>
internal static class LeafChecks
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";
    private const string CodeSigning = "1.3.6.1.5.5.7.3.3";
    private const string TimeStamping = "1.3.6.1.5.5.7.3.8";

    public static CheckResult Purpose(X509Certificate leaf, CertificatePurpose purpose)
    {
        var subject = CertificateFacts.Subject(leaf);
        if (purpose == CertificatePurpose.Any)
        {
            return new CheckResult(CheckNames.Purpose, CheckStatus.Skipped, "no purpose required", 0, subject);
        }

        var ekus = leaf.GetExtendedKeyUsage()?.Select(o => o.Id).ToList();
        var usage = leaf.GetKeyUsage();
        bool Has(int bit) => usage is null || (bit < usage.Length && usage[bit]);
        const int digitalSignature = 0, keyEncipherment = 2, keyAgreement = 4;

        var (eku, name, keyUsageOk, ekuRequired) = purpose switch
        {
            CertificatePurpose.Server => (ServerAuth, "serverAuth", Has(digitalSignature) || Has(keyEncipherment) || Has(keyAgreement), false),
            CertificatePurpose.Client => (ClientAuth, "clientAuth", Has(digitalSignature) || Has(keyAgreement), false),
            // Signing and timestamping keys must say so explicitly: a certificate without any EKU is not a code signer.
            CertificatePurpose.CodeSigning => (CodeSigning, "codeSigning", Has(digitalSignature), true),
            CertificatePurpose.TimeStamping => (TimeStamping, "timeStamping", Has(digitalSignature), true),
            _ => throw new ArgumentOutOfRangeException(nameof(purpose)),
        };

        if (ekus is null ? ekuRequired : !ekus.Contains(eku))
        {
            var has = ekus is null ? "no extended key usage" : $"extended key usage {string.Join(", ", ekus.Select(Certificates.CertificateDescriber.ExtendedKeyUsageName))}";
            return new CheckResult(CheckNames.Purpose, CheckStatus.Failed, $"not for {name}: it has {has}", 0, subject);
        }

        if (purpose == CertificatePurpose.TimeStamping && ekus!.Count != 1)
        {
            return new CheckResult(CheckNames.Purpose, CheckStatus.Failed, "a timestamping certificate must carry timeStamping as its only extended key usage (RFC 3161 §2.3)", 0, subject);
        }

        if (!keyUsageOk)
        {
            return new CheckResult(CheckNames.Purpose, CheckStatus.Failed, $"its key usage does not allow {name}", 0, subject);
        }

        return new CheckResult(CheckNames.Purpose, CheckStatus.Passed, $"valid for {name}", 0, subject);
    }

    public static IEnumerable<CheckResult> Names(X509Certificate leaf, NameExpectations? expected)
    {
        if (expected is null || (expected.Host, expected.IpAddress, expected.Uri, expected.Email) == (null, null, null, null))
        {
            yield break;
        }

        var subject = CertificateFacts.Subject(leaf);
        var sans = CertificateFacts.ExtensionValue(leaf, X509Extensions.SubjectAlternativeName) is { } value
            ? GeneralNames.GetInstance(value).GetNames()
            : [];

        if (expected.Host is { } host)
        {
            var dnsNames = sans.Where(n => n.TagNo == GeneralName.DnsName).Select(n => DerIA5String.GetInstance(n.Name).GetString()).ToList();
            var matched = dnsNames.FirstOrDefault(d => HostMatches(d, host));
            if (matched is null && expected.AllowCommonNameFallback && dnsNames.Count == 0)
            {
                matched = leaf.SubjectDN.GetValueList(X509Name.CN).FirstOrDefault(cn => HostMatches(cn, host));
            }

            yield return matched is not null
                ? new CheckResult(CheckNames.Name, CheckStatus.Passed, $"host {host} matches {matched}", 0, subject)
                : new CheckResult(CheckNames.Name, CheckStatus.Failed, $"host {host} is not among its DNS names ({(dnsNames.Count == 0 ? "none" : string.Join(", ", dnsNames))})", 0, subject);
        }

        if (expected.IpAddress is { } ipText)
        {
            var wanted = IPAddress.TryParse(ipText, out var parsed)
                ? parsed.GetAddressBytes()
                : throw new UsageException($"--ip: '{ipText}' is not an IP address.");
            var found = sans.Any(n => n.TagNo == GeneralName.IPAddress && Asn1OctetString.GetInstance(n.Name).GetOctets().AsSpan().SequenceEqual(wanted));
            yield return new CheckResult(CheckNames.Name, found ? CheckStatus.Passed : CheckStatus.Failed, found ? $"IP {ipText} is in its SANs" : $"IP {ipText} is not in its SANs", 0, subject);
        }

        if (expected.Uri is { } uri)
        {
            var found = sans.Any(n => n.TagNo == GeneralName.UniformResourceIdentifier && DerIA5String.GetInstance(n.Name).GetString() == uri);
            yield return new CheckResult(CheckNames.Name, found ? CheckStatus.Passed : CheckStatus.Failed, found ? $"URI {uri} is in its SANs" : $"URI {uri} is not in its SANs", 0, subject);
        }

        if (expected.Email is { } email)
        {
            var found = sans.Any(n => n.TagNo == GeneralName.Rfc822Name && string.Equals(DerIA5String.GetInstance(n.Name).GetString(), email, StringComparison.OrdinalIgnoreCase));
            yield return new CheckResult(CheckNames.Name, found ? CheckStatus.Passed : CheckStatus.Failed, found ? $"email {email} is in its SANs" : $"email {email} is not in its SANs", 0, subject);
        }
    }

    /// <summary>RFC 6125 §6.4: case-insensitive; a wildcard only as the whole left-most label, matching exactly one label.</summary>
    public static bool HostMatches(string pattern, string host)
    {
        pattern = pattern.TrimEnd('.').ToLowerInvariant();
        host = host.TrimEnd('.').ToLowerInvariant();
        if (!pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            return pattern == host;
        }

        var firstDot = host.IndexOf('.', StringComparison.Ordinal);
        return firstDot > 0 && !IPAddress.TryParse(host, out _) && host[firstDot..] == pattern[1..] && pattern.Count(c => c == '.') >= 2;
    }
}
