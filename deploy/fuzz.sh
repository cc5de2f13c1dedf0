#!/usr/bin/env bash
# API fuzzing: schemathesis (PyPI, pinned) against the launcher's own OpenAPI document, signed in
# with a bearer token, in a bounded mode. Fails on any 5xx, any response that does not match its
# documented schema (errors included: the SPEC error body) and any undocumented status code.
#
#   bash deploy/fuzz.sh            # needs target/debug/ticketing (cargo build / cargo test builds it)
#
# Environment: FUZZ_MAX_EXAMPLES (default 500 per operation and phase), FUZZ_DATABASE_SERVER
# (default postgres://postgres@127.0.0.1:5432), NATS_URL (default nats://127.0.0.1:4222).
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
VENV=target/fuzz-venv
BIN=target/debug/ticketing
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-500}
SERVER=${FUZZ_DATABASE_SERVER:-postgres://postgres@127.0.0.1:5432}

[ -x "$BIN" ] || { echo "$BIN is missing: run cargo build -p ticketing first" >&2; exit 1; }

if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null | grep -o '[0-9.]*$')" != "$SCHEMATHESIS_VERSION" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --index-url https://pypi.org/simple \
    "schemathesis==$SCHEMATHESIS_VERSION"
fi

run_id="fuzz_$(date +%s)_$$"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
log="target/fuzz-launcher.log"

metrics_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

# One token makes thousands of requests: the throttles and the holds cap would turn most of the
# run into documented 429s and 400s instead of exercising the operations.
PORT=$port METRICS_PORT=$metrics_port DATABASE_URL="$SERVER/$run_id" EVENTS_NAMESPACE="$run_id" \
  TICKETING_SERVICES=auth,tickets,orders,expiration,payments \
  RATE_LIMITS=off MAX_HOLDS_PER_BUYER=off REORDER_COOLDOWN_SECONDS=0 \
  RUST_LOG=warn LOG_FORMAT=json "$BIN" >"$log" 2>&1 &
launcher=$!

cleanup() {
  kill "$launcher" 2>/dev/null || true
  wait "$launcher" 2>/dev/null || true
  for service in auth tickets orders expiration payments; do
    psql "$SERVER/postgres" -qc "DROP DATABASE IF EXISTS \"${run_id}_${service}\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
}
trap cleanup EXIT

for _ in $(seq 1 120); do
  curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  kill -0 "$launcher" 2>/dev/null || { cat "$log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "$base/readyz" >/dev/null

token=$(curl -fsS -H 'Content-Type: application/json' \
  -d "{\"email\": \"$run_id@example.com\", \"password\": \"fuzz-password\"}" \
  "$base/api/users/signup" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')

echo "fuzzing $base/api/docs/openapi.json (schemathesis $SCHEMATHESIS_VERSION, $MAX_EXAMPLES examples per operation and phase)"
status=0
# From target/, so schemathesis's working files stay out of the source tree.
(cd target && fuzz-venv/bin/schemathesis run "$base/api/docs/openapi.json" \
  --url "$base" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples "$MAX_EXAMPLES" \
  --seed 1 \
  --generation-database none \
  --workers 2 \
  --request-timeout 10 \
  --no-color) || status=$?

if [ "$status" -ne 0 ] && grep -q '"level":"ERROR"' "$log"; then
  echo "launcher errors:" >&2
  grep '"level":"ERROR"' "$log" | tail -20 | cut -c1-600 >&2
fi
exit "$status"
