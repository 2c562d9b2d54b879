#!/usr/bin/env bash
# Proves two promises of the build on this machine:
#   1. a real HTTP remote cache (nginx WebDAV on loopback) serves a build after
#      the local output base is wiped: the rebuild must report remote cache hits;
#   2. two builds in two different output bases give byte-identical image
#      digests for base, ml and dev.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

images=(//images:base //images:ml //images:dev)
digests=(--output_groups=+digest)
work=$(mktemp -d /tmp/docintel-cache.XXXXXX)
port=${CACHE_PORT:-9095}
trap 'tools/cache/nginx_cache.sh stop "$work/cache"' EXIT
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }

url=$(tools/cache/nginx_cache.sh start "$work/cache" "$port")
cache=(--config=remote-cache "--remote_cache=$url")

echo "--- build every image into the remote cache ($url)"
tools/bazel clean
started=$(now)
tools/bazel build "${cache[@]}" "${digests[@]}" "${images[@]}"
echo "cold build with upload: $(elapsed "$started") s; cache holds $(du -sm "$work/cache/data" | cut -f1) MB"
for image in base ml dev; do cp "bazel-bin/images/$image.digest" "$work/$image.first"; done

echo "--- wipe the output base, rebuild from the remote cache"
# External repositories live in the output base; keep their contents in a
# vendor directory (what Bazel 8's repository contents cache does by itself),
# or unpacking 85 pip repositories again takes most of the rebuild.
tools/bazel vendor --vendor_dir="$work/vendor" "${images[@]}"
tools/bazel clean --expunge
started=$(now)
tools/bazel build "${cache[@]}" --vendor_dir="$work/vendor" "${digests[@]}" "${images[@]}" 2>&1 | tee "$work/rebuild.log"
hits=$(tools/cache/nginx_cache.sh hits "$work/rebuild.log")
echo "rebuild from the remote cache: $(elapsed "$started") s, $hits remote cache hits"
[ "$hits" -gt 0 ] || { echo "FAIL: the rebuild took nothing from the remote cache" >&2; exit 1; }

echo "--- reproducibility: a second output base, no cache"
second="$(dirname "$(tools/bazel info output_base 2>/dev/null)")/reproducibility-check"
rm -rf "$second"
started=$(now)
tools/bazel --output_base="$second" build "${digests[@]}" "${images[@]}"
echo "cold build in a second output base: $(elapsed "$started") s"
status=0
for image in base ml dev; do
  other=$(cat "$second/execroot/_main/bazel-out/k8-fastbuild/bin/images/$image.digest")
  first=$(cat "$work/$image.first")
  if [ "$first" = "$other" ]; then
    echo "$image: $first (identical)"
  else
    echo "FAIL: $image differs: $first vs $other" >&2
    status=1
  fi
done
tools/bazel --output_base="$second" shutdown
rm -rf "$second"
exit $status
