using System.Runtime.InteropServices;

namespace PipelinePki.Hsm.Interop;

// The PKCS#11 v2.40 C ABI as compiled on 64-bit Linux and macOS: CK_ULONG is C's unsigned long
// (8 bytes, nuint here), structures use natural alignment, calls use the platform's C convention.
// Windows differs (4-byte CK_ULONG, 1-byte packing), so Pkcs11Library refuses to run there.
// PipelinePki.Hsm.Tests compiles p11-kit's pkcs11.h with gcc and checks every size and offset below.

/// <summary>CK_VERSION.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CkVersion
{
    public byte Major;
    public byte Minor;
}

/// <summary>CK_TOKEN_INFO: fixed-size, blank-padded UTF-8 text fields, then counters.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CkTokenInfo
{
    public fixed byte Label[32];
    public fixed byte ManufacturerId[32];
    public fixed byte Model[16];
    public fixed byte SerialNumber[16];
    public nuint Flags;
    public nuint MaxSessionCount;
    public nuint SessionCount;
    public nuint MaxRwSessionCount;
    public nuint RwSessionCount;
    public nuint MaxPinLen;
    public nuint MinPinLen;
    public nuint TotalPublicMemory;
    public nuint FreePublicMemory;
    public nuint TotalPrivateMemory;
    public nuint FreePrivateMemory;
    public CkVersion HardwareVersion;
    public CkVersion FirmwareVersion;
    public fixed byte UtcTime[16];
}

/// <summary>CK_ATTRIBUTE: a type and a caller-owned buffer.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CkAttribute
{
    public nuint Type;
    public void* Value;
    public nuint ValueLength;
}

/// <summary>CK_MECHANISM.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CkMechanism
{
    public nuint Mechanism;
    public void* Parameter;
    public nuint ParameterLength;
}

/// <summary>CK_C_INITIALIZE_ARGS: no mutex callbacks, CKF_OS_LOCKING_OK.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct CkInitializeArgs
{
    public void* CreateMutex;
    public void* DestroyMutex;
    public void* LockMutex;
    public void* UnlockMutex;
    public nuint Flags;
    public void* Reserved;
}

/// <summary>
/// CK_FUNCTION_LIST: the version, then 68 function pointers in the order pkcs11f.h declares them.
/// All are declared so the offsets are right; only the ones Pkcs11Library calls are typed there.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CkFunctionList
{
    public CkVersion Version;
    public nint C_Initialize;
    public nint C_Finalize;
    public nint C_GetInfo;
    public nint C_GetFunctionList;
    public nint C_GetSlotList;
    public nint C_GetSlotInfo;
    public nint C_GetTokenInfo;
    public nint C_GetMechanismList;
    public nint C_GetMechanismInfo;
    public nint C_InitToken;
    public nint C_InitPIN;
    public nint C_SetPIN;
    public nint C_OpenSession;
    public nint C_CloseSession;
    public nint C_CloseAllSessions;
    public nint C_GetSessionInfo;
    public nint C_GetOperationState;
    public nint C_SetOperationState;
    public nint C_Login;
    public nint C_Logout;
    public nint C_CreateObject;
    public nint C_CopyObject;
    public nint C_DestroyObject;
    public nint C_GetObjectSize;
    public nint C_GetAttributeValue;
    public nint C_SetAttributeValue;
    public nint C_FindObjectsInit;
    public nint C_FindObjects;
    public nint C_FindObjectsFinal;
    public nint C_EncryptInit;
    public nint C_Encrypt;
    public nint C_EncryptUpdate;
    public nint C_EncryptFinal;
    public nint C_DecryptInit;
    public nint C_Decrypt;
    public nint C_DecryptUpdate;
    public nint C_DecryptFinal;
    public nint C_DigestInit;
    public nint C_Digest;
    public nint C_DigestUpdate;
    public nint C_DigestKey;
    public nint C_DigestFinal;
    public nint C_SignInit;
    public nint C_Sign;
    public nint C_SignUpdate;
    public nint C_SignFinal;
    public nint C_SignRecoverInit;
    public nint C_SignRecover;
    public nint C_VerifyInit;
    public nint C_Verify;
    public nint C_VerifyUpdate;
    public nint C_VerifyFinal;
    public nint C_VerifyRecoverInit;
    public nint C_VerifyRecover;
    public nint C_DigestEncryptUpdate;
    public nint C_DecryptDigestUpdate;
    public nint C_SignEncryptUpdate;
    public nint C_DecryptVerifyUpdate;
    public nint C_GenerateKey;
    public nint C_GenerateKeyPair;
    public nint C_WrapKey;
    public nint C_UnwrapKey;
    public nint C_DeriveKey;
    public nint C_SeedRandom;
    public nint C_GenerateRandom;
    public nint C_GetFunctionStatus;
    public nint C_CancelFunction;
    public nint C_WaitForSlotEvent;
}

/// <summary>The CK_* constants this binding uses (values from pkcs11t.h).</summary>
internal static class Ck
{
    public static readonly nuint UnavailableInformation = nuint.MaxValue;

    // Flags
    public const nuint OsLockingOk = 0x2;
    public const nuint RwSession = 0x2;
    public const nuint SerialSession = 0x4;

    // User types
    public const nuint User = 1;

    // Object classes
    public const nuint PublicKeyClass = 2;
    public const nuint PrivateKeyClass = 3;

    // Key types
    public const nuint KeyTypeRsa = 0;
    public const nuint KeyTypeEc = 3;

    // Mechanisms
    public const nuint RsaPkcsKeyPairGen = 0x0;
    public const nuint RsaPkcs = 0x1;
    public const nuint EcKeyPairGen = 0x1040;
    public const nuint Ecdsa = 0x1041;
}

/// <summary>CKA_* attribute types.</summary>
internal static class Cka
{
    public const ulong Class = 0x0;
    public const ulong Token = 0x1;
    public const ulong Private = 0x2;
    public const ulong Label = 0x3;
    public const ulong Value = 0x11;
    public const ulong KeyType = 0x100;
    public const ulong Id = 0x102;
    public const ulong Sensitive = 0x103;
    public const ulong Sign = 0x108;
    public const ulong Verify = 0x10A;
    public const ulong Modulus = 0x120;
    public const ulong ModulusBits = 0x121;
    public const ulong PublicExponent = 0x122;
    public const ulong PrivateExponent = 0x123;
    public const ulong Extractable = 0x162;
    public const ulong NeverExtractable = 0x164;
    public const ulong AlwaysSensitive = 0x165;
    public const ulong EcParams = 0x180;
    public const ulong EcPoint = 0x181;
}

/// <summary>CKR_* return values this binding reacts to or names.</summary>
internal static class Ckr
{
    public const nuint Ok = 0x0;
    public const nuint AttributeSensitive = 0x11;
    public const nuint AttributeTypeInvalid = 0x12;
    public const nuint PinIncorrect = 0xA0;
    public const nuint PinInvalid = 0xA1;
    public const nuint PinLenRange = 0xA2;
    public const nuint PinExpired = 0xA3;
    public const nuint PinLocked = 0xA4;
    public const nuint UserAlreadyLoggedIn = 0x100;
    public const nuint BufferTooSmall = 0x150;
    public const nuint CryptokiNotInitialized = 0x190;
    public const nuint CryptokiAlreadyInitialized = 0x191;

    /// <summary>The name pkcs11t.h gives a return value, for messages (a switch, so native AOT needs no enum metadata).</summary>
    public static string Name(nuint rv) => rv switch
    {
        0x0 => "CKR_OK",
        0x1 => "CKR_CANCEL",
        0x2 => "CKR_HOST_MEMORY",
        0x3 => "CKR_SLOT_ID_INVALID",
        0x5 => "CKR_GENERAL_ERROR",
        0x6 => "CKR_FUNCTION_FAILED",
        0x7 => "CKR_ARGUMENTS_BAD",
        0x11 => "CKR_ATTRIBUTE_SENSITIVE",
        0x12 => "CKR_ATTRIBUTE_TYPE_INVALID",
        0x13 => "CKR_ATTRIBUTE_VALUE_INVALID",
        0x21 => "CKR_DATA_LEN_RANGE",
        0x30 => "CKR_DEVICE_ERROR",
        0x31 => "CKR_DEVICE_MEMORY",
        0x32 => "CKR_DEVICE_REMOVED",
        0x54 => "CKR_FUNCTION_NOT_SUPPORTED",
        0x60 => "CKR_KEY_HANDLE_INVALID",
        0x63 => "CKR_KEY_TYPE_INCONSISTENT",
        0x68 => "CKR_KEY_FUNCTION_NOT_PERMITTED",
        0x70 => "CKR_MECHANISM_INVALID",
        0x71 => "CKR_MECHANISM_PARAM_INVALID",
        0x82 => "CKR_OBJECT_HANDLE_INVALID",
        0x90 => "CKR_OPERATION_ACTIVE",
        0x91 => "CKR_OPERATION_NOT_INITIALIZED",
        0xA0 => "CKR_PIN_INCORRECT",
        0xA1 => "CKR_PIN_INVALID",
        0xA2 => "CKR_PIN_LEN_RANGE",
        0xA3 => "CKR_PIN_EXPIRED",
        0xA4 => "CKR_PIN_LOCKED",
        0xB0 => "CKR_SESSION_CLOSED",
        0xB3 => "CKR_SESSION_HANDLE_INVALID",
        0xB5 => "CKR_SESSION_READ_ONLY",
        0xD0 => "CKR_TEMPLATE_INCOMPLETE",
        0xD1 => "CKR_TEMPLATE_INCONSISTENT",
        0xE0 => "CKR_TOKEN_NOT_PRESENT",
        0xE1 => "CKR_TOKEN_NOT_RECOGNIZED",
        0xE2 => "CKR_TOKEN_WRITE_PROTECTED",
        0x100 => "CKR_USER_ALREADY_LOGGED_IN",
        0x101 => "CKR_USER_NOT_LOGGED_IN",
        0x102 => "CKR_USER_PIN_NOT_INITIALIZED",
        0x103 => "CKR_USER_TYPE_INVALID",
        0x130 => "CKR_DOMAIN_PARAMS_INVALID",
        0x140 => "CKR_CURVE_NOT_SUPPORTED",
        0x150 => "CKR_BUFFER_TOO_SMALL",
        0x190 => "CKR_CRYPTOKI_NOT_INITIALIZED",
        0x191 => "CKR_CRYPTOKI_ALREADY_INITIALIZED",
        _ => $"CKR_0x{(ulong)rv:X}",
    };
}

/// <summary>A C_* call returned something other than CKR_OK.</summary>
internal sealed class Pkcs11CallException(string function, nuint returnValue)
    : Exception($"{function} returned {Ckr.Name(returnValue)}")
{
    public string Function { get; } = function;

    public nuint ReturnValue { get; } = returnValue;

    public string ReturnValueName => Ckr.Name(ReturnValue);
}
