#!/usr/bin/env bash
# The linux/arm64 images for real, under emulation (issue 16): the pinned
# qemu 11 (@qemu_user, Debian sid's static qemu-aarch64) through binfmt_misc
# (tools/emulation/binfmt.py registers it in place of Debian 12's qemu 7.2,
# which crashes in onnxruntime, and puts Debian's handler back on exit; when
# it cannot register, this says why and skips). Pushes the
# base and ml_onnx indexes to a loopback registry, pulls their linux/arm64
# images with podman as an arm64 node would, and
#   - runs base on arm64 with Redis and the embeddings stub: /healthz 200, then
#     an ingest and search round trip (tools/benchmark/e2e.py, as
#     deploy/smoke_test.sh and .ci/registry_roundtrip.sh do it);
#   - embeds ten texts with ml_onnx on linux/amd64 and on linux/arm64: every
#     cosine must be >= 0.9999 (tools/emulation/embedding_parity.py). When
#     qemu-user itself crashes (Debian 12's qemu 7.2 does on onnxruntime's
#     aarch64 module: the fallback when @qemu_user cannot be fetched), that
#     check says so and is skipped.
#
# Environment: REGISTRY_PORT, REDIS_PORT, STUB_PORT, APP_PORT (loopback ports)
# and CONTAINER (the base container's name) when the defaults are taken.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

port=${REGISTRY_PORT:-5056}
redis_port=${REDIS_PORT:-6396}
stub_port=${STUB_PORT:-8096}
app_port=${APP_PORT:-8097}
container=${CONTAINER:-docintel-arm64-base}
platform=linux/arm64
model_image=docintel/minilm-onnx:latest
repo="127.0.0.1:$port/docintel"
url="http://127.0.0.1:$app_port"
since() { echo "$(now) - $1" | bc; }

echo "--- binfmt_misc: the pinned qemu-aarch64 (@qemu_user) as the aarch64 handler"
emulator=()
if tools/bazel build @qemu_user//:qemu-aarch64; then
  emulator=(--interpreter "$(tools/bazel info output_base)/$(tools/bazel cquery --output=files @qemu_user//:qemu-aarch64)")
else
  echo "WARNING: the pinned qemu-user could not be fetched (a stale sid pin? tools/debian/README.md re-pins it); using Debian 12's qemu-user-static, which crashes in onnxruntime"
fi
# Debian's handler again on the way out: the machine keeps what apt installed
# (loopback_services.sh's cleanup calls this too once it is sourced).
restore_host() { python3 tools/emulation/binfmt.py reset || true; }
trap restore_host EXIT
status=0
python3 tools/emulation/binfmt.py ensure "${emulator[@]}" || status=$?
if [ "$status" -eq 77 ]; then
  echo "SKIPPED: linux/arm64 images cannot run on this machine (the reason is above); nothing was checked"
  exit 0
fi
[ "$status" -eq 0 ] || { echo "FAIL: tools/emulation/binfmt.py ensure exited with $status" >&2; exit 1; }

# shellcheck source=.ci/loopback_services.sh
source .ci/loopback_services.sh
PORT=$stub_port DIMENSION=1536 python3 deploy/embeddings_stub.py >"$work/stub.log" 2>&1 &
pids+=($!)

echo "--- push the base and ml_onnx indexes to $repo"
started=$(now)
tools/bazel run //images:push_base -- --repository "$repo/base"
tools/bazel run //images:push_ml_onnx -- --repository "$repo/ml_onnx"
echo "push took $(since "$started") s"

echo "--- pull base's $platform image, as an arm64 node would"
image=$(podman pull -q --tls-verify=false --platform "$platform" "$repo/base:latest" | tail -n 1)
arch=$(podman image inspect --format '{{.Os}}/{{.Architecture}}' "$image")
[ "$arch" = "$platform" ] || fail "podman pulled a $arch image for $platform from $repo/base:latest"
echo "$repo/base:latest for $platform: image $image"

echo "--- run it under emulation: Redis, the embeddings stub, /healthz, ingest and search"
cache="$work/models"
mkdir -m 0777 "$cache"
e2e start "$image" --name "$container" --port "$app_port" --redis "redis://127.0.0.1:$redis_port/0" \
  --models "$cache" --env DOCINTEL_EMBEDDER=openai --env "DOCINTEL_OPENAI_BASE_URL=http://127.0.0.1:$stub_port/v1"
machine=$(podman exec "$container" /usr/bin/python3.11 -c 'import platform; print(platform.machine())')
[ "$machine" = aarch64 ] || fail "the container runs as $machine, not aarch64"
code=$(curl -s -o /dev/null -w '%{http_code}' "$url/healthz")
[ "$code" = 200 ] || fail "/healthz answered $code on $platform"
echo "/healthz: 200 (machine $machine)"
started=$(now)
e2e check "$url" --query "which pet purrs and chases mice?"
echo "ingest and search on $platform: $(since "$started") s"

echo "--- ml_onnx: ten texts embedded on linux/amd64 and $platform"
tools/bazel build --output_groups=tarball //models:minilm_onnx_load
podman load -q -i bazel-bin/models/minilm_onnx_load/tarball.tar
mirror=$(e2e mirror "$model_image")
status=0
python3 tools/emulation/embedding_parity.py "$repo/ml_onnx:latest" --mirror "$mirror" \
  --platform linux/amd64 --platform "$platform" || status=$?
case $status in
  0) echo "PASSED: base and ml_onnx run on $platform under emulation" ;;
  77) echo "PASSED: base runs on $platform under emulation; ml_onnx's parity SKIPPED: the emulator crashed (above)" ;;
  *) fail "ml_onnx's embeddings on $platform (exit $status, above)" ;;
esac
