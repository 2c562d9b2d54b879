#!/usr/bin/env bash
# Bazel's workspace status: the git commit, for stamped image tags (--stamp).
set -euo pipefail
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain 2>/dev/null)" ]; then
  commit="$commit-dirty"
fi
echo "STABLE_GIT_COMMIT $commit"
