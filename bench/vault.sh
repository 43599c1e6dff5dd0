#!/usr/bin/env bash
# Vault issuance latency distribution (p50/p90/p99/max) over REQUESTS issuances against the
# in-process Vault stand-in (tests/PipelinePki.TestKit/Vault), two ways:
#   in-process     VaultSource.IssueAsync in one process (key + CSR made here, pki/sign, real CA signing)
#   whole-process  `pipeline-pki cert issue --source vault` (native AOT) started once per issuance
# The stand-in signs with a real two-tier CA (ECDSA P-384), over loopback HTTP.
#
#   bench/vault.sh                       # REQUESTS=200
#   REQUESTS=50 bench/vault.sh
#   PIPELINE_PKI_CLI=artifacts/test/aot/pipeline-pki bench/vault.sh   # skip the AOT build
#
# Writes bench/out/vault.md (the table) and bench/out/vault/*.txt (one timing per line, ms).
set -euo pipefail
shopt -s inherit_errexit

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
OUT_DIR="$BENCH_DIR/out"
RESULTS_DIR="$OUT_DIR/vault"
REQUESTS="${REQUESTS:-200}"

log() { printf '[vault.sh] %s\n' "$*" >&2; }

# shellcheck source=bench/common.sh
source "$BENCH_DIR/common.sh"

mkdir -p "$RESULTS_DIR"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

log "building the stand-in harness"
dotnet build "$BENCH_DIR/PipelinePki.VaultBench" -c Release -o "$OUT_DIR/vaultbench" >"$OUT_DIR/vaultbench-build.log" 2>&1 \
  || { tail -n 30 "$OUT_DIR/vaultbench-build.log" >&2; exit 1; }
HARNESS="$OUT_DIR/vaultbench/PipelinePki.VaultBench.dll"

# percentiles FILE -> "p50 p90 p99 max" (nearest-rank, ms, 1 decimal)
percentiles() {
  sort -g "$1" | awk '{ v[NR] = $1 } END {
    n = NR; split("50 90 99", ps, " ");
    for (i = 1; i <= 3; i++) { r = int((ps[i] / 100) * n); if (r < (ps[i] / 100) * n) r++; if (r < 1) r = 1; printf "%.1f ", v[r] }
    printf "%.1f\n", v[n] }'
}

log "in-process: $REQUESTS issuances"
dotnet "$HARNESS" inprocess "$REQUESTS" >"$RESULTS_DIR/in-process.txt"
read -r IP50 IP90 IP99 IPMAX < <(percentiles "$RESULTS_DIR/in-process.txt")

log "whole-process: starting the stand-in"
dotnet "$HARNESS" serve "$WORK/ready" &
SERVER_PID=$!
for _ in $(seq 1 600); do [[ -s "$WORK/ready" ]] && break; sleep 0.1; done
[[ -s "$WORK/ready" ]] || { log "the stand-in did not start"; exit 1; }
read -r VAULT_ADDR VAULT_TOKEN <"$WORK/ready"
export VAULT_ADDR VAULT_TOKEN

log "whole-process: $REQUESTS x $PPKI cert issue --source vault"
for i in 1 2 3; do "$PPKI" cert issue --source vault --role ci --name "warm$i.example.internal" --out "$WORK/warm" --home "$WORK/home" >/dev/null; done
: >"$RESULTS_DIR/whole-process.txt"
for ((i = 0; i < REQUESTS; i++)); do
  start=$(date +%s%N)
  "$PPKI" cert issue --source vault --role ci --name "b$i.example.internal" --out "$WORK/out" --home "$WORK/home" >/dev/null
  end=$(date +%s%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", (e - s) / 1e6 }' >>"$RESULTS_DIR/whole-process.txt"
done
read -r WP50 WP90 WP99 WPMAX < <(percentiles "$RESULTS_DIR/whole-process.txt")

LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
{
  echo "# Vault issuance latency ($REQUESTS requests against the stand-in, load average $LOAD, $(nproc) cores)"
  echo
  echo "| mode | p50 ms | p90 ms | p99 ms | max ms |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  echo "| in-process (VaultSource.IssueAsync) | $IP50 | $IP90 | $IP99 | $IPMAX |"
  echo "| whole-process (AOT \`cert issue --source vault\`) | $WP50 | $WP90 | $WP99 | $WPMAX |"
} | tee "$OUT_DIR/vault.md"
