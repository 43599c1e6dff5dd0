using Org.BouncyCastle.X509;

namespace PipelinePki.Core.Validation;

/// <summary>
/// Finds candidate paths from a leaf to a trust anchor through a pool of untrusted certificates
/// (RFC 4158 style, depth first). Several issuers may share a subject name (cross-certificates,
/// key rollover), so every plausible one is tried; the most promising first (key identifier
/// match, valid at the validation time, trust anchor), so the usual case validates on the first path.
/// </summary>
internal static class PathBuilder
{
    private const int MaxDepth = 12;
    private const int MaxPaths = 64;

    /// <summary>Paths as lists from the leaf (index 0) to a trust anchor (last).</summary>
    public static IReadOnlyList<IReadOnlyList<X509Certificate>> Build(
        X509Certificate leaf, IReadOnlyList<X509Certificate> anchors, IReadOnlyList<X509Certificate> untrusted, DateTime atUtc)
    {
        var paths = new List<IReadOnlyList<X509Certificate>>();
        if (anchors.Any(a => CertificateFacts.SameCertificate(a, leaf)))
        {
            // The leaf itself is trusted: the path is just the anchor.
            paths.Add([leaf]);
            return paths;
        }

        var pool = untrusted.Where(u => !anchors.Any(a => CertificateFacts.SameCertificate(a, u))).ToList();
        var current = new List<X509Certificate> { leaf };
        Extend(current, anchors, pool, atUtc, paths);
        return paths;
    }

    private static void Extend(List<X509Certificate> current, IReadOnlyList<X509Certificate> anchors, List<X509Certificate> pool, DateTime atUtc, List<IReadOnlyList<X509Certificate>> paths)
    {
        if (paths.Count >= MaxPaths || current.Count > MaxDepth)
        {
            return;
        }

        var child = current[^1];
        var candidates = anchors.Select(a => (Certificate: a, Anchor: true))
            .Concat(pool.Select(p => (Certificate: p, Anchor: false)))
            .Where(c => c.Certificate.SubjectDN.Equivalent(child.IssuerDN))
            .Where(c => !current.Any(x => CertificateFacts.SameCertificate(x, c.Certificate)))
            .OrderByDescending(c => KeyIdMatches(child, c.Certificate))
            .ThenByDescending(c => CertificateFacts.ValidAt(c.Certificate, atUtc))
            .ThenByDescending(c => c.Anchor)
            .ThenByDescending(c => c.Certificate.NotAfter)
            .ToList();

        foreach (var (certificate, anchor) in candidates)
        {
            // A mismatched key identifier only lowers a candidate's priority (RFC 4158 §3.5.12):
            // RFC 5280 §6.1.3 never checks the AKI, and the signature check rejects a wrong key anyway.
            current.Add(certificate);
            if (anchor)
            {
                paths.Add(current.ToList());
            }
            else
            {
                Extend(current, anchors, pool, atUtc, paths);
            }

            current.RemoveAt(current.Count - 1);
        }
    }

    /// <summary>1 when the child's AKI equals the candidate's key id, -1 when both exist and differ, 0 when unknown: a sort key.</summary>
    private static int KeyIdMatches(X509Certificate child, X509Certificate candidate)
    {
        var aki = CertificateFacts.AuthorityKeyId(child);
        if (aki is null)
        {
            return 0;
        }

        var ski = CertificateFacts.SubjectKeyId(candidate) ?? CertificateFacts.ComputedKeyId(candidate);
        return aki.AsSpan().SequenceEqual(ski) ? 1 : -1;
    }
}
