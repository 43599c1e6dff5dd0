using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.X509;
using PipelinePki.Core.Encoding;

namespace PipelinePki.TestKit.Pki;

/// <summary>A generated certificate together with the key it certifies.</summary>
public sealed class TestCertificate
{
    public TestCertificate(X509Certificate certificate, TestKey key, string label)
    {
        Certificate = certificate;
        Key = key;
        Label = label;
    }

    public X509Certificate Certificate { get; }

    public TestKey Key { get; }

    /// <summary>A short name for file names and messages ("root", "intermediate", ...).</summary>
    public string Label { get; }

    public X509Name SubjectName => Certificate.SubjectDN;

    public X509Name IssuerName => Certificate.IssuerDN;

    public BigInteger Serial => Certificate.SerialNumber;

    /// <summary>The SKI extension's value, or null when the certificate carries none.</summary>
    public byte[]? SubjectKeyIdentifier
    {
        get
        {
            var value = Certificate.GetExtensionValue(X509Extensions.SubjectKeyIdentifier);
            return value is null ? null : Org.BouncyCastle.Asn1.X509.SubjectKeyIdentifier.GetInstance(Asn1Object.FromByteArray(value.GetOctets())).GetKeyIdentifier();
        }
    }

    public byte[] Der => Certificate.GetEncoded();

    public string ToPem() => Pem.Encode("CERTIFICATE", Der);

    public string WritePem(TempDirectory directory, string? fileName = null)
    {
        var path = directory.Combine(fileName ?? Label + ".pem");
        File.WriteAllText(path, ToPem());
        return path;
    }

    public string WriteKeyPem(TempDirectory directory, string? fileName = null) => Key.WritePem(directory, fileName ?? Label + ".key");

    /// <summary>
    /// The same certificate with one bit of its signature flipped: the TBS part is untouched,
    /// so names, keys and extensions still chain, but the signature no longer verifies.
    /// </summary>
    public TestCertificate WithTamperedSignature()
    {
        var structure = Certificate.CertificateStructure;
        var signature = structure.Signature.GetOctets();
        // The last octet belongs to the signature value itself (the s of ECDSA, the tail of RSA and Ed25519),
        // so the DER stays well formed while the value changes.
        signature[^1] ^= 0x01;
        var tampered = new DerSequence(structure.TbsCertificate, structure.SignatureAlgorithm, new DerBitString(signature));
        return new TestCertificate(new X509Certificate(X509CertificateStructure.GetInstance(tampered)), Key, Label + "-tampered");
    }

    public override string ToString() => $"{Label} ({SubjectName})";
}
