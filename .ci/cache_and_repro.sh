#!/usr/bin/env bash
# Proves what the CI remote cache gives (the `ci` config's --remote_cache:
# nginx with WebDAV on loopback, which .ci/run starts; its access log is
# $CI_CACHE_DIR/access.log), for every image of images/images.bzl:
#   1. after the output base is wiped, every action of the rebuild comes from
#      the cache;
#   2. push from the cache: on a fresh output base with a warm cache, after a
#      one-line change in service/, building every image and pushing them to
#      a registry that has the previous version
#        - downloads at most 1 MB of blobs from the cache (metadata aside),
#        - uploads at most 1 MB to the registry (its own count),
#        - leaves at most 100 MB in the output base (printed next to what the
#          old way, --remote_download_toplevel and the layouts, leaves),
#      and prints the bytes the commit added to the cache. Building an image
#      here builds its layers (into the cache) and its manifest, config and
#      blob list (--config=ci: --remote_download_minimal); the layout
#      directory, which would need every layer on disk, is not asked for;
#   3. a full local build in a second output base, without the cache, gives
#      the same digest for every image, and for ml the digest that was pushed.
#      For base and ml_onnx that digest is their image index's (//images:digests
#      holds an index's digest): the same index digest means the same bytes of
#      the index, so the same linux/amd64 and linux/arm64 images in it.
# Counts, never timings, are asserted (times are printed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=.ci/ci_cache.sh
source .ci/ci_cache.sh

# Every image, their digests (<image>.digest) and the push of all of them.
images=(//images:images //images:digests //images:push)
limit_bytes=1000000
limit_output_base=100000000
changed_file=service/docintel/__init__.py
change_line="# .ci/cache_and_repro.sh: a one-line change, removed when the script ends"
work=$(mktemp -d /tmp/docintel-cache.XXXXXX)
vendor=(--vendor_dir="$work/vendor")
second=""
# shellcheck disable=SC2317,SC2329  # called by the EXIT trap (0.9 calls it SC2317, 0.11 SC2329)
cleanup() {
  undo_change
  tools/oci/local_registry.sh stop "$work/registry"
  if [ -n "$second" ]; then
    tools/bazel --output_base="$second" shutdown >/dev/null 2>&1 || true
    rm -rf "$second"
  fi
  rm -rf "$work"
}
undo_change() { sed -i "\\|^$change_line\$|d" "$changed_file"; }
trap cleanup EXIT
undo_change  # left by a run that was killed
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }
fail() { echo "FAIL: $*" >&2; exit 1; }
transfer() { python3 tools/benchmark/transfer.py "$@"; }
mb() { echo "$1" | awk '{ printf "%.2f MB", $1 / 1e6 }'; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

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

curl -s -o /dev/null "$CI_CACHE_URL/" || fail "no remote cache at $CI_CACHE_URL; start one: tools/cache/nginx_cache.sh start DIR $CI_CACHE_PORT"
log="${CI_CACHE_DIR:-}/access.log"
[ -f "$log" ] || fail "no access log of the cache (\$CI_CACHE_DIR/access.log); export CI_CACHE_DIR=DIR, the DIR given to nginx_cache.sh start"

echo "--- build every image into the remote cache ($CI_CACHE_URL)"
# After `clean` the actions run (a warm output base would skip them) and
# their results go up to the cache.
tools/bazel clean
started=$(now)
tools/bazel build --config=ci "${images[@]}"
echo "build with upload: $(elapsed "$started") s"

echo "--- wipe the output base, rebuild from the remote cache"
# External repositories live in the output base; keep their contents in a
# vendor directory (what Bazel 8's repository contents cache does by itself),
# or unpacking 85 pip repositories again takes most of the rebuild.
tools/bazel vendor "${vendor[@]}" "${images[@]}"
tools/bazel clean --expunge
started=$(now)
tools/bazel build --config=ci "${vendor[@]}" "${images[@]}" 2>&1 | tee "$work/rebuild.log"
hits=$(tools/cache/nginx_cache.sh hits "$work/rebuild.log")
processes=$(grep -E '^INFO: [0-9,]+ process' "$work/rebuild.log" | tail -n 1)
echo "rebuild from the remote cache: $(elapsed "$started") s, $hits remote cache hits ($processes)"
[ "$hits" -gt 0 ] || fail "the rebuild took nothing from the remote cache"
if grep -Eq 'sandbox|local|worker' <<<"$processes"; then
  fail "the rebuild ran actions itself instead of taking them from the cache: $processes"
fi

echo "--- a registry with the previous version, pushed from the cache (no layer is on this disk)"
port=$(free_port)
metrics_port=$(free_port)
tools/oci/local_registry.sh start "$work/registry" "$port" --metrics "$metrics_port"
metrics="http://127.0.0.1:$metrics_port/metrics"
repository="127.0.0.1:$port/docintel"
push=(//images:push -- --repository "$repository" --remote-cache "$CI_CACHE_URL")
mark=$(transfer lines "$log")
started=$(now)
tools/bazel run --config=ci "${vendor[@]}" "${push[@]}" --report "$work/previous.json"
read -r blob_bytes _ _ < <(transfer cache "$log" --since "$mark" --report "$work/previous.json")
echo "first push: $(elapsed "$started") s, $(mb "$blob_bytes") of blobs streamed from the cache into the registry;" \
  "output base $(mb "$(transfer disk "$(tools/bazel info output_base 2>/dev/null)")")"

echo "--- a one-line change in $changed_file; a fresh output base builds every image and pushes"
echo "$change_line" >>"$changed_file"
tools/bazel clean --expunge
mark=$(transfer lines "$log")
received=$(transfer registry "$metrics")
started=$(now)
tools/bazel build --config=ci "${vendor[@]}" //images:push //images:digests
tools/bazel run --config=ci "${vendor[@]}" "${push[@]}" --report "$work/change.json"
echo "build and push after the change: $(elapsed "$started") s"
read -r blob_bytes other_bytes added_bytes < <(transfer cache "$log" --since "$mark" --report "$work/change.json")
uploaded=$(($(transfer registry "$metrics") - received))
output_base=$(transfer disk "$(tools/bazel info output_base 2>/dev/null)")
vendored=$(transfer disk "$work/vendor")
pushed_ml=$(python3 -c 'import json, sys; print(next(i["digest"] for i in json.load(open(sys.argv[1]))["images"] if i["repository"].endswith("/ml")))' "$work/change.json")
digests "" --config=ci "${vendor[@]}" >"$work/first"

echo "--- the old way, for comparison: the same build with --remote_download_toplevel and the layouts"
tools/bazel clean --expunge
mark=$(transfer lines "$log")
tools/bazel build --config=ci --remote_download_toplevel "${vendor[@]}" "${images[@]}"
read -r old_blob_bytes _ _ < <(transfer cache "$log" --since "$mark" --report "$work/change.json")
old_output_base=$(transfer disk "$(tools/bazel info output_base 2>/dev/null)")

echo "--- reproducibility: a second output base, no remote cache, a full local build"
second="$(dirname "$(tools/bazel info output_base 2>/dev/null)")/reproducibility-check-$$"
rm -rf "$second"
started=$(now)
tools/bazel --output_base="$second" build --remote_cache= "${vendor[@]}" //images:images //images:digests
echo "cold build in a second output base: $(elapsed "$started") s"
digests --output_base="$second" --remote_cache= "${vendor[@]}" >"$work/second"
[ -s "$work/first" ] || fail "cquery found no image digests"

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
local_ml=$(awk '$1 == "ml" { print $2 }' "$work/second")

cat <<EOF
--- push from the cache after a one-line change in service/ (every image of images.bzl)
bytes downloaded from the cache for blobs: $blob_bytes ($(mb "$blob_bytes"); limit $(mb $limit_bytes)); the old way: $(mb "$old_blob_bytes")
  other bytes from the cache (action results, descriptors, listings, metadata): $other_bytes ($(mb "$other_bytes"))
bytes uploaded to the registry (its count, headers included): $uploaded ($(mb "$uploaded"); limit $(mb $limit_bytes))
output base after build and push: $output_base ($(mb "$output_base"); limit $(mb $limit_output_base)); the old way: $(mb "$old_output_base")
  (both without the external repositories: $(mb "$vendored") in the vendor directory, Bazel 8's repository contents cache's job)
bytes the commit added to the cache: $added_bytes ($(mb "$added_bytes"))
pushed ml: $pushed_ml; a full local build: $local_ml
EOF
[ "$blob_bytes" -le "$limit_bytes" ] || fail "$blob_bytes bytes of blobs came from the cache (limit $limit_bytes)"
[ "$uploaded" -le "$limit_bytes" ] || fail "$uploaded bytes went to the registry (limit $limit_bytes)"
[ "$output_base" -le "$limit_output_base" ] || fail "the output base holds $output_base bytes (limit $limit_output_base)"
[ "$pushed_ml" = "$local_ml" ] || fail "the pushed ml ($pushed_ml) is not the full local build's ($local_ml)"
exit $status
