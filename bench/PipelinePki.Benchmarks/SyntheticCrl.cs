using System.Formats.Asn1;
using System.Security.Cryptography;

namespace PipelinePki.Benchmarks;

/// <summary>
/// Writes a signed CRL with any number of entries straight with a DER writer: generating a
/// million-entry CRL through an object model would take longer than the measurement itself.
/// </summary>
internal static class SyntheticCrl
{
    public static (byte[] Der, byte[] IssuerSpki, List<byte[]> Serials) Create(int entries, int seed = 42)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var random = new Random(seed);
        var serials = new List<byte[]>(entries);
        var now = DateTimeOffset.UtcNow;
        var tbs = new AsnWriter(AsnEncodingRules.DER);
        using (tbs.PushSequence())
        {
            tbs.WriteInteger(1);
            using (tbs.PushSequence())
            {
                tbs.WriteObjectIdentifier("1.2.840.10045.4.3.2");
            }

            tbs.WriteEncodedValue(new System.Security.Cryptography.X509Certificates.X500DistinguishedName("CN=Bench Issuing CA, O=Bench").RawData);
            tbs.WriteUtcTime(now.AddMinutes(-1));
            tbs.WriteUtcTime(now.AddDays(7));
            using (tbs.PushSequence())
            {
                for (var i = 0; i < entries; i++)
                {
                    var serial = new byte[16];
                    random.NextBytes(serial);
                    serial[0] = (byte)((serial[0] & 0x7F) | 0x40);
                    serials.Add(serial);
                    using (tbs.PushSequence())
                    {
                        tbs.WriteIntegerUnsigned(serial);
                        tbs.WriteUtcTime(now.AddDays(-random.Next(1, 300)));
                        if (i % 4 == 0)
                        {
                            using (tbs.PushSequence())
                            using (tbs.PushSequence())
                            {
                                tbs.WriteObjectIdentifier("2.5.29.21");
                                var reason = new AsnWriter(AsnEncodingRules.DER);
                                reason.WriteEnumeratedValue((ReasonCode)1);
                                tbs.WriteOctetString(reason.Encode());
                            }
                        }
                    }
                }
            }
        }

        var tbsBytes = tbs.Encode();
        var signature = key.SignData(tbsBytes, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        var crl = new AsnWriter(AsnEncodingRules.DER);
        using (crl.PushSequence())
        {
            crl.WriteEncodedValue(tbsBytes);
            using (crl.PushSequence())
            {
                crl.WriteObjectIdentifier("1.2.840.10045.4.3.2");
            }

            crl.WriteBitString(signature);
        }

        return (crl.Encode(), key.ExportSubjectPublicKeyInfo(), serials);
    }

    private enum ReasonCode
    {
        KeyCompromise = 1,
    }
}
