using System.Formats.Asn1;
using System.Security.Cryptography;
using PipelinePki.Core;
using PipelinePki.Core.Keys;
using PipelinePki.Hsm.Interop;

namespace PipelinePki.Hsm;

/// <summary>Which key to open and where its PIN is. The PIN comes from the environment, never from the URI or the command line.</summary>
/// <param name="PinEnvironmentVariable">The name of the environment variable holding the user PIN (--pin-env).</param>
/// <param name="ModulePath">The PKCS#11 module when the URI has no <c>module-path</c>.</param>
public sealed record Pkcs11KeyRequest(Pkcs11Uri Uri, string PinEnvironmentVariable, string? ModulePath = null);

/// <summary>
/// Opens a private key that lives on a PKCS#11 token: loads the module, finds the token by label,
/// logs in as the user and finds the key by label and/or id, or generates it there. Only the
/// public half is read out.
/// </summary>
public static class Pkcs11KeyStore
{
    // DER OIDs of the named curves, as CKA_EC_PARAMS carries them.
    private static readonly byte[] P256Parameters = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07];
    private static readonly byte[] P384Parameters = [0x06, 0x05, 0x2B, 0x81, 0x04, 0x00, 0x22];

    public static Pkcs11SigningKey Open(Pkcs11KeyRequest request) =>
        WithPin(request, (uri, pin, module) => Open(uri, pin, module));

    /// <summary>Opens the key, or generates it on the token (sensitive, never extractable) when absent.</summary>
    public static (Pkcs11SigningKey Key, bool Generated) OpenOrGenerate(Pkcs11KeyRequest request, KeySpec spec) =>
        WithPin(request, (uri, pin, module) => OpenOrGenerate(uri, pin, spec, module));

    /// <summary>Opens the key with a PIN the caller already holds.</summary>
    public static Pkcs11SigningKey Open(Pkcs11Uri uri, ReadOnlySpan<char> pin, string? modulePath = null) =>
        OpenCore(uri, pin, modulePath, generate: null).Key;

    public static (Pkcs11SigningKey Key, bool Generated) OpenOrGenerate(Pkcs11Uri uri, ReadOnlySpan<char> pin, KeySpec spec, string? modulePath = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (spec.Family == KeyAlgorithmFamily.Ed25519)
        {
            throw new UsageException($"{uri.Description}: ed25519 keys are not generated on PKCS#11 tokens here; use ecdsa-p384, ecdsa-p256, rsa-3072 or rsa-4096.");
        }

        return OpenCore(uri, pin, modulePath, spec);
    }

    private delegate T PinAction<T>(Pkcs11Uri uri, ReadOnlySpan<char> pin, string? modulePath);

    private static T WithPin<T>(Pkcs11KeyRequest request, PinAction<T> action)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pin = Environment.GetEnvironmentVariable(request.PinEnvironmentVariable);
        if (string.IsNullOrEmpty(pin))
        {
            throw new UsageException($"--pin-env {request.PinEnvironmentVariable}: the environment variable is not set; put the token's user PIN in it.");
        }

        return action(request.Uri, pin.AsSpan(), request.ModulePath);
    }

    private static (Pkcs11SigningKey Key, bool Generated) OpenCore(Pkcs11Uri uri, ReadOnlySpan<char> pin, string? modulePath, KeySpec? generate)
    {
        ArgumentNullException.ThrowIfNull(uri);
        var where = uri.Description;
        if (uri.Type is not null and not "private")
        {
            throw new UsageException($"{where}: type={uri.Type} does not name a private key; use type=private or leave type out.");
        }

        if (uri.Object is null && uri.Id is null)
        {
            throw new UsageException($"{where}: the URI must name the key with object= (label) and/or id=.");
        }

        var module = uri.ModulePath ?? modulePath
            ?? throw new UsageException($"{where}: no PKCS#11 module; pass --module PATH, set PIPELINE_PKI_PKCS11_MODULE, or add ?module-path=/path/to/module.so to the URI.");
        if (!File.Exists(module))
        {
            throw new BadInputException($"{module}: PKCS#11 module not found (for {where}); install the token's PKCS#11 library or fix --module / PIPELINE_PKI_PKCS11_MODULE.");
        }

        Pkcs11Library library;
        try
        {
            library = Pkcs11Library.Load(module);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException or EntryPointNotFoundException or PlatformNotSupportedException or Pkcs11CallException)
        {
            throw new BadInputException($"{module}: cannot load the PKCS#11 module ({OneLine(e.Message)}); check that it is a 64-bit PKCS#11 library.", e);
        }

        nuint? session = null;
        try
        {
            var slot = FindSlot(library, uri, module);
            session = library.OpenSession(slot, readWrite: generate is not null);
            Login(library, session.Value, pin, where);
            var privateKey = FindPrivateKey(library, session.Value, uri, where, allowNone: generate is not null);
            nuint? publicKey = null;
            var generated = false;
            if (privateKey is null)
            {
                (publicKey, privateKey) = Generate(library, session.Value, uri, generate!, where);
                generated = true;
            }

            var publicKeyInfo = ReadPublicKey(library, session.Value, privateKey.Value, publicKey, where);
            var spec = SpecOf(publicKeyInfo, where);
            return (new Pkcs11SigningKey(library, session.Value, privateKey.Value, spec, publicKeyInfo, where), generated);
        }
        catch (Pkcs11CallException e)
        {
            Release(library, session);
            throw new BadInputException($"{where}: the PKCS#11 module {module} failed: {e.Function} returned {e.ReturnValueName}.", e);
        }
        catch
        {
            Release(library, session);
            throw;
        }
    }

    private static void Release(Pkcs11Library library, nuint? session)
    {
        if (session is { } open)
        {
            library.CloseSession(open);
        }

        library.Dispose();
    }

    private static nuint FindSlot(Pkcs11Library library, Pkcs11Uri uri, string module)
    {
        var labels = new List<string>();
        foreach (var slot in library.GetSlotsWithToken())
        {
            var info = library.GetTokenInfo(slot);
            labels.Add(info.Label);
            if ((uri.Token is null || info.Label == uri.Token)
                && (uri.Serial is null || info.SerialNumber == uri.Serial)
                && (uri.Manufacturer is null || info.Manufacturer == uri.Manufacturer)
                && (uri.Model is null || info.Model == uri.Model))
            {
                return slot;
            }
        }

        var present = labels.Count == 0 ? "no token is present" : "tokens present: " + string.Join(", ", labels);
        throw new BadInputException($"token '{uri.Token ?? "(any)"}' not found in PKCS#11 module {module} (for {uri.Description}); {present}.");
    }

    private static void Login(Pkcs11Library library, nuint session, ReadOnlySpan<char> pin, string where)
    {
        var pinBytes = new byte[System.Text.Encoding.UTF8.GetByteCount(pin)];
        System.Text.Encoding.UTF8.GetBytes(pin, pinBytes);
        try
        {
            // false: this process is already logged in to the token (another key from it is open).
            _ = library.Login(session, pinBytes);
        }
        catch (Pkcs11CallException e) when (e.ReturnValue is Ckr.PinIncorrect or Ckr.PinInvalid or Ckr.PinLenRange)
        {
            throw new BadInputException($"{where}: PIN rejected by the token ({e.ReturnValueName}); check the variable named by --pin-env.", e);
        }
        catch (Pkcs11CallException e) when (e.ReturnValue is Ckr.PinLocked or Ckr.PinExpired)
        {
            throw new BadInputException($"{where}: the token refuses the user PIN ({e.ReturnValueName}); ask its security officer to reset it.", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pinBytes);
        }
    }

    private static nuint? FindPrivateKey(Pkcs11Library library, nuint session, Pkcs11Uri uri, string where, bool allowNone)
    {
        var template = new List<Pkcs11Attribute> { Pkcs11Attribute.Number(Cka.Class, Ck.PrivateKeyClass) };
        if (uri.Object is not null)
        {
            template.Add(Pkcs11Attribute.Text(Cka.Label, uri.Object));
        }

        if (uri.Id is { } id)
        {
            template.Add(new Pkcs11Attribute(Cka.Id, id.ToArray()));
        }

        var found = library.FindObjects(session, template);
        return found.Count switch
        {
            1 => found[0],
            0 when allowNone => null,
            0 => throw new BadInputException($"{where}: no private key object '{uri.Object ?? "(any label)"}' on token '{uri.Token ?? "(any)"}'; check object=/id= in the URI (pkcs11-tool --list-objects shows what is there)."),
            _ => throw new BadInputException($"{where}: {found.Count} private keys match; add id= or object= to the URI to pick one."),
        };
    }

    private static (nuint PublicKey, nuint PrivateKey) Generate(Pkcs11Library library, nuint session, Pkcs11Uri uri, KeySpec spec, string where)
    {
        // An id links the two halves (and is how tools pair keys with certificates); a fresh one when the URI gives none.
        var id = uri.Id?.ToArray() ?? RandomNumberGenerator.GetBytes(16);
        var common = new List<Pkcs11Attribute> { Pkcs11Attribute.Bool(Cka.Token, true), new(Cka.Id, id) };
        if (uri.Object is not null)
        {
            common.Add(Pkcs11Attribute.Text(Cka.Label, uri.Object));
        }

        List<Pkcs11Attribute> publicTemplate = [.. common, Pkcs11Attribute.Bool(Cka.Verify, true), Pkcs11Attribute.Bool(Cka.Private, false)];
        List<Pkcs11Attribute> privateTemplate =
        [
            .. common,
            Pkcs11Attribute.Bool(Cka.Sign, true),
            Pkcs11Attribute.Bool(Cka.Private, true),
            Pkcs11Attribute.Bool(Cka.Sensitive, true),
            Pkcs11Attribute.Bool(Cka.Extractable, false),
        ];
        nuint mechanism;
        if (spec.Family == KeyAlgorithmFamily.Ecdsa)
        {
            mechanism = Ck.EcKeyPairGen;
            publicTemplate.Add(new Pkcs11Attribute(Cka.EcParams, spec.Bits == 384 ? P384Parameters : P256Parameters));
        }
        else
        {
            mechanism = Ck.RsaPkcsKeyPairGen;
            publicTemplate.Add(Pkcs11Attribute.Number(Cka.ModulusBits, (nuint)spec.Bits));
            publicTemplate.Add(new Pkcs11Attribute(Cka.PublicExponent, [0x01, 0x00, 0x01]));
        }

        try
        {
            return library.GenerateKeyPair(session, mechanism, publicTemplate, privateTemplate);
        }
        catch (Pkcs11CallException e)
        {
            throw new BadInputException($"{where}: the token could not generate a {spec} key ({e.ReturnValueName}).", e);
        }
    }

    private static byte[] ReadPublicKey(Pkcs11Library library, nuint session, nuint privateKey, nuint? knownPublicKey, string where)
    {
        var attributes = library.GetAttributes(session, privateKey, Cka.KeyType, Cka.Id, Cka.Label);
        var keyType = attributes[0] is { Length: 8 } type ? (nuint)BitConverter.ToUInt64(type) : nuint.MaxValue;
        var publicKeys = new List<nuint>();
        if (knownPublicKey is { } generated)
        {
            publicKeys.Add(generated);
        }
        else
        {
            var template = new List<Pkcs11Attribute> { Pkcs11Attribute.Number(Cka.Class, Ck.PublicKeyClass) };
            if (attributes[1] is { Length: > 0 } id)
            {
                template.Add(new Pkcs11Attribute(Cka.Id, id));
            }
            else if (attributes[2] is { } label)
            {
                template.Add(new Pkcs11Attribute(Cka.Label, label));
            }

            publicKeys = library.FindObjects(session, template);
        }

        switch (keyType)
        {
            case Ck.KeyTypeEc:
            {
                if (publicKeys.Count != 1)
                {
                    throw new BadInputException($"{where}: found {publicKeys.Count} public key objects matching the private key; the EC public key cannot be read without exactly one.");
                }

                var ec = library.GetAttributes(session, publicKeys[0], Cka.EcParams, Cka.EcPoint);
                if (ec[0] is not { } parameters || ec[1] is not { } point)
                {
                    throw new BadInputException($"{where}: the token does not reveal the EC public key (CKA_EC_PARAMS/CKA_EC_POINT).");
                }

                return PublicKeyInfo.FromEc(parameters, point, where);
            }

            case Ck.KeyTypeRsa:
            {
                // Tokens usually expose modulus and exponent on the private key too; the public object is preferred.
                var source = publicKeys.Count == 1 ? publicKeys[0] : privateKey;
                var rsa = library.GetAttributes(session, source, Cka.Modulus, Cka.PublicExponent);
                if (rsa[0] is not { } modulus || rsa[1] is not { } exponent)
                {
                    throw new BadInputException($"{where}: the token does not reveal the RSA public key (modulus/exponent).");
                }

                return PublicKeyInfo.FromRsa(modulus, exponent);
            }

            default:
                throw new BadInputException($"{where}: key type 0x{(ulong)keyType:X} is not supported; use an ECDSA P-256/P-384 or RSA 3072/4096 key.");
        }
    }

    private static KeySpec SpecOf(byte[] subjectPublicKeyInfo, string where)
    {
        try
        {
            using var key = PublicKeyInfo.Import(subjectPublicKeyInfo);
            return key switch
            {
                ECDsa { KeySize: 256 } => KeySpec.EcdsaP256,
                ECDsa { KeySize: 384 } => KeySpec.EcdsaP384,
                RSA { KeySize: 3072 } => KeySpec.Rsa3072,
                RSA { KeySize: 4096 } => KeySpec.Rsa4096,
                _ => throw new BadInputException($"{where}: {(key is RSA ? "RSA" : "ECDSA")} keys of {key.KeySize} bits are not supported; use ecdsa-p256, ecdsa-p384, rsa-3072 or rsa-4096."),
            };
        }
        catch (CryptographicException e)
        {
            throw new BadInputException($"{where}: the token's public key is malformed or on an unsupported curve.", e);
        }
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}

/// <summary>DER SubjectPublicKeyInfo from the attributes a token exposes.</summary>
internal static class PublicKeyInfo
{
    private const string OidEcPublicKey = "1.2.840.10045.2.1";
    private const string OidRsaEncryption = "1.2.840.113549.1.1.1";

    public static byte[] FromEc(byte[] ecParams, byte[] ecPoint, string where)
    {
        // PKCS#11 says CKA_EC_POINT is a DER OCTET STRING; some tokens return the bare point. Accept both.
        var point = ecPoint;
        try
        {
            var inner = AsnDecoder.ReadOctetString(ecPoint, AsnEncodingRules.DER, out var consumed);
            if (consumed == ecPoint.Length && inner.Length % 2 == 1 && inner[0] == 0x04)
            {
                point = inner;
            }
        }
        catch (AsnContentException)
        {
            // Not DER: the bare point.
        }

        try
        {
            var writer = new AsnWriter(AsnEncodingRules.DER);
            using (writer.PushSequence())
            {
                using (writer.PushSequence())
                {
                    writer.WriteObjectIdentifier(OidEcPublicKey);
                    writer.WriteEncodedValue(ecParams);
                }

                writer.WriteBitString(point);
            }

            return writer.Encode();
        }
        catch (ArgumentException e)
        {
            throw new BadInputException($"{where}: the token's EC parameters are not valid DER.", e);
        }
    }

    public static byte[] FromRsa(byte[] modulus, byte[] exponent)
    {
        var key = new AsnWriter(AsnEncodingRules.DER);
        using (key.PushSequence())
        {
            key.WriteIntegerUnsigned(Trim(modulus));
            key.WriteIntegerUnsigned(Trim(exponent));
        }

        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence())
            {
                writer.WriteObjectIdentifier(OidRsaEncryption);
                writer.WriteNull();
            }

            writer.WriteBitString(key.Encode());
        }

        return writer.Encode();
    }

    public static AsymmetricAlgorithm Import(byte[] subjectPublicKeyInfo)
    {
        var algorithm = new AsnReader(subjectPublicKeyInfo, AsnEncodingRules.DER).ReadSequence().ReadSequence().ReadObjectIdentifier();
        AsymmetricAlgorithm key = algorithm switch
        {
            OidEcPublicKey => ECDsa.Create(),
            OidRsaEncryption => RSA.Create(),
            _ => throw new CryptographicException($"unsupported key algorithm {algorithm}"),
        };
        try
        {
            key.ImportSubjectPublicKeyInfo(subjectPublicKeyInfo, out _);
            return key;
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static ReadOnlySpan<byte> Trim(byte[] value)
    {
        var start = 0;
        while (start < value.Length - 1 && value[start] == 0)
        {
            start++;
        }

        return value.AsSpan(start);
    }
}
