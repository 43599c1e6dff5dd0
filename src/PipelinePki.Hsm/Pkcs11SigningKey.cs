using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using PipelinePki.Core;
using PipelinePki.Core.Keys;
using PipelinePki.Hsm.Interop;

namespace PipelinePki.Hsm;

/// <summary>
/// A key on a PKCS#11 token. Hashing happens here (SHA-256, or SHA-384 for P-384 and RSA-4096, as
/// for software keys); the token only signs the digest (CKM_ECDSA, or CKM_RSA_PKCS over a DER
/// DigestInfo), so an artifact of any size is hashed once, in process, and the private key never
/// leaves the token. Dispose closes the session and unloads the module.
/// </summary>
public sealed class Pkcs11SigningKey : IDigestSigningKey
{
    // DER DigestInfo headers (RFC 8017 §9.2 note 1) that precede the hash for CKM_RSA_PKCS.
    private static readonly byte[] Sha256DigestInfo = [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];
    private static readonly byte[] Sha384DigestInfo = [0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30];

    private readonly Pkcs11Library library;
    private readonly nuint session;
    private readonly nuint privateKey;
    private readonly byte[] subjectPublicKeyInfo;
    private readonly string where;

    // A PKCS#11 session runs one operation at a time (SignInit then Sign).
    private readonly Lock gate = new();
    private bool disposed;

    internal Pkcs11SigningKey(Pkcs11Library library, nuint session, nuint privateKey, KeySpec spec, byte[] subjectPublicKeyInfo, string where)
    {
        this.library = library;
        this.session = session;
        this.privateKey = privateKey;
        this.subjectPublicKeyInfo = subjectPublicKeyInfo;
        this.where = where;
        Spec = spec;
    }

    public KeySpec Spec { get; }

    /// <summary>The key as errors name it: <c>pkcs11:token=…;object=…</c>, never a PIN.</summary>
    public string Description => where;

    public byte[] SubjectPublicKeyInfo => (byte[])subjectPublicKeyInfo.Clone();

    public HashAlgorithmName SignatureHash => UsesSha384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;

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

    public byte[] Sign(ReadOnlySpan<byte> data) => SignDigest(UsesSha384 ? SHA384.HashData(data) : SHA256.HashData(data));

    public byte[] SignDigest(ReadOnlySpan<byte> digest)
    {
        var expected = UsesSha384 ? 48 : 32;
        if (digest.Length != expected)
        {
            throw new ArgumentException($"a {SignatureHash.Name} digest is {expected} bytes, not {digest.Length}.", nameof(digest));
        }

        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            try
            {
                if (Spec.Family == KeyAlgorithmFamily.Ecdsa)
                {
                    return ToDer(library.Sign(session, privateKey, Ck.Ecdsa, digest));
                }

                return library.Sign(session, privateKey, Ck.RsaPkcs, [.. UsesSha384 ? Sha384DigestInfo : Sha256DigestInfo, .. digest]);
            }
            catch (Pkcs11CallException e)
            {
                throw new BadInputException($"{where}: the PKCS#11 token refused to sign with the {Spec} key ({e.Function}: {e.ReturnValueName}).", e);
            }
        }
    }

    /// <summary>Reads attributes of the private key object (null where the token refuses), for tests that prove it stays on the token.</summary>
    internal byte[]?[] ReadPrivateKeyAttributes(params ulong[] types)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return library.GetAttributes(session, privateKey, types);
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

            // No C_Logout: login state is shared by every session of this process on the token, and
            // another key may still be open; closing the last session logs out (PKCS#11 §5.6).
            library.CloseSession(session);
            library.Dispose();
        }
    }

    // PKCS#11 ECDSA signatures are r || s, each as wide as the curve order; X.509 and CMS want Ecdsa-Sig-Value.
    private byte[] ToDer(byte[] raw)
    {
        if (raw.Length == 0 || raw.Length % 2 != 0)
        {
            throw new BadInputException($"{where}: the PKCS#11 token returned a malformed ECDSA signature ({raw.Length} bytes).");
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
