using Org.BouncyCastle.Asn1.X509;
using PipelinePki.Core.Validation;
using PipelinePki.TestKit.Pki;
using static PipelinePki.Core.Tests.Validation.DifferentialScenario;

namespace PipelinePki.Core.Tests.Validation;

/// <summary>
/// The differential catalogue. Each group is one theory in <see cref="DifferentialTests"/>.
/// OpenSSL error texts are those of <c>X509_verify_cert_error_string</c> in OpenSSL 3.0.
/// </summary>
public static class DifferentialScenarios
{
    public const string P1 = "1.3.6.1.4.1.55555.1.1";
    public const string P2 = "1.3.6.1.4.1.55555.1.2";
    public const string CrlUri = "http://crl.test/issuing.crl";
    public const string DeltaUri = "http://crl.test/issuing-delta.crl";
    public const string IndirectIssuer = "CN=Differential Indirect CRL Issuer";

    private const string Expired = "certificate has expired";
    private const string NotYetValid = "certificate is not yet valid";
    private const string Revoked = "certificate revoked";
    private const string NoCrl = "unable to get certificate CRL";
    private const string Permitted = "permitted subtree violation";
    private const string Excluded = "excluded subtree violation";
    private const string NoExplicitPolicy = "no explicit policy";
    private const string Purpose = "unsuitable certificate purpose";
    private const string OutOfScope = "different CRL scope";

    private const int KeyCompromiseAndCa = ReasonFlags.KeyCompromise | ReasonFlags.CACompromise;
    private const int OtherReasons = TestPki.AllReasons & ~KeyCompromiseAndCa;

    public static IReadOnlyList<DifferentialScenario> Structure { get; } =
    [
        Valid("ThreeTier_AllValid", p => Chain(p).Input),
        Valid("MixedAlgorithms_RsaRootEd25519CaEcLeaf", p => Chain(
            p, root: r => r.Algorithm(TestKeyAlgorithm.Rsa2048), ca: c => c.Algorithm(TestKeyAlgorithm.Ed25519)).Input),
        Rejected("Leaf_Expired", p => Chain(p, leaf: l => l.Expired()).Input, Expired, 0, CheckNames.Validity, 0),
        Rejected("Leaf_NotYetValid", p => Chain(p, leaf: l => l.NotYetValid()).Input, NotYetValid, 0, CheckNames.Validity, 0),
        Rejected("Intermediate_Expired", p => Chain(p, ca: c => c.Expired()).Input, Expired, 1, CheckNames.Validity, 1),
        Rejected("Leaf_VerifiedAfterExpiry", p => Chain(p).Input with { At = p.Now + TimeSpan.FromDays(400) }, Expired, 0, CheckNames.Validity, 0),
        Valid("PathLenOne_OneCaBelow", p => FourTier(p, ca1: c => c.Ca(pathLen: 1)).Input),
        // OpenSSL reports the violation at the CA whose pathLenConstraint is exceeded (depth 2); RFC 5280 §6.1.4(l)
        // detects it while processing the CA below it (depth 1); either index is a fair report, so none is asserted.
        Rejected("PathLenZero_CaSignsCa", p => FourTier(p, ca1: c => c.Ca(pathLen: 0)).Input, "path length constraint exceeded", 2, CheckNames.PathLength, null),
        Rejected("Ca_KeyUsageWithoutKeyCertSign", p => Chain(p, ca: c => c.KeyUsage(KeyUsage.DigitalSignature | KeyUsage.CrlSign)).Input,
            "key usage does not include certificate signing", 1, CheckNames.KeyUsage, 1),
        Rejected("Ca_NoBasicConstraints", p => Chain(p, ca: c => c.NoBasicConstraints()).Input, "invalid CA certificate", 1, CheckNames.BasicConstraints, 1),
        Rejected("EndEntity_SignsLeaf", p =>
        {
            var chain = Chain(p);
            var fake = p.Leaf("Differential Fake CA", chain.Ca).NoKeyUsage().Build();
            var victim = p.Leaf("Differential Victim", fake).Build();
            return new ScenarioInput(victim, [chain.Root], [chain.Ca, fake]);
        }, "invalid CA certificate", 1, CheckNames.BasicConstraints, 1),
        Rejected("Leaf_UnknownCriticalExtension", p => Chain(p, leaf: l => l.UnknownExtension()).Input,
            "unhandled critical extension", 0, CheckNames.CriticalExtensions, 0),
        Rejected("Intermediate_UnknownCriticalExtension", p => Chain(p, ca: c => c.UnknownExtension()).Input,
            "unhandled critical extension", 1, CheckNames.CriticalExtensions, 1),
        Valid("Leaf_UnknownNonCriticalExtension", p => Chain(p, leaf: l => l.UnknownExtension(critical: false)).Input),
        Rejected("Leaf_TamperedSignature", p =>
        {
            var chain = Chain(p);
            return new ScenarioInput(chain.Leaf.WithTamperedSignature(), [chain.Root], [chain.Ca]);
        }, "certificate signature failure", 0, CheckNames.Signature, 0),
        Rejected("Intermediate_TamperedSignature", p =>
        {
            var chain = Chain(p);
            return new ScenarioInput(chain.Leaf, [chain.Root], [chain.Ca.WithTamperedSignature()]);
        }, "certificate signature failure", 1, CheckNames.Signature, 1),
        Rejected("Leaf_SignedByImpostorKey", p =>
        {
            var chain = Chain(p);
            // Issuer name and AKI name the real CA; only the signature is made with another key.
            var forged = p.Leaf("Differential Leaf", chain.Ca).SignedWith(TestKey.Generate()).Build();
            return new ScenarioInput(forged, [chain.Root], [chain.Ca]);
        }, "certificate signature failure", 0, CheckNames.Signature, 0),
        Rejected("Anchor_Unrelated", p =>
        {
            var chain = Chain(p);
            var stranger = p.Root("Differential Stranger Root").Build();
            return new ScenarioInput(chain.Leaf, [stranger], [chain.Ca]);
        }, "unable to get local issuer certificate", 1, CheckNames.PathBuilding, null),
        // RFC 5280 §6.1.1(d) takes only the anchor's name and key, so the RFC neither requires nor forbids checking the
        // anchor certificate's validity. The engine checks it on purpose (PathValidator: an expired root is a finding a
        // pipeline gate should report), as OpenSSL does; the verdicts agree.
        Rejected("Anchor_Expired", p => Chain(p, root: r => r.ValidRelative(TimeSpan.FromDays(-400), TimeSpan.FromDays(-2))).Input,
            Expired, 2, CheckNames.Validity, 2),
        Rejected("Intermediate_Missing", p =>
        {
            var chain = Chain(p);
            return new ScenarioInput(chain.Leaf, [chain.Root], []);
        }, "unable to get local issuer certificate", 0, CheckNames.PathBuilding, null),
    ];

    public static IReadOnlyList<DifferentialScenario> NameConstraints { get; } =
    [
        Valid("Dns_InsidePermitted", p => Chain(p, ca: c => c.PermitDns("example.com"), leaf: l => l.Dns("www.example.com", "example.com")).Input),
        Rejected("Dns_OutsidePermitted", p => Chain(p, ca: c => c.PermitDns("example.com"), leaf: l => l.Dns("www.example.com", "www.evil.test")).Input,
            Permitted, 0, CheckNames.NameConstraints, 0),
        Rejected("Dns_SuffixWithoutLabelBoundary", p => Chain(p, ca: c => c.PermitDns("example.com"), leaf: l => l.Dns("notexample.com")).Input,
            Permitted, 0, CheckNames.NameConstraints, 0),
        Rejected("Dns_InsideExcluded", p => Chain(p, ca: c => c.PermitDns("example.com").ExcludeDns("bad.example.com"), leaf: l => l.Dns("host.bad.example.com")).Input,
            Excluded, 0, CheckNames.NameConstraints, 0),
        Valid("Ip_InsidePermitted", p => Chain(p, ca: c => c.PermitIp("10.0.0.0/8"), leaf: l => l.Ip("10.1.2.3")).Input),
        Rejected("Ip_OutsidePermitted", p => Chain(p, ca: c => c.PermitIp("10.0.0.0/8"), leaf: l => l.Ip("192.168.1.1")).Input,
            Permitted, 0, CheckNames.NameConstraints, 0),
        Rejected("Ip_InsideExcluded", p => Chain(p, ca: c => c.ExcludeIp("10.1.0.0/16"), leaf: l => l.Ip("10.1.2.3")).Input,
            Excluded, 0, CheckNames.NameConstraints, 0),
        // Permitted iPAddress subtrees hold only IPv6 ranges, so an IPv4 address is in none of them (§4.2.1.10).
        Rejected("Ip_V4AgainstV6OnlyPermitted", p => Chain(p, ca: c => c.PermitIp("2001:db8::/32"), leaf: l => l.Ip("192.0.2.1")).Input,
            Permitted, 0, CheckNames.NameConstraints, 0),
        Valid("Ipv6_InsidePermitted", p => Chain(p, ca: c => c.PermitIp("2001:db8::/32"), leaf: l => l.Ip("2001:db8::1")).Input),
        Valid("Uri_InsidePermittedDomain", p => Chain(p, ca: c => c.PermitUri(".example.com"), leaf: l => l.Uri("https://api.example.com/x")).Input),
        Rejected("Uri_OutsidePermitted", p => Chain(p, ca: c => c.PermitUri(".example.com"), leaf: l => l.Uri("https://evil.test/x")).Input,
            Permitted, 0, CheckNames.NameConstraints, 0),
        Rejected("Uri_LeadingDotExcludesHostItself", p => Chain(p, ca: c => c.PermitUri(".example.com"), leaf: l => l.Uri("https://example.com/x")).Input,
            Permitted, 0, CheckNames.NameConstraints, 0),
        Rejected("Uri_InsideExcluded", p => Chain(p, ca: c => c.ExcludeUri("bad.example.com"), leaf: l => l.Uri("https://bad.example.com/path")).Input,
            Excluded, 0, CheckNames.NameConstraints, 0),
        // RFC 5280 §4.2.1.10: ".example.com" names subdomains only; the host itself is outside.
        Rejected("Email_LeadingDotExcludesHostItself", p => Chain(p, ca: c => c.PermitEmail(".example.com"), leaf: l => l.Email("dev@example.com")).Input,
            Permitted, 0, CheckNames.NameConstraints, 0),
        Valid("Email_LeadingDotPermitsSubdomain", p => Chain(p, ca: c => c.PermitEmail(".example.com"), leaf: l => l.Email("dev@mail.example.com")).Input),
        // §4.2.1.10: with no rfc822Name SAN, rfc822Name constraints apply to emailAddress attributes of the subject.
        Rejected("Email_SubjectEmailAddressOutsidePermitted", p => Chain(p, ca: c => c.PermitEmail("example.com"), leaf: l => l.Subject("CN=Differential Leaf,E=dev@evil.test")).Input,
            Permitted, 0, CheckNames.NameConstraints, 0),
        Valid("Email_InsidePermittedHost", p => Chain(p, ca: c => c.PermitEmail("example.com"), leaf: l => l.Email("dev@example.com")).Input),
        Rejected("Email_OutsidePermitted", p => Chain(p, ca: c => c.PermitEmail("example.com"), leaf: l => l.Email("dev@evil.test")).Input,
            Permitted, 0, CheckNames.NameConstraints, 0),
        Rejected("Email_InsideExcluded", p => Chain(p, ca: c => c.ExcludeEmail("bad.example.com"), leaf: l => l.Email("dev@bad.example.com")).Input,
            Excluded, 0, CheckNames.NameConstraints, 0),
        Valid("DirectoryName_SubjectInsidePermitted", p => Chain(p, ca: c => c.PermitDirectoryName("O=Allowed Org"), leaf: l => l.Subject("O=Allowed Org,CN=Differential Leaf")).Input),
        Rejected("DirectoryName_SubjectOutsidePermitted", p => Chain(p, ca: c => c.PermitDirectoryName("O=Allowed Org"), leaf: l => l.Subject("O=Other Org,CN=Differential Leaf")).Input,
            Permitted, 0, CheckNames.NameConstraints, 0),
        Rejected("DirectoryName_SubjectInsideExcluded", p => Chain(p, ca: c => c.ExcludeDirectoryName("O=Blocked Org"), leaf: l => l.Subject("O=Blocked Org,CN=Differential Leaf")).Input,
            Excluded, 0, CheckNames.NameConstraints, 0),
        Rejected("DirectoryName_SanOutsidePermitted", p => Chain(
            p, ca: c => c.PermitDirectoryName("O=Allowed Org"), leaf: l => l.Subject("O=Allowed Org,CN=Differential Leaf").DirectoryName("O=Other Org,CN=Alias")).Input,
            Permitted, 0, CheckNames.NameConstraints, 0),
        // §6.1.3(b): a self-issued intermediate's own names are exempt (the rollover certificate's subject is the CA's
        // name, outside the CA's own constraints); the leaf below it is still checked and is inside.
        Valid("DirectoryName_SelfIssuedCaExempt", p =>
        {
            var root = p.Root("Differential Root").Build();
            var ca = p.Intermediate("Differential Issuing CA", root).PermitDirectoryName("O=Allowed Org").Build();
            var rollover = p.RolloverCertificate(ca, TestKey.Generate()).Build();
            var leaf = p.Leaf(new Org.BouncyCastle.Asn1.X509.X509Name("O=Allowed Org,CN=Differential Leaf"), rollover).Build();
            return new ScenarioInput(leaf, [root], [ca, rollover]) { ExpectedPath = [leaf, rollover, ca, root] };
        }),
        // Constraints in a higher CA bind every certificate below it, not only the next one (RFC 5280 §6.1.4(g)).
        Rejected("Dns_ConstraintFromRootsChild_BindsGrandchild", p => FourTier(p, ca1: c => c.PermitDns("example.com"), leaf: l => l.Dns("www.evil.test")).Input,
            Permitted, 0, CheckNames.NameConstraints, 0),
    ];

    public static IReadOnlyList<DifferentialScenario> PurposeAndNames { get; } =
    [
        Valid("Server_ServerAuthEku", p => Chain(p, leaf: l => l.ExtendedKeyUsage(KeyPurposeID.id_kp_serverAuth)).Input with { Purpose = CertificatePurpose.Server }),
        Valid("Client_ClientAuthEku", p => Chain(p, leaf: l => l.ExtendedKeyUsage(KeyPurposeID.id_kp_clientAuth)).Input with { Purpose = CertificatePurpose.Client }),
        // RFC 5280 §4.2.1.12: no EKU extension means no restriction on purpose.
        Valid("Server_NoEku", p => Chain(p).Input with { Purpose = CertificatePurpose.Server }),
        Rejected("Server_ClientAuthEkuOnly", p => Chain(p, leaf: l => l.ExtendedKeyUsage(KeyPurposeID.id_kp_clientAuth)).Input with { Purpose = CertificatePurpose.Server },
            Purpose, 0, CheckNames.Purpose, 0),
        Rejected("Client_ServerAuthEkuOnly", p => Chain(p, leaf: l => l.ExtendedKeyUsage(KeyPurposeID.id_kp_serverAuth)).Input with { Purpose = CertificatePurpose.Client },
            Purpose, 0, CheckNames.Purpose, 0),
        Rejected("Server_CodeSigningEkuOnly", p => Chain(p, leaf: l => l.ExtendedKeyUsage(KeyPurposeID.id_kp_codeSigning)).Input with { Purpose = CertificatePurpose.Server },
            Purpose, 0, CheckNames.Purpose, 0),
        // OpenSSL's sslserver purpose wants digitalSignature, keyEncipherment or keyAgreement; nonRepudiation alone cannot do TLS.
        Rejected("Server_KeyUsageNonRepudiationOnly", p => Chain(
                p, leaf: l => l.KeyUsage(KeyUsage.NonRepudiation).ExtendedKeyUsage(KeyPurposeID.id_kp_serverAuth)).Input with { Purpose = CertificatePurpose.Server },
            Purpose, 0, CheckNames.Purpose, 0),
        Valid("Host_ExactSan", p => Chain(p, leaf: l => l.Dns("www.example.com")).Input with { Names = new NameExpectations(Host: "www.example.com") }),
        Valid("Host_CaseInsensitive", p => Chain(p, leaf: l => l.Dns("WWW.Example.COM")).Input with { Names = new NameExpectations(Host: "www.example.com") }),
        Rejected("Host_Mismatch", p => Chain(p, leaf: l => l.Dns("www.example.com")).Input with { Names = new NameExpectations(Host: "api.example.com") },
            "hostname mismatch", 0, CheckNames.Name, 0),
        Valid("Host_WildcardMatchesOneLabel", p => Chain(p, leaf: l => l.Dns("*.example.com")).Input with { Names = new NameExpectations(Host: "api.example.com") }),
        Rejected("Host_WildcardDoesNotMatchTwoLabels", p => Chain(p, leaf: l => l.Dns("*.example.com")).Input with { Names = new NameExpectations(Host: "a.b.example.com") },
            "hostname mismatch", 0, CheckNames.Name, 0),
        Rejected("Host_WildcardDoesNotMatchApex", p => Chain(p, leaf: l => l.Dns("*.example.com")).Input with { Names = new NameExpectations(Host: "example.com") },
            "hostname mismatch", 0, CheckNames.Name, 0),
        Valid("Ip_SanMatches", p => Chain(p, leaf: l => l.Ip("192.0.2.10")).Input with { Names = new NameExpectations(IpAddress: "192.0.2.10") }),
        Rejected("Ip_SanMismatch", p => Chain(p, leaf: l => l.Ip("192.0.2.10")).Input with { Names = new NameExpectations(IpAddress: "192.0.2.11") },
            "IP address mismatch", 0, CheckNames.Name, 0),
        Rejected("Ip_OnlyAsDnsName", p => Chain(p, leaf: l => l.Dns("192.0.2.10")).Input with { Names = new NameExpectations(IpAddress: "192.0.2.10") },
            "IP address mismatch", 0, CheckNames.Name, 0),
        Valid("Email_SanMatches", p => Chain(p, leaf: l => l.Email("dev@example.com")).Input with { Names = new NameExpectations(Email: "dev@example.com") }),
        Rejected("Email_SanMismatch", p => Chain(p, leaf: l => l.Email("dev@example.com")).Input with { Names = new NameExpectations(Email: "ops@example.com") },
            "email address mismatch", 0, CheckNames.Name, 0),
    ];

    public static IReadOnlyList<DifferentialScenario> Revocation { get; } =
    [
        Valid("Crl_NothingRevoked", p => Chain(p).WithCrls(p)),
        Rejected("Crl_LeafRevoked", p =>
        {
            var chain = Chain(p);
            return chain.WithCrls(p, ca: c => c.Revoke(chain.Leaf, CrlReason.KeyCompromise));
        }, Revoked, 0, CheckNames.Revocation, 0),
        Rejected("Crl_IntermediateRevoked", p =>
        {
            var chain = Chain(p);
            return chain.WithCrls(p, root: c => c.Revoke(chain.Ca, CrlReason.CACompromise));
        }, Revoked, 1, CheckNames.Revocation, 1),
        Valid("Crl_OtherSerialRevoked", p => Chain(p).WithCrls(p, ca: c => c.Revoke(Org.BouncyCastle.Math.BigInteger.ValueOf(424242), CrlReason.Superseded))),
        Rejected("Crl_LeafMissingCrl", p =>
        {
            var chain = Chain(p);
            return chain.Input with { Crls = [p.Crl(chain.Root).Build()] };
        }, NoCrl, 0, CheckNames.Revocation, 0),
        Rejected("Crl_Expired", p => Chain(p).WithCrls(p, ca: c => c.Expired()), "CRL has expired", 0, CheckNames.Revocation, 0),
        Valid("Crl_ExpiredAndFreshBothGiven", p =>
        {
            var chain = Chain(p);
            var stale = p.Crl(chain.Ca).Label("stale").Number(1).Expired().Build();
            var fresh = p.Crl(chain.Ca).Number(2).Build();
            return chain.Input with { Crls = [stale, fresh, p.Crl(chain.Root).Build()] };
        }),
        Rejected("Crl_NotYetValid", p => Chain(p).WithCrls(p, ca: c => c.ThisUpdate(p.Now + TimeSpan.FromDays(1)).NextUpdate(p.Now + TimeSpan.FromDays(8))),
            "CRL is not yet valid", 0, CheckNames.Revocation, 0),
        Rejected("Crl_SignedByWrongKey", p => Chain(p).WithCrls(p, ca: c => c.SignedWith(TestKey.Generate())), "CRL signature failure", 0, CheckNames.Revocation, 0),
        Rejected("DeltaCrl_RevokesLeaf", p =>
        {
            var chain = Chain(p, leaf: l => l.CrlDistributionPoint(CrlUri));
            var complete = p.Crl(chain.Ca).Number(5).FreshestCrl(DeltaUri).Build();
            var delta = p.Crl(chain.Ca).Label("delta").Number(6).DeltaOf(5).Revoke(chain.Leaf, CrlReason.KeyCompromise).Build();
            return chain.Input with { Crls = [complete, delta, p.Crl(chain.Root).Build()], OpenSslFlags = ["-use_deltas"] };
        }, Revoked, 0, CheckNames.Revocation, 0),
        Valid("DeltaCrl_RevokesOtherSerial", p =>
        {
            var chain = Chain(p, leaf: l => l.CrlDistributionPoint(CrlUri));
            var complete = p.Crl(chain.Ca).Number(5).FreshestCrl(DeltaUri).Build();
            var delta = p.Crl(chain.Ca).Label("delta").Number(6).DeltaOf(5).Revoke(Org.BouncyCastle.Math.BigInteger.ValueOf(77), CrlReason.KeyCompromise).Build();
            return chain.Input with { Crls = [complete, delta, p.Crl(chain.Root).Build()], OpenSslFlags = ["-use_deltas"] };
        }),
        Rejected("Crl_LeafOnHold", p =>
        {
            var chain = Chain(p);
            return chain.WithCrls(p, ca: c => c.Revoke(chain.Leaf, CrlReason.CertificateHold));
        }, Revoked, 0, CheckNames.Revocation, 0),
        // RFC 5280 §6.3.3 (i)/(j) and the end of §6.3.3: a delta listing the serial as removeFromCRL lifts the hold.
        Valid("DeltaCrl_RemoveFromCrlLiftsHold", p =>
        {
            var chain = Chain(p, leaf: l => l.CrlDistributionPoint(CrlUri));
            var complete = p.Crl(chain.Ca).Number(5).FreshestCrl(DeltaUri).Revoke(chain.Leaf, CrlReason.CertificateHold).Build();
            var delta = p.Crl(chain.Ca).Label("delta").Number(6).DeltaOf(5).Revoke(chain.Leaf, CrlReason.RemoveFromCrl).Build();
            return chain.Input with { Crls = [complete, delta, p.Crl(chain.Root).Build()], OpenSslFlags = ["-use_deltas"] };
        }),
        // §5.2.4: a delta applies only to a complete CRL numbered at least its BaseCRLNumber; this one (base 7 > 5) must be ignored.
        Valid("DeltaCrl_BaseNewerThanCompleteIgnored", p =>
        {
            var chain = Chain(p, leaf: l => l.CrlDistributionPoint(CrlUri));
            var complete = p.Crl(chain.Ca).Number(5).FreshestCrl(DeltaUri).Build();
            var delta = p.Crl(chain.Ca).Label("delta").Number(8).DeltaOf(7).Revoke(chain.Leaf, CrlReason.KeyCompromise).Build();
            return chain.Input with { Crls = [complete, delta, p.Crl(chain.Root).Build()], OpenSslFlags = ["-use_deltas"] };
        }),
        // A delta CRL alone is not a complete CRL (§5.2.4, §6.3.3(b)): the leaf's status is undetermined. OpenSSL agrees
        // only with -extended_crl (see Quirk_LoneDeltaCrlTakenAsComplete for what it does without).
        Rejected("DeltaCrl_WithoutCompleteCrl", p => LoneDelta(p, "-use_deltas", "-extended_crl"), NoCrl, 0, CheckNames.Revocation, 0),
        // §5.2: a CRL with a critical extension the application cannot process MUST NOT be used.
        Rejected("Crl_UnknownCriticalExtension", p => Chain(p).WithCrls(p, ca: c => c.Extension(TestPki.UnknownExtensionOid, true, new Org.BouncyCastle.Asn1.DerUtf8String("x"))),
            "unhandled critical CRL extension", 0, CheckNames.Revocation, 0),
        Rejected("IndirectCrl_RevokesLeaf", p => IndirectCrl(p, revokeForIssuer: chain => chain.Ca.SubjectName), Revoked, 0, CheckNames.Revocation, 0),
        Valid("IndirectCrl_SameSerialOtherIssuer", p => IndirectCrl(p, revokeForIssuer: _ => TestPki.Name("Differential Unrelated CA"))),
        Rejected("SeparateCrlSigner_RevokesLeaf", p => SeparateCrlSigner(p, KeyUsage.CrlSign, revoke: true), Revoked, 0, CheckNames.Revocation, 0),
        Valid("SeparateCrlSigner_NothingRevoked", p => SeparateCrlSigner(p, KeyUsage.CrlSign, revoke: false)),
        // The signer lacks cRLSign, so per RFC 5280 §6.3.3(f) its CRL may not be used: the engine must fail revocation
        // (UNDETERMINED), while OpenSSL uses the CRL anyway and finds the serial; the verdicts and the check still agree.
        // The non-revoking twin, where the verdicts differ, is Quirk_CrlSignerWithoutCrlSignTrusted.
        Rejected("SeparateCrlSigner_WithoutCrlSignRevoking", p => SeparateCrlSigner(p, KeyUsage.DigitalSignature, revoke: true),
            Revoked, 0, CheckNames.Revocation, 0),
        Rejected("ReasonPartitions_RevokedInSecondPartition", p => Partitioned(p, includeSecond: true, revoke: true), Revoked, 0, CheckNames.Revocation, 0),
        Valid("ReasonPartitions_BothPresentNothingRevoked", p => Partitioned(p, includeSecond: true, revoke: false)),
        // RFC 5280 §6.3.3 (after (i)): reasons_mask is not all-reasons and no CRL is left, so the status is UNDETERMINED.
        Rejected("ReasonPartitions_SecondMissing", p => Partitioned(p, includeSecond: false, revoke: false), NoCrl, 0, CheckNames.Revocation, 0),
        // RFC 5280 §6.3.3(b)(2)(ii): a CRL with onlyContainsCACerts does not cover an end entity.
        Rejected("Idp_OnlyCaCertsDoesNotCoverLeaf", p => Chain(p).WithCrls(p, ca: c => c.IssuingDistributionPoint(onlyCaCerts: true)), OutOfScope, 0, CheckNames.Revocation, 0),
        // RFC 5280 §6.3.3(b)(2)(i): a CRL with onlyContainsUserCerts does not cover a CA.
        Rejected("Idp_OnlyUserCertsDoesNotCoverCa", p => Chain(p).WithCrls(p, root: c => c.IssuingDistributionPoint(onlyUserCerts: true)), OutOfScope, 1, CheckNames.Revocation, 1),
    ];

    public static IReadOnlyList<DifferentialScenario> Policies { get; } =
    [
        Valid("Policy_AssertedAndRequired", p => Chain(p, ca: c => c.Policies(P1), leaf: l => l.Policies(P1)).Input with { Policy = Require(P1) }),
        Rejected("Policy_ExplicitRequiredNoneAsserted", p => Chain(p).Input with { Policy = new PolicyOptions([PolicyOptions.AnyPolicy], RequireExplicitPolicy: true) },
            NoExplicitPolicy, null, CheckNames.Policy, null),
        Rejected("Policy_RequiredOidNotAsserted", p => Chain(p, ca: c => c.Policies(P1), leaf: l => l.Policies(P1)).Input with { Policy = Require(P2) },
            NoExplicitPolicy, null, CheckNames.Policy, null),
        Rejected("Policy_CertificateRequiresExplicitPolicy", p => Chain(p, ca: c => c.PolicyConstraints(requireExplicitPolicySkipCerts: 0)).Input,
            NoExplicitPolicy, null, CheckNames.Policy, null),
        Valid("Policy_CertificateRequiresExplicitPolicy_Satisfied", p => Chain(p, ca: c => c.Policies(P1).PolicyConstraints(requireExplicitPolicySkipCerts: 0), leaf: l => l.Policies(P1)).Input),
        Valid("Policy_MappingAllowed", p => Chain(p, ca: c => c.Policies(P1).PolicyMapping(P1, P2), leaf: l => l.Policies(P2)).Input with { Policy = Require(P1) }),
        Rejected("Policy_MappingInhibitedByCaller", p => Chain(p, ca: c => c.Policies(P1).PolicyMapping(P1, P2), leaf: l => l.Policies(P2)).Input
            with { Policy = Require(P1) with { InhibitPolicyMapping = true } },
            NoExplicitPolicy, null, CheckNames.Policy, null),
        Rejected("Policy_MappingInhibitedByCertificate", p => FourTier(
                p,
                ca1: c => c.Policies(TestPki.AnyPolicy).PolicyConstraints(inhibitPolicyMappingSkipCerts: 0),
                ca2: c => c.Policies(P1).PolicyMapping(P1, P2),
                leaf: l => l.Policies(P2)).Input with { Policy = Require(P1) },
            NoExplicitPolicy, null, CheckNames.Policy, null),
        // §6.1.4(a): anyPolicy must not appear in a policy mapping.
        Rejected("Policy_MappingFromAnyPolicy", p => Chain(p, ca: c => c.Policies(TestPki.AnyPolicy).PolicyMapping(TestPki.AnyPolicy, P2), leaf: l => l.Policies(P2)).Input,
            "invalid or inconsistent certificate policy extension", null, CheckNames.Policy, null),
        // §6.1.3(d)(2): anyPolicy in the final certificate is processed (i = n), so it inherits the CA's P1.
        Valid("Policy_LeafAnyPolicyInheritsCaPolicy", p => Chain(p, ca: c => c.Policies(P1), leaf: l => l.Policies(TestPki.AnyPolicy)).Input with { Policy = Require(P1) }),
        Valid("Policy_AnyPolicyInCaMatchesRequired", p => Chain(p, ca: c => c.Policies(TestPki.AnyPolicy), leaf: l => l.Policies(P1)).Input with { Policy = Require(P1) }),
        Rejected("Policy_AnyPolicyInhibitedByCaller", p => Chain(p, ca: c => c.Policies(TestPki.AnyPolicy), leaf: l => l.Policies(P1)).Input
            with { Policy = Require(P1) with { InhibitAnyPolicy = true } },
            NoExplicitPolicy, null, CheckNames.Policy, null),
        Rejected("Policy_AnyPolicyInhibitedByCertificate", p => FourTier(
                p,
                ca1: c => c.Policies(TestPki.AnyPolicy).InhibitAnyPolicy(0),
                ca2: c => c.Policies(TestPki.AnyPolicy),
                leaf: l => l.Policies(P1)).Input with { Policy = Require(P1) },
            NoExplicitPolicy, null, CheckNames.Policy, null),
        Valid("Policy_InhibitAnyPolicySkipOne", p => FourTier(
                p,
                ca1: c => c.Policies(TestPki.AnyPolicy).InhibitAnyPolicy(1),
                ca2: c => c.Policies(TestPki.AnyPolicy),
                leaf: l => l.Policies(P1)).Input with { Policy = Require(P1) }),
    ];

    public static IReadOnlyList<DifferentialScenario> PathBuilding { get; } =
    [
        Valid("CrossSigned_ExpiredAndValidCrossCertificate", p => CrossSigned(p, includeValidCross: true)),
        Rejected("CrossSigned_OnlyExpiredCrossCertificate", p => CrossSigned(p, includeValidCross: false), Expired, 2, CheckNames.Validity, 2),
        Valid("KeyRollover_OldRootTrusted_NewWithOld", p =>
        {
            var oldRoot = p.Root("Differential Rollover Root").Build();
            var newKey = TestKey.Generate();
            var newWithOld = p.RolloverCertificate(oldRoot, newKey).Build();
            var ca = p.Intermediate("Differential Issuing CA", newWithOld).Build();
            var leaf = p.Leaf("Differential Leaf", ca).Build();
            return new ScenarioInput(leaf, [oldRoot], [ca, newWithOld]) { ExpectedPath = [leaf, ca, newWithOld, oldRoot] };
        }),
        Valid("KeyRollover_NewRootTrusted_OldWithNew", p =>
        {
            var oldRoot = p.Root("Differential Rollover Root").Build();
            var newRoot = p.Root("Differential Rollover Root").Build();
            var oldWithNew = p.RolloverCertificate(newRoot, oldRoot.Key).Build();
            var ca = p.Intermediate("Differential Issuing CA", oldRoot).Build();
            var leaf = p.Leaf("Differential Leaf", ca).Build();
            return new ScenarioInput(leaf, [newRoot], [ca, oldWithNew]) { ExpectedPath = [leaf, ca, oldWithNew, newRoot] };
        }),
        // RFC 5280 §6.1.4(l): self-issued certificates do not count against pathLenConstraint.
        Valid("SelfIssued_NotCountedForPathLen", p =>
        {
            var root = p.Root("Differential Root").Build();
            var ca = p.Intermediate("Differential Issuing CA", root).Ca(pathLen: 0).Build();
            var caNewKey = p.RolloverCertificate(ca, TestKey.Generate()).Ca(pathLen: 0).Build();
            var leaf = p.Leaf("Differential Leaf", caNewKey).Build();
            return new ScenarioInput(leaf, [root], [ca, caNewKey]) { ExpectedPath = [leaf, caNewKey, ca, root] };
        }),
        // Any CA can be a trust anchor (§6.1.1(d)); OpenSSL needs -partial_chain to accept one that is not self-signed.
        Valid("IntermediateAsAnchor_PartialChain", p =>
        {
            var chain = Chain(p);
            return new ScenarioInput(chain.Leaf, [chain.Ca], []) { OpenSslFlags = ["-partial_chain"], ExpectedPath = [chain.Leaf, chain.Ca] };
        }),
        Valid("TwoAnchors_SecondAnchorIssued", p =>
        {
            var chain = Chain(p);
            var other = p.Root("Differential Other Root").Build();
            return new ScenarioInput(chain.Leaf, [other, chain.Root], [chain.Ca]);
        }),
        Valid("UntrustedClutter_Ignored", p =>
        {
            var chain = Chain(p);
            var decoyRoot = p.Root("Differential Issuing CA").Build();
            return new ScenarioInput(chain.Leaf, [chain.Root], [decoyRoot, chain.Ca, p.Leaf("Differential Noise", chain.Ca).Build()])
            {
                ExpectedPath = [chain.Leaf, chain.Ca, chain.Root],
            };
        }),
    ];

    /// <summary>
    /// Where OpenSSL 3.0 and RFC 5280 part ways. OpenSSL's verdict is asserted (so the quirk stays real),
    /// the engine must follow the RFC; <see cref="DifferentialScenario.Quirk"/> names the clause.
    /// </summary>
    public static IReadOnlyList<DifferentialScenario> Quirks { get; } =
    [
        new("Quirk_CertificatePolicyConstraintsIgnoredWithoutPolicyCheck",
            p => Chain(p, ca: c => c.PolicyConstraints(requireExplicitPolicySkipCerts: 0)).Input with { PolicyCheck = false },
            OpenSslVerdict.Ok,
            new EngineVerdict(false, CheckNames.Policy),
            "OpenSSL 3.0 runs policy processing only with -policy_check (X509_V_FLAG_POLICY_CHECK), so a CA's requireExplicitPolicy=0 "
            + "is silently ignored. RFC 5280 §6.1.4(i)(1) sets explicit_policy from the certificate and §6.1.5(g) requires a non-NULL tree: invalid."),
        new("Quirk_ExplicitPolicyWithoutUserPolicySet",
            p => Chain(p, ca: c => c.Policies(P1).PolicyConstraints(requireExplicitPolicySkipCerts: 0), leaf: l => l.Policies(P1)).Input
                with { PassUserPolicySet = false },
            new OpenSslVerdict(false, NoExplicitPolicy),
            EngineVerdict.Ok,
            "Without -policy OpenSSL 3.0 takes the user-initial-policy-set as empty, so any explicit-policy requirement fails. "
            + "RFC 5280 §6.1.1(c) makes the default set {anyPolicy}; §6.1.5(g)(iii) then leaves the authority set {P1}: valid. "
            + "(Every other scenario passes -policy 2.5.29.32.0 to get the RFC default.)"),
        new("Quirk_CrlSignerWithoutCrlSignTrusted",
            p => SeparateCrlSigner(p, KeyUsage.DigitalSignature, revoke: false),
            new OpenSslVerdict(true, "[CRL path] error 26 at 0 depth lookup: unsuitable certificate purpose"),
            new EngineVerdict(false, CheckNames.Revocation, 0),
            "OpenSSL 3.0 reports the CRL signer's missing cRLSign as a CRL-path error but still uses its CRL and accepts. "
            + "RFC 5280 §6.3.3(f) requires cRLSign in the CRL issuer's key usage; without a usable CRL the status is "
            + "UNDETERMINED (§6.3.3 end), which fails verification when soft-fail is off."),
        new("Quirk_IntermediateAnchorWithoutPartialChain",
            p =>
            {
                var chain = Chain(p);
                return new ScenarioInput(chain.Leaf, [chain.Ca], []);
            },
            new OpenSslVerdict(false, "unable to get issuer certificate", 1),
            EngineVerdict.Ok,
            "Without -partial_chain OpenSSL insists on ending at a self-signed certificate. RFC 5280 §6.1.1(d) lets any trusted "
            + "name and key be the anchor; the path leaf <- CA is complete: valid."),
        new("Quirk_AnchorUnknownCriticalExtension",
            p => Chain(p, root: r => r.UnknownExtension()).Input,
            new OpenSslVerdict(false, "unhandled critical extension", 2),
            EngineVerdict.Ok,
            "OpenSSL processes the trust anchor certificate's extensions like any other. Under RFC 5280 §6.1.1(d) the anchor "
            + "contributes its name and key only (the self-signed certificate is not part of the path, §6.1), so its extensions "
            + "are never processed and an unknown critical one cannot invalidate the path."),
        new("Quirk_AnchorNameConstraintsApplied",
            p => Chain(p, root: r => r.PermitDns("example.com"), leaf: l => l.Dns("www.evil.test")).Input,
            new OpenSslVerdict(false, Permitted, 0),
            EngineVerdict.Ok,
            "OpenSSL applies name constraints found in the trust anchor certificate. RFC 5280 §6.1.2(b)/(c) initialise "
            + "permitted/excluded subtrees from the trust anchor *information* (all names / empty unless the anchor input "
            + "carries constraints, RFC 5937), and the engine takes only name and key: valid."),
        new("Quirk_LoneDeltaCrlTakenAsComplete",
            p => LoneDelta(p, "-use_deltas"),
            OpenSslVerdict.Ok,
            new EngineVerdict(false, CheckNames.Revocation, 0),
            "Without -extended_crl, OpenSSL 3.0's CRL scoring never skips delta CRLs, so an empty delta CRL is taken as the "
            + "complete CRL and the leaf passes. RFC 5280 §5.2.4: a delta only updates a complete CRL; §6.3.3(b)/(c) need a "
            + "complete CRL first, so with none the status is UNDETERMINED and verification fails without soft-fail. "
            + "Seen with Debian's 3.0.19; 3.0.22 no longer does it and agrees with the engine.")
        {
            OpenSslFixedIn = new Version(3, 0, 22),
            OpenSslOnceFixed = new OpenSslVerdict(false, NoCrl, 0),
        },
        new("Quirk_VerifiedExactlyAtNotAfter",
            p => Chain(p, leaf: l => l.ValidRelative(TimeSpan.FromDays(-1), TimeSpan.FromHours(1))).Input with { At = p.Now + TimeSpan.FromHours(1) },
            new OpenSslVerdict(false, Expired, 0),
            EngineVerdict.Ok,
            "OpenSSL's X509_cmp_time treats 'equal' as 'before', so at the notAfter second the certificate has expired. "
            + "RFC 5280 §4.1.2.5: the validity period runs from notBefore through notAfter, inclusive: valid."),
        new("Quirk_AuthorityKeyIdentifierMismatch",
            p => Chain(p, leaf: l => l.AuthorityKeyIdentifier(new byte[20])).Input with { Strict = false },
            new OpenSslVerdict(false, "unable to get local issuer certificate", 0),
            EngineVerdict.Ok,
            "OpenSSL uses AKI/SKI as a hard filter when looking up the issuer. RFC 5280 §4.2.1.1 makes the AKI an aid to path "
            + "construction only; §6.1.3 checks signature, validity, revocation and names, never the AKI. The signature verifies: valid."),
        new("Quirk_StrictRejectsMissingAuthorityKeyIdentifier",
            p => Chain(p, leaf: l => l.NoAuthorityKeyIdentifier()).Input,
            new OpenSslVerdict(false, "Missing Authority Key Identifier", 0),
            EngineVerdict.Ok,
            "-x509_strict enforces the §4.2.1.1 profile rule that conforming CAs MUST include the AKI. That binds issuers, "
            + "not relying parties: §6.1 path validation never looks at the AKI, so the path is valid."),
        new("Quirk_StrictRejectsNonCriticalCaBasicConstraints",
            p => Chain(p, ca: c => c.Ca(critical: false)).Input,
            new OpenSslVerdict(false, "Basic Constraints of CA cert not marked critical", 1),
            EngineVerdict.Ok,
            "§4.2.1.9 tells CAs to mark basicConstraints critical; §6.1.4(k) only requires that it be present with cA TRUE. Valid."),
        new("Quirk_AnchorPathLenConstraintEnforced",
            p => Chain(p, root: r => r.Ca(pathLen: 0)).Input,
            new OpenSslVerdict(false, "path length constraint exceeded", 2),
            EngineVerdict.Ok,
            "OpenSSL applies the trust anchor certificate's own pathLenConstraint. RFC 5280 §6.1.1(d) takes only the anchor's name and "
            + "key as input and §6.1.2(k) starts max_path_length at n; constraints in a self-signed anchor are not processed. Valid."),
        new("Quirk_CommonNameCheckedAgainstDnsConstraints",
            p => Chain(p, ca: c => c.PermitDns("example.com"), leaf: l => l.Subject("CN=www.evil.test")).Input,
            new OpenSslVerdict(false, Permitted, 0),
            EngineVerdict.Ok,
            "With no dNSName SAN, OpenSSL treats a host-like subject CN as a DNS name for name constraints. RFC 5280 §4.2.1.10 applies "
            + "dNSName constraints to dNSName SAN entries only (directoryName constraints to the subject); the leaf has none: valid."),
        new("Quirk_HostOnlyInCommonName",
            p => Chain(p, leaf: l => l.Subject("CN=www.example.com")).Input with { Names = new NameExpectations(Host: "www.example.com") },
            OpenSslVerdict.Ok,
            new EngineVerdict(false, CheckNames.Name, 0),
            "OpenSSL 3.0 falls back to the subject CN when there is no dNSName SAN. RFC 9525 §6.3 (superseding RFC 6125 §6.4.4) forbids "
            + "the CN fallback and NameExpectations only allows it on request, so the engine rejects (RFC 5280 itself is silent on hosts)."),
    ];

    public static IEnumerable<DifferentialScenario> All =>
        Structure.Concat(NameConstraints).Concat(PurposeAndNames).Concat(Revocation).Concat(Policies).Concat(PathBuilding).Concat(Quirks);

    public static DifferentialScenario Find(string name) => All.Single(s => s.Name == name);

    private static PolicyOptions Require(string policy) => new([policy], RequireExplicitPolicy: true);

    // ---- chain shapes ---------------------------------------------------------------------------

    public sealed record ThreeTier(TestCertificate Root, TestCertificate Ca, TestCertificate Leaf)
    {
        public ScenarioInput Input => new(Leaf, [Root], [Ca]);

        /// <summary>Complete CRLs from the issuing CA (covering the leaf) and from the root (covering the CA), as -crl_check_all needs.</summary>
        public ScenarioInput WithCrls(TestPki pki, Func<CrlBuilder, CrlBuilder>? ca = null, Func<CrlBuilder, CrlBuilder>? root = null) =>
            Input with { Crls = [(ca ?? Same)(pki.Crl(Ca)).Build(), (root ?? Same)(pki.Crl(Root)).Build()] };
    }

    public sealed record FourTierChain(TestCertificate Root, TestCertificate Ca1, TestCertificate Ca2, TestCertificate Leaf)
    {
        public ScenarioInput Input => new(Leaf, [Root], [Ca2, Ca1]);
    }

    public static ThreeTier Chain(
        TestPki pki,
        Func<CertificateBuilder, CertificateBuilder>? root = null,
        Func<CertificateBuilder, CertificateBuilder>? ca = null,
        Func<CertificateBuilder, CertificateBuilder>? leaf = null)
    {
        var r = (root ?? Same)(pki.Root("Differential Root")).Build();
        var c = (ca ?? Same)(pki.Intermediate("Differential Issuing CA", r)).Build();
        var l = (leaf ?? Same)(pki.Leaf("Differential Leaf", c)).Build();
        return new ThreeTier(r, c, l);
    }

    public static FourTierChain FourTier(
        TestPki pki,
        Func<CertificateBuilder, CertificateBuilder>? ca1 = null,
        Func<CertificateBuilder, CertificateBuilder>? ca2 = null,
        Func<CertificateBuilder, CertificateBuilder>? leaf = null)
    {
        var r = pki.Root("Differential Root").Build();
        var c1 = (ca1 ?? Same)(pki.Intermediate("Differential Policy CA", r)).Build();
        var c2 = (ca2 ?? Same)(pki.Intermediate("Differential Issuing CA", c1)).Build();
        var l = (leaf ?? Same)(pki.Leaf("Differential Leaf", c2)).Build();
        return new FourTierChain(r, c1, c2, l);
    }

    private static T Same<T>(T builder) => builder;

    /// <summary>
    /// Leaf's CDP names an indirect CRL issuer (a root-certified cRLSign-only certificate); its CRL has
    /// indirectCRL set and lists the leaf's serial under the certificateIssuer the caller chooses.
    /// </summary>
    private static ScenarioInput IndirectCrl(TestPki p, Func<ThreeTier, Org.BouncyCastle.Asn1.X509.X509Name> revokeForIssuer)
    {
        var chain = Chain(p, leaf: l => l.CrlDistributionPoint(CrlUri, crlIssuer: IndirectIssuer));
        var crlIssuer = p.Leaf(new Org.BouncyCastle.Asn1.X509.X509Name(IndirectIssuer), chain.Root).Label("crl-issuer").KeyUsage(KeyUsage.CrlSign).Build();
        var indirect = p.Crl(chain.Root).SignedBy(crlIssuer).Label("indirect")
            .IssuingDistributionPoint(CrlUri, indirect: true)
            .Revoke(chain.Leaf, CrlReason.KeyCompromise, certificateIssuer: revokeForIssuer(chain))
            .Build();
        return new ScenarioInput(chain.Leaf, [chain.Root], [chain.Ca, crlIssuer])
        {
            Crls = [indirect, p.Crl(chain.Root).Build()],
            OpenSslFlags = ["-extended_crl"],
        };
    }

    /// <summary>The issuing CA published only an (empty) delta CRL, no complete CRL.</summary>
    private static ScenarioInput LoneDelta(TestPki p, params string[] openSslFlags)
    {
        var chain = Chain(p, leaf: l => l.CrlDistributionPoint(CrlUri));
        var delta = p.Crl(chain.Ca).Label("delta").Number(6).DeltaOf(5).Build();
        return chain.Input with { Crls = [delta, p.Crl(chain.Root).Build()], OpenSslFlags = openSslFlags };
    }

    /// <summary>The issuing CA's CRLs are signed by a second key, certified by the root under the CA's own name with <paramref name="signerUsage"/>.</summary>
    private static ScenarioInput SeparateCrlSigner(TestPki p, int signerUsage, bool revoke)
    {
        var chain = Chain(p);
        var signer = p.Leaf(chain.Ca.SubjectName, chain.Root).Label("crl-signer").KeyUsage(signerUsage).Build();
        var builder = p.Crl(chain.Ca).SignedBy(signer).Label("signer");
        if (revoke)
        {
            builder.Revoke(chain.Leaf, CrlReason.KeyCompromise);
        }

        return new ScenarioInput(chain.Leaf, [chain.Root], [chain.Ca, signer])
        {
            Crls = [builder.Build(), p.Crl(chain.Root).Build()],
            OpenSslFlags = ["-extended_crl"],
        };
    }

    /// <summary>Two CRLs for one distribution point, partitioned by reason: key/CA compromise, and every other reason.</summary>
    private static ScenarioInput Partitioned(TestPki p, bool includeSecond, bool revoke)
    {
        var chain = Chain(p, leaf: l => l.CrlDistributionPoint(CrlUri));
        var compromise = p.Crl(chain.Ca).Label("compromise").Number(1).IssuingDistributionPoint(CrlUri, onlySomeReasons: KeyCompromiseAndCa).Build();
        var others = p.Crl(chain.Ca).Label("others").Number(2).IssuingDistributionPoint(CrlUri, onlySomeReasons: OtherReasons);
        if (revoke)
        {
            others.Revoke(chain.Leaf, CrlReason.Superseded);
        }

        List<TestCrl> crls = includeSecond ? [compromise, others.Build()] : [compromise];
        crls.Add(p.Crl(chain.Root).Build());
        return chain.Input with { Crls = crls, OpenSslFlags = ["-extended_crl"] };
    }

    /// <summary>
    /// The anchor certifies "Other Root" twice (one cross-certificate expired, one valid, expired listed first);
    /// the issuing CA hangs below "Other Root", whose self-signed certificate is untrusted clutter.
    /// </summary>
    private static ScenarioInput CrossSigned(TestPki p, bool includeValidCross)
    {
        var anchor = p.Root("Differential Anchor").Build();
        var other = p.Root("Differential Other Root").Build();
        var expiredCross = p.CrossCertificate(other, anchor).Label("cross-expired").Expired().Build();
        var validCross = p.CrossCertificate(other, anchor).Label("cross-valid").Build();
        var ca = p.Intermediate("Differential Issuing CA", other).Build();
        var leaf = p.Leaf("Differential Leaf", ca).Build();
        // Without the valid cross-certificate the self-signed "Other Root" is left out too, or OpenSSL would stop there
        // ("self-signed certificate in certificate chain") instead of at the expired cross-certificate.
        List<TestCertificate> untrusted = includeValidCross ? [ca, expiredCross, validCross, other] : [ca, expiredCross];
        return new ScenarioInput(leaf, [anchor], untrusted)
        {
            ExpectedPath = includeValidCross ? [leaf, ca, validCross, anchor] : null,
        };
    }
}
