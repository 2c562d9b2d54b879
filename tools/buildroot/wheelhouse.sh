#!/usr/bin/env bash
# Prints the wheelhouse directory that tools/bazel mounts at /wheelhouse in the
# build root, where requirements_lock.txt's --find-links looks (the CPU build
# of torch is not on PyPI): $DOCINTEL_WHEELHOUSE, else the host pip's
# find-links directory, else an empty directory in the cache.
#
# Usage: wheelhouse.sh CACHE_DIR
set -euo pipefail
cache_dir=${1:?usage: wheelhouse.sh CACHE_DIR}

if [ -n "${DOCINTEL_WHEELHOUSE:-}" ] && [ ! -d "$DOCINTEL_WHEELHOUSE" ]; then
  echo "tools/bazel: DOCINTEL_WHEELHOUSE=$DOCINTEL_WHEELHOUSE is not a directory" >&2
  echo "tools/bazel: fix: point it at a directory of wheels (it must hold torch 2.13.0+cpu), or unset it" >&2
  exit 1
fi
candidates=("${DOCINTEL_WHEELHOUSE:-}" "${PIP_FIND_LINKS:-}")
if command -v pip3 >/dev/null; then
  candidates+=("$(pip3 config get global.find-links 2>/dev/null || true)")
fi
for dir in "${candidates[@]}"; do
  dir=${dir#file://}
  if [ -n "$dir" ] && [ -d "$dir" ]; then
    echo "$dir"
    exit 0
  fi
done
mkdir -p "$cache_dir/wheelhouse"
echo "$cache_dir/wheelhouse"
