#!/usr/bin/env bash
# The whole local stack, for `make dev`: a DynamoDB-compatible server (moto, unless
# DYNAMODB_ENDPOINT names one), the tables read from template.yaml, the seed data, and every
# HTTP function behind one base URL through the project's emulator (infra/src/emulator/).
# Ctrl-C or SIGTERM stops all of it.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
export PATH="$root/.venv/bin:$PATH"

# Local credentials: the local server accepts any, the SDK wants some.
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-local}
export AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-local}
export AWS_REGION=${AWS_REGION:-us-east-1}
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-$AWS_REGION}
export TABLE_PREFIX=${TABLE_PREFIX:-local-}
export SEED_USER_PASSWORD=${SEED_USER_PASSWORD:-dev-password-123}
export RUST_LOG=${RUST_LOG:-info}
dynamo_port=${DYNAMO_PORT:-8000}
api_port=${API_PORT:-9000}
concurrency=${FUNCTION_CONCURRENCY:-4}
logs=${LOCAL_LOGS:-$root/.local/logs}
mkdir -p "$logs"

started=()
stop_all() {
  # Stopping is not interrupted: make passes its own SIGTERM on, so a second one comes.
  trap - EXIT
  trap '' INT TERM
  # Newest first: the functions before the store they use. Each service leads its own
  # process group (setsid). Ask the leader by PID first, so cargo-lambda can stop the
  # function instances it started; whatever of the group is left after 10 s is killed.
  local pid i
  for ((i = ${#started[@]} - 1; i >= 0; i--)); do
    pid=${started[i]}
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  echo "local stack stopped"
}
trap stop_all EXIT
# Ctrl-C or SIGTERM is how the stack is meant to end: a clean exit, not an error for make.
trap 'exit 0' INT TERM

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # url, seconds, what, pid of the process that should answer
  local deadline=$((SECONDS + $2))
  until curl -fsS -o /dev/null "$1" 2>/dev/null; do
    kill -0 "$4" 2>/dev/null || { echo "error: $3 exited (logs: $logs)" >&2; exit 1; }
    ((SECONDS <= deadline)) || { echo "error: $3 did not answer at $1 within $2 s (logs: $logs)" >&2; exit 1; }
    sleep 0.5
  done
}

if [[ -z "${DYNAMODB_ENDPOINT:-}" ]]; then
  port_free "$dynamo_port" || { echo "error: port $dynamo_port is busy (set DYNAMO_PORT, or DYNAMODB_ENDPOINT to use that server)" >&2; exit 1; }
  # moto, serving one request at a time so transactions are isolated (see the script).
  setsid python infra/local_dynamodb.py -H 127.0.0.1 -p "$dynamo_port" >"$logs/dynamodb.log" 2>&1 &
  started+=($!)
  export DYNAMODB_ENDPOINT="http://127.0.0.1:$dynamo_port"
  # moto answers any path; a 404 or 200 both mean it is up.
  deadline=$((SECONDS + 30))
  until curl -sS -o /dev/null "$DYNAMODB_ENDPOINT" 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "error: moto did not start (logs: $logs/dynamodb.log)" >&2; exit 1; }
    sleep 0.3
  done
fi
echo "DynamoDB endpoint: $DYNAMODB_ENDPOINT (tables prefixed \"$TABLE_PREFIX\")"

# Every binary at once, so the first call to any function answers at once (the emulator
# rebuilds a function whose sources change, on its next call).
echo "building (only what changed; a first run compiles everything, minutes on 2 cores)..."
cargo build --quiet --workspace --bins
target/debug/local-tables create
target/debug/load-seeds
# A local token key pair, made once and kept out of git (.local/). Locally every function
# gets both keys; deployed, only the functions that issue tokens get the private one.
target/debug/dev-keys "$root/.local/jwt"
export JWT_PUBLIC_KEY="$(cat "$root/.local/jwt/public.pem")"
# The key that seals list cursors, and the payment provider's webhook signing key, made
# once like the token keys (a test signs its webhooks with the file's key).
for key in cursor payment-webhook; do
  [[ -s "$root/.local/$key.key" ]] || (umask 077; head -c 32 /dev/urandom | base64 > "$root/.local/$key.key")
done
# Secrets live in Secrets Manager, as deployed: moto's, on the same local endpoint. The
# functions get only the secrets' names and read them at cold start.
export SECRETSMANAGER_ENDPOINT=${SECRETSMANAGER_ENDPOINT:-$DYNAMODB_ENDPOINT}
export JWT_PRIVATE_KEY_SECRET="${TABLE_PREFIX}auction-platform/jwt-private-key"
export CURSOR_KEY_SECRET="${TABLE_PREFIX}auction-platform/cursor-key"
export PAYMENT_WEBHOOK_KEY_SECRET="${TABLE_PREFIX}auction-platform/payment-webhook-key"
python infra/local_secrets.py "$SECRETSMANAGER_ENDPOINT" \
  "$JWT_PRIVATE_KEY_SECRET=$root/.local/jwt/private.pem" \
  "$CURSOR_KEY_SECRET=$root/.local/cursor.key" \
  "$PAYMENT_WEBHOOK_KEY_SECRET=$root/.local/payment-webhook.key"

port_free "$api_port" || { echo "error: port $api_port is busy (set API_PORT)" >&2; exit 1; }
# The WebSocket API, and its @connections endpoint the functions post to (they inherit this).
export WS_PORT=${WS_PORT:-9001}
export WEBSOCKET_MANAGEMENT_ENDPOINT="http://127.0.0.1:$WS_PORT"
export WEBSOCKET_URL="ws://127.0.0.1:$WS_PORT"
port_free "$WS_PORT" || { echo "error: port $WS_PORT is busy (set WS_PORT)" >&2; exit 1; }
# EventBridge Scheduler and the lifecycle bus, in the emulator: the functions arm one-time
# schedules that invoke schedule-transition, and publish lifecycle events, as deployed.
# MIN_AUCTION_SECONDS, MIN_PAYMENT_WINDOW_SECONDS and CLOSE_LEAD_SECONDS pass through from
# this environment (shorter windows for a quick run end to end).
export SERVICES_PORT=${SERVICES_PORT:-9002}
port_free "$SERVICES_PORT" || { echo "error: port $SERVICES_PORT is busy (set SERVICES_PORT)" >&2; exit 1; }
export SCHEDULER_ENDPOINT="http://127.0.0.1:$SERVICES_PORT"
export EVENTBRIDGE_ENDPOINT="http://127.0.0.1:$SERVICES_PORT"
export SCHEDULE_GROUP="${TABLE_PREFIX}lifecycle"
export SCHEDULE_TARGET_ARN="arn:aws:lambda:$AWS_REGION:000000000000:function:schedule-transition"
export SCHEDULE_ROLE_ARN="arn:aws:iam::000000000000:role/local-scheduler"
export EVENT_BUS_NAME="${TABLE_PREFIX}lifecycle"
API_PORT=$api_port FUNCTION_CONCURRENCY=$concurrency \
  setsid target/debug/emulator >"$logs/functions.log" 2>&1 &
started+=($!)
base="http://127.0.0.1:$api_port"
wait_for "$base/health" 60 "the HTTP API" "${started[-1]}"

cat <<INFO

Local stack is up:
  API base URL     $base
  WebSocket URL    $WEBSOCKET_URL
  Scheduler, bus   $SCHEDULER_ENDPOINT
  Health           $base/health
  OpenAPI          $base/openapi.json
  DynamoDB         $DYNAMODB_ENDPOINT  (tables "${TABLE_PREFIX}*")
  Logs             $logs/

Seeded logins (password: $SEED_USER_PASSWORD):
INFO
python3 - <<'PY'
import json
# What each group grants, as seeds/data/groups.json says (group admin grants role staff).
grants = {g["name"]: g["roles"] for g in json.load(open("seeds/data/groups.json"))}
for user in json.load(open("seeds/data/users.json")):
    groups = ", ".join(
        g if grants.get(g) == [g] else f"{g} (grants {'+'.join(grants.get(g, []))})"
        for g in user["groups"]
    )
    print(f"  {user['username']:<16} {user['email']:<30} userRole={user['userRole']:<6} groups={groups}")
PY
echo
echo "Press Ctrl-C to stop everything."
wait
