#!/usr/bin/env bash
# Service load test (issue 7): `custodia demo` on loopback, then wrk from Debian on the same
# machine —
#   1. authenticated reads: GET /api/v1/cases/{id} (target ≥ 20,000/s, p99 < 10 ms);
#   2. durable case transitions: POST /api/v1/cases/{id}/transitions moving people between cells
#      (targets: ≥ 5,000/s on SQLite, group commit, synchronous=FULL; ≥ 2,000/s on PostgreSQL).
#
#   bash bench/serve.sh          # SKIP_BUILD=1 to reuse target/release; DURATION=15s; CONNECTIONS=32
#   DATABASE=postgres bash bench/serve.sh          # PG_SOCKET=1: through a Unix socket, not TCP
#       the same on PostgreSQL: a throwaway cluster (scripts/pg-cluster.sh) run as a deployment
#       would (fsync on, synchronous_commit on, PG_OPTIONS to change), the demo's register in it.
#
# Bounded in time; the demo's data directory is bench-data/demo (gitignored).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIN=target/release/custodia
DATA=bench-data
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
mkdir -p "$DATA"
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "cargo build --release"
    timeout 1800 cargo build --release --quiet -p custodia-cli
fi

PLACE=()
if [ "${DATABASE:-sqlite}" = postgres ]; then
    export PG_OPTIONS=${PG_OPTIONS:--c fsync=on -c synchronous_commit=on -c shared_buffers=2GB -c max_wal_size=8GB}
    eval "$(scripts/pg-cluster.sh start)"
    URL=$CUSTODIA_TEST_POSTGRES_URL
    # PG_SOCKET=1: through the cluster's Unix socket (as a register on the database's own machine
    # would connect) instead of TCP on loopback.
    [ "${PG_SOCKET:-0}" != 1 ] || URL="${URL/127.0.0.1/localhost}?host=$PG_CLUSTER_DIR"
    PLACE=(--database "$URL")
fi
stop_all() {
    # (never `kill 0`: it would signal this script's own process group)
    if [ "${PID:-0}" -gt 0 ]; then kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
    [ -z "${PG_CLUSTER_DIR:-}" ] || scripts/pg-cluster.sh stop "$PG_CLUSTER_DIR" >/dev/null 2>&1 || true
}
trap stop_all EXIT

log "custodia demo (fresh data directory $DATA/demo${PLACE:+, register on PostgreSQL})"
rm -rf "$DATA/demo"
CUSTODIA_LOG_FILTER=warn "$BIN" demo --addr 127.0.0.1:0 --data-dir "$DATA/demo" "${PLACE[@]}" >"$DATA/demo.out" 2>"$DATA/demo.err" &
PID=$!
for _ in $(seq 1 600); do
    grep -q '^address: ' "$DATA/demo.out" 2>/dev/null && break
    kill -0 $PID 2>/dev/null || { cat "$DATA/demo.err" >&2; exit 1; }
    sleep 0.2
done
ADDR=$(sed -n 's/^address: //p' "$DATA/demo.out")
export CUSTODIA_TOKEN=$(sed -n 's/^admin token: //p' "$DATA/demo.out")
[ -n "$ADDR" ] && [ -n "$CUSTODIA_TOKEN" ] || { echo "demo did not start" >&2; exit 1; }
log "demo at $ADDR"

# Case ids to read, and people in custody to move between their cell and a spare one.
curl -sf -H "Authorization: Bearer $CUSTODIA_TOKEN" "$ADDR/api/v1/cases?agreement=us-sv-cecot&limit=1000" > "$DATA/cases.json"
python3 - "$DATA" <<'PY'
import json, sys
data = sys.argv[1]
items = json.load(open(f"{data}/cases.json"))["items"]
ids = [c["id"] for c in items]
held = [c for c in items if c["state"] == "in_custody" and c["cell_id"]]
# The demo's crowded cell is above its standard capacity (its 26th person came in on an override):
# moving someone back into it would need another override, so its people stay put.
from collections import Counter
occupants = Counter(c["cell_id"] for c in held)
held = [c for c in held if occupants[c["cell_id"]] <= 20]
open(f"{data}/wrk-ids.lua", "w").write("return {" + ",".join(map(str, ids)) + "}\n")
# Spare cells: building 8 of CECOT, 4 people per cell at most, far below its standard capacity.
moves = [(c["id"], c["cell_id"], "B8-C%02d" % (i // 4 % 32 + 1)) for i, c in enumerate(held)]
open(f"{data}/wrk-moves.lua", "w").write(
    "return {" + ",".join('{%d,"%s","%s"}' % m for m in moves) + "}\n")
print(f"{len(ids)} cases, {len(held)} in custody", file=sys.stderr)
PY

run() {
    local name=$1 script=$2
    log "wrk $name: $THREADS threads, $CONNECTIONS connections, $DURATION"
    WRK_THREADS=$THREADS WRK_IDS=$DATA/wrk-ids.lua WRK_MOVES=$DATA/wrk-moves.lua \
        timeout 120 wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s "$script" "$ADDR" | tee "$DATA/wrk-$name.txt"
    if grep -q "Non-2xx" "$DATA/wrk-$name.txt"; then
        echo "non-2xx answers in $name" >&2
        exit 1
    fi
}
run reads bench/wrk/read.lua
# Moves are the facility's step: the demo's facility officer makes them (admins hold no operational
# capability); demo-users.json lists every simulated user's token.
CUSTODIA_TOKEN=$(python3 -c 'import json, sys; print(next(u["token"] for u in json.load(open(sys.argv[1])) if u["role"] == "facility_officer"))' "$DATA/demo/demo-users.json") \
    run transitions bench/wrk/move.lua

# Every answered transition is a journal event on disk: stop the demo and verify the whole journal.
kill -TERM $PID; wait $PID 2>/dev/null || true
log "journal verify after the load: $("$BIN" journal verify --data-dir "$DATA/demo" "${PLACE[@]}" | head -1)"

summary() {
    local f=$DATA/wrk-$1.txt
    printf '| %s | %s | %s | %s |\n' "$1" "$(awk '/Requests\/sec/ {print $2}' "$f")" \
        "$(awk '$1=="50%" {print $2}' "$f")" "$(awk '$1=="99%" {print $2}' "$f")"
}
printf '\n| load | requests/s | p50 | p99 |\n|---|---:|---:|---:|\n'
summary reads
summary transitions
printf '\nDatabase: %s. Machine: %s CPUs, %s; load average %s\n' "${DATABASE:-sqlite}${PG_OPTIONS:+ ($PG_OPTIONS)}" \
    "$(nproc)" "$(uname -m)" "$(cut -d' ' -f1-3 /proc/loadavg)"
