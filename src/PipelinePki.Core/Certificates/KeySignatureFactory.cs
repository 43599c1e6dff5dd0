using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using PipelinePki.Core.Keys;

namespace PipelinePki.Core.Certificates;

/// <summary>
/// Lets BouncyCastle's certificate and CRL generators sign through any <see cref="ISigningKey"/>
/// (software or PKCS#11) instead of requiring a BouncyCastle private key object.
/// </summary>
internal sealed class KeySignatureFactory(ISigningKey key) : ISignatureFactory
{
    public object AlgorithmDetails { get; } = AlgorithmIdentifier.GetInstance(key.SignatureAlgorithmIdentifier);

    public IStreamCalculator<IBlockResult> CreateCalculator() => new Calculator(key);

    private sealed class Calculator(ISigningKey key) : IStreamCalculator<IBlockResult>
    {
        private readonly MemoryStream buffer = new();

        public Stream Stream => buffer;

        // BouncyCastle disposes the stream before asking for the result; ToArray still works then.
        public IBlockResult GetResult() => new SimpleBlockResult(key.Sign(buffer.ToArray()));
    }
}
