using System.Globalization;
using PipelinePki.Core;
using PipelinePki.Core.Authorities;
using PipelinePki.Core.Certificates;
using PipelinePki.Core.Workflows;

namespace PipelinePki.Cli.Output;

/// <summary>Human-readable renderings. Machines use <c>--format json</c>; this text may change between versions.</summary>
internal static class TextRender
{
    public static void CaInit(TextWriter output, CaInitResult result)
    {
        output.WriteLine($"created a two-tier CA in {result.Home}");
        Certificate(output, "root", result.Root);
        Certificate(output, "intermediate", result.Intermediate);
        if (result.RootKeyOnToken is { } rootKey)
        {
            output.WriteLine($"  root key: on the PKCS#11 token, {rootKey} ({(result.RootKeyGenerated ? "generated there, non-extractable" : "existing key")})");
        }

        if (result.IntermediateKeyOnToken is { } intermediateKey)
        {
            output.WriteLine($"  intermediate key: on the PKCS#11 token, {intermediateKey} ({(result.IntermediateKeyGenerated ? "generated there, non-extractable" : "existing key")})");
        }

        output.WriteLine($"  key files: {(result.KeysEncrypted ? "encrypted at rest (PKCS#8, AES-256-CBC, PBKDF2-SHA256)" : "NOT encrypted (--no-passphrase)")}, mode 0600");
        if (result.RootKeyOnToken is null)
        {
            output.WriteLine("  keep root.key.pem offline: issuing needs only the intermediate.");
        }
    }

    public static void CaStatus(TextWriter output, CaStatus status)
    {
        output.WriteLine($"CA {status.Name} in {status.Home}");
        Certificate(output, "root", status.Root);
        output.WriteLine($"    key: {status.RootKey.Path} ({(status.RootKey.OnToken ? "on a PKCS#11 token" : status.RootKey.Encrypted ? "encrypted" : "unencrypted")})");
        Certificate(output, "intermediate", status.Intermediate);
        output.WriteLine($"    key: {status.IntermediateKey.Path} ({(status.IntermediateKey.OnToken ? "on a PKCS#11 token" : status.IntermediateKey.Encrypted ? "encrypted" : "unencrypted")})");
        var c = status.Certificates;
        output.WriteLine($"  certificates: {c.Total} issued, {c.Valid} valid, {c.Revoked} revoked, {c.Expired} expired");
        foreach (var crl in status.Crls)
        {
            output.WriteLine($"  CRL ({crl.Issuer}): #{crl.CrlNumber}, this update {crl.ThisUpdate:u}, next update {crl.NextUpdate:u}{(crl.Stale ? " STALE" : string.Empty)}");
        }

        foreach (var warning in status.Warnings)
        {
            output.WriteLine($"  warning: {warning}");
        }
    }

    public static void Issued(TextWriter output, IssueOutput result)
    {
        output.WriteLine($"issued {result.Serial} for {result.Subject} (source {result.Source})");
        if (result.SubjectAlternativeNames.Count > 0)
        {
            output.WriteLine($"  names:   {string.Join(", ", result.SubjectAlternativeNames)}");
        }

        output.WriteLine(result.Source == "local"
            ? $"  valid:   {result.NotBefore:u} to {result.NotAfter:u} ({Durations.FormatApproximate(result.NotAfter - result.NotBefore - LocalAuthority.ClockSkewAllowance)}; notBefore back-dated {Durations.Format(LocalAuthority.ClockSkewAllowance)} for clock skew)"
            : $"  valid:   {result.NotBefore:u} to {result.NotAfter:u} ({Durations.FormatApproximate(result.NotAfter - result.NotBefore)}, as the CA decided)");
        output.WriteLine($"  profile: {result.Profile}, key {result.KeyType}");
        output.WriteLine($"  issuer:  {result.Issuer}");
        output.WriteLine($"  sha256:  {result.Sha256Fingerprint}");
        output.WriteLine($"  files:   {result.Files.Certificate}");
        output.WriteLine($"           {result.Files.Chain}");
        output.WriteLine($"           {result.Files.FullChain}");
        if (result.Files.Root is not null)
        {
            output.WriteLine($"           {result.Files.Root}");
        }
        if (result.Files.PrivateKey is not null)
        {
            output.WriteLine($"           {result.Files.PrivateKey} (0600)");
        }
    }

    public static void Quickstart(TextWriter output, QuickstartResult result)
    {
        output.WriteLine(result.CaCreated
            ? $"1. created a two-tier CA in {result.CaHome} (keys unencrypted: a demo; use 'ca init' with a passphrase for real)"
            : $"1. reused the CA in {result.CaHome}");
        output.WriteLine($"   root:         {result.Root.Subject} ({result.Root.KeyType}, until {result.Root.NotAfter:yyyy-MM-dd})");
        output.WriteLine($"   intermediate: {result.Intermediate.Subject} ({result.Intermediate.KeyType}, pathLen 0, until {result.Intermediate.NotAfter:yyyy-MM-dd})");
        var cert = result.Certificate;
        output.WriteLine($"2. issued a {Durations.FormatApproximate(cert.NotAfter - cert.NotBefore - LocalAuthority.ClockSkewAllowance)} mTLS certificate for the build agent");
        output.WriteLine($"   subject: {cert.Subject}, serial {cert.Serial}");
        output.WriteLine($"   names:   {string.Join(", ", cert.SubjectAlternativeNames)}");
        output.WriteLine($"   usage:   {string.Join(", ", cert.KeyUsage)}; {string.Join(", ", cert.ExtendedKeyUsage)}");
        output.WriteLine($"   files:   {Path.GetDirectoryName(result.Files.Certificate)}/{{cert,chain,fullchain,root,key}}.pem (key 0600)");
        output.WriteLine("3. check it with OpenSSL, independently of this tool:");
        foreach (var command in result.VerifyCommands)
        {
            output.WriteLine($"   {command}");
        }

        var signing = result.Signing;
        output.WriteLine($"4. signed {signing.Artifact} with an ephemeral key (in memory only, never written)");
        output.WriteLine($"   signer:  serial {signing.SignerSerial}, {string.Join(", ", signing.SignerNames)}, valid until {signing.SignerNotAfter:u} (15 min)");
        output.WriteLine($"   files:   {signing.Signature} (CMS), {signing.Bundle} (Sigstore bundle){(signing.TimestampTime is { } t ? $", timestamped {t:u} by the CA's TSA" : string.Empty)}");
        output.WriteLine("   check the signatures (they keep verifying after the 15 min certificate expires, thanks to the timestamp; add --at to try):");
        foreach (var command in signing.VerifyCommands)
        {
            output.WriteLine($"   {command}");
        }

        var mtls = result.Mtls;
        output.WriteLine($"5. mutual TLS round trip on {mtls.Endpoint}: {mtls.Protocol}, {mtls.CipherSuite}");
        output.WriteLine($"   server required and accepted the client certificate {mtls.ServerSawClient}; client accepted the server {mtls.ClientSawServer}");
        output.WriteLine($"   sent \"{mtls.Request}\", received \"{mtls.Response}\"");
        output.WriteLine($"summary: CA {(result.CaCreated ? "created" : "reused")}, 24 h mTLS certificate {cert.Serial} issued and used for mTLS ({mtls.Protocol}), demo artifact signed (CMS + Sigstore bundle, timestamped); everything is in {Path.GetDirectoryName(result.CaHome)}");
    }

    public static void Inspect(TextWriter output, IReadOnlyList<InspectedObject> objects)
    {
        for (var i = 0; i < objects.Count; i++)
        {
            if (objects.Count > 1)
            {
                output.WriteLine($"[{i + 1}/{objects.Count}]");
            }

            var item = objects[i];
            if (item.Certificate is { } certificate)
            {
                Certificate(output, "certificate", certificate, detailed: true);
            }
            else if (item.Crl is { } crl)
            {
                output.WriteLine($"CRL from {crl.Issuer}");
                output.WriteLine($"    number:      {crl.CrlNumber ?? "(none)"}");
                output.WriteLine($"    this update: {crl.ThisUpdate:u}");
                output.WriteLine($"    next update: {(crl.NextUpdate is { } next ? next.ToString("u", CultureInfo.InvariantCulture) : "(none)")}");
                output.WriteLine($"    signature:   {crl.SignatureAlgorithm}");
                output.WriteLine($"    authority key id: {crl.AuthorityKeyIdentifier ?? "(none)"}");
                output.WriteLine($"    revoked:     {crl.Entries.Count}");
                foreach (var entry in crl.Entries)
                {
                    output.WriteLine($"      {entry.Serial}  {entry.RevokedAt:u}  {entry.Reason ?? "unspecified"}");
                }
            }
            else if (item.Csr is { } csr)
            {
                output.WriteLine($"certificate request for {csr.Subject}");
                output.WriteLine($"    key:       {csr.KeyType}");
                output.WriteLine($"    signature: {csr.SignatureAlgorithm} ({(csr.SignatureValid ? "valid" : "INVALID")})");
                if (csr.RequestedSubjectAlternativeNames.Count > 0)
                {
                    output.WriteLine($"    names:     {string.Join(", ", csr.RequestedSubjectAlternativeNames)}");
                }
            }
            else
            {
                output.WriteLine(item.PrivateKeyNote);
            }
        }
    }

    public static void InventoryTable(TextWriter output, IReadOnlyList<InventoryRow> rows)
    {
        if (rows.Count == 0)
        {
            output.WriteLine("no certificates issued yet");
            return;
        }

        string[] headers = ["SERIAL", "STATUS", "NOT AFTER", "PROFILE", "SUBJECT", "SANS", "REQUESTED BY"];
        var cells = rows.Select(r => new[]
        {
            r.Serial, r.Status, r.NotAfter.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture), r.Profile, r.Subject,
            string.Join(",", r.Sans), r.RequestedBy,
        }).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, cells.Max(c => c[i].Length))).ToArray();
        output.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in cells)
        {
            output.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }
    }

    public static void InventoryCsv(TextWriter output, IReadOnlyList<InventoryRow> rows)
    {
        output.WriteLine("serial,subject,sans,notBefore,notAfter,status,profile,keyType,sha256Fingerprint,revokedAt,revocationReason,source,requestedBy,repository,runId,commit,issuedAt");
        foreach (var r in rows)
        {
            string[] fields =
            [
                r.Serial, r.Subject, string.Join(" ", r.Sans), Iso(r.NotBefore), Iso(r.NotAfter), r.Status, r.Profile, r.KeyType,
                r.Sha256Fingerprint, r.RevokedAt is { } at ? Iso(at) : string.Empty, r.RevocationReason ?? string.Empty, r.Source,
                r.RequestedBy, r.Repository ?? string.Empty, r.RunId ?? string.Empty, r.Commit ?? string.Empty, Iso(r.IssuedAt),
            ];
            output.WriteLine(string.Join(",", fields.Select(Csv)));
        }
    }

    private static void Certificate(TextWriter output, string role, CertificateInfo info, bool detailed = false)
    {
        output.WriteLine($"  {role}: {info.Subject}");
        output.WriteLine($"    issuer:    {info.Issuer}");
        output.WriteLine($"    serial:    {info.Serial}");
        output.WriteLine($"    validity:  {info.NotBefore:u} to {info.NotAfter:u}");
        output.WriteLine($"    key:       {info.KeyType}, signed with {info.SignatureAlgorithm}");
        if (info.IsCertificateAuthority)
        {
            output.WriteLine($"    CA:        yes{(info.PathLengthConstraint is { } p ? $", pathLen {p}" : string.Empty)}");
        }

        if (info.SubjectAlternativeNames.Count > 0)
        {
            output.WriteLine($"    names:     {string.Join(", ", info.SubjectAlternativeNames)}");
        }

        if (detailed)
        {
            output.WriteLine($"    usage:     {string.Join(", ", info.KeyUsage.Concat(info.ExtendedKeyUsage))}");
            if (info.PermittedNames.Count > 0)
            {
                output.WriteLine($"    permitted: {string.Join(", ", info.PermittedNames)}");
            }

            foreach (var point in info.CrlDistributionPoints)
            {
                output.WriteLine($"    CRL:       {point}");
            }

            foreach (var access in info.AuthorityInformationAccess)
            {
                output.WriteLine($"    AIA:       {access}");
            }

            output.WriteLine($"    SKI:       {info.SubjectKeyIdentifier ?? "(none)"}");
            output.WriteLine($"    AKI:       {info.AuthorityKeyIdentifier ?? "(none)"}");
        }

        output.WriteLine($"    sha256:    {info.Sha256Fingerprint}");
    }

    public static void Verification(TextWriter output, string file, PipelinePki.Core.Validation.VerificationOutcome outcome)
    {
        var leaf = outcome.Path.Count > 0 ? outcome.Path[0].Subject : file;
        output.WriteLine($"{(outcome.IsValid ? "VALID" : "NOT VALID")}: {leaf} ({file})");
        if (outcome.Path.Count > 1)
        {
            output.WriteLine($"  path: {string.Join(" <- ", outcome.Path.Select(p => p.Subject))} (trusted)");
        }

        foreach (var check in outcome.Checks)
        {
            var mark = Mark(check.Status);
            var where = check.PathIndex is { } i ? $"[{i}] " : string.Empty;
            output.WriteLine($"  {mark} {check.Check,-19} {where}{check.Detail}");
        }
    }

    public static void Preflight(TextWriter output, PipelinePki.Core.Validation.PreflightReport report)
    {
        string[] headers = ["STATUS", "DAYS LEFT", "NOT AFTER", "SUBJECT", "ISSUER", "TARGET"];
        var cells = report.Rows.Select(r => new[]
        {
            r.Status.ToString().ToLowerInvariant(),
            r.DaysLeft is { } d ? d.ToString("0.0", CultureInfo.InvariantCulture) : "-",
            r.NotAfter is { } n ? n.ToString("yyyy-MM-dd HH:mm'Z'", CultureInfo.InvariantCulture) : "-",
            r.Subject ?? "-",
            r.Issuer ?? "-",
            r.Target,
        }).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, cells.Count == 0 ? 0 : cells.Max(c => c[i].Length))).ToArray();
        output.WriteLine(string.Join("  ", headers.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        for (var i = 0; i < cells.Count; i++)
        {
            output.WriteLine(string.Join("  ", cells[i].Select((c, j) => c.PadRight(widths[j]))).TrimEnd());
            foreach (var reason in report.Rows[i].Reasons)
            {
                output.WriteLine($"    {reason}");
            }
        }
    }

    public static void Probe(TextWriter output, PipelinePki.Core.Mtls.ProbeResult result)
    {
        output.WriteLine($"{(result.Passed ? "OK" : "PROBLEMS")}: {result.Endpoint}");
        output.WriteLine($"  protocol:    {result.Protocol}, {result.CipherSuite}{(result.ApplicationProtocol is null ? string.Empty : $", ALPN {result.ApplicationProtocol}")}");
        var chain = result.ServerChain;
        output.WriteLine($"  server:      {(chain.Path.Count > 0 ? chain.Path[0].Subject : "?")}, {(chain.IsValid ? "chain valid" : "chain NOT valid")}, {result.DaysLeft.ToString("0.0", CultureInfo.InvariantCulture)} days left");
        if (chain.Path.Count > 1)
        {
            output.WriteLine($"  path:        {string.Join(" <- ", chain.Path.Select(p => p.Subject))}");
        }

        output.WriteLine($"  OCSP staple: {(result.Staple.Present ? $"{result.Staple.Status}: {result.Staple.Detail}" : "none")}");
        var auth = result.ClientAuth;
        var requested = auth.Requested
            ? $"requested{(auth.AcceptableIssuers.Count > 0 ? $" (acceptable issuers: {string.Join("; ", auth.AcceptableIssuers)})" : string.Empty)}"
            : "not requested";
        var outcome = auth.Accepted switch
        {
            true => "; ours was accepted",
            false => "; ours was REFUSED",
            null => auth.Sent ? "; ours was sent" : string.Empty,
        };
        output.WriteLine($"  client cert: {requested}{outcome}{(auth.Evidence is null ? string.Empty : $" [{auth.Evidence}]")}");
        foreach (var problem in result.Problems)
        {
            output.WriteLine($"  problem:     {problem}");
        }
    }

    public static void Signed(TextWriter output, PipelinePki.Cli.Commands.SignOutput result)
    {
        if (result.Ephemeral is { } ephemeral)
        {
            output.WriteLine($"ephemeral signer: {ephemeral.Subject}, serial {ephemeral.Serial}, valid until {ephemeral.NotAfter:u}{(ephemeral.SubjectAlternativeNames.Count > 0 ? $", names {string.Join(", ", ephemeral.SubjectAlternativeNames)}" : string.Empty)} (key held in memory only)");
        }

        foreach (var item in result.Signed)
        {
            var stamp = item.TimestampTime is { } t ? $", timestamped {t:u}" : ", no timestamp";
            var outputs = string.Join(", ", new[] { item.Signature, item.Bundle }.Where(p => p is not null));
            output.WriteLine($"signed {item.File} -> {outputs} ({item.DigestAlgorithm} {item.Digest}{stamp})");
        }
    }

    public static void ArtifactVerification(TextWriter output, PipelinePki.Cli.Commands.VerifyArtifactsOutput result)
    {
        foreach (var artifact in result.Artifacts)
        {
            output.WriteLine($"{(artifact.IsValid ? "VALID" : "NOT VALID")}: {artifact.File} (signed by {artifact.Signer ?? "?"}{(artifact.TimestampTime is { } t ? $", timestamped {t:u}" : string.Empty)})");
            foreach (var check in artifact.Checks)
            {
                var mark = Mark(check.Status);
                output.WriteLine($"  {mark} {check.Check,-26} {(check.PathIndex is { } i ? $"[{i}] " : string.Empty)}{check.Detail}");
            }
        }
    }

    public static void Renewed(TextWriter output, PipelinePki.Cli.Commands.RenewOutput result)
    {
        if (!result.Renewed)
        {
            output.WriteLine($"not renewed ({result.PreviousSerial}, valid until {result.PreviousNotAfter:u}): {result.Reason}");
            return;
        }

        output.WriteLine($"renewed: {result.PreviousSerial} -> {result.Serial}, valid until {result.NotAfter:u} ({(result.KeyReused == true ? "same key" : "fresh key")})");
        output.WriteLine($"  why: {result.Reason}");
        foreach (var file in result.Files ?? [])
        {
            output.WriteLine($"  {file}");
        }
    }

    private static string Mark(PipelinePki.Core.Validation.CheckStatus status) => status switch
    {
        PipelinePki.Core.Validation.CheckStatus.Passed => "ok  ",
        PipelinePki.Core.Validation.CheckStatus.Failed => "FAIL",
        PipelinePki.Core.Validation.CheckStatus.Warning => "warn",
        _ => "skip",
    };

    private static string Iso(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    /// <summary>RFC 4180 quoting, plus a leading quote for cells a spreadsheet would run as formulas.</summary>
    private static string Csv(string value)
    {
        if (value.Length > 0 && value[0] is '=' or '+' or '-' or '@')
        {
            value = "'" + value;
        }

        return value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? $"\"{value.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : value;
    }
}
