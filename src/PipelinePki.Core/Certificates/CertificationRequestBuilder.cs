using Org.BouncyCastle.Asn1;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Pkcs;
using PipelinePki.Core.Encoding;
using PipelinePki.Core.Keys;

namespace PipelinePki.Core.Certificates;

/// <summary>
/// PKCS#10 requests signed by any <see cref="ISigningKey"/>: the way a key that must stay where it is
/// (in memory for an ephemeral signer, on disk for <c>cert renew --reuse-key</c>, in a token) gets
/// certified by any source that takes a CSR.
/// </summary>
public static class CertificationRequestBuilder
{
    /// <summary>DER PKCS#10 with subject CN=<paramref name="commonName"/>; no requested extensions (the source decides them).</summary>
    public static byte[] Create(ISigningKey key, string commonName)
    {
        ArgumentNullException.ThrowIfNull(key);
        var request = new Pkcs10CertificationRequest(
            new KeySignatureFactory(key),
            CertificateFactory.LeafName(string.IsNullOrWhiteSpace(commonName) ? "pipeline-pki" : commonName),
            SubjectPublicKeyInfo.GetInstance(key.SubjectPublicKeyInfo),
            new DerSet());
        return request.GetEncoded();
    }

    public static string ToPem(byte[] der) => Pem.Encode("CERTIFICATE REQUEST", der);
}
