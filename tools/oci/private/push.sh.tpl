#!/usr/bin/env bash
# {{label}}: pushes images with crane. Every image goes up by digest first
# (blobs the registry already has are skipped); only when all of them are in
# do tags move, so a failed push never leaves a tag on a half-pushed image, nor
# on one image of a set whose others failed.
#
# Usage: bazel run {{label}} -- [--repository REGISTRY/NAME] [--tag TAG]... [--insecure]
set -euo pipefail

# Files come from the Bash runfiles library (@bazel_tools//tools/bash/runfiles).
f=bazel_tools/tools/bash/runfiles/runfiles.bash
# shellcheck source=/dev/null
source "${RUNFILES_DIR:-$0.runfiles}/$f" 2>/dev/null ||
  source "$(grep -sm1 "^$f " "${RUNFILES_MANIFEST_FILE:-$0.runfiles_manifest}" | cut -d' ' -f2-)" ||
  { echo "$0: cannot find the Bash runfiles library ($f)" >&2; exit 1; }

crane=$(rlocation "{{crane}}")
read -r -a layouts <<<"{{layouts}}"
read -r -a digest_files <<<"{{digests}}"
# Per image, its sub-repository; none: one image, pushed to the repository itself.
read -r -a names <<<"{{names}}"
repository="{{repository}}"
tags_file="{{tags}}"
stable_status="{{stable_status}}"
default_tags=()
if [ -n "$tags_file" ]; then
  mapfile -t default_tags <"$(rlocation "$tags_file")"
else
  # Stamped: the commit tools/workspace_status.sh wrote, then latest.
  [ -z "$stable_status" ] ||
    default_tags=("$(awk '$1 == "STABLE_GIT_COMMIT" { print $2 }' "$(rlocation "$stable_status")")")
  default_tags+=(latest)
fi
tags=()
flags=()

usage() {
  echo "usage: bazel run {{label}} -- --repository REGISTRY/NAME [--tag TAG]... [--insecure]" >&2
  echo "       (or set 'run --define=PUSH_REPOSITORY=REGISTRY/NAME' in user.bazelrc)" >&2
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
  echo "oci_push: missing --repository: nowhere to push {{label}}'s images" >&2
  usage
fi
tags=("${default_tags[@]}" "${tags[@]}")

targets=()
digests=()
for i in "${!layouts[@]}"; do
  targets+=("$repository${names[$i]:+/${names[$i]}}")
  digests+=("$(cat "$(rlocation "${digest_files[$i]}")")")
done

for i in "${!targets[@]}"; do
  echo "oci_push: pushing ${targets[$i]}@${digests[$i]}" >&2
  if ! "$crane" push "${flags[@]}" "$(rlocation "${layouts[$i]}")" "${targets[$i]}@${digests[$i]}"; then
    echo "oci_push: pushing ${targets[$i]} failed (see crane's message above); no tag was changed" >&2
    exit 1
  fi
done
for i in "${!targets[@]}"; do
  for tag in "${tags[@]}"; do
    "$crane" tag "${flags[@]}" "${targets[$i]}@${digests[$i]}" "$tag"
    echo "oci_push: ${targets[$i]}:$tag -> ${digests[$i]}" >&2
  done
done
