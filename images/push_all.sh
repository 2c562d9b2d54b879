#!/usr/bin/env bash
# bazel run //images:push -- --repository REGISTRY/NAME [--tag TAG]... [--insecure]
#
# Pushes base, ml, ml_onnx and dev to REGISTRY/NAME/base, .../ml, .../ml_onnx
# and .../dev. The default repository comes from
# `--define=PUSH_REPOSITORY=...` (user.bazelrc).
# Layers shared by the images (and already in the registry) go up once.
set -euo pipefail

repository=${PUSH_REPOSITORY:-}
passthrough=()
while [ $# -gt 0 ]; do
  case "$1" in
    --repository) [ $# -ge 2 ] || { echo "push: --repository needs a value" >&2; exit 2; }; repository=$2; shift 2 ;;
    --repository=*) repository=${1#*=}; shift ;;
    *) passthrough+=("$1"); shift ;;
  esac
done
if [ -z "$repository" ]; then
  echo "push: missing --repository." >&2
  echo "usage: bazel run //images:push -- --repository REGISTRY/NAME [--tag TAG]... [--insecure]" >&2
  echo "       (or set 'run --define=PUSH_REPOSITORY=REGISTRY/NAME' in user.bazelrc)" >&2
  exit 2
fi

export RUNFILES_DIR=${RUNFILES_DIR:-$0.runfiles}
for image in base ml ml_onnx dev; do
  "$RUNFILES_DIR/_main/images/push_$image.sh" --repository "$repository/$image" "${passthrough[@]}"
done
