#!/usr/bin/env bash
# `make bench-dev`: how long `make dev` takes to be up, and how long the first and second
# calls of three functions take, on this machine. Runs its own stack on spare ports (its own
# moto, tables prefixed "bench-") and stops it by its PID.
set -euo pipefail
cd "$(dirname "$0")/.."
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
api_port=$(port)
dynamo_port=$(port)
out=$(mktemp)
logs=$(mktemp -d)
started=$(date +%s.%N)
API_PORT=$api_port DYNAMO_PORT=$dynamo_port TABLE_PREFIX=bench- LOCAL_LOGS=$logs \
  setsid infra/dev.sh >"$out" 2>&1 &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$out" "$logs"' EXIT
until grep -q "Local stack is up" "$out"; do
  kill -0 "$pid" 2>/dev/null || { cat "$out"; echo "make dev failed" >&2; exit 1; }
  sleep 0.1
done
ready=$(echo "$(date +%s.%N) - $started" | bc)
printf 'make dev: up after %.1f s\n' "$ready"
base="http://127.0.0.1:$api_port"
# /health answered the readiness check already; these three have not been called yet.
for route in /auctions /openapi.json /me; do
  first=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' "$base$route")
  second=$(curl -s -o /dev/null -w '%{time_total}' "$base$route")
  printf 'GET %-14s status %s, first call %s s, second %s s\n' "$route" "${first% *}" "${first#* }" "$second"
done
