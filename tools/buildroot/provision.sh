#!/usr/bin/env bash
# Provisions the offline build root and prints its path.
#
# Usage: provision.sh CACHE_DIR
#
# The root is a Debian sid file system (debootstrap) holding the packages of
# packages.txt beside this script. It lives in CACHE_DIR/root-<key>, where
# <key> hashes the package list and this script, so changing either builds a
# new root (and removes the old ones). A root is built under a ".partial" name
# and renamed only when complete: an interrupted run leaves nothing that a later
# run would reuse. A lock makes concurrent runs wait for one provisioning.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_dir=${1:?usage: provision.sh CACHE_DIR}

fail() {
  echo "tools/bazel: $1" >&2
  [ -z "${2:-}" ] || echo "tools/bazel: fix: $2" >&2
  exit 1
}
step() { echo "tools/bazel: [$(date +%T)] $*" >&2; }

packages=$(sed -e 's/#.*//' "$here/packages.txt" | xargs)
key=$(cat "$here/packages.txt" "${BASH_SOURCE[0]}" | sha256sum | cut -c1-16)
root="$cache_dir/root-$key"

if [ -f "$root/.docintel-ready" ]; then
  echo "$root"
  exit 0
fi

[ "$(id -u)" -eq 0 ] ||
  fail "building the offline build root needs root (debootstrap, bwrap)" \
    "run as root, or install Bazel >= 7 with access to its registry"
if ! command -v debootstrap >/dev/null || ! command -v bwrap >/dev/null; then
  if command -v apt-get >/dev/null; then
    step "installing debootstrap and bubblewrap on the host ..."
    if ! { apt-get update -q >&2 && apt-get install -y -q debootstrap bubblewrap >&2; }; then
      fail "could not install debootstrap and bubblewrap" "apt-get install -y debootstrap bubblewrap"
    fi
  else
    fail "debootstrap and bwrap are needed to build the offline build root" \
      "install debootstrap and bubblewrap with your package manager"
  fi
fi

mirror=$("$here/mirror.sh")
mkdir -p "$cache_dir"

exec 9>"$cache_dir/.provision.lock"
step "waiting for the build root lock ..."
flock 9
if [ -f "$root/.docintel-ready" ]; then
  echo "$root"
  exit 0
fi

partial="$root.partial"
rm -rf "$partial"
started=$(date +%s)
step "building the offline build root in $root (about 2 minutes)"
step "debootstrap sid from $mirror ..."
if ! debootstrap --variant=minbase sid "$partial" "$mirror" >"$cache_dir/debootstrap.log" 2>&1; then
  tail -n 5 "$cache_dir/debootstrap.log" >&2
  fail "debootstrap of Debian sid from $mirror failed (log: $cache_dir/debootstrap.log)" \
    "check that the mirror is reachable, or set DOCINTEL_DEBIAN_MIRROR to one that is"
fi

# The mirror's sid Release file can be older than its Valid-Until date.
echo 'Acquire::Check-Valid-Until "false";' >"$partial/etc/apt/apt.conf.d/99docintel"
echo "deb $mirror sid main" >"$partial/etc/apt/sources.list"
# HTTPS from inside the root (Bazel's Java downloader, pip) must trust the
# host's extra certificate authorities.
if compgen -G "/usr/local/share/ca-certificates/*" >/dev/null; then
  cp -r /usr/local/share/ca-certificates/. "$partial/usr/local/share/ca-certificates/"
fi

step "installing $(wc -w <<<"$packages") packages (Bazel 7.7.1, rule sets, tools) ..."
in_root=(bwrap --bind "$partial" / --proc /proc --dev-bind /dev /dev
  --ro-bind /etc/resolv.conf /etc/resolv.conf
  --setenv PATH /usr/sbin:/usr/bin:/sbin:/bin --setenv DEBIAN_FRONTEND noninteractive --)
# shellcheck disable=SC2086 # the package list is meant to split into words
if ! "${in_root[@]}" sh -c "apt-get update -q && apt-get install -y -q --no-install-recommends $packages && apt-get clean && update-ca-certificates" \
  >"$cache_dir/apt.log" 2>&1; then
  tail -n 5 "$cache_dir/apt.log" >&2
  fail "installing the build root's packages failed (log: $cache_dir/apt.log)" \
    "check tools/buildroot/packages.txt and that $mirror serves Debian sid"
fi
"${in_root[@]}" bazel --version >/dev/null ||
  fail "Bazel does not run in the new build root" "see $cache_dir/apt.log"

# Debian's /etc/bazel/bazelrc try-imports this file: inside the root, every
# Bazel command uses the offline config of the workspace's .bazelrc.
echo "common --config=offline" >"$partial/etc/bazel.bazelrc"

touch "$partial/.docintel-ready"
mv "$partial" "$root"
for old in "$cache_dir"/root-*; do
  [ "$old" = "$root" ] || rm -rf "$old"
done
step "build root ready in $(($(date +%s) - started)) s ($(du -sh "$root" | cut -f1))"
echo "$root"
