#!/usr/bin/env bash
# The compose deployment for real, as CI runs it: loads the images Bazel built
# (base, ml, ml_onnx, redis, embeddings stub, minilm, minilm-onnx) into podman,
# then for each profile brings compose.yaml up, waits for every service to be
# healthy (the service's /readyz through tools/benchmark/e2e.py, as tools/bench
# and .ci/registry_roundtrip.sh wait for it), ingests three documents on
# different topics, checks a search ranks the right one first, and brings it
# down with its volumes. The ml and onnx profiles get their model from the model
# images (mounted as the model mirror), not from the hub, and must rank by
# meaning: their queries share no word with the document they must find.
#
#   deploy/smoke_test.sh            # PODMAN_COMPOSE=... to use another podman-compose
#   SMOKE_PROFILES="onnx" deploy/smoke_test.sh    # some of: default ml onnx
#   DOCINTEL_PORT, DOCINTEL_ML_PORT, DOCINTEL_ONNX_PORT: the host ports (8190-8192)
#
# Needs root podman, podman-compose >= 1.5 (profiles; healthchecks exec'd
# without a shell) and container name resolution (deploy/README.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

compose_cmd=${PODMAN_COMPOSE:-podman-compose}
project=${SMOKE_PROJECT:-docintel-smoke}
profiles=${SMOKE_PROFILES:-default ml onnx}
export DOCINTEL_PORT=${DOCINTEL_PORT:-8190} DOCINTEL_ML_PORT=${DOCINTEL_ML_PORT:-8191}
export DOCINTEL_ONNX_PORT=${DOCINTEL_ONNX_PORT:-8192}
compose=("$compose_cmd" -p "$project" -f deploy/compose.yaml)
log=$(mktemp /tmp/docintel-smoke.XXXXXX.log)
mirrors=()
e2e() { python3 tools/benchmark/e2e.py "$@"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
run_compose() {  # run_compose ARGS...: compose's chatter goes to $log, shown on failure
  "${compose[@]}" "$@" >>"$log" 2>&1 || { tail -30 "$log" >&2; fail "compose $*"; }
}
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

cleanup() {
  "${compose[@]}" --profile ml --profile onnx down -v >>"$log" 2>&1 || true
  for image in "${mirrors[@]}"; do e2e unmirror "$image" || true; done
  rm -f "$log"
}
wanted() { [[ " $profiles " == *" $1 "* ]]; }
trap cleanup EXIT

version=$("$compose_cmd" --version 2>/dev/null | sed -n 's/^podman-composer\{0,1\} version *\([0-9.]*\).*/\1/p' || true)
[ -n "$version" ] || fail "$compose_cmd not found; install podman-compose >= 1.5 (deploy/README.md)"
[ "$(printf '%s\n' 1.5 "$version" | sort -V | head -1)" = 1.5 ] ||
  fail "podman-compose $version is too old: >= 1.5 has profiles and runs healthchecks without a shell"

echo "--- build and load the images"
loads=(images:base_load deploy:redis_load deploy:embeddings_stub_load)
images=(redis:8 base:latest embeddings-stub:latest)
if wanted ml; then loads+=(images:ml_load models:minilm_load) images+=(ml:latest minilm:latest); fi
if wanted onnx; then loads+=(images:ml_onnx_load models:minilm_onnx_load) images+=(ml_onnx:latest minilm-onnx:latest); fi
labels=()
for load in "${loads[@]}"; do labels+=("//$load"); done
tools/bazel build --output_groups=tarball "${labels[@]}"
for load in "${loads[@]}"; do
  podman load -q -i "bazel-bin/${load/://}/tarball.tar"
done
for image in "${images[@]}"; do
  echo "docintel/$image: $(podman image inspect --format '{{.Size}}' "docintel/$image" | awk '{printf "%.1f MB", $1 / 1e6}')"
done

container() {  # container SERVICE: the name of the service's container
  podman ps -a --filter "label=io.podman.compose.project=$project" \
    --filter "label=com.docker.compose.service=$1" --format '{{.Names}}' | head -1
}

wait_healthy() {  # wait_healthy STARTED SERVICE...: runs the healthchecks until all pass
  # Without systemd, podman never runs healthchecks on its own: run them here.
  local started=$1 service name
  shift
  for service in "$@"; do
    name=$(container "$service")
    [ -n "$name" ] || fail "no container for service $service"
    for _ in $(seq 360); do
      podman healthcheck run "$name" >/dev/null 2>&1 && break
      [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] ||
        { podman logs "$name" 2>&1 | tail -20 >&2; fail "$service exited"; }
      sleep 0.5
    done
    podman healthcheck run "$name" >/dev/null 2>&1 ||
      { podman logs "$name" 2>&1 | tail -20 >&2; fail "$service never became healthy"; }
    echo "$service healthy after $(since "$started") s"
  done
}

check_service() {  # check_service SERVICE PORT QUERY [EXPECTED]: /readyz, then ingest and a search ranking EXPECTED (cats) first
  local name
  name=$(container "$1")
  [ -n "$name" ] || fail "no container for service $1"
  e2e wait "http://127.0.0.1:$2" --container "$name" || fail "$1 never became ready"
  e2e check "http://127.0.0.1:$2" --query "$3" --expect "${4:-cats}" || fail "$1: ingest and search for \"$3\""
}

mirror() {  # mirror IMAGE: mounts a loaded model image; its model directory in $mirror_dir
  mirrors+=("$1")
  mirror_dir=$(e2e mirror "$1")
}

# Local embeddings know meaning: no word of either query is in the document it
# must find. The word-hash stub scores the first 0 for every document and
# ranks rust first for the second (its "how" and "to" match nothing relevant).
check_semantic_search() {  # check_semantic_search SERVICE PORT
  check_service "$1" "$2" "which pet hunts rodents?" cats
  check_service "$1" "$2" "how do I pay less to the government each year?" tax
}

cleanup

if wanted default; then
  echo "--- default profile: redis, embeddings stub, docintel (base)"
  started=$(now)
  run_compose up -d
  wait_healthy "$started" redis embeddings-stub
  check_service docintel "$DOCINTEL_PORT" "which cat purrs and chases mice?"
  run_compose down -v
fi

if wanted ml; then
  echo "--- ml profile: the model comes from the minilm image, mounted as the mirror"
  mirror docintel/minilm:latest
  export DOCINTEL_MODEL_MIRROR_DIR=$mirror_dir
  started=$(now)
  run_compose --profile ml up -d
  wait_healthy "$started" redis
  check_semantic_search docintel-ml "$DOCINTEL_ML_PORT"
  # podman wait: the exit code once it has exited (a running container's ExitCode reads 0).
  [ "$(podman wait "$(container init-models)")" = 0 ] || fail "init-models failed"
  run_compose --profile ml down -v
fi

if wanted onnx; then
  echo "--- onnx profile: ONNX Runtime, no torch; the model comes from the minilm-onnx image"
  mirror docintel/minilm-onnx:latest
  export DOCINTEL_ONNX_MODEL_MIRROR_DIR=$mirror_dir
  started=$(now)
  run_compose --profile onnx up -d
  wait_healthy "$started" redis
  check_semantic_search docintel-onnx "$DOCINTEL_ONNX_PORT"
  [ "$(podman wait "$(container init-models-onnx)")" = 0 ] ||
    fail "init-models-onnx failed"
  run_compose --profile onnx down -v
fi

rm -f "$log"
echo "PASSED: profiles $profiles up, healthy, ingest and search ranked right, down"
