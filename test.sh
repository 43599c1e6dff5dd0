#!/usr/bin/env bash
# THE test command (README, .ci/run): installs what the tests need, builds, publishes the native
# AOT CLI, runs every test project against it, and ends with one line of totals:
#   N passed, N failed
# Exits non-zero when anything fails. Runs as-is on a fresh Debian 12 machine with the .NET SDK.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT="$PWD"
OUT="$ROOT/artifacts/test"
mkdir -p "$OUT"
log() { printf '[test.sh] %s\n' "$*" >&2; }

# --- 1. What the tests need from the machine --------------------------------------------------
# OpenSSL is the independent judge; a C toolchain links the native AOT binary; nginx is the real
# TLS server (client-certificate verification, CRLs, OCSP stapling) for check/probe/mTLS tests.
need_apt=()
command -v openssl >/dev/null || need_apt+=(openssl)
[[ -x /usr/sbin/nginx ]] || command -v nginx >/dev/null || need_apt+=(nginx-light)
command -v gcc >/dev/null || command -v clang >/dev/null || need_apt+=(gcc)
dpkg -s zlib1g-dev >/dev/null 2>&1 || need_apt+=(zlib1g-dev)
# SoftHSM2 is the PKCS#11 token for the HSM tests; OpenSC's pkcs11-tool makes keys inside it.
{ command -v softhsm2-util >/dev/null && [[ -f /usr/lib/softhsm/libsofthsm2.so ]]; } || need_apt+=(softhsm2)
command -v pkcs11-tool >/dev/null || need_apt+=(opensc)
# Pebble + pebble-challtestsrv are the real ACME server (and its DNS) for the ACME source tests.
{ command -v pebble >/dev/null && command -v pebble-challtestsrv >/dev/null; } || need_apt+=(pebble)
if ((${#need_apt[@]})); then
  log "installing: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { log "the .NET 10 SDK is required (dotnet not on PATH)"; exit 1; }
# Sigstore's own verifier (npm @sigstore/verify, pinned by tests/sigstore/package-lock.json) judges
# the Sigstore bundles; the tests fail, not skip, without it.
if [[ ! -d tests/sigstore/node_modules/@sigstore/verify ]]; then
  command -v npm >/dev/null || { log "Node.js 20+ with npm is required (tests/sigstore)"; exit 1; }
  log "installing tests/sigstore (npm ci)"
  npm ci --prefix tests/sigstore --no-audit --no-fund >/dev/null
fi

# Tests must not inherit a CI identity or a CA from the machine that runs them.
unset GITHUB_ACTIONS TF_BUILD GITLAB_CI PIPELINE_PKI_HOME PIPELINE_PKI_CA_PASSPHRASE || true
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# --- 2. Build everything (warnings are errors) and publish the CLI as native AOT ---------------
log "building"
dotnet build PipelinePki.sln -c Release -nologo -v quiet 2>&1 | tail -n 3
log "publishing native AOT CLI (linux-x64)"
if ! dotnet publish src/PipelinePki.Cli -c Release -r linux-x64 -p:PublishAot=true -o "$OUT/aot" -nologo >"$OUT/aot-publish.log" 2>&1; then
  tail -n 40 "$OUT/aot-publish.log" >&2
  log "native AOT publish failed"
  echo "0 passed, 1 failed"
  exit 1
fi
# Any trim/AOT warning would have failed the publish (TreatWarningsAsErrors); say so when there were none.
if grep -E "warning IL[0-9]+" "$OUT/aot-publish.log" >&2; then
  log "AOT/trim warnings found"
  echo "0 passed, 1 failed"
  exit 1
fi
export PIPELINE_PKI_CLI="$OUT/aot/pipeline-pki"
log "CLI under test: $PIPELINE_PKI_CLI ($("$PIPELINE_PKI_CLI" --version))"

# --- 3. Run every test project; collect the counts --------------------------------------------
passed=0; failed=0; status=0
for project in tests/*.Tests/*.csproj; do
  name="$(basename "$project" .csproj)"
  log "running $name"
  log_file="$OUT/$name.log"
  set +e
  rm -f "$OUT/results/$name.trx"
  dotnet test "$project" -c Release --no-build -nologo --logger "trx;LogFileName=$name.trx" \
    --results-directory "$OUT/results" >"$log_file" 2>&1
  rc=$?
  set -e
  # The TRX counters are the runner's own count: <Counters total=".." executed=".." passed=".." failed=".." ...>
  counters="$(grep -o '<Counters [^>]*>' "$OUT/results/$name.trx" 2>/dev/null || true)"
  if [[ -z "$counters" ]]; then
    log "$name produced no test results (exit $rc):"
    tail -n 40 "$log_file" >&2
    failed=$((failed + 1)); status=1
    continue
  fi
  p="$(sed -E 's/.* passed="([0-9]+)".*/\1/' <<<"$counters")"
  f="$(sed -E 's/.* failed="([0-9]+)".*/\1/' <<<"$counters")"
  e="$(sed -E 's/.* executed="([0-9]+)".*/\1/' <<<"$counters")"
  if ((e == 0)); then
    log "$name ran no test"
    failed=$((failed + 1)); status=1
    continue
  fi
  passed=$((passed + p)); failed=$((failed + f))
  printf '  %-32s %s passed, %s failed\n' "$name" "$p" "$f" >&2
  if ((rc != 0 || f > 0)); then
    status=1
    grep -E -A 12 "^\s+Failed " "$log_file" | head -n 120 >&2 || true
  fi
done

echo "$passed passed, $failed failed"
exit "$status"
