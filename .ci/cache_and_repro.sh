#!/usr/bin/env bash
# Proves two promises of the build on this machine:
#   1. the CI remote cache (the `ci` config's --remote_cache: nginx with WebDAV
#      on loopback, which .ci/run starts) serves a build after the local output
#      base is wiped: every action of the rebuild must come from the cache;
#   2. two builds in two different output bases give byte-identical image
#      digests for base, ml and dev.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

images=(//images:base //images:ml //images:dev)
digests=(--output_groups=+digest)
cache=(--config=ci)
url=http://127.0.0.1:9095
work=$(mktemp -d /tmp/docintel-cache.XXXXXX)
second=""
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

curl -s -o /dev/null "$url/" || {
  echo "FAIL: no remote cache at $url; start one: tools/cache/nginx_cache.sh start DIR 9095" >&2
  exit 1
}

echo "--- build every image into the remote cache ($url)"
# After `clean` the actions run (a warm output base would skip them) and
# their results go up to the cache.
tools/bazel clean
started=$(now)
tools/bazel build "${cache[@]}" "${digests[@]}" "${images[@]}"
echo "build with upload: $(elapsed "$started") s"
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
processes=$(grep -E '^INFO: [0-9,]+ process' "$work/rebuild.log" | tail -n 1)
echo "rebuild from the remote cache: $(elapsed "$started") s, $hits remote cache hits ($processes)"
[ "$hits" -gt 0 ] || { echo "FAIL: the rebuild took nothing from the remote cache" >&2; exit 1; }
if grep -Eq 'sandbox|local|worker' <<<"$processes"; then
  echo "FAIL: the rebuild ran actions itself instead of taking them from the cache: $processes" >&2
  exit 1
fi

echo "--- reproducibility: a second output base, no remote cache"
second="$(dirname "$(tools/bazel info output_base 2>/dev/null)")/reproducibility-check"
rm -rf "$second"
started=$(now)
tools/bazel --output_base="$second" build --remote_cache= "${digests[@]}" "${images[@]}"
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
exit $status
