using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using PipelinePki.Core.Keys;

namespace PipelinePki.Hsm.Tests;

/// <summary>Lets BouncyCastle's PKCS#10 builder sign through an <see cref="ISigningKey"/> (Core's own adapter is internal).</summary>
internal sealed class KeySignatureFactory(ISigningKey key) : ISignatureFactory
{
    public object AlgorithmDetails { get; } = AlgorithmIdentifier.GetInstance(key.SignatureAlgorithmIdentifier);

    public IStreamCalculator<IBlockResult> CreateCalculator() => new Calculator(key);

    private sealed class Calculator(ISigningKey key) : IStreamCalculator<IBlockResult>
    {
        private readonly MemoryStream buffer = new();

        public Stream Stream => buffer;

        public IBlockResult GetResult() => new SimpleBlockResult(key.Sign(buffer.ToArray()));
    }
}
