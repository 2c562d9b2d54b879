#!/usr/bin/env bash
# Sourced by the CI scripts that run our images against real services on
# loopback (.ci/registry_roundtrip.sh, .ci/arm64_emulation.sh). Before
# sourcing, set `port` (the registry's), `redis_port`, `container` (the
# container the script runs) and `model_image` (the model image it may
# mount). This starts Debian's docker-registry and a Redis in a new work
# directory `$work`, and defines `e2e` (tools/benchmark/e2e.py: start, wait,
# check, mirror), `fail` and `now`. Processes the script starts go into
# `pids`; a mounted model image's directory into `mirror`. The EXIT trap
# removes the container, unmounts the model image, stops the registry and
# every process in `pids`, and deletes the work directory; then it runs the
# sourcing script's `restore_host`, when that defines one (the arm64 script puts
# the host's emulator back), so it runs even when a service here fails to start.
# shellcheck disable=SC2154  # port, redis_port, container, model_image: set by the sourcing script

work=$(mktemp -d /tmp/docintel-ci.XXXXXX)
e2e() { python3 tools/benchmark/e2e.py "$@"; }
pids=()
mirror=""
# shellcheck disable=SC2317,SC2329  # called by the EXIT trap
cleanup() {
  e2e stop "$container"
  [ -z "$mirror" ] || e2e unmirror "$model_image"
  tools/oci/local_registry.sh stop "$work/registry"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
  if declare -F restore_host >/dev/null; then restore_host; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
now() { date +%s.%N; }

tools/oci/local_registry.sh start "$work/registry" "$port"
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
