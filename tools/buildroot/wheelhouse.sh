#!/usr/bin/env bash
# Prints the wheelhouse directory that tools/bazel mounts at /wheelhouse in the
# build root, where requirements_lock.txt's --find-links looks (the CPU build
# of torch is not on PyPI): $DOCINTEL_WHEELHOUSE, else the host pip's
# find-links directory, else an empty directory in the cache. pip's answer is
# kept in CACHE_DIR, keyed by pip's configuration files, because pip takes
# about a second to start (on every tools/bazel command).
#
# Usage: wheelhouse.sh CACHE_DIR
set -euo pipefail
cache_dir=${1:?usage: wheelhouse.sh CACHE_DIR}

if [ -n "${DOCINTEL_WHEELHOUSE:-}" ] && [ ! -d "$DOCINTEL_WHEELHOUSE" ]; then
  echo "tools/bazel: DOCINTEL_WHEELHOUSE=$DOCINTEL_WHEELHOUSE is not a directory" >&2
  echo "tools/bazel: fix: point it at a directory of wheels (it must hold torch 2.13.0+cpu), or unset it" >&2
  exit 1
fi
# shellcheck source=tools/buildroot/answer_cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/answer_cache.sh"

# pip's global.find-links setting.
pip_find_links() {
  local pip key
  pip=$(command -v pip3 || true)
  [ -n "$pip" ] || return 0
  key=$( (echo "$pip" && cat "${PIP_CONFIG_FILE:-/dev/null}" /etc/pip.conf /etc/xdg/pip/pip.conf \
    "$HOME/.pip/pip.conf" "$HOME/.config/pip/pip.conf" 2>/dev/null) | sha256sum | cut -c1-16)
  cached_answer "$cache_dir" pip-find-links "$key" "$pip" config get global.find-links
}

candidates=("${DOCINTEL_WHEELHOUSE:-}" "${PIP_FIND_LINKS:-}" "$(pip_find_links)")
for dir in "${candidates[@]}"; do
  dir=${dir#file://}
  if [ -n "$dir" ] && [ -d "$dir" ]; then
    echo "$dir"
    exit 0
  fi
done
mkdir -p "$cache_dir/wheelhouse"
echo "$cache_dir/wheelhouse"
