#!/usr/bin/env bash
# base and ml on a read-only root: `podman run --read-only --cap-drop=ALL` with
# a tmpfs at /tmp (tools/benchmark/e2e.py --read-only). Each image is loaded
# with `tools/bazel run //images:<image>_load` (podman gets only the layers it
# lacks), must answer /readyz and an ingest + search, and must not compile any
# Python on the way: the bytecode ships in the image (PYTHONVERBOSE=1 logs
# "code object from <file>.py" for every module compiled from source). ml must
# not import sentence-transformers, transformers, scipy or scikit-learn either:
# its local embedder runs all-MiniLM-L6-v2 on torch alone, and the image leaves
# them out (this fails if one comes back and is imported). ml then starts again
# with its model cache volume read-only too.
#
# A CI step rather than a test in //...: tests run inside the build root, where
# no container engine runs (and one there would not see the host's images).
#
# Environment: CONTAINER_PREFIX (default docintel-readonly) names the
# containers; TAG_PREFIX (default docintel) the loaded images.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

prefix=${CONTAINER_PREFIX:-docintel-readonly}
images=${TAG_PREFIX:-docintel}
model_image=$images/minilm:latest
work=$(mktemp -d /tmp/docintel-readonly.XXXXXX)
e2e() { python3 tools/benchmark/e2e.py "$@"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pids=()
mirror=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  e2e stop "$prefix-base"
  e2e stop "$prefix-ml"
  [ -z "$mirror" ] || e2e unmirror "$model_image"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
stub_port=$(free_port)
PORT=$stub_port DIMENSION=1536 python3 deploy/embeddings_stub.py >"$work/stub.log" 2>&1 &
pids+=($!)

echo "--- load base, ml and the model image with tools/bazel run"
for image in images:base images:ml models:minilm; do
  tools/bazel run "//${image}_load" -- --tag "$images/${image#*:}:latest"
done
mirror=$(e2e mirror "$model_image")

# run_read_only NAME IMAGE UNIMPORTED [e2e start options]: starts it locked down and verbose about
# imports, checks a search, and that no module under a package directory of the
# regular expression UNIMPORTED was imported. Each start gets a Redis database of
# its own (base's vectors are 1536-dimensional, ml's 384).
database=0
run_read_only() {
  local name=$1 image=$2 unimported=$3 port
  shift 3
  port=$(free_port)
  database=$((database + 1))
  e2e start "$image" --name "$name" --port "$port" --redis "redis://127.0.0.1:$redis_port/$database" \
    --read-only --env PYTHONVERBOSE=1 "$@"
  e2e check "http://127.0.0.1:$port" --query "which pet purrs and hunts mice?"
  podman logs "$name" >"$work/$name.log" 2>&1
  local loaded compiled
  loaded=$(grep -c "^# code object from '" "$work/$name.log" || true)
  compiled=$(grep "^# code object from /" "$work/$name.log" || true)
  [ -z "$compiled" ] || fail "$name compiled Python at run time (no bytecode in the image for):
$compiled"
  [ "$loaded" -gt 100 ] || fail "$name loaded only $loaded modules from bytecode: is PYTHONVERBOSE logging?"
  local unwanted
  unwanted=$(grep -E "^# code object from '.*/dist-packages/($unimported)/" "$work/$name.log" | head -3 || true)
  [ -z "$unwanted" ] || fail "$name imported what it must not ($unimported):
$unwanted"
  echo "ok: $name ready on a read-only root; $loaded modules from the image's bytecode, none compiled"
}

echo "--- base: read-only root, embeddings from the stub"
run_read_only "$prefix-base" "$images/base:latest" "torch|sentence_transformers" --models "$work" \
  --env "DOCINTEL_OPENAI_BASE_URL=http://127.0.0.1:$stub_port/v1"

echo "--- ml: read-only root, the model fetched into the cache volume"
cache="$work/models"
mkdir -m 0777 "$cache"
# The local embedder runs all-MiniLM-L6-v2 on torch, tokenizers and safetensors alone (service/README.md).
ml_unimported="sentence_transformers|transformers|scipy|sklearn"
run_read_only "$prefix-ml" "$images/ml:latest" "$ml_unimported" --models "$cache" --mirror "$mirror"

echo "--- ml: read-only root and a read-only model volume"
run_read_only "$prefix-ml" "$images/ml:latest" "$ml_unimported" --models "$cache" --read-only-models
echo "PASSED: base and ml run on a read-only root, with no capabilities, compiling nothing"
