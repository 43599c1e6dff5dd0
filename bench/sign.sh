#!/usr/bin/env bash
# Artifact signing: whole-process wall time and peak memory of `pipeline-pki sign` and
# `pipeline-pki verify` on one large file against `openssl dgst -sha256` on the SAME file in the
# same run, and the rate of a batch of small files signed in one call.
#
#   bench/sign.sh                       # 1 GiB file (RUNS_BIG=5), 10,000 x 1 KiB files (RUNS=5)
#   SIZE_MIB=256 RUNS_BIG=3 FILES=2000 bench/sign.sh
#   PIPELINE_PKI_CLI=/tmp/ppki-aot/pipeline-pki bench/sign.sh   # skip the AOT build
#   BENCH_TOOL=loop bench/sign.sh       # time with a date +%s%N loop instead of hyperfine
#
# Before timing: the large file's signature must verify with pipeline-pki (exit 0) AND with
# `openssl cms -verify`, a copy of a small file with one flipped byte must fail (exit 4), the batch
# must produce one signature per file and the signed manifest must verify.
#
# The large file is kept in bench/out/sign-big.bin and reused while its size matches SIZE_MIB.
# Writes bench/out/sign.md (the table) and bench/out/sign/*.json (hyperfine exports).
# Exits 0 whether rows PASS or FAIL (it is a report); non-zero if any command or check fails.
set -euo pipefail
shopt -s inherit_errexit

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
OUT_DIR="$BENCH_DIR/out"
RESULTS_DIR="$OUT_DIR/sign"
WORK_DIR="$OUT_DIR/sign-work"
BIG="$OUT_DIR/sign-big.bin"
SIZE_MIB="${SIZE_MIB:-1024}"
RUNS_BIG="${RUNS_BIG:-5}"
WARMUP_BIG="${WARMUP_BIG:-1}"
RUNS="${RUNS:-5}"        # batch rows
WARMUP="${WARMUP:-1}"
FILES="${FILES:-10000}"
TARGET="1.15"            # sign / verify of the large file: at most 1.15x `openssl dgst -sha256`
RSS_TARGET_MIB="64"      # peak resident set of sign / verify, whatever the file size

log() { printf '[sign.sh] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }
[[ $SIZE_MIB =~ ^[1-9][0-9]*$ ]] || die "SIZE_MIB=$SIZE_MIB is not a positive number"
[[ $FILES =~ ^[1-9][0-9]*$ ]] || die "FILES=$FILES is not a positive number"

# The binary under test and the timing tool, shared by every bench script.
# shellcheck source=bench/common.sh
source "$BENCH_DIR/common.sh"
command -v jq >/dev/null 2>&1 || [[ $HAVE_HYPERFINE == 0 ]] || die "jq is needed to read hyperfine's export"
if [[ ! -x /usr/bin/time ]]; then
  log "/usr/bin/time missing: installing the Debian package"
  (apt-get update -qq && apt-get install -y -qq time) >&2 || true
  [[ -x /usr/bin/time ]] || die "/usr/bin/time is needed for the peak-memory rows"
fi

# measure LABEL WARMUP RUNS PREPARE COMMAND -> prints the mean wall time in ms (3 decimals).
# PREPARE runs before every timed run (and warm-up) and is not timed.
measure() {
  local label="$1" warmup="$2" runs="$3" prepare="$4" cmd="$5" json="$RESULTS_DIR/$1.json"
  if [[ $HAVE_HYPERFINE == 1 ]]; then
    hyperfine --style none --warmup "$warmup" --runs "$runs" --prepare "$prepare" \
      --export-json "$json" --command-name "$label" "$cmd" >"$RESULTS_DIR/$label.txt" 2>&1 \
      || { cat "$RESULTS_DIR/$label.txt" >&2; return 1; }
    jq -r '.results[0].mean * 1000 | . * 1000 | round / 1000' "$json"
  else
    local i start end total=0
    for ((i = 0; i < warmup; i++)); do bash -c "$prepare"; bash -c "$cmd" >/dev/null 2>&1; done
    for ((i = 0; i < runs; i++)); do
      bash -c "$prepare"
      start=$(date +%s%N)
      bash -c "$cmd" >/dev/null 2>&1 || { log "$label: command failed: $cmd"; return 1; }
      end=$(date +%s%N)
      total=$((total + end - start))
    done
    awk -v t="$total" -v n="$runs" 'BEGIN { printf "%.3f\n", t / n / 1e6 }'
  fi
}

# peak_rss_mib LABEL COMMAND -> prints the "Maximum resident set size" of COMMAND in MiB (1 decimal).
peak_rss_mib() {
  local label="$1" cmd="$2" logf="$RESULTS_DIR/$1.time.txt" kb
  /usr/bin/time -v bash -c "exec $cmd" >/dev/null 2>"$logf" \
    || { cat "$logf" >&2; die "$label: command failed: $cmd"; }
  kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$logf")
  [[ $kb =~ ^[0-9]+$ ]] || die "$label: no 'Maximum resident set size' in $logf"
  awk -v k="$kb" 'BEGIN { printf "%.1f\n", k / 1024 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN { print (r <= t) ? "PASS" : "FAIL" }'; }
run() { "$@" >>"$WORK_DIR/setup.log" 2>&1 || { cat "$WORK_DIR/setup.log" >&2; die "failed: $*"; }; }

rm -rf "$RESULTS_DIR" "$WORK_DIR"
mkdir -p "$RESULTS_DIR" "$WORK_DIR"

# ---------------------------------------------------------------------------------------------
# 3. Inputs: CA + code-signing certificate, the large file, FILES small files.
# ---------------------------------------------------------------------------------------------
CA="$WORK_DIR/CA"
S="$WORK_DIR/signer"
log "creating the CA and the code-signing certificate"
run "$PPKI" ca init --home "$CA" --name Bench --no-passphrase --key-type ecdsa-p256
run "$PPKI" cert issue --home "$CA" --name signer --profile code-signing --key-type ecdsa-p256 --out "$S"

size_bytes=$((SIZE_MIB * 1048576))
if [[ -f $BIG && $(stat -c %s "$BIG") == "$size_bytes" ]]; then
  log "reusing $BIG ($SIZE_MIB MiB)"
else
  log "creating $BIG ($SIZE_MIB MiB from /dev/urandom)"
  rm -f "$BIG"
  head -c "$size_bytes" /dev/urandom >"$BIG.tmp"
  mv "$BIG.tmp" "$BIG"
fi

log "creating $FILES files of 1 KiB"
mkdir -p "$WORK_DIR/batch"
head -c $((FILES * 1024)) /dev/urandom | (cd "$WORK_DIR/batch" && split -b 1024 -a 6 -d - f)
[[ $(find "$WORK_DIR/batch" -type f | wc -l) == "$FILES" ]] || die "expected $FILES files in $WORK_DIR/batch"

SIGN="'$PPKI' sign --key '$S/key.pem' --cert '$S/fullchain.pem' --home '$CA'"
big_sign_cmd="$SIGN '$BIG' --timestamp local --out-dir '$WORK_DIR/big'"
big_verify_cmd="'$PPKI' verify '$BIG' --signature '$WORK_DIR/big/sign-big.bin.p7s' --trust '$S/root.pem' --revocation none"
big_dgst_cmd="openssl dgst -sha256 '$BIG'"
# The batch commands run in WORK_DIR with relative paths; the glob is quoted: pipeline-pki expands it.
batch_sign_cmd="cd '$WORK_DIR' && $SIGN 'batch/*' --timestamp none --out-dir sigs"
batch_manifest_cmd="cd '$WORK_DIR' && $SIGN 'batch/*' --timestamp none --manifest manifest.txt"
batch_dgst_cmd="cd '$WORK_DIR' && openssl dgst -sha256 batch/*"

# ---------------------------------------------------------------------------------------------
# 4. Checks: nothing is timed until sign produces signatures that verify, and a bad one fails.
# ---------------------------------------------------------------------------------------------
# expect_rc NAME RC CMD: the command must exit RC.
expect_rc() {
  local name="$1" want="$2" cmd="$3" logf="$WORK_DIR/check-$1.log" rc=0
  eval "$cmd" >"$logf" 2>&1 || rc=$?
  [[ $rc == "$want" ]] || { cat "$logf" >&2; die "$name: expected exit $want, got exit $rc: $cmd"; }
}

log "checking: the large file's signature (pipeline-pki verify and openssl cms -verify)"
expect_rc big-sign 0 "$big_sign_cmd"
expect_rc big-verify-pipeline-pki 0 "$big_verify_cmd"
expect_rc big-verify-openssl 0 "openssl cms -verify -binary -inform DER -in '$WORK_DIR/big/sign-big.bin.p7s' -content '$BIG' -CAfile '$S/root.pem' -purpose any -out /dev/null"
grep -q "timestamped" "$WORK_DIR/check-big-verify-pipeline-pki.log" \
  || die "big-verify: the signature carries no timestamp (--timestamp local)"

log "checking: the batch (one signature per file), the manifest, a tampered copy"
expect_rc batch-sign 0 "$batch_sign_cmd"
[[ $(find "$WORK_DIR/sigs" -name '*.p7s' | wc -l) == "$FILES" ]] || die "batch-sign: expected $FILES signatures in $WORK_DIR/sigs"
expect_rc batch-manifest 0 "$batch_manifest_cmd"
[[ $(wc -l <"$WORK_DIR/manifest.txt") == "$FILES" ]] || die "batch-manifest: expected $FILES lines in manifest.txt"
expect_rc batch-manifest-verify 0 "cd '$WORK_DIR' && '$PPKI' verify manifest.txt --manifest --trust '$S/root.pem' --revocation none"
expect_rc small-verify 0 "'$PPKI' verify '$WORK_DIR/batch/f000000' --signature '$WORK_DIR/sigs/f000000.p7s' --trust '$S/root.pem' --revocation none"
cp "$WORK_DIR/batch/f000000" "$WORK_DIR/tampered"
byte=$(od -An -tu1 -j 100 -N 1 "$WORK_DIR/tampered" | tr -d ' ')
printf "\\$(printf '%03o' $((byte ^ 1)))" | dd of="$WORK_DIR/tampered" bs=1 seek=100 conv=notrunc status=none
cmp -s "$WORK_DIR/batch/f000000" "$WORK_DIR/tampered" && die "tampered copy is identical to the original"
expect_rc tampered-verify 4 "'$PPKI' verify '$WORK_DIR/tampered' --signature '$WORK_DIR/sigs/f000000.p7s' --trust '$S/root.pem' --revocation none"

# ---------------------------------------------------------------------------------------------
# 5. Timing and peak memory.
# ---------------------------------------------------------------------------------------------
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)   # shared machines: a busy host blurs both columns

# Process floor: the cheapest thing each binary can do (start, print, exit).
FLOOR_PPKI=$(measure floor-pipeline-pki "$WARMUP" "$RUNS" ":" "'$PPKI' --version")
FLOOR_OPENSSL=$(measure floor-openssl "$WARMUP" "$RUNS" ":" "openssl version")

log "large file: cat > /dev/null (page cache), then $RUNS_BIG runs each (warm-up $WARMUP_BIG)"
cat "$BIG" >/dev/null
BIG_DGST=$(measure big-openssl-dgst "$WARMUP_BIG" "$RUNS_BIG" ":" "$big_dgst_cmd")
BIG_SHA256SUM=$(measure big-sha256sum "$WARMUP_BIG" "$RUNS_BIG" ":" "sha256sum '$BIG'")
BIG_SIGN=$(measure big-sign "$WARMUP_BIG" "$RUNS_BIG" ":" "$big_sign_cmd")
BIG_VERIFY=$(measure big-verify "$WARMUP_BIG" "$RUNS_BIG" ":" "$big_verify_cmd")

log "large file: peak memory (/usr/bin/time -v)"
RSS_SIGN=$(peak_rss_mib big-sign "$big_sign_cmd")
RSS_VERIFY=$(peak_rss_mib big-verify "$big_verify_cmd")
RSS_DGST=$(peak_rss_mib big-openssl-dgst "$big_dgst_cmd")

log "batch: $FILES files, $RUNS runs each (warm-up $WARMUP)"
BATCH_SIGN=$(measure batch-sign "$WARMUP" "$RUNS" "rm -rf '$WORK_DIR/sigs'" "$batch_sign_cmd")
BATCH_MANIFEST=$(measure batch-manifest "$WARMUP" "$RUNS" "rm -f '$WORK_DIR/manifest.txt' '$WORK_DIR/manifest.txt.p7s'" "$batch_manifest_cmd")
BATCH_DGST=$(measure batch-openssl-dgst "$WARMUP" "$RUNS" ":" "$batch_dgst_cmd")

r_sign=$(ratio "$BIG_SIGN" "$BIG_DGST");     v_sign=$(verdict "$r_sign" "$TARGET")
r_verify=$(ratio "$BIG_VERIFY" "$BIG_DGST"); v_verify=$(verdict "$r_verify" "$TARGET")
m_sign=$(verdict "$RSS_SIGN" "$RSS_TARGET_MIB"); m_verify=$(verdict "$RSS_VERIFY" "$RSS_TARGET_MIB")
mibps() { awk -v ms="$1" -v m="$SIZE_MIB" 'BEGIN { printf "%.0f", m / (ms / 1000) }'; }
fps() { awk -v ms="$1" -v n="$FILES" 'BEGIN { printf "%.0f", n / (ms / 1000) }'; }

# ---------------------------------------------------------------------------------------------
# 6. Report: terminal table and bench/out/sign.md.
# ---------------------------------------------------------------------------------------------
tool=$([[ $HAVE_HYPERFINE == 1 ]] && hyperfine --version || echo "bash loop, date +%s%N")
{
  echo "# pipeline-pki sign / verify vs openssl dgst -sha256"
  echo
  echo "Whole-process wall time ($tool); large file: mean of $RUNS_BIG runs after $WARMUP_BIG warm-up, from the page cache;"
  echo "batch and floor: mean of $RUNS runs after $WARMUP warm-up."
  echo "pipeline-pki: \`$("$PPKI" --version)\` ($PPKI); $(openssl version); $(nproc) cores; $(date -u +%Y-%m-%dT%H:%MZ); load average $LOAD_START at the start."
  echo "Signer: ecdsa-p256 code-signing certificate from \`pipeline-pki ca init\` + \`cert issue\` (SHA-256 digest)."
  echo
  echo "Checked before timing: the large file's signature verifies with \`pipeline-pki verify\` (exit 0) and"
  echo "\`openssl cms -verify -binary\`; a copy of a small file with one flipped byte fails (exit 4); the batch"
  echo "writes $FILES signatures and the signed manifest verifies (\`verify --manifest\`)."
  echo
  echo "## Large file ($SIZE_MIB MiB)"
  echo
  echo "| command | pipeline-pki (ms) | openssl dgst -sha256 (ms) | ratio | target | result |"
  echo "|---|---:|---:|---:|---|---|"
  echo "| \`sign --timestamp local\` | $BIG_SIGN | $BIG_DGST | ${r_sign}× | ≤ ${TARGET}× | $v_sign |"
  echo "| \`verify --revocation none\` | $BIG_VERIFY | $BIG_DGST | ${r_verify}× | ≤ ${TARGET}× | $v_verify |"
  echo
  echo "| command | peak RSS (MiB) | target | result |"
  echo "|---|---:|---|---|"
  echo "| \`sign --timestamp local\` | $RSS_SIGN | ≤ $RSS_TARGET_MIB MiB | $m_sign |"
  echo "| \`verify --revocation none\` | $RSS_VERIFY | ≤ $RSS_TARGET_MIB MiB | $m_verify |"
  echo "| \`openssl dgst -sha256\` (reference) | $RSS_DGST | | |"
  echo
  echo "Hashing speed: \`openssl dgst -sha256\` $BIG_DGST ms ($(mibps "$BIG_DGST") MiB/s), \`sha256sum\` $BIG_SHA256SUM ms ($(mibps "$BIG_SHA256SUM") MiB/s)."
  echo
  echo "## Batch ($FILES files of 1 KiB, one call)"
  echo
  echo "| command | ms | files/s |"
  echo "|---|---:|---:|"
  echo "| \`sign 'batch/*' --timestamp none --out-dir sigs\` | $BATCH_SIGN | $(fps "$BATCH_SIGN") |"
  echo "| \`sign 'batch/*' --timestamp none --manifest manifest.txt\` | $BATCH_MANIFEST | $(fps "$BATCH_MANIFEST") |"
  echo "| \`openssl dgst -sha256 batch/*\` (reference) | $BATCH_DGST | $(fps "$BATCH_DGST") |"
  echo
  echo "Process floor (\`pipeline-pki --version\` / \`openssl version\`): $FLOOR_PPKI ms / $FLOOR_OPENSSL ms."
} >"$OUT_DIR/sign.md"

printf '\n%-30s %14s %14s %7s %8s %s\n' "large file ($SIZE_MIB MiB)" "pipeline-pki" "openssl dgst" "ratio" "target" "result"
printf '%-30s %11s ms %11s ms %6sx %8s %s\n' "sign --timestamp local" "$BIG_SIGN" "$BIG_DGST" "$r_sign" "<=${TARGET}x" "$v_sign"
printf '%-30s %11s ms %11s ms %6sx %8s %s\n' "verify --revocation none" "$BIG_VERIFY" "$BIG_DGST" "$r_verify" "<=${TARGET}x" "$v_verify"
printf '%-30s %10s MiB %14s %7s %8s %s\n' "peak RSS sign" "$RSS_SIGN" "" "" "<=${RSS_TARGET_MIB}MiB" "$m_sign"
printf '%-30s %10s MiB %14s %7s %8s %s\n' "peak RSS verify" "$RSS_VERIFY" "" "" "<=${RSS_TARGET_MIB}MiB" "$m_verify"
printf '%-30s %10s MiB\n' "peak RSS openssl dgst" "$RSS_DGST"
printf '\n%-30s %14s %14s\n' "batch ($FILES x 1 KiB)" "ms" "files/s"
printf '%-30s %14s %14s\n' "sign --out-dir" "$BATCH_SIGN" "$(fps "$BATCH_SIGN")"
printf '%-30s %14s %14s\n' "sign --manifest" "$BATCH_MANIFEST" "$(fps "$BATCH_MANIFEST")"
printf '%-30s %14s %14s\n' "openssl dgst -sha256" "$BATCH_DGST" "$(fps "$BATCH_DGST")"
printf '\nhashing: openssl dgst %s ms (%s MiB/s), sha256sum %s ms (%s MiB/s)\n' \
  "$BIG_DGST" "$(mibps "$BIG_DGST")" "$BIG_SHA256SUM" "$(mibps "$BIG_SHA256SUM")"
printf 'process floor: pipeline-pki --version %s ms, openssl version %s ms\n' "$FLOOR_PPKI" "$FLOOR_OPENSSL"
printf 'report: %s\n' "$OUT_DIR/sign.md"
exit 0
