#!/usr/bin/env bash
# A registry on loopback for tests, CI and tools/bench: Debian's
# docker-registry (the CNCF distribution registry), plain HTTP, its storage in
# DIR/storage, its log in DIR/registry.log.
#
# Usage: local_registry.sh start DIR PORT [--read-only] [--metrics PORT2] [--auth YAML]
#          runs it in the background; returns once it accepts connections;
#          --metrics serves its Prometheus metrics (bytes received per
#          request kind) at http://127.0.0.1:PORT2/metrics; --auth is the
#          config's auth section as a YAML flow mapping ({htpasswd: {...}})
#        local_registry.sh stop DIR
set -euo pipefail

usage="usage: local_registry.sh start DIR PORT [--read-only] [--metrics PORT2] [--auth YAML] | stop DIR"

# Whether a registry answers its API on 127.0.0.1:$1: a connection alone could
# be another program that holds the port.
registry_answers() {
  local reply
  # shellcheck disable=SC2016 # $1 is the inner script's argument, expanded there
  reply=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && printf "GET /v2/ HTTP/1.0\r\n\r\n" >&3 && cat <&3' _ "$1" 2>/dev/null) || true
  case "$reply" in
    *[Dd]ocker-[Dd]istribution-[Aa]pi-[Vv]ersion*) return 0 ;;
  esac
  return 1
}

case "${1:-}" in
  start)
    dir=${2:?$usage}
    port=${3:?$usage}
    read_only=false
    debug=""
    auth=""
    shift 3
    while [ $# -gt 0 ]; do
      case "$1" in
        --read-only) read_only=true; shift ;;
        --metrics)
          [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }
          debug=", debug: {addr: 127.0.0.1:$2, prometheus: {enabled: true, path: /metrics}}"
          shift 2 ;;
        --auth)
          [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }
          auth="auth: $2"
          shift 2 ;;
        *) echo "$usage" >&2; exit 2 ;;
      esac
    done
    command -v docker-registry >/dev/null || {
      echo "local_registry.sh: docker-registry is not installed; fix: apt-get install -y docker-registry" >&2
      exit 1
    }
    mkdir -p "$dir/storage"
    cat >"$dir/config.yml" <<YAML
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $dir/storage}
  maintenance: {readonly: {enabled: $read_only}}
http: {addr: 127.0.0.1:$port$debug}
$auth
YAML
    docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
    echo $! >"$dir/registry.pid"
    for _ in $(seq 100); do
      kill -0 "$(cat "$dir/registry.pid")" 2>/dev/null || break
      registry_answers "$port" && exit 0
      sleep 0.1
    done
    cat "$dir/registry.log" >&2
    echo "local_registry.sh: the registry did not start on 127.0.0.1:$port (log above)" >&2
    exit 1
    ;;
  stop)
    dir=${2:?$usage}
    [ -f "$dir/registry.pid" ] || exit 0
    pid=$(cat "$dir/registry.pid")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    rm -f "$dir/registry.pid"
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
