#!/usr/bin/env bash
# bazel run //tools/benchmark:push_seed -- --repository REGISTRY/NAME [--insecure]
#
# Pushes the seed-approach images (see BUILD.bazel) to REGISTRY/NAME/seed_base,
# .../seed_ml and .../seed_dev, the way //images:push pushes ours, so
# tools/bench can compare the bytes each approach uploads.
set -euo pipefail

repository=
passthrough=()
while [ $# -gt 0 ]; do
  case "$1" in
    --repository) [ $# -ge 2 ] || { echo "push_seed: --repository needs a value" >&2; exit 2; }; repository=$2; shift 2 ;;
    --repository=*) repository=${1#*=}; shift ;;
    *) passthrough+=("$1"); shift ;;
  esac
done
[ -n "$repository" ] || { echo "usage: bazel run //tools/benchmark:push_seed -- --repository REGISTRY/NAME" >&2; exit 2; }

export RUNFILES_DIR=${RUNFILES_DIR:-$0.runfiles}
for image in base ml dev; do
  "$RUNFILES_DIR/_main/tools/benchmark/push_seed_$image.sh" --repository "$repository/seed_$image" "${passthrough[@]}"
done
