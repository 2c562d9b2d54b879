#!/usr/bin/env bash
# The images' round trip on a real registry and a real container runtime:
# starts Debian's docker-registry on loopback, pushes every image with
# `tools/bazel run //images:push`, pulls ml back with podman, and runs it with
# an empty model cache: it must fetch the model from its model image
# (//models:minilm_load, mounted as the mirror), answer /readyz and a search
# (the cat document first); a second start loads the model offline; a
# corrupted cached file is repaired. Starting, waiting and searching go through
# tools/benchmark/e2e.py, as in tools/bench and deploy/smoke_test.sh.
#
# Environment: REGISTRY_PORT, REDIS_PORT, APP_PORT (loopback ports) and
# CONTAINER (the podman container's name) when the defaults are taken.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

port=${REGISTRY_PORT:-5055}
redis_port=${REDIS_PORT:-6395}
app_port=${APP_PORT:-8095}
container=${CONTAINER:-docintel-ml}
model_image=docintel/minilm:latest
repo="127.0.0.1:$port/docintel"
url="http://127.0.0.1:$app_port"
# shellcheck source=.ci/loopback_services.sh
source .ci/loopback_services.sh

echo "--- push every image to $repo"
started=$(now)
tools/bazel run //images:push -- --repository "$repo"
echo "push took $(echo "$(now) - $started" | bc) s; registry holds $(du -sm "$work/registry/storage" | cut -f1) MB"

echo "--- pull ml back with podman"
podman pull --tls-verify=false "$repo/ml:latest"

echo "--- the model image, mounted as the model mirror"
tools/bazel build --output_groups=tarball //models:minilm_load
podman load -q -i bazel-bin/models/minilm_load/tarball.tar
mirror=$(e2e mirror "$model_image")
cache="$work/models"
mkdir -m 0777 "$cache"
start_ml() {  # start_ml [--mirror DIR]: runs the pulled ml image, waits for /readyz
  e2e start "$repo/ml:latest" --name "$container" --port "$app_port" \
    --redis "redis://127.0.0.1:$redis_port/0" --models "$cache" "$@"
}

echo "--- first start: empty cache, the model comes from the mirror"
start_ml --mirror "$mirror"
curl -sf "$url/healthz" >/dev/null || fail "/healthz"
e2e check "$url" --query "which pet purrs and hunts mice?"
[ -f "$cache/all-MiniLM-L6-v2/main/model.safetensors" ] || fail "the model was not fetched into the cache volume"

echo "--- second start: no mirror, the model loads offline from the cache"
start_ml
e2e check "$url" --query "purring pets"

echo "--- a corrupted cached file is detected and fetched again"
printf 'garbage' | dd of="$cache/all-MiniLM-L6-v2/main/model.safetensors" bs=1 seek=4096 conv=notrunc status=none
start_ml --mirror "$mirror"
e2e check "$url" --query "which pet purrs and hunts mice?"
podman logs "$container" 2>&1 | grep -i -m2 "model.safetensors" || true

echo "PASSED: push, pull, run; model fetched, reloaded offline, repaired"
