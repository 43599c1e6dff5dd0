#!/usr/bin/env bash
# Sourced (or run with "make-base") by test.sh and by the container test: one private podman
# configuration for every podman/buildah call on this machine, because the defaults stall here
# (crun fails on this cgroup setup; rlimits above the sandbox's; 20 s waits without cgroupfs).
# Everything lives under /var/cache/pipeline-pki, outside the repository.
set -euo pipefail
CACHE="${PIPELINE_PKI_CACHE:-/var/cache/pipeline-pki}"
PODMAN_DIR="$CACHE/podman"
mkdir -p "$PODMAN_DIR/overlay" "$PODMAN_DIR/runroot" "$PODMAN_DIR/tmp"
cat >"$PODMAN_DIR/storage.conf" <<CONF
[storage]
driver = "overlay"
graphroot = "$PODMAN_DIR/overlay"
runroot = "$PODMAN_DIR/runroot"
CONF
cat >"$PODMAN_DIR/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]
netns = "none"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$PODMAN_DIR/tmp"
CONF
export CONTAINERS_STORAGE_CONF="$PODMAN_DIR/storage.conf"
export CONTAINERS_CONF="$PODMAN_DIR/containers.conf"
BASE_IMAGE="localhost/pipeline-pki-test-base:bookworm"

# A Debian bookworm minbase with libssl3 and CA certificates, made from this machine's own apt
# mirror (read from /etc/apt at run time), imported once as $BASE_IMAGE. About 25 s cold.
make_base() {
  if podman image exists "$BASE_IMAGE"; then return 0; fi
  local tarball="$CACHE/base-bookworm-minbase.tar"
  if [[ ! -s "$tarball" ]]; then
    local mirror
    mirror="$(grep -rhE '^\s*(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list /etc/apt/sources.list 2>/dev/null \
      | grep -v security | head -n1 | sed -E 's/^\s*URIs:\s*//; s/^\s*deb\s+(\[[^]]*\]\s+)?//; s/\s.*$//' || true)"
    [[ -n "$mirror" ]] || { echo "no apt mirror found in /etc/apt" >&2; return 1; }
    local rootfs="$CACHE/base-rootfs.tmp"
    rm -rf "$rootfs"
    echo "[podman-env] debootstrap minbase bookworm from $mirror (once; cached in $CACHE)" >&2
    debootstrap --variant=minbase --include=libssl3,ca-certificates bookworm "$rootfs" "$mirror" >"$CACHE/debootstrap.log" 2>&1 \
      || { tail -n 20 "$CACHE/debootstrap.log" >&2; return 1; }
    rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$rootfs"
  fi
  podman import "$tarball" "$BASE_IMAGE" >/dev/null
}

if [[ "${1:-}" == "make-base" ]]; then make_base; fi
