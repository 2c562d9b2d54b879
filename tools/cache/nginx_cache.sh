#!/usr/bin/env bash
# Starts a Bazel HTTP remote cache on loopback: nginx serving a directory with
# WebDAV PUT (Bazel GETs and PUTs /ac/<hash> and /cas/<hash>).
#
# Usage: nginx_cache.sh start DIR PORT   -> prints the cache URL, runs in the background
#        nginx_cache.sh stop DIR
#        nginx_cache.sh hits LOG         -> remote cache hits Bazel reported in LOG
#
# DIR/access.log has one line per request: `METHOD URI STATUS BYTES_SENT
# REQUEST_LENGTH` (body bytes sent; the request's length, headers and body),
# what tools/benchmark/transfer.py counts. $NGINX_BIN names another nginx binary
# (the tests' pinned one).
set -euo pipefail

case "${1:-}" in
  start)
    dir=${2:?usage: nginx_cache.sh start DIR PORT}
    port=${3:?usage: nginx_cache.sh start DIR PORT}
    nginx=${NGINX_BIN:-nginx}
    command -v "$nginx" >/dev/null || {
      echo "nginx_cache.sh: nginx is not installed; fix: apt-get install -y nginx-light" >&2
      exit 1
    }
    mkdir -p "$dir/data" "$dir/tmp"
    cat >"$dir/nginx.conf" <<CONF
worker_processes 2;
user $(id -un);
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 256; }
http {
  log_format transfer '\$request_method \$uri \$status \$body_bytes_sent \$request_length';
  access_log $dir/access.log transfer;
  client_body_temp_path $dir/tmp;
  proxy_temp_path $dir/tmp;
  fastcgi_temp_path $dir/tmp;
  uwsgi_temp_path $dir/tmp;
  scgi_temp_path $dir/tmp;
  client_max_body_size 0;
  server {
    listen 127.0.0.1:$port;
    root $dir/data;
    location / {
      dav_methods PUT;
      create_full_put_path on;
      dav_access user:rw group:r all:r;
    }
  }
}
CONF
    # nginx goes to the background; its own output must not hold the caller's.
    if ! "$nginx" -e "$dir/error.log" -c "$dir/nginx.conf" </dev/null >"$dir/start.log" 2>&1; then
      cat "$dir/start.log" >&2
      echo "nginx_cache.sh: nginx did not start (its words above)" >&2
      exit 1
    fi
    for _ in $(seq 50); do
      (: <"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 0.1
    done
    echo "http://127.0.0.1:$port"
    ;;
  stop)
    dir=${2:?usage: nginx_cache.sh stop DIR}
    if [ -f "$dir/nginx.pid" ]; then
      kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true
    fi
    ;;
  hits)
    log=${2:?usage: nginx_cache.sh hits LOG}
    grep -o '[0-9,]* remote cache hit' "$log" | tail -n 1 | tr -d , | awk '{print $1}' | grep . || echo 0
    ;;
  *)
    echo "usage: nginx_cache.sh start DIR PORT | stop DIR | hits LOG" >&2
    exit 2
    ;;
esac
