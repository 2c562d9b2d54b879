# shellcheck shell=bash
# The CI remote cache's address has one home: .bazelrc's `build:ci
# --remote_cache=` line (a bazelrc cannot read a variable). Scripts source this
# file to read it from there: CI_CACHE_URL (http://127.0.0.1:PORT), CI_CACHE_PORT.
# A `build:ci --remote_cache=` line in user.bazelrc (imported last) wins, as it
# does for Bazel.
CI_CACHE_URL=$({
  cat "$(dirname "${BASH_SOURCE[0]}")/../.bazelrc"
  cat "$(dirname "${BASH_SOURCE[0]}")/../user.bazelrc" 2>/dev/null || true
} | sed -n 's|^build:ci --remote_cache=||p' | tail -n 1)
CI_CACHE_PORT=${CI_CACHE_URL##*:}
if [ -z "$CI_CACHE_URL" ] || [ -z "$CI_CACHE_PORT" ]; then
  echo "ci_cache.sh: no 'build:ci --remote_cache=http://HOST:PORT' line in .bazelrc; restore it" >&2
  return 1
fi
