#!/usr/bin/env bash
# Pushes {{image}} with crane: blobs the registry already has are skipped, the
# manifest goes up by digest, and only then do tags point at it, so a failed
# push never leaves a tag on a half-pushed image.
#
# Usage: push [--repository REGISTRY/NAME] [--tag TAG]... [--insecure]
set -euo pipefail

# Runfiles: given by Bazel, next to this script, or the tree this script is in
# (when another runner, such as //images:push, calls it).
if [ -n "${RUNFILES_DIR:-}" ]; then runfiles=$RUNFILES_DIR
elif [ -d "$0.runfiles" ]; then runfiles=$0.runfiles
else runfiles=${0%%.runfiles/*}.runfiles
fi
runfiles="$runfiles/_main"
layout="$runfiles/{{layout}}"
digest=$(cat "$runfiles/{{digest}}")
repository="{{repository}}"
tags=()
[ -z "{{tags}}" ] || mapfile -t tags <"$runfiles/{{tags}}"
flags=()

usage() {
  echo "usage: bazel run {{label}} -- [--repository REGISTRY/NAME] [--tag TAG]... [--insecure]" >&2
  exit 2
}
while [ $# -gt 0 ]; do
  case "$1" in
    --repository) [ $# -ge 2 ] || usage; repository=$2; shift 2 ;;
    --repository=*) repository=${1#*=}; shift ;;
    --tag) [ $# -ge 2 ] || usage; tags+=("$2"); shift 2 ;;
    --tag=*) tags+=("${1#*=}"); shift ;;
    --insecure) flags+=(--insecure); shift ;;
    *) echo "oci_push: unknown argument '$1'" >&2; usage ;;
  esac
done
if [ -z "$repository" ]; then
  echo "oci_push: no repository to push {{image}} to" >&2
  usage
fi
[ ${#tags[@]} -gt 0 ] || tags=(latest)
command -v crane >/dev/null || {
  echo "oci_push: crane is not on PATH; run through tools/bazel (its build root has crane)" >&2
  exit 1
}

echo "oci_push: pushing {{image}} to $repository@$digest" >&2
if ! crane push "${flags[@]}" "$layout" "$repository@$digest"; then
  echo "oci_push: pushing {{image}} to $repository failed (see crane's message above); no tag was changed" >&2
  exit 1
fi
for tag in "${tags[@]}"; do
  crane tag "${flags[@]}" "$repository@$digest" "$tag"
  echo "oci_push: $repository:$tag -> $digest" >&2
done
