namespace PipelinePki.Core.Keys;

/// <summary>
/// A private key that can sign, wherever it lives (memory, an encrypted file, an HSM). Certificate,
/// CRL and signature builders see only this, so a hardware key stands in for a software one.
/// </summary>
public interface ISigningKey : IDisposable
{
    KeySpec Spec { get; }

    /// <summary>DER SubjectPublicKeyInfo of the matching public key.</summary>
    byte[] SubjectPublicKeyInfo { get; }

    /// <summary>DER AlgorithmIdentifier of the signature this key produces (what goes into signatureAlgorithm).</summary>
    byte[] SignatureAlgorithmIdentifier { get; }

    /// <summary>Signs <paramref name="data"/> (hashing it as the algorithm requires); ECDSA signatures are DER Ecdsa-Sig-Value.</summary>
    byte[] Sign(ReadOnlySpan<byte> data);
}

/// <summary>A key whose private part the process holds and may export (to write <c>key.pem</c> or an encrypted CA key).</summary>
public interface IExportableKey : ISigningKey
{
    /// <summary>Unencrypted PKCS#8 PrivateKeyInfo. The caller owns the array and must clear it.</summary>
    byte[] ExportPkcs8();
}
