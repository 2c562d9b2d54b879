#!/usr/bin/env bash
# Pushes the base image to a real registry (the CNCF distribution registry,
# started here on loopback) and checks what `bazel run //images:push` promises:
# digests match, a second push uploads no layer, a registry that is down or
# refuses gives a non-zero exit with the registry's words and leaves tags as
# they were, and a missing --repository is a usage error.
set -euo pipefail

runfiles="${RUNFILES_DIR:-$0.runfiles}/_main"
push_base="$runfiles/images/push_base.sh"
push_all="$runfiles/images/push"
base_digest=$(cat "$runfiles/images/base.digest")
registry="$runfiles/tools/oci/local_registry.sh"
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
[ "$(crane digest --insecure "$repo:first")" = "$base_digest" ] || fail "pushed digest differs from the build's"
grep -q "pushed blob" "$work/push1.log" || fail "first push uploaded no blob"

echo "--- second push uploads no layer"
"$push_base" --repository "$repo" --tag second 2>"$work/push2.log" || { cat "$work/push2.log"; fail "second push failed"; }
if grep -q "pushed blob" "$work/push2.log"; then cat "$work/push2.log"; fail "second push uploaded blobs again"; fi

echo "--- a registry that is down"
if "$push_base" --repository "127.0.0.1:1/docintel/base" 2>"$work/down.log"; then fail "push to a closed port succeeded"; fi
grep -q "connection refused" "$work/down.log" || { cat "$work/down.log"; fail "no 'connection refused' from crane"; }
grep -q "no tag was changed" "$work/down.log" || fail "no word that tags are unchanged"

echo "--- a registry that refuses (read-only): tags stay where they were"
"$registry" stop "$work"
"$registry" start "$work" "$port" --read-only || fail "the read-only registry did not start"
if "$push_all" --repository "127.0.0.1:$port/docintel" --tag first 2>"$work/refused.log"; then fail "push to a read-only registry succeeded"; fi
grep -qi "read-only\|unsupported\|denied\|405" "$work/refused.log" || { cat "$work/refused.log"; fail "the registry's refusal is not shown"; }
[ "$(crane digest --insecure "$repo:first")" = "$base_digest" ] || fail "a refused push moved tag 'first'"

echo "--- missing --repository"
set +e
PUSH_REPOSITORY="" "$push_all" 2>"$work/usage.log"
status=$?
set -e
[ "$status" -eq 2 ] || fail "missing --repository exited $status, not 2"
grep -q "missing --repository" "$work/usage.log" || fail "no usage message"

echo "PASSED: push to a real registry, no re-upload, down and refusing registries, usage"
