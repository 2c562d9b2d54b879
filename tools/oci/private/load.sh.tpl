#!/usr/bin/env bash
# docintel: runs on the host
# (That line makes tools/bazel run this outside its build root: the container
# engine, its storage and its configuration are the host's.)
#
# Loads {{image}} into the host's container engine (podman, or docker), copying
# only the layers it lacks: tools/oci/load.py, run by the host's python3.
# Options after `--`: --engine podman|docker, --tag NAME:TAG, --platform OS/ARCH.
set -euo pipefail

# Files by their runfiles path. Not through @bazel_tools' runfiles library: in
# the build root that repository is Debian's /usr/share/bazel/embedded_tools,
# which the host does not have; the image and the loader are this workspace's.
runfiles=${RUNFILES_DIR:-$0.runfiles}
[ -d "$runfiles/{{loader_dir}}" ] || {
  echo "oci_load: no runfiles at $runfiles; run it with: tools/bazel run {{label}}" >&2
  exit 1
}

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
  echo "oci_load: loading needs python3 >= 3.10 on the host (apt-get install python3);" >&2
  echo "oci_load: or write a tarball and load that: bazel build {{label}} --output_groups=tarball" >&2
  exit 1
fi
read -r -a repo_tags <<<"{{repo_tags}}"
exec python3 -E -s "$runfiles/{{loader}}" --layout "$runfiles/{{layout}}" "${repo_tags[@]}" "$@"
