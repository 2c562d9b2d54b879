#!/usr/bin/env bash
# docintel: runs on the host
# (That line makes tools/bazel run this outside its build root: the Docker
# config, its credential helpers and what they call are the host's.)
#
# {{label}}: pushes images by digest from their metadata, taking blobs from
# the build's local outputs or the remote cache, then moves the tags; a
# failed push changes no tag (tools/oci/push.py, run by the host's python3,
# says how).
#
# Usage: bazel run {{label}} -- [--repository REGISTRY/NAME] [--tag TAG]... [--insecure]
#        [--remote-cache URL] [--remote-cache-header NAME=VALUE]... [--report FILE]
set -euo pipefail

# Files by their runfiles path. Not through @bazel_tools' runfiles library: in
# the build root that repository is Debian's /usr/share/bazel/embedded_tools,
# which the host does not have; the push tool and the spec are this workspace's.
runfiles=${RUNFILES_DIR:-$0.runfiles}
[ -d "$runfiles/{{push_tool_dir}}" ] || {
  echo "oci_push: no runfiles at $runfiles; run it with: tools/bazel run {{label}}" >&2
  exit 1
}

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "oci_push: pushing needs python3 >= 3.10 on the host (apt-get install python3)" >&2
  exit 1
fi
# The push tool finds the spec's files through the same runfiles.
export RUNFILES_DIR=$runfiles
exec python3 -E -s "$runfiles/{{push_tool}}" --spec "$runfiles/{{spec}}" "$@"
