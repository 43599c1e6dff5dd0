using System.Security.Cryptography;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Tsp;

namespace PipelinePki.Core.Signing.Timestamping;

/// <summary>Something that timestamps a message imprint and returns the whole DER TimeStampResp.</summary>
public interface ITimestampSource
{
    Task<byte[]> TimestampAsync(byte[] messageImprint, HashAlgorithmName hash, CancellationToken ct);
}

/// <summary>A remote RFC 3161 TSA at a URL.</summary>
public sealed class HttpTimestampSource(TimestampClient client, Uri url) : ITimestampSource
{
    public Uri Url { get; } = url ?? throw new ArgumentNullException(nameof(url));

    public Task<byte[]> TimestampAsync(byte[] messageImprint, HashAlgorithmName hash, CancellationToken ct) =>
        client.RequestAsync(Url, messageImprint, hash, ct);
}

/// <summary>The embedded <see cref="TimestampAuthority"/>, called directly (no HTTP), with the same checks as the client.</summary>
public sealed class LocalTimestampSource(TimestampAuthority authority) : ITimestampSource
{
    private static readonly Uri Self = new("local:timestamp-authority");

    public Task<byte[]> TimestampAsync(byte[] messageImprint, HashAlgorithmName hash, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(authority);
        TimestampHashes.CheckImprint(messageImprint, hash);
        ct.ThrowIfCancellationRequested();
        Span<byte> bytes = stackalloc byte[8];
        RandomNumberGenerator.Fill(bytes);
        bytes[0] &= 0x7F;
        bytes[0] |= 0x01;
        var nonce = new BigInteger(1, bytes.ToArray());
        var generator = new TimeStampRequestGenerator();
        generator.SetCertReq(true);
        var request = generator.Generate(TimestampHashes.OidOf(hash), messageImprint, nonce);
        var response = authority.Respond(request.GetEncoded());
        TimestampClient.Check(Self, response, messageImprint, hash, nonce);
        return Task.FromResult(response);
    }
}
