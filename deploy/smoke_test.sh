#!/usr/bin/env bash
# The compose deployment for real, as CI runs it: loads the images Bazel built
# (base, ml, redis, embeddings stub, minilm) into podman, then for each profile
# brings compose.yaml up, waits for every service to be healthy (the service's
# /readyz through tools/benchmark/e2e.py, as tools/bench and
# .ci/registry_roundtrip.sh wait for it), ingests three documents on different
# topics, checks a search ranks the right one first, and brings it down with
# its volumes. The ml profile gets its model from the minilm image (mounted as
# the model mirror), not from the hub.
#
#   deploy/smoke_test.sh            # PODMAN_COMPOSE=... to use another podman-compose
#
# Needs root podman, podman-compose >= 1.5 (profiles; healthchecks exec'd
# without a shell) and container name resolution (deploy/README.md).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

compose_cmd=${PODMAN_COMPOSE:-podman-compose}
project=${SMOKE_PROJECT:-docintel-smoke}
export DOCINTEL_PORT=${DOCINTEL_PORT:-8190} DOCINTEL_ML_PORT=${DOCINTEL_ML_PORT:-8191}
compose=("$compose_cmd" -p "$project" -f deploy/compose.yaml)
log=$(mktemp /tmp/docintel-smoke.XXXXXX.log)
mirror=""
e2e() { python3 tools/benchmark/e2e.py "$@"; }

fail() { echo "FAIL: $*" >&2; exit 1; }
run_compose() {  # run_compose ARGS...: compose's chatter goes to $log, shown on failure
  "${compose[@]}" "$@" >>"$log" 2>&1 || { tail -30 "$log" >&2; fail "compose $*"; }
}
now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }

cleanup() {
  "${compose[@]}" --profile ml down -v >>"$log" 2>&1 || true
  [ -z "$mirror" ] || e2e unmirror docintel/minilm:latest
  rm -f "$log"
}
trap cleanup EXIT

version=$("$compose_cmd" --version 2>/dev/null | sed -n 's/^podman-composer\{0,1\} version *\([0-9.]*\).*/\1/p')
[ -n "$version" ] || fail "$compose_cmd not found; install podman-compose >= 1.5 (deploy/README.md)"
[ "$(printf '%s\n' 1.5 "$version" | sort -V | head -1)" = 1.5 ] ||
  fail "podman-compose $version is too old: >= 1.5 has profiles and runs healthchecks without a shell"

echo "--- build and load the images"
tools/bazel build --output_groups=tarball \
  //images:base_load //images:ml_load //deploy:redis_load //deploy:embeddings_stub_load //models:minilm_load
for tarball in images/base_load images/ml_load deploy/redis_load deploy/embeddings_stub_load models/minilm_load; do
  podman load -q -i "bazel-bin/$tarball/tarball.tar"
done
for image in redis:8 base:latest embeddings-stub:latest ml:latest minilm:latest; do
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

check_service() {  # check_service SERVICE PORT QUERY: /readyz, then ingest and a search ranking cats first
  local name
  name=$(container "$1")
  [ -n "$name" ] || fail "no container for service $1"
  e2e wait "http://127.0.0.1:$2" --container "$name" || fail "$1 never became ready"
  e2e check "http://127.0.0.1:$2" --query "$3" || fail "$1: ingest and search"
}

cleanup

echo "--- default profile: redis, embeddings stub, docintel (base)"
started=$(now)
run_compose up -d
wait_healthy "$started" redis embeddings-stub
check_service docintel "$DOCINTEL_PORT" "which cat purrs and chases mice?"
run_compose down -v

echo "--- ml profile: the model comes from the minilm image, mounted as the mirror"
mirror=$(e2e mirror docintel/minilm:latest)
export DOCINTEL_MODEL_MIRROR_DIR=$mirror
started=$(now)
run_compose --profile ml up -d
wait_healthy "$started" redis
# Local embeddings know meaning: no word of the query is in the cat document.
check_service docintel-ml "$DOCINTEL_ML_PORT" "which pet hunts rodents?"
[ "$(podman inspect --format '{{.State.ExitCode}}' "$(container init-models)")" = 0 ] || fail "init-models failed"
run_compose --profile ml down -v

rm -f "$log"
echo "PASSED: both profiles up, healthy, ingest and search ranked right, down"
