#!/usr/bin/env bash
# Prints the npm registry URL that buildifier's package is fetched from
# (MODULE.bazel: npm_archive): $DOCINTEL_NPM_REGISTRY, else npm's own
# configuration (`npm config get registry`: its environment variable, the user's
# and the global npmrc, npm's default; without npm, a `registry=` line of those
# npmrc files), else nothing. The npm answer is kept in
# CACHE_DIR, keyed by the npmrc files, because npm takes about a second to start.
#
# Usage: npm_registry.sh CACHE_DIR
set -euo pipefail
cache_dir=${1:?usage: npm_registry.sh CACHE_DIR}

for value in "${DOCINTEL_NPM_REGISTRY:-}" "${npm_config_registry:-}" "${NPM_CONFIG_REGISTRY:-}"; do
  if [ -n "$value" ]; then
    echo "$value"
    exit 0
  fi
done
# shellcheck source=tools/buildroot/answer_cache.sh
source "$(dirname "${BASH_SOURCE[0]}")/answer_cache.sh"

# The user's npmrc, then the global ones (npm's order); any may be missing.
npmrc_files=("${NPM_CONFIG_USERCONFIG:-$HOME/.npmrc}" /etc/npmrc /usr/etc/npmrc /usr/local/etc/npmrc)
npm=$(command -v npm || true)
if [ -n "$npm" ]; then
  key=$( (echo "$npm" && cat "${npmrc_files[@]}" 2>/dev/null || true) | sha256sum | cut -c1-16)
  registry=$(cached_answer "$cache_dir" npm-registry "$key" "$npm" config get registry)
else
  # No npm: the first `registry=` line of those files, as npm would read it.
  registry=$(sed -n 's/^[[:space:]]*registry[[:space:]]*=[[:space:]]*//p' "${npmrc_files[@]}" 2>/dev/null | head -n1 || true)
fi
case "$registry" in
  http://* | https://*) echo "$registry" ;;
  *) exit 0 ;;
esac
