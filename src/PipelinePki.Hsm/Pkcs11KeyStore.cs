using System.Formats.Asn1;
using System.Security.Cryptography;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using PipelinePki.Core;
using PipelinePki.Core.Keys;

namespace PipelinePki.Hsm;

/// <summary>Which key to open and where its PIN is. The PIN comes from the environment, never from the URI or the command line.</summary>
/// <param name="PinEnvironmentVariable">The name of the environment variable holding the user PIN (--pin-env).</param>
/// <param name="ModulePath">The PKCS#11 module when the URI has no <c>module-path</c>.</param>
public sealed record Pkcs11KeyRequest(Pkcs11Uri Uri, string PinEnvironmentVariable, string? ModulePath = null);

/// <summary>
/// Opens a private key that lives on a PKCS#11 token: loads the module, finds the token by label,
/// logs in as the user and finds the key by label and/or id. Only the public half is read out.
/// </summary>
public static class Pkcs11KeyStore
{
    public static Pkcs11SigningKey Open(Pkcs11KeyRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var pin = Environment.GetEnvironmentVariable(request.PinEnvironmentVariable);
        if (string.IsNullOrEmpty(pin))
        {
            throw new UsageException($"--pin-env {request.PinEnvironmentVariable}: the environment variable is not set; put the token's user PIN in it.");
        }

        return Open(request.Uri, pin.AsSpan(), request.ModulePath);
    }

    /// <summary>Opens the key with a PIN the caller already holds.</summary>
    public static Pkcs11SigningKey Open(Pkcs11Uri uri, ReadOnlySpan<char> pin, string? modulePath = null)
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
            ?? throw new UsageException($"{where}: no PKCS#11 module; add ?module-path=/path/to/module.so to the URI.");
        if (!File.Exists(module))
        {
            throw new BadInputException($"{module}: PKCS#11 module not found (from {where}).");
        }

        NativeLoader.EnsureRegistered();
        var factories = new Pkcs11InteropFactories();
        IPkcs11Library library;
        try
        {
            library = factories.Pkcs11LibraryFactory.LoadPkcs11Library(factories, module, AppType.MultiThreaded);
        }
        catch (Exception e) when (e is UnmanagedException or Pkcs11Exception or LibraryArchitectureException)
        {
            throw new BadInputException($"{module}: cannot load the PKCS#11 module: {e.Message}", e);
        }

        ISession? session = null;
        var loggedIn = false;
        try
        {
            var slot = FindSlot(library, uri, module);
            session = slot.OpenSession(SessionType.ReadOnly);
            loggedIn = Login(session, pin, where);
            var privateKey = FindPrivateKey(session, factories, uri, where);
            var publicKeyInfo = ReadPublicKey(session, factories, privateKey, where);
            var spec = SpecOf(publicKeyInfo, where);
            return new Pkcs11SigningKey(library, session, privateKey, spec, publicKeyInfo, factories.MechanismFactory);
        }
        catch
        {
            if (session is not null)
            {
                if (loggedIn)
                {
                    TryLogout(session);
                }

                session.Dispose();
            }

            library.Dispose();
            throw;
        }
    }

    internal static void TryLogout(ISession session)
    {
        try
        {
            session.Logout();
        }
        catch (Pkcs11Exception)
        {
            // Already logged out (or the token went away): nothing left to undo.
        }
    }

    private static ISlot FindSlot(IPkcs11Library library, Pkcs11Uri uri, string module)
    {
        var labels = new List<string>();
        foreach (var slot in library.GetSlotList(SlotsType.WithTokenPresent))
        {
            var info = slot.GetTokenInfo();
            var label = info.Label.TrimEnd(' ', '\0');
            labels.Add(label);
            if ((uri.Token is null || label == uri.Token)
                && (uri.Serial is null || info.SerialNumber.TrimEnd(' ', '\0') == uri.Serial)
                && (uri.Manufacturer is null || info.ManufacturerId.TrimEnd(' ', '\0') == uri.Manufacturer)
                && (uri.Model is null || info.Model.TrimEnd(' ', '\0') == uri.Model))
            {
                return slot;
            }
        }

        var present = labels.Count == 0 ? "no token is present" : "tokens present: " + string.Join(", ", labels);
        throw new BadInputException($"token '{uri.Token ?? "(any)"}' not found in PKCS#11 module {module}; {present}.");
    }

    private static bool Login(ISession session, ReadOnlySpan<char> pin, string where)
    {
        var pinBytes = System.Text.Encoding.UTF8.GetBytes(pin.ToArray());
        try
        {
            session.Login(CKU.CKU_USER, pinBytes);
            return true;
        }
        catch (Pkcs11Exception e) when (e.RV == CKR.CKR_USER_ALREADY_LOGGED_IN)
        {
            // Login state is per token and application: another key from this token is already open.
            return false;
        }
        catch (Pkcs11Exception e) when (e.RV is CKR.CKR_PIN_INCORRECT or CKR.CKR_PIN_INVALID or CKR.CKR_PIN_LEN_RANGE)
        {
            throw new BadInputException($"{where}: PIN rejected by the token ({e.RV}).", e);
        }
        catch (Pkcs11Exception e) when (e.RV is CKR.CKR_PIN_LOCKED or CKR.CKR_PIN_EXPIRED)
        {
            throw new BadInputException($"{where}: the token refuses the user PIN ({e.RV}); ask its security officer to reset it.", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pinBytes);
        }
    }

    private static IObjectHandle FindPrivateKey(ISession session, Pkcs11InteropFactories factories, Pkcs11Uri uri, string where)
    {
        var template = new List<IObjectAttribute> { factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY) };
        if (uri.Object is not null)
        {
            template.Add(factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, uri.Object));
        }

        if (uri.Id is { } id)
        {
            template.Add(factories.ObjectAttributeFactory.Create(CKA.CKA_ID, id.ToArray()));
        }

        var found = session.FindAllObjects(template);
        return found.Count switch
        {
            1 => found[0],
            0 => throw new BadInputException($"{where}: no private key object '{uri.Object ?? "(any label)"}' on token '{uri.Token ?? "(any)"}'."),
            _ => throw new BadInputException($"{where}: {found.Count} private keys match; add id= or object= to the URI to pick one."),
        };
    }

    private static byte[] ReadPublicKey(ISession session, Pkcs11InteropFactories factories, IObjectHandle privateKey, string where)
    {
        var attributes = session.GetAttributeValue(privateKey, [CKA.CKA_KEY_TYPE, CKA.CKA_ID, CKA.CKA_LABEL]);
        var keyType = (CKK)attributes[0].GetValueAsUlong();
        var template = new List<IObjectAttribute> { factories.ObjectAttributeFactory.Create(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY) };
        var id = attributes[1].CannotBeRead ? [] : attributes[1].GetValueAsByteArray() ?? [];
        if (id.Length > 0)
        {
            template.Add(factories.ObjectAttributeFactory.Create(CKA.CKA_ID, id));
        }
        else
        {
            template.Add(factories.ObjectAttributeFactory.Create(CKA.CKA_LABEL, attributes[2].GetValueAsString()));
        }

        var publicKeys = session.FindAllObjects(template);
        switch (keyType)
        {
            case CKK.CKK_EC:
            {
                if (publicKeys.Count != 1)
                {
                    throw new BadInputException($"{where}: found {publicKeys.Count} public key objects matching the private key; the EC public key cannot be read without exactly one.");
                }

                var ec = session.GetAttributeValue(publicKeys[0], [CKA.CKA_EC_PARAMS, CKA.CKA_EC_POINT]);
                return PublicKeyInfo.FromEc(ec[0].GetValueAsByteArray(), ec[1].GetValueAsByteArray(), where);
            }

            case CKK.CKK_RSA:
            {
                // Tokens usually expose modulus and exponent on the private key too; the public object is preferred.
                var source = publicKeys.Count == 1 ? publicKeys[0] : privateKey;
                var rsa = session.GetAttributeValue(source, [CKA.CKA_MODULUS, CKA.CKA_PUBLIC_EXPONENT]);
                if (rsa[0].CannotBeRead || rsa[1].CannotBeRead)
                {
                    throw new BadInputException($"{where}: the token does not reveal the RSA public key (modulus/exponent).");
                }

                return PublicKeyInfo.FromRsa(rsa[0].GetValueAsByteArray(), rsa[1].GetValueAsByteArray());
            }

            default:
                throw new BadInputException($"{where}: key type {keyType} is not supported; use an ECDSA P-256/P-384 or RSA 3072/4096 key.");
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
                _ => throw new BadInputException($"{where}: {key.GetType().Name} keys of {key.KeySize} bits are not supported; use ecdsa-p256, ecdsa-p384, rsa-3072 or rsa-4096."),
            };
        }
        catch (CryptographicException e)
        {
            throw new BadInputException($"{where}: the token's public key is malformed or on an unsupported curve.", e);
        }
    }
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
