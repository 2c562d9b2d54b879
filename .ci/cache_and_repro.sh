#!/usr/bin/env bash
# Proves two promises of the build on this machine:
#   1. the CI remote cache (the `ci` config's --remote_cache: nginx with WebDAV
#      on loopback, which .ci/run starts) serves a build after the local output
#      base is wiped: every action of the rebuild must come from the cache;
#   2. two builds in two different output bases give byte-identical digests
#      for every image of images/images.bzl.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=.ci/ci_cache.sh
source .ci/ci_cache.sh

# Every image, and their digests (<image>.digest); the list is images/images.bzl's.
images=(//images:images //images:digests)
cache=(--config=ci)
work=$(mktemp -d /tmp/docintel-cache.XXXXXX)
second=""
# shellcheck disable=SC2317,SC2329  # called by the EXIT trap (0.9 calls it SC2317, 0.11 SC2329)
cleanup() {
  if [ -n "$second" ]; then
    tools/bazel --output_base="$second" shutdown >/dev/null 2>&1 || true
    rm -rf "$second"
  fi
  rm -rf "$work"
}
trap cleanup EXIT
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }

# digests [BAZEL STARTUP FLAG] -- BUILD FLAGS...: "<image> <digest>" per image of
# the output base's last build, found through cquery (no bazel-out paths here).
digests() {
  local startup=("$1") root file
  shift
  [ -n "${startup[0]}" ] || startup=()
  root=$(tools/bazel "${startup[@]}" info execution_root 2>/dev/null)
  tools/bazel "${startup[@]}" cquery "$@" --output=files //images:digests 2>/dev/null | while read -r file; do
    echo "$(basename "$file" .digest) $(cat "$root/$file")"
  done
}

curl -s -o /dev/null "$CI_CACHE_URL/" || {
  echo "FAIL: no remote cache at $CI_CACHE_URL; start one: tools/cache/nginx_cache.sh start DIR $CI_CACHE_PORT" >&2
  exit 1
}

echo "--- build every image into the remote cache ($CI_CACHE_URL)"
# After `clean` the actions run (a warm output base would skip them) and
# their results go up to the cache.
tools/bazel clean
started=$(now)
tools/bazel build "${cache[@]}" "${images[@]}"
echo "build with upload: $(elapsed "$started") s"
digests "" "${cache[@]}" >"$work/first"

echo "--- wipe the output base, rebuild from the remote cache"
# External repositories live in the output base; keep their contents in a
# vendor directory (what Bazel 8's repository contents cache does by itself),
# or unpacking 85 pip repositories again takes most of the rebuild.
tools/bazel vendor --vendor_dir="$work/vendor" "${images[@]}"
tools/bazel clean --expunge
started=$(now)
tools/bazel build "${cache[@]}" --vendor_dir="$work/vendor" "${images[@]}" 2>&1 | tee "$work/rebuild.log"
hits=$(tools/cache/nginx_cache.sh hits "$work/rebuild.log")
processes=$(grep -E '^INFO: [0-9,]+ process' "$work/rebuild.log" | tail -n 1)
echo "rebuild from the remote cache: $(elapsed "$started") s, $hits remote cache hits ($processes)"
[ "$hits" -gt 0 ] || { echo "FAIL: the rebuild took nothing from the remote cache" >&2; exit 1; }
if grep -Eq 'sandbox|local|worker' <<<"$processes"; then
  echo "FAIL: the rebuild ran actions itself instead of taking them from the cache: $processes" >&2
  exit 1
fi

echo "--- reproducibility: a second output base, no remote cache"
second="$(dirname "$(tools/bazel info output_base 2>/dev/null)")/reproducibility-check-$$"
rm -rf "$second"
started=$(now)
tools/bazel --output_base="$second" build --remote_cache= "${images[@]}"
echo "cold build in a second output base: $(elapsed "$started") s"
digests --output_base="$second" --remote_cache= >"$work/second"
[ -s "$work/first" ] || { echo "FAIL: cquery found no image digests" >&2; exit 1; }
status=0
while read -r image first; do
  other=$(awk -v image="$image" '$1 == image { print $2 }' "$work/second")
  if [ "$first" = "$other" ]; then
    echo "$image: $first (identical)"
  else
    echo "FAIL: $image differs: $first vs ${other:-nothing}" >&2
    status=1
  fi
done <"$work/first"
exit $status
