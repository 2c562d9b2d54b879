#!/usr/bin/env bash
# Loads {{image}} into the local container engine (docker or podman).
set -euo pipefail
tarball="$(cd "$(dirname "$0")" && pwd)/{{tarball}}"
[ -f "$tarball" ] || tarball="${RUNFILES_DIR:-$0.runfiles}/_main/{{tarball_path}}"
for engine in ${DOCINTEL_CONTAINER_ENGINE:-docker podman}; do
  if command -v "$engine" >/dev/null; then
    exec "$engine" load --input "$tarball"
  fi
done
echo "oci_load: neither docker nor podman is on PATH here (inside the offline build root there is none)." >&2
echo "oci_load: load it on the host: podman load --input $(realpath "$tarball")" >&2
exit 1
