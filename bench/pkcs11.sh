#!/usr/bin/env bash
# PKCS#11 signing cost: whole-process wall time of the native AOT CLI with the CA's issuing key on a
# SoftHSM2 token against the same command with the key in a file, and against the peer tool
# `pkcs11-tool --sign` (load module, log in, one ECDSA signature) on the same token, same run.
#
#   bench/pkcs11.sh                                          # RUNS=20, ecdsa-p384
#   PIPELINE_PKI_CLI=/tmp/ppki-aot/pipeline-pki RUNS=10 bench/pkcs11.sh
#
# Before timing: the token-issued certificate must pass `openssl verify` against the CA's root and
# a token signature must pass `openssl cms -verify`.
# Writes bench/out/pkcs11.md. The token lives in a temp dir (own SOFTHSM2_CONF), removed at exit.
set -euo pipefail
shopt -s inherit_errexit

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
OUT_DIR="$BENCH_DIR/out"
RUNS="${RUNS:-20}"
MODULE="${MODULE:-/usr/lib/softhsm/libsofthsm2.so}"
log() { printf '[pkcs11.sh] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
# shellcheck source=common.sh
source "$BENCH_DIR/common.sh"
[[ -f $MODULE ]] || die "$MODULE missing: apt-get install softhsm2 opensc"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export SOFTHSM2_CONF="$WORK/softhsm2.conf"
mkdir -p "$WORK/tokens"
printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' "$WORK/tokens" >"$SOFTHSM2_CONF"
export BENCH_PIN="bench-$RANDOM$RANDOM" PIPELINE_PKI_CA_PASSPHRASE="bench passphrase, not secret"
softhsm2-util --init-token --free --label bench --so-pin "so-$BENCH_PIN" --pin "$BENCH_PIN" >/dev/null
pkcs11-tool --module "$MODULE" --token-label bench --login --pin "$BENCH_PIN" --keypairgen --key-type EC:secp384r1 --label peer --id 01 >/dev/null 2>&1

"$PPKI" ca init --home "$WORK/hsm-ca" --name "Bench HSM" --no-passphrase --module "$MODULE" --pin-env BENCH_PIN \
  --pkcs11-intermediate "pkcs11:token=bench;object=int" >/dev/null 2>"$WORK/init.err"
"$PPKI" ca init --home "$WORK/file-ca" --name "Bench file" --no-passphrase >/dev/null 2>>"$WORK/init.err"
"$PPKI" cert issue --home "$WORK/hsm-ca" --name check.bench.internal --out "$WORK/check" >/dev/null
openssl verify -CAfile "$WORK/check/root.pem" -untrusted "$WORK/check/chain.pem" "$WORK/check/cert.pem" >/dev/null \
  || die "the token-issued certificate does not verify"
head -c 48 /dev/urandom >"$WORK/digest.bin"
head -c 1048576 /dev/urandom >"$WORK/artifact.bin"
# Signing: a code-signing certificate for a P-384 key generated on the token (CSR made by OpenSSL
# through libengine-pkcs11-openssl), against a software P-384 code-signing key from the same CA.
pkcs11-tool --module "$MODULE" --token-label bench --login --pin "$BENCH_PIN" --keypairgen --key-type EC:secp384r1 --label signer --id 02 >/dev/null 2>&1
openssl req -new -engine pkcs11 -keyform engine -key "pkcs11:token=bench;object=signer;type=private;pin-value=$BENCH_PIN" \
  -subj /CN=bench-signer -out "$WORK/signer.csr" >/dev/null 2>&1 || die "openssl could not make a CSR on the token (apt-get install libengine-pkcs11-openssl)"
"$PPKI" cert issue --home "$WORK/file-ca" --csr "$WORK/signer.csr" --profile code-signing --out "$WORK/token-signer" >/dev/null
"$PPKI" cert issue --home "$WORK/file-ca" --name soft-signer --profile code-signing --out "$WORK/soft-signer" >/dev/null
"$PPKI" sign "$WORK/artifact.bin" --key "pkcs11:token=bench;object=signer" --module "$MODULE" --pin-env BENCH_PIN \
  --cert "$WORK/token-signer/fullchain.pem" --timestamp none --signature-format cms --out-dir "$WORK/s0" >/dev/null 2>&1
openssl cms -verify -binary -inform DER -in "$WORK/s0/artifact.bin.p7s" -content "$WORK/artifact.bin" \
  -CAfile "$WORK/token-signer/root.pem" -purpose any -out /dev/null 2>/dev/null || die "the token signature does not verify"

hsm="$PPKI cert issue --home $WORK/hsm-ca --name b.bench.internal --out $WORK/o1"
file="$PPKI cert issue --home $WORK/file-ca --name b.bench.internal --out $WORK/o2"
sign_hsm="$PPKI sign $WORK/artifact.bin --key 'pkcs11:token=bench;object=signer' --module $MODULE --pin-env BENCH_PIN --cert $WORK/token-signer/fullchain.pem --timestamp none --signature-format cms --out-dir $WORK/s1"
sign_file="$PPKI sign $WORK/artifact.bin --key $WORK/soft-signer/key.pem --cert $WORK/soft-signer/fullchain.pem --timestamp none --signature-format cms --out-dir $WORK/s2"
peer="pkcs11-tool --module $MODULE --token-label bench --login --pin $BENCH_PIN --sign --mechanism ECDSA --label peer -i $WORK/digest.bin -o $WORK/sig.bin"
if [[ $HAVE_HYPERFINE == 1 ]]; then
  hyperfine --style none --warmup 2 --runs "$RUNS" --export-json "$OUT_DIR/pkcs11.json" \
    -n "cert issue, intermediate on token" "$hsm" -n "cert issue, intermediate in a file" "$file" -n "pkcs11-tool --sign (peer)" "$peer" \
    -n "sign, key on token" "$sign_hsm" -n "sign, key in a file" "$sign_file" >&2
  mapfile -t means < <(python3 -c 'import json,sys; [print("%.1f" % (r["median"] * 1000)) for r in json.load(open(sys.argv[1]))["results"]]' "$OUT_DIR/pkcs11.json")
else
  means=()
  for cmd in "$hsm" "$file" "$peer" "$sign_hsm" "$sign_file"; do
    start=$(date +%s%N); for ((i = 0; i < RUNS; i++)); do eval "$cmd" >/dev/null 2>&1; done
    means+=("$(( ($(date +%s%N) - start) / RUNS / 1000000 ))")
  done
fi
{
  echo "| command (ecdsa-p384, SoftHSM2 $(dpkg-query -W -f '${Version}' softhsm2 2>/dev/null || echo '?')) | median ms |"
  echo "| --- | ---: |"
  echo "| \`cert issue\`, intermediate key on the token | ${means[0]} |"
  echo "| \`cert issue\`, intermediate key in a file (unencrypted) | ${means[1]} |"
  echo "| \`pkcs11-tool --sign\` (module load, login, one signature) | ${means[2]} |"
  echo "| \`sign\` 1 MiB, CMS, no timestamp, key on the token | ${means[3]} |"
  echo "| \`sign\` 1 MiB, CMS, no timestamp, key in a file | ${means[4]} |"
} | tee "$OUT_DIR/pkcs11.md"
