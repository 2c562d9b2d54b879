#!/usr/bin/env bash
# Prints the Debian mirror URL: $DOCINTEL_DEBIAN_MIRROR, else the first
# non-security Debian archive in the host's apt sources.
set -euo pipefail

if [ -n "${DOCINTEL_DEBIAN_MIRROR:-}" ]; then
  echo "${DOCINTEL_DEBIAN_MIRROR%/}"
  exit 0
fi

# One-line "deb [options] URI suite ..." entries and deb822 "URIs:" fields.
mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
  awk '/^deb / { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }
       /^URIs:/ { print $2 }' |
  grep -v -e security -e '^$' | grep '/debian/*$' | head -n 1 || true)

if [ -z "$mirror" ]; then
  echo "tools/bazel: no Debian mirror found in the host's apt sources (/etc/apt/sources.list*)" >&2
  echo "tools/bazel: fix: set DOCINTEL_DEBIAN_MIRROR to a Debian mirror URL" >&2
  exit 1
fi
echo "${mirror%/}"
