#!/usr/bin/env bash
# Pushes to a real registry (the CNCF distribution registry, started here on
# loopback) and checks what `bazel run //images:push` and `push_<image>`
# promise: digests match, a second push uploads no layer, every image is in
# before any tag moves, a registry that is down or refuses gives a non-zero
# exit with the registry's words and leaves tags as they were, and a missing
# --repository is a usage error.
#
# Usage (from BUILD.bazel): push_test.sh PUSH_BASE PUSH_ALL LOCAL_REGISTRY CRANE DIGEST...
set -euo pipefail

# Files come from the Bash runfiles library (@bazel_tools//tools/bash/runfiles).
f=bazel_tools/tools/bash/runfiles/runfiles.bash
# shellcheck source=/dev/null
source "${RUNFILES_DIR:-$0.runfiles}/$f" 2>/dev/null ||
  source "$(grep -sm1 "^$f " "${RUNFILES_MANIFEST_FILE:-$0.runfiles_manifest}" | cut -d' ' -f2-)" ||
  { echo "$0: cannot find the Bash runfiles library ($f)" >&2; exit 1; }

push_base=$(rlocation "$1")
push_all=$(rlocation "$2")
registry=$(rlocation "$3")
crane=$(rlocation "$4")
shift 4
declare -A digest
for file in "$@"; do
  name=$(basename "$file" .digest)
  digest[$name]=$(cat "$(rlocation "$file")")
done
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/registry.XXXXXX")
trap '"$registry" stop "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + RANDOM % 20000))
}

port=$(free_port)
repo="127.0.0.1:$port/docintel/base"
"$registry" start "$work" "$port" || fail "the registry did not start"

echo "--- first push"
"$push_base" --repository "$repo" --tag first 2>"$work/push1.log" || { cat "$work/push1.log"; fail "first push failed"; }
[ "$("$crane" digest --insecure "$repo:first")" = "${digest[base]}" ] || fail "pushed digest differs from the build's"
[ "$("$crane" digest --insecure "$repo:latest")" = "${digest[base]}" ] || fail "no default tag 'latest'"
grep -q "pushed blob" "$work/push1.log" || fail "first push uploaded no blob"

echo "--- second push uploads no layer"
"$push_base" --repository "$repo" --tag second 2>"$work/push2.log" || { cat "$work/push2.log"; fail "second push failed"; }
if grep -q "pushed blob" "$work/push2.log"; then cat "$work/push2.log"; fail "second push uploaded blobs again"; fi

echo "--- push all: every image under its own name, all manifests in before the first tag moves"
"$push_all" --repository "127.0.0.1:$port/all" --tag v1 2>"$work/all.log" || { cat "$work/all.log"; fail "push all failed"; }
for name in "${!digest[@]}"; do
  [ "$("$crane" digest --insecure "127.0.0.1:$port/all/$name:v1")" = "${digest[$name]}" ] ||
    fail "all/$name:v1 is not the build's $name"
done
last_push=$(grep -n "oci_push: pushing " "$work/all.log" | tail -n 1 | cut -d: -f1)
first_tag=$(grep -n "oci_push: .*:v1 -> " "$work/all.log" | head -n 1 | cut -d: -f1)
[ "$last_push" -lt "$first_tag" ] || { cat "$work/all.log"; fail "a tag moved before every image was pushed"; }

echo "--- a registry that is down"
if "$push_base" --repository "127.0.0.1:1/docintel/base" 2>"$work/down.log"; then fail "push to a closed port succeeded"; fi
grep -q "connection refused" "$work/down.log" || { cat "$work/down.log"; fail "no 'connection refused' from crane"; }
grep -q "no tag was changed" "$work/down.log" || fail "no word that tags are unchanged"

echo "--- a registry that refuses (read-only): tags stay where they were"
"$registry" stop "$work"
"$registry" start "$work" "$port" --read-only || fail "the read-only registry did not start"
if "$push_all" --repository "127.0.0.1:$port/docintel" --tag first 2>"$work/refused.log"; then fail "push to a read-only registry succeeded"; fi
grep -qi "read-only\|unsupported\|denied\|405" "$work/refused.log" || { cat "$work/refused.log"; fail "the registry's refusal is not shown"; }
[ "$("$crane" digest --insecure "$repo:first")" = "${digest[base]}" ] || fail "a refused push moved tag 'first'"

echo "--- missing --repository (//images:push has none by default)"
set +e
"$push_all" 2>"$work/usage.log"
status=$?
set -e
[ "$status" -eq 2 ] || fail "missing --repository exited $status, not 2"
grep -q "missing --repository" "$work/usage.log" || fail "no usage message"

echo "PASSED: push to a real registry, no re-upload, tags after every image, down and refusing registries, usage"
