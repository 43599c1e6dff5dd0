#!/usr/bin/env bash
# Cold whole-process wall time of one leaf issuance: `pipeline-pki cert issue` against the
# OpenSSL equivalent (`openssl req -newkey` + `openssl x509 -req`), both signing with the SAME
# intermediate CA key file (so the same key type and, in encrypted mode, the same PBKDF2 cost).
#
#   bench/issue.sh                     # all key types, RUNS=20
#   RUNS=10 KEY_TYPES="ecdsa-p256 ed25519" bench/issue.sh
#   PIPELINE_PKI_CLI=/tmp/ppki-aot/pipeline-pki bench/issue.sh   # skip the AOT build
#   BENCH_TOOL=loop bench/issue.sh     # time with a date +%s%N loop instead of hyperfine
#
# Writes bench/out/issue.md (the table) and bench/out/issue/*.json (hyperfine exports).
# Exits 0 whether rows PASS or FAIL (it is a report); non-zero if any command fails.
set -euo pipefail
shopt -s inherit_errexit

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
OUT_DIR="$BENCH_DIR/out"
RESULTS_DIR="$OUT_DIR/issue"
WORK_DIR="$OUT_DIR/issue-work"
RUNS="${RUNS:-20}"
WARMUP="${WARMUP:-2}"
KEY_TYPES="${KEY_TYPES:-ecdsa-p384 ecdsa-p256 rsa-3072 ed25519}"
TARGET="1.5"   # pipeline-pki may take at most 1.5x OpenSSL's wall time
SAN_DNS="bench.example"

export PIPELINE_PKI_CA_PASSPHRASE="${PIPELINE_PKI_CA_PASSPHRASE:-bench-passphrase-not-secret}"

log() { printf '[issue.sh] %s\n' "$*" >&2; }

# The binary under test and the timing tool, shared by every bench script.
# shellcheck source=bench/common.sh
source "$BENCH_DIR/common.sh"

# measure LABEL PREPARE COMMAND -> prints the mean wall time in ms (3 decimals).
# PREPARE runs before every timed run (and warm-up) and is not timed.
measure() {
  local label="$1" prepare="$2" cmd="$3" json="$RESULTS_DIR/$1.json"
  if [[ $HAVE_HYPERFINE == 1 ]]; then
    hyperfine --style none --warmup "$WARMUP" --runs "$RUNS" --prepare "$prepare" \
      --export-json "$json" --command-name "$label" "$cmd" >"$RESULTS_DIR/$label.txt" 2>&1 \
      || { cat "$RESULTS_DIR/$label.txt" >&2; return 1; }
    jq -r '.results[0].mean * 1000 | . * 1000 | round / 1000' "$json"
  else
    local i start end total=0
    for ((i = 0; i < WARMUP; i++)); do bash -c "$prepare"; bash -c "$cmd" >/dev/null 2>&1; done
    for ((i = 0; i < RUNS; i++)); do
      bash -c "$prepare"
      start=$(date +%s%N)
      bash -c "$cmd" >/dev/null 2>&1
      end=$(date +%s%N)
      total=$((total + end - start))
    done
    awk -v t="$total" -v n="$RUNS" 'BEGIN { printf "%.3f\n", t / n / 1e6 }'
  fi
}

# ---------------------------------------------------------------------------------------------
# 3. Per key type x CA-key protection: one pipeline-pki CA, and OpenSSL pointed at its files.
# ---------------------------------------------------------------------------------------------
openssl_newkey() {   # -> the `openssl req -newkey` arguments for a pipeline-pki key type
  case "$1" in
    ecdsa-p256) echo "-newkey ec -pkeyopt ec_paramgen_curve:P-256" ;;
    ecdsa-p384) echo "-newkey ec -pkeyopt ec_paramgen_curve:P-384" ;;
    rsa-3072)   echo "-newkey rsa:3072" ;;
    rsa-4096)   echo "-newkey rsa:4096" ;;
    ed25519)    echo "-newkey ed25519" ;;
    *) log "unknown key type $1"; return 1 ;;
  esac
}

openssl_digest() {   # the digest pipeline-pki signs with for a CA of this key type
  case "$1" in
    ecdsa-p384) echo "-sha384" ;;
    ecdsa-p256|rsa-3072|rsa-4096) echo "-sha256" ;;
    ed25519)    echo "" ;;       # pure EdDSA: no digest option
  esac
}

openssl_key_usage() {   # the keyUsage pipeline-pki's mtls profile sets for a leaf of this type
  case "$1" in
    rsa-*) echo "critical,digitalSignature,keyEncipherment" ;;
    *)     echo "critical,digitalSignature" ;;
  esac
}

rm -rf "$RESULTS_DIR" "$WORK_DIR"
mkdir -p "$RESULTS_DIR" "$WORK_DIR"

# Process floor: the cheapest thing each binary can do (start, print, exit).
FLOOR_PPKI=$(measure floor-pipeline-pki ":" "'$PPKI' --version")
FLOOR_OPENSSL=$(measure floor-openssl ":" "openssl version")

ROWS=()   # "key mode ppki_ms openssl_ms ratio verdict"
for key in $KEY_TYPES; do
  newkey=$(openssl_newkey "$key")
  digest=$(openssl_digest "$key")
  for mode in unencrypted encrypted; do
    tag="$key-$mode"
    home="$WORK_DIR/$tag/ca"
    mkdir -p "$WORK_DIR/$tag"

    if [[ $mode == unencrypted ]]; then
      "$PPKI" ca init --home "$home" --name "Bench $tag" --key-type "$key" --no-passphrase \
        >"$WORK_DIR/$tag/ca-init.log" 2>&1 || { cat "$WORK_DIR/$tag/ca-init.log" >&2; exit 1; }
      passin=""
    else
      "$PPKI" ca init --home "$home" --name "Bench $tag" --key-type "$key" \
        >"$WORK_DIR/$tag/ca-init.log" 2>&1 || { cat "$WORK_DIR/$tag/ca-init.log" >&2; exit 1; }
      grep -q "BEGIN ENCRYPTED PRIVATE KEY" "$home/intermediate.key.pem" \
        || { log "$home/intermediate.key.pem is not encrypted"; exit 1; }
      passin="-passin env:PIPELINE_PKI_CA_PASSPHRASE"
    fi

    # OpenSSL side: same intermediate certificate and key file, extensions as the mtls profile.
    osl="$WORK_DIR/$tag/openssl"
    mkdir -p "$osl"
    cat >"$osl/leaf.ext" <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=$(openssl_key_usage "$key")
extendedKeyUsage=clientAuth,serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
subjectAltName=DNS:$SAN_DNS
EOF
    ppki_out="$WORK_DIR/$tag/pipeline-pki-out"
    ppki_cmd="'$PPKI' cert issue --home '$home' --name bench --san dns:$SAN_DNS --profile mtls --ttl 24h --key-type $key --out '$ppki_out' --format json"
    osl_cmd="openssl req -new $newkey -nodes -keyout '$osl/k.pem' -subj /CN=bench -out '$osl/r.csr'"
    osl_cmd+=" && openssl x509 -req -in '$osl/r.csr' -CA '$home/intermediate.pem' -CAkey '$home/intermediate.key.pem' $passin"
    osl_cmd+=" -CAcreateserial -CAserial '$osl/intermediate.srl' -days 1 $digest -extfile '$osl/leaf.ext' -out '$osl/c.pem'"

    # Sanity: each side issues a certificate that chains to the shared intermediate.
    eval "$ppki_cmd" >"$WORK_DIR/$tag/sanity-pipeline-pki.log" 2>&1 \
      || { cat "$WORK_DIR/$tag/sanity-pipeline-pki.log" >&2; exit 1; }
    eval "$osl_cmd" >"$WORK_DIR/$tag/sanity-openssl.log" 2>&1 \
      || { cat "$WORK_DIR/$tag/sanity-openssl.log" >&2; exit 1; }
    for cert in "$ppki_out/cert.pem" "$osl/c.pem"; do
      openssl verify -partial_chain -CAfile "$home/intermediate.pem" "$cert" >/dev/null \
        || { log "$cert does not verify against $home/intermediate.pem"; exit 1; }
    done

    log "$tag: timing $RUNS runs each (warm-up $WARMUP)"
    ppki_ms=$(measure "$tag-pipeline-pki" "rm -rf '$ppki_out'" "$ppki_cmd")
    osl_ms=$(measure "$tag-openssl" "rm -f '$osl/k.pem' '$osl/r.csr' '$osl/c.pem'" "$osl_cmd")
    ratio=$(awk -v a="$ppki_ms" -v b="$osl_ms" 'BEGIN { printf "%.2f", a / b }')
    verdict=$(awk -v r="$ratio" -v t="$TARGET" 'BEGIN { print (r <= t) ? "PASS" : "FAIL" }')
    ROWS+=("$key $mode $ppki_ms $osl_ms $ratio $verdict")
  done
done

# ---------------------------------------------------------------------------------------------
# 4. Report: terminal table and bench/out/issue.md.
# ---------------------------------------------------------------------------------------------
tool=$([[ $HAVE_HYPERFINE == 1 ]] && hyperfine --version || echo "bash loop, date +%s%N")
{
  echo "# pipeline-pki cert issue vs OpenSSL"
  echo
  echo "Cold whole-process wall time, mean of $RUNS runs after $WARMUP warm-up runs ($tool)."
  echo "pipeline-pki: \`$("$PPKI" --version)\` ($PPKI); $(openssl version); $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ)."
  echo "Both sides generate a fresh leaf key and sign with the same intermediate key file;"
  echo "'encrypted' means that file is PKCS#8 PBES2 (PBKDF2-HMAC-SHA256, 600000 iterations) and both decrypt it."
  echo
  echo "| key type | CA key | pipeline-pki (ms) | openssl (ms) | ratio | target | result |"
  echo "|---|---|---:|---:|---:|---|---|"
  for row in "${ROWS[@]}"; do
    read -r k m p o r v <<<"$row"
    echo "| $k | $m | $p | $o | ${r}× | ≤ ${TARGET}× | $v |"
  done
  echo
  echo "Process floor (\`pipeline-pki --version\` / \`openssl version\`): $FLOOR_PPKI ms / $FLOOR_OPENSSL ms."
} >"$OUT_DIR/issue.md"

printf '\n%-11s %-12s %18s %13s %7s %7s %s\n' "key type" "CA key" "pipeline-pki (ms)" "openssl (ms)" "ratio" "target" "result"
for row in "${ROWS[@]}"; do
  read -r k m p o r v <<<"$row"
  printf '%-11s %-12s %18s %13s %6sx %7s %s\n' "$k" "$m" "$p" "$o" "$r" "<=${TARGET}x" "$v"
done
printf '\nprocess floor: pipeline-pki --version %s ms, openssl version %s ms\n' "$FLOOR_PPKI" "$FLOOR_OPENSSL"
printf 'report: %s\n' "$OUT_DIR/issue.md"
exit 0
