using System.Runtime.InteropServices;

namespace PipelinePki.Core.Validation;

/// <summary>
/// ECDSA and RSA PKCS#1 v1.5 signature checks straight through OpenSSL's libcrypto: <c>d2i_PUBKEY</c>
/// then <c>EVP_DigestVerify</c>, the calls <c>openssl verify</c> itself makes. The platform's own path
/// (<c>ECDsa.ImportSubjectPublicKeyInfo</c>) re-encodes the key and checks the point by multiplying it by
/// the group order, which costs more than the verification (1.5 ms against 1 ms for P-384 here); decoding
/// the DER key directly still rejects points that are not on the curve.
/// </summary>
/// <remarks>
/// Linux with OpenSSL 3 only (the library .NET itself uses there). Anywhere else <see cref="TryCreate"/>
/// returns null and <see cref="SignatureVerifier"/> uses the platform classes. The key type is checked
/// against the signature algorithm before verifying: an RSA key never answers for an ECDSA signature.
/// </remarks>
internal sealed class OpenSslDigestVerify : IDisposable
{
    private const string Library = "libcrypto.so.3";
    private const int EvpPkeyRsa = 6;
    private const int EvpPkeyEc = 408;

    private readonly Dictionary<string, nint> keys = new(StringComparer.Ordinal);

    private OpenSslDigestVerify()
    {
    }

    public enum KeyKind
    {
        Ec,
        Rsa,
    }

    /// <summary>A verifier, or null when libcrypto 3 is not the platform's crypto library here.</summary>
    public static OpenSslDigestVerify? TryCreate()
    {
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        try
        {
            // Resolves the library and every entry point now, so a missing one means "use the fallback", not a failure later.
            Native.ERR_clear_error();
            _ = Native.EVP_sha256();
            return new OpenSslDigestVerify();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    /// <summary>
    /// True when the signature verifies; false when it does not, when the key is not of <paramref name="kind"/>,
    /// or when OpenSSL cannot read the key or the signature.
    /// </summary>
    public bool Verify(KeyKind kind, string hashName, ReadOnlySpan<byte> signedBytes, byte[] signature, byte[] subjectPublicKeyInfo)
    {
        if (signedBytes.IsEmpty || signature.Length == 0 || subjectPublicKeyInfo.Length == 0)
        {
            return false;
        }

        var key = Key(subjectPublicKeyInfo);
        if (key == 0 || Native.EVP_PKEY_get_base_id(key) != (kind == KeyKind.Ec ? EvpPkeyEc : EvpPkeyRsa))
        {
            return false;
        }

        var digest = hashName switch
        {
            "SHA256" => Native.EVP_sha256(),
            "SHA384" => Native.EVP_sha384(),
            "SHA512" => Native.EVP_sha512(),
            _ => 0,
        };
        if (digest == 0)
        {
            return false;
        }

        var context = Native.EVP_MD_CTX_new();
        if (context == 0)
        {
            throw new InvalidOperationException("OpenSSL could not allocate a digest context.");
        }

        try
        {
            // RSA keys verify with PKCS#1 v1.5 padding by default; ECDSA takes the DER Ecdsa-Sig-Value X.509 carries.
            return Native.EVP_DigestVerifyInit(context, 0, digest, 0, key) == 1
                && Native.EVP_DigestVerify(context, ref signature[0], (nuint)signature.Length, ref MemoryMarshal.GetReference(signedBytes), (nuint)signedBytes.Length) == 1;
        }
        finally
        {
            Native.EVP_MD_CTX_free(context);
            // A failed verification leaves entries on this thread's OpenSSL error queue; the platform's crypto shares it.
            Native.ERR_clear_error();
        }
    }

    public void Dispose()
    {
        foreach (var key in keys.Values.Where(k => k != 0))
        {
            Native.EVP_PKEY_free(key);
        }

        keys.Clear();
    }

    /// <summary>The decoded key (0 when OpenSSL rejects the DER), decoded once per distinct SubjectPublicKeyInfo.</summary>
    private nint Key(byte[] subjectPublicKeyInfo)
    {
        var cacheKey = Convert.ToHexString(subjectPublicKeyInfo);
        if (keys.TryGetValue(cacheKey, out var key))
        {
            return key;
        }

        var buffer = Marshal.AllocHGlobal(subjectPublicKeyInfo.Length);
        try
        {
            Marshal.Copy(subjectPublicKeyInfo, 0, buffer, subjectPublicKeyInfo.Length);
            var cursor = buffer;
            key = Native.d2i_PUBKEY(0, ref cursor, subjectPublicKeyInfo.Length);
            if (key != 0 && cursor != buffer + subjectPublicKeyInfo.Length)
            {
                // Trailing bytes after the SubjectPublicKeyInfo: not a DER encoding of one key.
                Native.EVP_PKEY_free(key);
                key = 0;
            }
        }
        finally
        {
            Marshal.FreeHGlobal(buffer);
            Native.ERR_clear_error();
        }

        keys[cacheKey] = key;
        return key;
    }

    private static class Native
    {
        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern nint d2i_PUBKEY(nint existing, ref nint cursor, long length);

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern void EVP_PKEY_free(nint key);

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int EVP_PKEY_get_base_id(nint key);

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern nint EVP_MD_CTX_new();

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern void EVP_MD_CTX_free(nint context);

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern nint EVP_sha256();

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern nint EVP_sha384();

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern nint EVP_sha512();

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int EVP_DigestVerifyInit(nint context, nint keyContext, nint digest, nint engine, nint key);

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int EVP_DigestVerify(nint context, ref byte signature, nuint signatureLength, ref byte data, nuint dataLength);

        [DllImport(Library)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern void ERR_clear_error();
    }
}
