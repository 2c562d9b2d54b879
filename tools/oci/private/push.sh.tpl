#!/usr/bin/env bash
# {{label}}: pushes images by digest from their metadata, taking blobs from
# the build's local outputs or the remote cache, then moves the tags; a
# failed push changes no tag (tools/oci/push.py says how).
#
# Usage: bazel run {{label}} -- [--repository REGISTRY/NAME] [--tag TAG]... [--insecure]
#        [--remote-cache URL] [--remote-cache-header NAME=VALUE]... [--report FILE]
set -euo pipefail

# Files come from the Bash runfiles library (@bazel_tools//tools/bash/runfiles).
f=bazel_tools/tools/bash/runfiles/runfiles.bash
# shellcheck source=/dev/null
source "${RUNFILES_DIR:-$0.runfiles}/$f" 2>/dev/null ||
  source "$(grep -sm1 "^$f " "${RUNFILES_MANIFEST_FILE:-$0.runfiles_manifest}" | cut -d' ' -f2-)" ||
  { echo "$0: cannot find the Bash runfiles library ($f)" >&2; exit 1; }

# The push tool finds the spec's files through the same runfiles.
runfiles_export_envvars
exec "$(rlocation "{{push_tool}}")" --spec "$(rlocation "{{spec}}")" "$@"
