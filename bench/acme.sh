#!/usr/bin/env bash
# End-to-end ACME issuance wall time: native AOT `pipeline-pki cert issue --source acme` against
# Debian's `lego run --http`, both with http-01 against the SAME local Pebble (nonce rejection off,
# PEBBLE_VA_NOSLEEP=1), interleaved run by run (ours, lego, ours, lego …) so both see the same load.
# Every run starts from an empty state directory: account registration + order + validation +
# finalize + download, as a fresh CI job does. Both use an ECDSA P-384 certificate key.
#
#   bench/acme.sh                                   # RUNS=10
#   PIPELINE_PKI_CLI=artifacts/test/aot/pipeline-pki RUNS=5 bench/acme.sh
#
# Writes bench/out/acme.md. Exits 0 whether the target is met or not (it is a report); non-zero
# when a run fails.
set -euo pipefail
shopt -s inherit_errexit

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$BENCH_DIR/.." && pwd)"
OUT_DIR="$BENCH_DIR/out"
RUNS="${RUNS:-10}"
TARGET="1.0"   # pipeline-pki may take at most lego's wall time

log() { printf '[acme.sh] %s\n' "$*" >&2; }

# shellcheck source=bench/common.sh
source "$BENCH_DIR/common.sh"
for tool in pebble pebble-challtestsrv lego; do
  command -v "$tool" >/dev/null || { log "$tool missing: apt-get install pebble lego"; exit 1; }
done

WORK="$(mktemp -d /tmp/ppki-acme-bench.XXXXXX)"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# --- Pebble with its TLS certificate (made here) and challtestsrv as its DNS --------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/tls-ca.key" \
  -out "$WORK/tls-ca.pem" -days 2 -subj "/CN=bench Pebble TLS CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/tls-key.pem" \
  -out "$WORK/tls.csr" -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >"$WORK/ext.cnf"
openssl x509 -req -in "$WORK/tls.csr" -CA "$WORK/tls-ca.pem" -CAkey "$WORK/tls-ca.key" -CAcreateserial \
  -days 2 -extfile "$WORK/ext.cnf" -out "$WORK/tls-cert.pem" 2>/dev/null

LISTEN=$(free_port); MGMT=$(free_port); HTTP01=$(free_port); TLSPORT=$(free_port); DNS=$(free_port); CTS_MGMT=$(free_port)
cat >"$WORK/pebble.json" <<JSON
{"pebble":{"listenAddress":"127.0.0.1:$LISTEN","managementListenAddress":"127.0.0.1:$MGMT",
"certificate":"$WORK/tls-cert.pem","privateKey":"$WORK/tls-key.pem","httpPort":$HTTP01,"tlsPort":$TLSPORT,
"ocspResponderURL":"","externalAccountBindingRequired":false}}
JSON
pebble-challtestsrv -defaultIPv4 127.0.0.1 -defaultIPv6 "" -dns01 "127.0.0.1:$DNS" -http01 "" -https01 "" \
  -tlsalpn01 "" -management "127.0.0.1:$CTS_MGMT" >"$WORK/challtestsrv.log" 2>&1 &
PIDS+=($!)
PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 pebble -config "$WORK/pebble.json" -dnsserver "127.0.0.1:$DNS" >"$WORK/pebble.log" 2>&1 &
PIDS+=($!)
DIRECTORY="https://127.0.0.1:$LISTEN/dir"
for _ in $(seq 1 300); do
  curl -sf --cacert "$WORK/tls-ca.pem" "$DIRECTORY" >/dev/null && break
  sleep 0.2
done
curl -sf --cacert "$WORK/tls-ca.pem" "$DIRECTORY" >/dev/null || { cat "$WORK/pebble.log" >&2; log "Pebble did not start"; exit 1; }
curl -sf --cacert "$WORK/tls-ca.pem" "https://127.0.0.1:$MGMT/roots/0" >"$WORK/pebble-root.pem"
log "Pebble at $DIRECTORY (http-01 on $HTTP01), lego: $(lego --version)"

ns_now() { date +%s%N; }
ours_ms=(); lego_ms=()
for ((i = 1; i <= RUNS; i++)); do
  rm -rf "$WORK/ours" "$WORK/lego"
  start=$(ns_now)
  "$PPKI" cert issue --source acme --acme-directory "$DIRECTORY" --acme-ca-bundle "$WORK/tls-ca.pem" \
    --state "$WORK/ours/state" --http-port "$HTTP01" --http-bind 127.0.0.1 --name "bench$i.example" \
    --key-type ecdsa-p384 --out "$WORK/ours/out" >"$WORK/ours.log" 2>&1 || { cat "$WORK/ours.log" >&2; exit 1; }
  end=$(ns_now)
  ours_ms+=($(((end - start) / 1000000)))
  openssl verify -CAfile "$WORK/pebble-root.pem" -untrusted "$WORK/ours/out/chain.pem" "$WORK/ours/out/cert.pem" >/dev/null

  start=$(ns_now)
  LEGO_CA_CERTIFICATES="$WORK/tls-ca.pem" lego --server "$DIRECTORY" --accept-tos --email bench@example.org \
    --domains "lego$i.example" --key-type ec384 --http --http.port "127.0.0.1:$HTTP01" --path "$WORK/lego" \
    run >"$WORK/lego.log" 2>&1 || { cat "$WORK/lego.log" >&2; exit 1; }
  end=$(ns_now)
  lego_ms+=($(((end - start) / 1000000)))
  log "run $i: pipeline-pki ${ours_ms[-1]} ms, lego ${lego_ms[-1]} ms"
done

stats() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1; s+=$1} END {printf "%.0f %.0f %.0f %.0f", s/NR, a[int((NR+1)/2)], a[1], a[NR]}'; }
read -r ours_mean ours_median ours_min ours_max <<<"$(stats "${ours_ms[@]}")"
read -r lego_mean lego_median lego_min lego_max <<<"$(stats "${lego_ms[@]}")"
ratio=$(awk -v a="$ours_mean" -v b="$lego_mean" 'BEGIN { printf "%.2f", a / b }')
verdict=$(awk -v r="$ratio" -v t="$TARGET" 'BEGIN { print (r <= t) ? "PASS" : "FAIL" }')
mkdir -p "$OUT_DIR"
{
  echo "| client | mean ms | median ms | min ms | max ms |"
  echo "| --- | ---: | ---: | ---: | ---: |"
  echo "| pipeline-pki (AOT) cert issue --source acme | $ours_mean | $ours_median | $ours_min | $ours_max |"
  echo "| lego $(lego --version | awk '{print $3}') run --http | $lego_mean | $lego_median | $lego_min | $lego_max |"
  echo
  echo "ratio (mean): ${ratio}x, target <= ${TARGET}x: $verdict ($RUNS interleaved runs, load $(cut -d' ' -f1-3 /proc/loadavg))"
} | tee "$OUT_DIR/acme.md"
