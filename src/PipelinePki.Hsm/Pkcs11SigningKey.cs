using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Net.Pkcs11Interop.HighLevelAPI.Factories;
using PipelinePki.Core;
using PipelinePki.Core.Keys;

namespace PipelinePki.Hsm;

/// <summary>
/// A key on a PKCS#11 token. Hashing happens here (SHA-256, or SHA-384 for P-384 and RSA-4096, as
/// for software keys); the token only signs the digest, so the private key never leaves it.
/// Dispose logs out, closes the session and unloads the module.
/// </summary>
public sealed class Pkcs11SigningKey : ISigningKey
{
    // DER DigestInfo headers (RFC 8017 §9.2 note 1) that precede the hash for CKM_RSA_PKCS.
    private static readonly byte[] Sha256DigestInfo = [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];
    private static readonly byte[] Sha384DigestInfo = [0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30];

    private readonly IPkcs11Library library;
    private readonly ISession session;
    private readonly IObjectHandle privateKey;
    private readonly IMechanismFactory mechanisms;
    private readonly byte[] subjectPublicKeyInfo;
    private readonly Lock gate = new();
    private bool disposed;

    internal Pkcs11SigningKey(IPkcs11Library library, ISession session, IObjectHandle privateKey, KeySpec spec, byte[] subjectPublicKeyInfo, IMechanismFactory mechanisms)
    {
        this.library = library;
        this.session = session;
        this.privateKey = privateKey;
        this.mechanisms = mechanisms;
        this.subjectPublicKeyInfo = subjectPublicKeyInfo;
        Spec = spec;
    }

    public KeySpec Spec { get; }

    public byte[] SubjectPublicKeyInfo => (byte[])subjectPublicKeyInfo.Clone();

    public byte[] SignatureAlgorithmIdentifier
    {
        get
        {
            var writer = new AsnWriter(AsnEncodingRules.DER);
            using (writer.PushSequence())
            {
                if (Spec.Family == KeyAlgorithmFamily.Ecdsa)
                {
                    writer.WriteObjectIdentifier(UsesSha384 ? "1.2.840.10045.4.3.3" : "1.2.840.10045.4.3.2");
                }
                else
                {
                    writer.WriteObjectIdentifier(UsesSha384 ? "1.2.840.113549.1.1.12" : "1.2.840.113549.1.1.11");
                    writer.WriteNull();
                }
            }

            return writer.Encode();
        }
    }

    private bool UsesSha384 => Spec.Family == KeyAlgorithmFamily.Ecdsa ? Spec.Bits == 384 : Spec.Bits >= 4096;

    public byte[] Sign(ReadOnlySpan<byte> data)
    {
        var hash = UsesSha384 ? SHA384.HashData(data) : SHA256.HashData(data);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            try
            {
                if (Spec.Family == KeyAlgorithmFamily.Ecdsa)
                {
                    using var mechanism = mechanisms.Create(CKM.CKM_ECDSA);
                    return ToDer(session.Sign(mechanism, privateKey, hash));
                }

                using var rsa = mechanisms.Create(CKM.CKM_RSA_PKCS);
                return session.Sign(rsa, privateKey, [.. UsesSha384 ? Sha384DigestInfo : Sha256DigestInfo, .. hash]);
            }
            catch (Pkcs11Exception e)
            {
                throw new BadInputException($"PKCS#11 token refused to sign with the {Spec} key ({e.RV}).", e);
            }
        }
    }

    /// <summary>Reads attributes of the private key object, for tests that prove it stays on the token.</summary>
    internal List<IObjectAttribute> ReadPrivateKeyAttributes(List<CKA> attributes)
    {
        lock (gate)
        {
            return session.GetAttributeValue(privateKey, attributes);
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            Pkcs11KeyStore.TryLogout(session);
            session.Dispose();
            library.Dispose();
        }
    }

    // PKCS#11 ECDSA signatures are r || s, each as wide as the curve order; X.509 wants Ecdsa-Sig-Value.
    private static byte[] ToDer(byte[] raw)
    {
        if (raw.Length == 0 || raw.Length % 2 != 0)
        {
            throw new BadInputException($"PKCS#11 token returned a malformed ECDSA signature ({raw.Length} bytes).");
        }

        var half = raw.Length / 2;
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(new BigInteger(raw.AsSpan(0, half), isUnsigned: true, isBigEndian: true));
            writer.WriteInteger(new BigInteger(raw.AsSpan(half), isUnsigned: true, isBigEndian: true));
        }

        return writer.Encode();
    }
}
