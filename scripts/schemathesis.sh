#!/usr/bin/env bash
# Property-based API testing: schemathesis generates requests from the running server's own
# /openapi.json and fails on any 5xx answer or any answer that does not match its documented
# schema. Bounded: a fixed number of examples per operation and a time budget.
#
#   scripts/schemathesis.sh            # BIN=target/release/custodia to use another build
#
# Installs schemathesis (pinned) into .ci-venv/ on first use; the register is a throwaway data
# directory with the CECOT agreement, its cells, a few synthetic people and an admin token.
# One worker: schemathesis 4.32 raised an internal KeyError once with two (a race in its own code).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=${BIN:-target/debug/custodia}
VERSION=4.32.5
EXAMPLES=${EXAMPLES:-12}
BUDGET_S=${BUDGET_S:-600}

if [ ! -x .ci-venv/bin/schemathesis ] || ! .ci-venv/bin/schemathesis --version | grep -q "$VERSION"; then
    python3 -m venv .ci-venv
    .ci-venv/bin/pip install --quiet "schemathesis==$VERSION"
fi

DIR=$(mktemp -d)
PID=
cleanup() {
    if [ -n "$PID" ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    rm -rf "$DIR"
}
trap cleanup EXIT
export CUSTODIA_DATA_DIR=$DIR/data
# A register with its first admin, and the users whose roles load the data (admins hold no
# operational capability); every command acts as the user whose token it is given.
TOKEN=$("$BIN" init --admin admin | sed -n 's/^admin token: //p')
as() { local who=$1; shift; CUSTODIA_TOKEN=$("$BIN" user token "$who" | awk '{print $NF; exit}') "$BIN" "$@"; }
CUSTODIA_TOKEN=$TOKEN "$BIN" import agreement examples/agreements/us-sv-cecot.toml >/dev/null
CUSTODIA_TOKEN=$TOKEN "$BIN" user add staff --role facility_officer --agreements '*' >/dev/null
CUSTODIA_TOKEN=$TOKEN "$BIN" user add officer --role sending_officer --agreements '*' >/dev/null
as staff import cells examples/cells/cecot.csv --agreement us-sv-cecot >/dev/null
"$BIN" synth persons --count 40 --seed 3 --out "$DIR/persons.csv"
as officer import persons "$DIR/persons.csv" --agreement us-sv-cecot --skip-invalid >/dev/null

# Every request comes from 127.0.0.1, many deliberately without a valid token: lift the per-address
# limits so the run tests the API, not the limiter (tests/api.rs covers the limits).
CUSTODIA_AUTH_FAILURES_PER_MINUTE=1000000 CUSTODIA_LOCATOR_PER_MINUTE=1000000 \
    "$BIN" serve --addr 127.0.0.1:0 >"$DIR/serve.out" 2>"$DIR/serve.err" &
PID=$!
for _ in $(seq 1 100); do
    grep -q '^address: ' "$DIR/serve.out" 2>/dev/null && break
    sleep 0.1
done
ADDR=$(sed -n 's/^address: //p' "$DIR/serve.out")
[ -n "$ADDR" ] || { cat "$DIR/serve.err" >&2; echo "the server did not start" >&2; exit 1; }
echo "schemathesis $VERSION against $ADDR ($EXAMPLES examples per operation, at most $BUDGET_S s)"

status=0
timeout "$((BUDGET_S + 60))" .ci-venv/bin/schemathesis run "$ADDR/openapi.json" \
    --header "Authorization: Bearer $TOKEN" \
    --checks not_a_server_error,response_schema_conformance \
    --max-examples "$EXAMPLES" \
    --phases examples,coverage,fuzzing \
    --generation-deterministic \
    --workers 1 \
    --max-time "$BUDGET_S" \
    --request-timeout 10 || status=$?
if [ "$status" -ne 0 ]; then
    echo "--- server log (last 40 lines)" >&2
    tail -40 "$DIR/serve.err" >&2
fi
exit "$status"
