#!/usr/bin/env bash
# Builds the Azure DevOps extension (.vsix) from these task folders:
#   azure-pipelines-tasks/build.sh CLI_DIR [OUT_DIR]
# CLI_DIR holds a linux-x64 publish of pipeline-pki (native AOT: pipeline-pki + libe_sqlite3.so).
# Everything is staged under OUT_DIR (default artifacts/azure), never in the source folders:
# each task gets the shared shim and the task library; the installer task gets the CLI, once.
# Fails on any tfx warning (tfx exits 0 on a broken task.json) and on a package of 25 MB or more.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cli_dir="$(cd "${1:?usage: build.sh CLI_DIR [OUT_DIR]}" && pwd)"
out="${2:-$here/../artifacts/azure}"
mkdir -p "$out"; out="$(cd "$out" && pwd)"
tfx="${TFX:-tfx}"
stage="$out/extension"
rm -rf "$stage"; mkdir -p "$stage"

cp "$here/vss-extension.json" "$here/overview.md" "$stage/"
cp -r "$here/images" "$stage/"
# The task library, installed once from the pinned lock and copied into every task folder.
deps="${PIPELINE_PKI_TASK_DEPS:-$out/task-deps}"
if ! cmp -s "$here/package-lock.json" "$deps/package-lock.json" 2>/dev/null || [[ ! -d "$deps/node_modules" ]]; then
  rm -rf "$deps"; mkdir -p "$deps"
  cp "$here/package.json" "$here/package-lock.json" "$deps/"
  npm ci --prefix "$deps" --omit=dev --no-audit --no-fund >/dev/null
fi
for task in "$here"/PipelinePki*V1; do
  name="$(basename "$task")"
  cp -r "$task" "$stage/$name"
  [[ "$name" == PipelinePkiInstallerV1 ]] || cp "$here/common/pipeline-pki-task.js" "$stage/$name/"
  cp "$here/images/icon.png" "$stage/$name/icon.png"
  # Hard links when the staging area shares the file system (six copies of the library otherwise).
  cp -al "$deps/node_modules" "$stage/$name/node_modules" 2>/dev/null || cp -r "$deps/node_modules" "$stage/$name/node_modules"
done
mkdir -p "$stage/PipelinePkiInstallerV1/bin/linux-x64"
cp "$cli_dir/pipeline-pki" "$stage/PipelinePkiInstallerV1/bin/linux-x64/"
cp "$cli_dir"/*.so "$stage/PipelinePkiInstallerV1/bin/linux-x64/" 2>/dev/null || true

vsix="$out/pipeline-pki.vsix"
rm -f "$vsix"
log="$out/tfx.log"
if ! "$tfx" extension create --root "$stage" --manifest-globs vss-extension.json --output-path "$vsix" --no-prompt >"$log" 2>&1; then
  cat "$log" >&2; echo "build.sh: tfx extension create failed" >&2; exit 1
fi
if grep -qi "warn" "$log"; then
  cat "$log" >&2; echo "build.sh: tfx reported warnings; fix them (a broken task.json only warns)" >&2; exit 1
fi
size=$(stat -c %s "$vsix")
if (( size >= 25 * 1024 * 1024 )); then
  echo "build.sh: $vsix is $size bytes, the marketplace limit is 25 MB" >&2; exit 1
fi
echo "$vsix $size"
