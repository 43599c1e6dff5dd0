# Sourced by the bench scripts (needs BENCH_DIR, REPO_DIR, OUT_DIR and log() defined).
# Sets PPKI (the pipeline-pki binary) and HAVE_HYPERFINE.

# ---------------------------------------------------------------------------------------------
# 1. The binary under test: $PIPELINE_PKI_CLI, or a fresh native AOT publish into bench/out/aot.
# ---------------------------------------------------------------------------------------------
build_aot() {
  local attempt
  for attempt in 1 2 3; do
    log "publishing native AOT into $OUT_DIR/aot (attempt $attempt)"
    if (cd "$REPO_DIR" && dotnet publish src/PipelinePki.Cli -c Release -r linux-x64 \
          -p:PublishAot=true -o "$OUT_DIR/aot" >"$OUT_DIR/aot-publish.log" 2>&1); then
      return 0
    fi
    # src/ may be mid-edit by someone else: wait and retry before giving up.
    log "publish failed (see $OUT_DIR/aot-publish.log); retrying in 60 s"
    [[ $attempt -lt 3 ]] && sleep 60
  done
  tail -n 30 "$OUT_DIR/aot-publish.log" >&2
  return 1
}

mkdir -p "$OUT_DIR"
if [[ -n "${PIPELINE_PKI_CLI:-}" && -f "$PIPELINE_PKI_CLI" && -x "$PIPELINE_PKI_CLI" ]]; then
  PPKI="$(cd "$(dirname "$PIPELINE_PKI_CLI")" && pwd)/$(basename "$PIPELINE_PKI_CLI")"
else
  [[ -z "${PIPELINE_PKI_CLI:-}" ]] || log "PIPELINE_PKI_CLI=$PIPELINE_PKI_CLI is not an executable file: building instead"
  build_aot
  PPKI="$OUT_DIR/aot/pipeline-pki"
fi
log "pipeline-pki: $PPKI ($("$PPKI" --version))"
log "openssl:      $(openssl version)"

# ---------------------------------------------------------------------------------------------
# 2. Timing tool: hyperfine (installed from Debian if missing), else a date +%s%N loop.
# ---------------------------------------------------------------------------------------------
# BENCH_TOOL=loop forces the fallback (to test it, or where apt-get is not allowed).
if [[ "${BENCH_TOOL:-}" != loop ]] && ! command -v hyperfine >/dev/null 2>&1; then
  log "hyperfine missing: installing the Debian package"
  (apt-get update -qq && apt-get install -y -qq hyperfine) >&2 || true
fi
HAVE_HYPERFINE=0
[[ "${BENCH_TOOL:-}" != loop ]] && command -v hyperfine >/dev/null 2>&1 && HAVE_HYPERFINE=1
[[ $HAVE_HYPERFINE == 1 ]] || log "hyperfine unavailable: falling back to a bash loop (date +%s%N)"
