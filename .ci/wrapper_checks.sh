#!/usr/bin/env bash
# Bad input to tools/bazel and the locks gives a clear error naming the culprit
# and the fix: an unreachable mirror, an interrupted provisioning, a Debian
# lock entry whose sha256 does not match, a package missing from the Debian or
# the pip lock, an unknown dependency group; and no user npmrc is no error, and
# no secret in the environment shows in the process list.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

work=$(mktemp -d /tmp/docintel-wrapper.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
has_usable_root() {  # has_usable_root CACHE_DIR: a finished root-<key> (not .partial) is there
  local root
  for root in "$1"/root-*; do
    [[ -e $root && $root != *.partial ]] && return 0
  done
  return 1
}
expect_error() {  # expect_error LOG PATTERN...: the command failed and said each PATTERN
  local log=$1
  shift
  for pattern in "$@"; do
    grep -q -- "$pattern" "$log" || { cat "$log" >&2; fail "no '$pattern' in the error"; }
  done
  echo "ok: $(grep -m1 'tools/bazel:\|ERROR' "$log" | cut -c1-160)"
}

echo "--- an unreachable mirror"
if DOCINTEL_CACHE_DIR="$work/cache1" DOCINTEL_DEBIAN_MIRROR=http://127.0.0.1:9/debian \
  tools/bazel version >"$work/mirror.log" 2>&1; then fail "provisioning from a dead mirror succeeded"; fi
expect_error "$work/mirror.log" "http://127.0.0.1:9/debian failed" "fix: "
has_usable_root "$work/cache1" && fail "a failed provisioning left a root behind"

echo "--- an interrupted provisioning is never reused"
# Kill the whole process group (tools/bazel, provision.sh, debootstrap) mid-way.
DOCINTEL_CACHE_DIR="$work/cache2" setsid tools/bazel version >/dev/null 2>&1 &
pid=$!
sleep 8
kill -KILL -- "-$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
has_usable_root "$work/cache2" && fail "an interrupted provisioning left a usable-looking root"
compgen -G "$work/cache2/root-*.partial" >/dev/null || fail "no partial root to repair was left (interrupted too early?)"
echo "ok: only a .partial root is left; the next run removes and rebuilds it"

echo "--- no user npmrc (npm reads its registry from the global ones)"
# (`info`, not `version`: Debian's Bazel has no version information and exits 2.)
NPM_CONFIG_USERCONFIG="$work/absent.npmrc" tools/bazel info workspace >"$work/npmrc.log" 2>&1 ||
  { cat "$work/npmrc.log" >&2; fail "tools/bazel failed on a machine without a user npmrc"; }
if grep -q "could not read npm's registry" "$work/npmrc.log"; then
  fail "npm_registry.sh failed on a machine without a user npmrc"
fi
echo "ok: tools/bazel info ran and found npm's registry"

echo "--- a secret in the environment stays out of the process list"
secret=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
DOCINTEL_WRAPPER_CHECK_SECRET=$secret tools/bazel build --nobuild //tools/oci:reference >/dev/null 2>&1 &
SECRET=$secret WATCHED=$! python3 - <<'PY' || fail "a DOCINTEL_* value was on a command line in the process list"
import glob, os, sys, time
secret, watched = os.environ["SECRET"].encode(), os.environ["WATCHED"]
seen = 0
while os.path.exists(f"/proc/{watched}"):
    for path in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            argv = open(path, "rb").read()
        except OSError:
            continue
        seen += argv.startswith(b"bwrap\0")
        if secret in argv:
            sys.exit(f"{path}: {argv[:60]!r}...")
    time.sleep(0.01)
if not seen:
    sys.exit("no bwrap process was seen: nothing was checked")
print(f"ok: bwrap seen {seen} times, never with the value on its command line")
PY
wait

echo "--- Debian lock: a sha256 mismatch and a missing package"
git clone -q . "$work/ws"
python3 - "$work/ws/tools/debian/bookworm.lock.json" <<'PY'
import json, sys
path = sys.argv[1]
lock = json.load(open(path))
for entry in lock["packages"]:
    if entry["name"] == "libpython3.11-minimal":
        entry["sha256"] = "0" * 64
lock["packages"] = [e for e in lock["packages"] if e["name"] != "redis-tools"]
json.dump(lock, open(path, "w"), indent=2)
PY
(cd "$work/ws" && tools/bazel build @python3_11//:files >"$work/sha.log" 2>&1) && fail "a tampered lock built"
expect_error "$work/sha.log" "libpython3.11-minimal" "but the lock pins 0000000000" "tools/debian/lock.py"
(cd "$work/ws" && tools/bazel build @redis7//:usr/bin/redis-server >"$work/missing.log" 2>&1) && fail "a missing lock entry built"
expect_error "$work/missing.log" "redis-tools not in the lock" "tools/debian/bookworm.in"

echo "--- pip lock: a package a group names that the lock does not pin"
echo "unlocked-probe-package" >>"$work/ws/requirements/dev.in"
(cd "$work/ws" && tools/bazel build --nobuild //images:dev >"$work/pip.log" 2>&1) && fail "a group with an unlocked package built"
expect_error "$work/pip.log" "unlocked-probe-package in requirements/dev.in not in requirements_lock.txt" \
  "tools/bazel run //:requirements.update"
git -C "$work/ws" checkout -q requirements/dev.in

echo "--- an unknown dependency group"
mkdir "$work/ws/probe"
printf 'load("//tools/pip:defs.bzl", "group_requirements")\n\nfilegroup(\n    name = "probe",\n    srcs = group_requirements("gpu"),\n)\n' >"$work/ws/probe/BUILD.bazel"
(cd "$work/ws" && tools/bazel build //probe >"$work/group.log" 2>&1) && fail "an unknown group built"
# The groups the error lists: requirements/*.in in order, but all.in (their union, for the lock).
groups=$(cd requirements && for f in *.in; do [ "$f" = all.in ] || printf '%s, ' "${f%.in}"; done)
expect_error "$work/group.log" "unknown dependency group \"gpu\"" "${groups%, }"
# The probe workspace's output base lives in the shared output root: remove it too.
probe_output_base=$(cd "$work/ws" && tools/bazel info output_base 2>/dev/null) || true
(cd "$work/ws" && tools/bazel shutdown)
rm -rf "$probe_output_base"
echo "PASSED: wrapper and lock errors name the culprit and the fix"
