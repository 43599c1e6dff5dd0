// Sigstore's own verifier (@sigstore/verify) as the judge of PipelinePki's bundles.
// usage: node verify.mjs <bundle.json> <artifact> <trusted_root.json> [--san REGEX] [--issuer VALUE]
// Exits 0 and prints "verified: <identity>" when accepted; exits 1 and prints the error otherwise.
// Private CA, no transparency log: tlog and CT thresholds are 0, one RFC 3161 timestamp is required.
import { readFileSync } from 'node:fs';
import { bundleFromJSON } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { Verifier, toSignedEntity, toTrustMaterial } from '@sigstore/verify';

const args = process.argv.slice(2);
const positional = [];
const policy = {};
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--san') {
    policy.subjectAlternativeName = args[++i];
  } else if (args[i] === '--issuer') {
    policy.extensions = { issuer: args[++i] };
  } else {
    positional.push(args[i]);
  }
}
if (positional.length !== 3) {
  console.error('usage: node verify.mjs <bundle.json> <artifact> <trusted_root.json> [--san REGEX] [--issuer VALUE]');
  process.exit(2);
}
const [bundlePath, artifactPath, trustedRootPath] = positional;

try {
  const bundle = bundleFromJSON(JSON.parse(readFileSync(bundlePath, 'utf8')));
  const artifact = readFileSync(artifactPath);
  const trust = toTrustMaterial(TrustedRoot.fromJSON(JSON.parse(readFileSync(trustedRootPath, 'utf8'))));
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 1 });
  const signer = verifier.verify(toSignedEntity(bundle, artifact), policy);
  console.log(`verified: ${signer.identity?.subjectAlternativeName ?? '(no identity)'}`);
  process.exit(0);
} catch (e) {
  console.error(`rejected: ${e?.code ?? e?.name ?? 'Error'}: ${e?.message ?? e}`);
  process.exit(1);
}
