#!/usr/bin/env bash
# Loads {{image}} into the local container engine (docker or podman).
set -euo pipefail

# Files come from the Bash runfiles library (@bazel_tools//tools/bash/runfiles).
f=bazel_tools/tools/bash/runfiles/runfiles.bash
# shellcheck source=/dev/null
source "${RUNFILES_DIR:-$0.runfiles}/$f" 2>/dev/null ||
  source "$(grep -sm1 "^$f " "${RUNFILES_MANIFEST_FILE:-$0.runfiles_manifest}" | cut -d' ' -f2-)" ||
  { echo "$0: cannot find the Bash runfiles library ($f)" >&2; exit 1; }

tarball=$(rlocation "{{tarball}}")
for engine in ${DOCINTEL_CONTAINER_ENGINE:-docker podman}; do
  if command -v "$engine" >/dev/null; then
    exec "$engine" load --input "$tarball"
  fi
done
echo "oci_load: neither docker nor podman is on PATH here (inside the offline build root there is none)." >&2
echo "oci_load: load it on the host: podman load --input $(realpath "$tarball")" >&2
exit 1
