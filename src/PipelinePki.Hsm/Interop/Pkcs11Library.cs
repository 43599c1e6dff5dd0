using System.Runtime.InteropServices;
using System.Text;

namespace PipelinePki.Hsm.Interop;

/// <summary>One attribute of a search or generation template: its type and encoded value.</summary>
internal readonly record struct Pkcs11Attribute(ulong Type, byte[] Value)
{
    public static Pkcs11Attribute Bool(ulong type, bool value) => new(type, [value ? (byte)1 : (byte)0]);

    public static Pkcs11Attribute Number(ulong type, nuint value) => new(type, BitConverter.GetBytes((ulong)value));

    public static Pkcs11Attribute Text(ulong type, string value) => new(type, Encoding.UTF8.GetBytes(value));
}

/// <summary>What C_GetTokenInfo says about a token, blank padding removed.</summary>
internal sealed record Pkcs11TokenInfo(string Label, string Manufacturer, string Model, string SerialNumber);

/// <summary>
/// A loaded PKCS#11 module: <see cref="NativeLibrary"/> + C_GetFunctionList, then calls through the
/// returned table with unmanaged function pointers. Nothing is marshalled by runtime type, so this
/// works under native AOT (Pkcs11Interop does not: its AOT publish warns IL3050 and the native
/// binary fails with "CK_FUNCTION_LIST is missing structure marshalling data").
/// Only the calls PipelinePki needs are bound. Every method throws <see cref="Pkcs11CallException"/>
/// for a return value other than CKR_OK.
/// </summary>
internal sealed unsafe class Pkcs11Library : IDisposable
{
    private readonly nint handle;
    private readonly CkFunctionList* functions;

    // C_Initialize is per process: when another Pkcs11Library already initialised this module,
    // finalizing here would end that one's sessions, so only the instance that initialised it finalizes.
    private readonly bool initializedHere;
    private bool disposed;

    private Pkcs11Library(string path, nint handle, CkFunctionList* functions, bool initializedHere)
    {
        Path = path;
        this.handle = handle;
        this.functions = functions;
        this.initializedHere = initializedHere;
    }

    public string Path { get; }

    /// <summary>Loads and initialises the module at <paramref name="path"/>.</summary>
    /// <exception cref="DllNotFoundException">the module cannot be loaded (dlopen's message).</exception>
    /// <exception cref="EntryPointNotFoundException">it is not a PKCS#11 module.</exception>
    public static Pkcs11Library Load(string path)
    {
        if (OperatingSystem.IsWindows() || nint.Size != 8)
        {
            throw new PlatformNotSupportedException("the PKCS#11 binding is laid out for 64-bit Linux and macOS (8-byte CK_ULONG, natural alignment).");
        }

        var handle = NativeLibrary.Load(path);
        try
        {
            if (!NativeLibrary.TryGetExport(handle, "C_GetFunctionList", out var getFunctionList))
            {
                throw new EntryPointNotFoundException($"{path} does not export C_GetFunctionList: not a PKCS#11 module.");
            }

            CkFunctionList* list = null;
            Check("C_GetFunctionList", ((delegate* unmanaged<CkFunctionList**, nuint>)getFunctionList)(&list));
            if (list == null)
            {
                throw new EntryPointNotFoundException($"{path}: C_GetFunctionList returned no function list.");
            }

            var args = new CkInitializeArgs { Flags = Ck.OsLockingOk };
            var rv = ((delegate* unmanaged<CkInitializeArgs*, nuint>)list->C_Initialize)(&args);
            if (rv != Ckr.Ok && rv != Ckr.CryptokiAlreadyInitialized)
            {
                throw new Pkcs11CallException("C_Initialize", rv);
            }

            return new Pkcs11Library(path, handle, list, initializedHere: rv == Ckr.Ok);
        }
        catch
        {
            NativeLibrary.Free(handle);
            throw;
        }
    }

    /// <summary>C_GetSlotList(tokenPresent = true).</summary>
    public nuint[] GetSlotsWithToken()
    {
        var call = (delegate* unmanaged<byte, nuint*, nuint*, nuint>)functions->C_GetSlotList;
        for (var attempt = 0; ; attempt++)
        {
            nuint count = 0;
            Check("C_GetSlotList", call(1, null, &count));
            var slots = new nuint[count];
            if (count == 0)
            {
                return slots;
            }

            fixed (nuint* buffer = slots)
            {
                var rv = call(1, buffer, &count);
                if (rv == Ckr.Ok)
                {
                    return slots[..(int)count];
                }

                // A token was plugged in between the two calls: ask again.
                if (rv != Ckr.BufferTooSmall || attempt > 3)
                {
                    throw new Pkcs11CallException("C_GetSlotList", rv);
                }
            }
        }
    }

    public Pkcs11TokenInfo GetTokenInfo(nuint slot)
    {
        CkTokenInfo info;
        Check("C_GetTokenInfo", ((delegate* unmanaged<nuint, CkTokenInfo*, nuint>)functions->C_GetTokenInfo)(slot, &info));
        return new Pkcs11TokenInfo(
            Padded(info.Label, 32),
            Padded(info.ManufacturerId, 32),
            Padded(info.Model, 16),
            Padded(info.SerialNumber, 16));
    }

    public nuint OpenSession(nuint slot, bool readWrite)
    {
        nuint session;
        var flags = Ck.SerialSession | (readWrite ? Ck.RwSession : 0);
        Check("C_OpenSession", ((delegate* unmanaged<nuint, nuint, void*, void*, nuint*, nuint>)functions->C_OpenSession)(slot, flags, null, null, &session));
        return session;
    }

    /// <summary>C_CloseSession; failures are ignored (the session or the whole module is already gone).</summary>
    public void CloseSession(nuint session) =>
        _ = ((delegate* unmanaged<nuint, nuint>)functions->C_CloseSession)(session);

    /// <summary>C_Login as the user. Returns false when this application is already logged in to the token.</summary>
    public bool Login(nuint session, ReadOnlySpan<byte> pin)
    {
        fixed (byte* pinBytes = pin)
        {
            var rv = ((delegate* unmanaged<nuint, nuint, byte*, nuint, nuint>)functions->C_Login)(session, Ck.User, pinBytes, (nuint)pin.Length);
            if (rv == Ckr.UserAlreadyLoggedIn)
            {
                return false;
            }

            Check("C_Login", rv);
            return true;
        }
    }

    /// <summary>C_FindObjectsInit / C_FindObjects / C_FindObjectsFinal: every object matching the template.</summary>
    public List<nuint> FindObjects(nuint session, IReadOnlyList<Pkcs11Attribute> template)
    {
        var found = new List<nuint>();
        using (var native = new NativeTemplate(template))
        {
            Check("C_FindObjectsInit", ((delegate* unmanaged<nuint, CkAttribute*, nuint, nuint>)functions->C_FindObjectsInit)(session, native.Attributes, native.Count));
        }

        try
        {
            var batch = stackalloc nuint[16];
            while (true)
            {
                nuint count = 0;
                Check("C_FindObjects", ((delegate* unmanaged<nuint, nuint*, nuint, nuint*, nuint>)functions->C_FindObjects)(session, batch, 16, &count));
                for (nuint i = 0; i < count; i++)
                {
                    found.Add(batch[i]);
                }

                if (count < 16)
                {
                    return found;
                }
            }
        }
        finally
        {
            _ = ((delegate* unmanaged<nuint, nuint>)functions->C_FindObjectsFinal)(session);
        }
    }

    /// <summary>C_GetAttributeValue for several attributes; null for one the token will not reveal (sensitive) or does not have.</summary>
    public byte[]?[] GetAttributes(nuint session, nuint handleOfObject, params ulong[] types)
    {
        var call = (delegate* unmanaged<nuint, nuint, CkAttribute*, nuint, nuint>)functions->C_GetAttributeValue;
        var attributes = new CkAttribute[types.Length];
        for (var i = 0; i < types.Length; i++)
        {
            attributes[i].Type = (nuint)types[i];
        }

        fixed (CkAttribute* sizes = attributes)
        {
            // First pass: lengths only. Sensitive or unknown attributes report CK_UNAVAILABLE_INFORMATION.
            var rv = call(session, handleOfObject, sizes, (nuint)types.Length);
            if (rv != Ckr.Ok && rv != Ckr.AttributeSensitive && rv != Ckr.AttributeTypeInvalid)
            {
                throw new Pkcs11CallException("C_GetAttributeValue", rv);
            }
        }

        var values = new byte[]?[types.Length];
        var wanted = new List<int>();
        for (var i = 0; i < types.Length; i++)
        {
            if (attributes[i].ValueLength != Ck.UnavailableInformation)
            {
                values[i] = new byte[(int)attributes[i].ValueLength];
                wanted.Add(i);
            }
        }

        if (wanted.Count == 0)
        {
            return values;
        }

        var handles = new GCHandle[wanted.Count];
        var request = new CkAttribute[wanted.Count];
        try
        {
            for (var j = 0; j < wanted.Count; j++)
            {
                var value = values[wanted[j]]!;
                handles[j] = GCHandle.Alloc(value, GCHandleType.Pinned);
                request[j] = new CkAttribute { Type = (nuint)types[wanted[j]], Value = (void*)handles[j].AddrOfPinnedObject(), ValueLength = (nuint)value.Length };
            }

            fixed (CkAttribute* filled = request)
            {
                Check("C_GetAttributeValue", call(session, handleOfObject, filled, (nuint)request.Length));
            }

            for (var j = 0; j < wanted.Count; j++)
            {
                if (request[j].ValueLength != (nuint)values[wanted[j]]!.Length)
                {
                    values[wanted[j]] = values[wanted[j]]![..(int)request[j].ValueLength];
                }
            }

            return values;
        }
        finally
        {
            foreach (var pinned in handles)
            {
                if (pinned.IsAllocated)
                {
                    pinned.Free();
                }
            }
        }
    }

    /// <summary>C_SignInit + C_Sign with a mechanism that takes no parameter (CKM_ECDSA, CKM_RSA_PKCS).</summary>
    public byte[] Sign(nuint session, nuint key, nuint mechanism, ReadOnlySpan<byte> data)
    {
        var ckMechanism = new CkMechanism { Mechanism = mechanism };
        Check("C_SignInit", ((delegate* unmanaged<nuint, CkMechanism*, nuint, nuint>)functions->C_SignInit)(session, &ckMechanism, key));
        var call = (delegate* unmanaged<nuint, byte*, nuint, byte*, nuint*, nuint>)functions->C_Sign;

        // 1024 bytes holds an RSA-8192 signature; a bigger one is asked for by length (the operation stays active).
        var signature = new byte[1024];
        fixed (byte* input = data)
        {
            nuint length = (nuint)signature.Length;
            nuint rv;
            fixed (byte* output = signature)
            {
                rv = call(session, input, (nuint)data.Length, output, &length);
            }

            if (rv == Ckr.BufferTooSmall)
            {
                signature = new byte[(int)length];
                fixed (byte* output = signature)
                {
                    rv = call(session, input, (nuint)data.Length, output, &length);
                }
            }

            Check("C_Sign", rv);
            return signature[..(int)length];
        }
    }

    /// <summary>C_GenerateKeyPair with a parameterless mechanism (CKM_EC_KEY_PAIR_GEN, CKM_RSA_PKCS_KEY_PAIR_GEN).</summary>
    public (nuint PublicKey, nuint PrivateKey) GenerateKeyPair(nuint session, nuint mechanism, IReadOnlyList<Pkcs11Attribute> publicTemplate, IReadOnlyList<Pkcs11Attribute> privateTemplate)
    {
        var ckMechanism = new CkMechanism { Mechanism = mechanism };
        using var publicAttributes = new NativeTemplate(publicTemplate);
        using var privateAttributes = new NativeTemplate(privateTemplate);
        nuint publicKey;
        nuint privateKey;
        Check("C_GenerateKeyPair", ((delegate* unmanaged<nuint, CkMechanism*, CkAttribute*, nuint, CkAttribute*, nuint, nuint*, nuint*, nuint>)functions->C_GenerateKeyPair)(
            session, &ckMechanism, publicAttributes.Attributes, publicAttributes.Count, privateAttributes.Attributes, privateAttributes.Count, &publicKey, &privateKey));
        return (publicKey, privateKey);
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        if (initializedHere)
        {
            _ = ((delegate* unmanaged<void*, nuint>)functions->C_Finalize)(null);
        }

        NativeLibrary.Free(handle);
    }

    private static void Check(string function, nuint rv)
    {
        if (rv != Ckr.Ok)
        {
            throw new Pkcs11CallException(function, rv);
        }
    }

    private static string Padded(byte* text, int length) =>
        Encoding.UTF8.GetString(new ReadOnlySpan<byte>(text, length)).TrimEnd(' ', '\0');

    /// <summary>A template copied into one unmanaged block (the attributes, then their values), freed on dispose.</summary>
    private readonly struct NativeTemplate : IDisposable
    {
        private readonly byte* block;

        public NativeTemplate(IReadOnlyList<Pkcs11Attribute> template)
        {
            var header = sizeof(CkAttribute) * template.Count;
            var total = header + template.Sum(a => a.Value.Length);
            block = (byte*)NativeMemory.AllocZeroed((nuint)Math.Max(total, 1));
            Attributes = (CkAttribute*)block;
            Count = (nuint)template.Count;
            var next = block + header;
            for (var i = 0; i < template.Count; i++)
            {
                var value = template[i].Value;
                value.CopyTo(new Span<byte>(next, value.Length));
                Attributes[i] = new CkAttribute { Type = (nuint)template[i].Type, Value = next, ValueLength = (nuint)value.Length };
                next += value.Length;
            }
        }

        public CkAttribute* Attributes { get; }

        public nuint Count { get; }

        public void Dispose()
        {
            NativeMemory.Free(block);
        }
    }
}
