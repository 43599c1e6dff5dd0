using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Certificates;

namespace PipelinePki.Core.Validation;

/// <summary>
/// CRL processing per RFC 5280 §6.3: distribution-point scoping (issuing distribution points,
/// indirect CRLs with cRLIssuer), reason partitioning (onlySomeReasons), delta CRLs, and CRLs
/// signed by a separate CRL-signing certificate whose own path is validated to the same anchor.
/// </summary>
internal sealed class CrlRevocationChecker(IReadOnlyList<CrlDocument> crls, IReadOnlyList<X509Certificate> pool, SignatureVerifier signatures)
{
    // ReasonFlags bits 1..8 (keyCompromise … aACompromise); bit 0 is 'unused'.
    private const int AllReasons = 0x1FE;
    private const int RemoveFromCrl = 8;

    /// <param name="freshAtUtc">
    /// The time CRLs must be current at: the later of the validation time and now. Validating at a
    /// past time (a timestamped signature) uses today's CRL, which also lists older revocations;
    /// validating at a future time needs a CRL still current then, as OpenSSL's -attime does.
    /// </param>
    public RevocationStatus Check(X509Certificate certificate, X509Certificate issuer, X509Certificate anchor, DateTime freshAtUtc)
    {
        var atUtc = freshAtUtc;
        var reasonsMask = 0;
        var problems = new List<string>();
        var isCa = certificate.GetBasicConstraints() >= 0;
        foreach (var point in DistributionPointsOf(certificate))
        {
            foreach (var crl in crls.Where(c => !c.IsDelta))
            {
                if (!InScope(crl, point, certificate, isCa, out var scopeProblem))
                {
                    if (scopeProblem is not null)
                    {
                        problems.Add($"{crl.Source}: {scopeProblem}");
                    }

                    continue;
                }

                if (crl.UnusableReason is not null)
                {
                    problems.Add($"{crl.Source}: {crl.UnusableReason}");
                    continue;
                }

                if (!Current(crl, atUtc, out var timeProblem))
                {
                    problems.Add($"{crl.Source}: {timeProblem}");
                    continue;
                }

                var interim = (ReasonsOf(crl.IssuingDistributionPoint?.OnlySomeReasons) ?? AllReasons) & (ReasonsOf(point.Reasons) ?? AllReasons);
                if ((interim & ~reasonsMask) == 0)
                {
                    continue;
                }

                var signer = FindSigner(crl, issuer, anchor, atUtc);
                if (signer is null)
                {
                    problems.Add($"{crl.Source}: signature does not verify with the issuer's key or any valid CRL-signing certificate");
                    continue;
                }

                var delta = FindDelta(crl, signer, atUtc);
                if (delta is not null && delta.TryFind(certificate.SerialNumber, certificate.IssuerDN, out var deltaEntry))
                {
                    if (deltaEntry.Reason != RemoveFromCrl)
                    {
                        return Revoked(deltaEntry, delta);
                    }
                }
                else if (crl.TryFind(certificate.SerialNumber, certificate.IssuerDN, out var entry) && entry.Reason != RemoveFromCrl)
                {
                    return Revoked(entry, crl);
                }

                reasonsMask |= interim;
                if (reasonsMask == AllReasons)
                {
                    var by = delta is null ? crl.Source : $"{crl.Source} + delta {delta.Source}";
                    return new RevocationStatus(RevocationState.Good, "crl", $"not on the CRL ({by}, CRL #{crl.CrlNumber?.ToString() ?? "?"})");
                }
            }
        }

        var detail = reasonsMask == 0
            ? "no current CRL from its issuer covers this certificate"
            : "the available CRLs cover only some revocation reasons";
        if (problems.Count > 0)
        {
            detail += $" ({string.Join("; ", problems.Distinct())})";
        }

        return new RevocationStatus(RevocationState.Undetermined, "crl", detail);
    }

    private static RevocationStatus Revoked(CrlEntry entry, CrlDocument crl) =>
        new(
            RevocationState.Revoked,
            "crl",
            $"revoked on {entry.RevokedAt:u}{(entry.Reason is { } r ? $" ({RevocationReasons.Name(r)})" : string.Empty)} per {crl.Source}",
            new DateTimeOffset(entry.RevokedAt, TimeSpan.Zero),
            entry.Reason is { } reason ? RevocationReasons.Name(reason) : null);

    /// <summary>§6.3.3 (b): does this CRL speak for this certificate through this distribution point?</summary>
    private static bool InScope(CrlDocument crl, DistributionPointView point, X509Certificate certificate, bool isCa, out string? problem)
    {
        problem = null;
        var idp = crl.IssuingDistributionPoint;
        if (point.CrlIssuer.Count > 0)
        {
            if (!point.CrlIssuer.Any(n => n.TagNo == GeneralName.DirectoryName && X509Name.GetInstance(n.Name).Equivalent(crl.Issuer)))
            {
                return false;
            }

            if (idp is null || !idp.IsIndirectCrl)
            {
                problem = "issued by the distribution point's cRLIssuer but not marked as an indirect CRL";
                return false;
            }
        }
        else if (!crl.Issuer.Equivalent(certificate.IssuerDN))
        {
            return false;
        }

        if (idp is null)
        {
            return true;
        }

        if (idp.DistributionPoint is { } idpName)
        {
            var crlNames = FullNames(idpName, crl.Issuer);
            var certificateNames = point.Name is { } dpName ? FullNames(dpName, crl.Issuer) : point.CrlIssuer;
            if (!crlNames.Any(c => certificateNames.Any(d => c.Equals(d))))
            {
                problem = "its issuing distribution point does not match the certificate's CRL distribution point";
                return false;
            }
        }

        if (idp.OnlyContainsUserCerts && isCa)
        {
            problem = "covers end-entity certificates only";
            return false;
        }

        if (idp.OnlyContainsCACerts && !isCa)
        {
            problem = "covers CA certificates only";
            return false;
        }

        if (idp.OnlyContainsAttributeCerts)
        {
            problem = "covers attribute certificates only";
            return false;
        }

        return true;
    }

    private static bool Current(CrlDocument crl, DateTime atUtc, out string? problem)
    {
        problem = null;
        if (crl.ThisUpdate > atUtc)
        {
            problem = $"not yet valid (thisUpdate {crl.ThisUpdate:u})";
            return false;
        }

        if (crl.NextUpdate is { } next && next < atUtc)
        {
            problem = $"expired (nextUpdate {next:u}); publish a fresh CRL";
            return false;
        }

        return true;
    }

    /// <summary>§6.3.3 (f): the certificate whose key signed the CRL: the issuer itself, or a separate CRL signer validated to the same anchor.</summary>
    private X509Certificate? FindSigner(CrlDocument crl, X509Certificate issuer, X509Certificate anchor, DateTime atUtc)
    {
        var candidates = new List<X509Certificate>();
        if (issuer.SubjectDN.Equivalent(crl.Issuer))
        {
            candidates.Add(issuer);
        }

        candidates.AddRange(pool.Where(c => c.SubjectDN.Equivalent(crl.Issuer) && !CertificateFacts.SameCertificate(c, issuer)));
        foreach (var candidate in candidates)
        {
            if (crl.AuthorityKeyId is { } aki)
            {
                var keyId = CertificateFacts.SubjectKeyId(candidate) ?? CertificateFacts.ComputedKeyId(candidate);
                if (!aki.AsSpan().SequenceEqual(keyId))
                {
                    continue;
                }
            }

            var usage = candidate.GetKeyUsage();
            if (usage is not null && (usage.Length <= 6 || !usage[6]))
            {
                continue; // no cRLSign
            }

            if (!crl.SignatureVerifies(candidate, signatures))
            {
                continue;
            }

            if (ReferenceEquals(candidate, issuer) || CertificateFacts.SameCertificate(candidate, anchor))
            {
                return candidate;
            }

            // A separate CRL signer must chain to the same trust anchor (§6.3.3 (f)).
            var paths = PathBuilder.Build(candidate, [anchor], pool, atUtc);
            if (paths.Any(p => PathValidator.Validate(p, atUtc, PolicyOptions.Default, signatures).Passed))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>§6.3.3 (c): a current delta CRL for the same scope, built on this complete CRL or an earlier one.</summary>
    private CrlDocument? FindDelta(CrlDocument complete, X509Certificate signer, DateTime atUtc)
    {
        if (complete.CrlNumber is null)
        {
            return null;
        }

        var scope = complete.IssuingDistributionPoint?.GetEncoded();
        return crls
            .Where(d => d.IsDelta && d.Issuer.Equivalent(complete.Issuer))
            .Where(d => d.DeltaBaseNumber!.CompareTo(complete.CrlNumber) <= 0 && d.CrlNumber is { } n && n.CompareTo(complete.CrlNumber) > 0)
            .Where(d => (d.IssuingDistributionPoint?.GetEncoded() ?? []).AsSpan().SequenceEqual(scope ?? []))
            .Where(d => d.UnusableReason is null && Current(d, atUtc, out _))
            .Where(d => d.SignatureVerifies(signer, signatures))
            .OrderByDescending(d => d.CrlNumber)
            .FirstOrDefault();
    }

    private static int? ReasonsOf(ReasonFlags? flags)
    {
        if (flags is null)
        {
            return null;
        }

        var bytes = flags.GetBytes();
        var mask = 0;
        for (var bit = 0; bit < 9; bit++)
        {
            if (bit / 8 < bytes.Length && (bytes[bit / 8] & (0x80 >> (bit % 8))) != 0)
            {
                mask |= 1 << bit;
            }
        }

        return mask;
    }

    private static List<GeneralName> FullNames(DistributionPointName name, X509Name crlIssuer)
    {
        if (name.Type == DistributionPointName.FullName)
        {
            return [.. GeneralNames.GetInstance(name.Name).GetNames()];
        }

        // nameRelativeToCRLIssuer: the CRL issuer's name plus this RDN.
        var rdns = Asn1Sequence.GetInstance(crlIssuer.ToAsn1Object()).Cast<Asn1Encodable>().ToList();
        rdns.Add(name.Name);
        return [new GeneralName(X509Name.GetInstance(new DerSequence(rdns.ToArray())))];
    }

    /// <summary>The certificate's distribution points, or one implicit point (no name, all reasons, the issuer's CRL) when it has none.</summary>
    internal static IReadOnlyList<DistributionPointView> DistributionPointsOf(X509Certificate certificate)
    {
        if (CertificateFacts.ExtensionValue(certificate, X509Extensions.CrlDistributionPoints) is not { } value)
        {
            return [new DistributionPointView(null, null, [])];
        }

        return CrlDistPoint.GetInstance(value).GetDistributionPoints()
            .Select(p => new DistributionPointView(p.DistributionPointName, p.Reasons, p.CrlIssuer?.GetNames().ToList() ?? []))
            .ToList();
    }

    internal static IEnumerable<Uri> HttpLocations(X509Certificate certificate, DerObjectIdentifier extension)
    {
        if (CertificateFacts.ExtensionValue(certificate, extension) is not { } value)
        {
            yield break;
        }

        foreach (var point in CrlDistPoint.GetInstance(value).GetDistributionPoints())
        {
            if (point.DistributionPointName?.Type != DistributionPointName.FullName)
            {
                continue;
            }

            foreach (var name in GeneralNames.GetInstance(point.DistributionPointName.Name).GetNames())
            {
                if (name.TagNo == GeneralName.UniformResourceIdentifier
                    && Uri.TryCreate(DerIA5String.GetInstance(name.Name).GetString(), UriKind.Absolute, out var uri)
                    && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
                {
                    yield return uri;
                }
            }
        }
    }

    internal sealed record DistributionPointView(DistributionPointName? Name, ReasonFlags? Reasons, IReadOnlyList<GeneralName> CrlIssuer);
}
