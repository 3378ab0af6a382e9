#!/usr/bin/env bash
# Lists at national scale (issue 16): a register of PER people in custody in each of AGREEMENTS
# agreements (default 10 × 10,000 = 100,000) with EVENTS journal events (default 10,000,000), then
# every list endpoint's first page and a deep page (target: each under 50 ms), the alert scheduler's
# evaluation of every agreement read from that register (target: under 1 s for 100,000 in custody),
# and inclusion proofs at that size (target: under 5 ms, 10,000/s).
#
#   bash bench/lists.sh                   # SKIP_BUILD=1 to reuse the release build
#   DATABASE=postgres bash bench/lists.sh # the same register in a throwaway PostgreSQL cluster
#   AGREEMENTS=2 PER=500 EVENTS=50000 bash bench/lists.sh   # a small run to try it
#
# How the register is made, every step through the application's own checks:
#   1. bench/gen_scale.py writes the agreements (CECOT's example with its own id, facility, a
#      2026–2030 term), their people (all eligible) and cells (25 standard places each);
#   2. `custodia init`, `import agreement`, `user add`, `import cells`, `import persons`;
#   3. the `scale_cases` example (crates/custodia-cli/examples) takes every person through
#      proposal, screening, both approvals, scheduling, departure and admission, in group commits;
#   4. `custodia synth persons` fills the journal up to EVENTS with people imported under scale-0,
#      at most 1,000,000 per import.
# The register stays in bench-data/register-scale-DATABASE (gitignored; SQLite, about 3 GB per
# million events) and is reused while its `bench-token` file is there; on PostgreSQL it is made
# again each run, in a cluster thrown away at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
TARGET=${CARGO_TARGET_DIR:-target}
BIN=$TARGET/release/custodia
DATA=bench-data
AGREEMENTS=${AGREEMENTS:-10}
PER=${PER:-10000}
EVENTS=${EVENTS:-10000000}
DATABASE=${DATABASE:-sqlite}
REG=$DATA/register-scale-$DATABASE
mkdir -p "$DATA"
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "cargo build --release"
    timeout 2400 cargo build --release --quiet -p custodia-cli --bin custodia --example scale_cases
fi

PLACE=(--data-dir "$REG")
WHERE=()
if [ "$DATABASE" = postgres ]; then
    export PG_OPTIONS=${PG_OPTIONS:--c fsync=on -c synchronous_commit=on -c shared_buffers=2GB -c max_wal_size=8GB}
    # The cluster is thrown away at the end: its register is made again each run.
    rm -rf "$REG"
    eval "$(scripts/pg-cluster.sh start)"
    PLACE=(--data-dir "$REG" --database "$CUSTODIA_TEST_POSTGRES_URL")
    WHERE=("$CUSTODIA_TEST_POSTGRES_URL")
fi
stop_server() {
    [ "${PID:-0}" -gt 0 ] || return 0  # (kill 0 would signal this script's own process group)
    kill -TERM "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=0
}
stop_all() {
    stop_server
    [ "$DATABASE" != postgres ] || scripts/pg-cluster.sh stop "$PG_CLUSTER_DIR" >/dev/null 2>&1 || true
}
trap stop_all EXIT

token_of() { timeout 60 "$BIN" user token "$1" "${PLACE[@]}" | awk '{print $NF; exit}'; }

build() {
    log "inputs: $AGREEMENTS agreements × $PER people"
    python3 bench/gen_scale.py --agreements "$AGREEMENTS" --per-agreement "$PER" --out "$DATA/scale"
    rm -rf "$REG"
    local admin k
    admin=$(timeout 60 "$BIN" init --admin bench.admin "${PLACE[@]}" | sed -n 's/^admin token: //p')
    export CUSTODIA_TOKEN=$admin
    for k in $(seq 0 $((AGREEMENTS - 1))); do
        timeout 60 "$BIN" import agreement "$DATA/scale/agreement-$k.toml" "${PLACE[@]}" >/dev/null
    done
    timeout 60 "$BIN" user add bench.sender --role sending_officer --agreements '*' "${PLACE[@]}" >/dev/null
    timeout 60 "$BIN" user add bench.receiver --role receiving_officer --agreements '*' "${PLACE[@]}" >/dev/null
    timeout 60 "$BIN" user add bench.staff --role facility_officer --agreements '*' "${PLACE[@]}" >/dev/null
    timeout 60 "$BIN" user add bench.auditor --role auditor --agreements '*' "${PLACE[@]}" >/dev/null
    CUSTODIA_TOKEN=$(token_of bench.staff)
    for k in $(seq 0 $((AGREEMENTS - 1))); do
        timeout 600 "$BIN" import cells "$DATA/scale/cells-$k.csv" --agreement "scale-$k" "${PLACE[@]}" >/dev/null
    done
    CUSTODIA_TOKEN=$(token_of bench.sender)
    for k in $(seq 0 $((AGREEMENTS - 1))); do
        timeout 600 "$BIN" import persons "$DATA/scale/persons-$k.csv" --agreement "scale-$k" "${PLACE[@]}" >/dev/null
    done
    log "cases: $((AGREEMENTS * PER)) people into custody"
    local started=$SECONDS
    timeout 7200 "$TARGET/release/examples/scale_cases" "$REG" "$AGREEMENTS" "$PER" "${WHERE[@]}"
    log "cases: $((SECONDS - started)) s"
    local size fill
    size=$(timeout 600 "$BIN" journal checkpoint "${PLACE[@]}" | sed -n 2p)
    fill=$((EVENTS - size))
    if [ "$fill" -gt 0 ]; then
        log "journal at $size events: $fill more people under scale-0"
        timeout 3600 "$BIN" synth persons --count "$fill" --seed 16 --out "$DATA/scale/fill.csv"
        local header part
        header=$(head -1 "$DATA/scale/fill.csv")
        rm -f "$DATA/scale/fill-part-"*
        tail -n +2 "$DATA/scale/fill.csv" | split -l 1000000 -d -a 3 - "$DATA/scale/fill-part-"
        rm "$DATA/scale/fill.csv"
        for part in "$DATA/scale/fill-part-"[0-9][0-9][0-9]; do
            { echo "$header"; cat "$part"; } > "$part.csv"
            rm "$part"
            timeout 3600 "$BIN" import persons "$part.csv" --agreement scale-0 "${PLACE[@]}" >/dev/null
            rm "$part.csv"
            log "imported $(basename "$part")"
        done
    fi
    token_of bench.sender > "$REG/bench-token"
    token_of bench.auditor > "$REG/bench-auditor-token"
}

[ -s "$REG/bench-token" ] || build
READER=$(cat "$REG/bench-token")
AUDITOR=$(cat "$REG/bench-auditor-token")

# Serves the register with the alert scheduler every $1 ms, its evaluations logged with their time.
serve() {
    stop_server
    CUSTODIA_ALERTS_INTERVAL_MS=$1 CUSTODIA_LOG_FILTER=warn,custodia_server::notifying=debug \
        "$BIN" serve --addr 127.0.0.1:0 "${PLACE[@]}" >"$DATA/lists-serve.out" 2>"$DATA/lists-serve.err" &
    PID=$!
    for _ in $(seq 1 600); do
        grep -q '^address: ' "$DATA/lists-serve.out" 2>/dev/null && break
        kill -0 $PID 2>/dev/null || { cat "$DATA/lists-serve.err" >&2; exit 1; }
        sleep 0.2
    done
    ADDR=$(sed -n 's/^address: //p' "$DATA/lists-serve.out")
}
# The times of the scheduler's evaluations logged so far (`elapsed_ms`), in order.
evaluations() { grep -ho 'elapsed_ms[":= ]*[0-9]*' "$DATA/lists-serve.out" "$DATA/lists-serve.err" | grep -o '[0-9]*$' || true; }
wait_evaluations() {
    local n=$1
    for _ in $(seq 1 900); do
        [ "$(evaluations | wc -l)" -ge "$n" ] && return 0
        sleep 0.2
    done
    echo "the alert scheduler logged fewer than $n evaluations in 180 s" >&2; exit 1
}

# The alert scheduler over every agreement: its first evaluation records every alert open (the
# register has none recorded yet), the next ones find the same alerts and record nothing.
serve 10000
wait_evaluations 3
log "alert evaluations of all $AGREEMENTS agreements, ms (first records every alert): $(evaluations | head -3 | tr '\n' ' ')"
echo "| alert evaluation, all agreements (first, then two with nothing new) | $(evaluations | head -3 | paste -sd/) ms |"

# The lists, with the scheduler at its default minute: its first evaluation is waited for, so no
# evaluation runs while the lists are timed.
serve 60000
wait_evaluations 1
size=$(curl -sf "$ADDR/checkpoint" | sed -n 2p)
log "$size events, $((AGREEMENTS * PER)) people in custody across $AGREEMENTS agreements, at $ADDR ($DATABASE)"
python3 bench/lists.py "$ADDR" "$READER" "$AUDITOR" "$size" "$AGREEMENTS" | tee "$DATA/lists-$DATABASE.md"

# Proofs: first with the tile cache cold (the server just started: every lowest tile is read from
# the events at its first proof), then, after a warm-up of WARMUP that asks for enough random
# proofs to have read nearly every tile once, with 1 connection and with 32 (docs/journal.md#tile-cache).
proofs() {  # connections, duration, label
    local c=$1 f=$DATA/wrk-lists-proofs-$3-$1.txt
    CUSTODIA_TOKEN=$READER WRK_EVENTS=$size timeout 600 wrk -t"$(( c < 2 ? 1 : 2 ))" -c"$c" -d"$2" --latency \
        -s bench/wrk/proof.lua "$ADDR" > "$f"
    if grep -q "Non-2xx" "$f"; then cat "$f" >&2; exit 1; fi
    echo "| $size | $3 | $c | $(awk '/Requests\/sec/ {print $2}' "$f") | $(awk '$1=="50%" {print $2}' "$f") | $(awk '$1=="99%" {print $2}' "$f") |"
}
log "inclusion proofs at $size events: cold, warm-up ${WARMUP:-60s}, then 1 connection and 32, ${DURATION:-10s} each"
echo "| events | tile cache | connections | proofs/s | p50 | p99 |"
echo "|---:|---|---:|---:|---:|---:|"
proofs 32 "${DURATION:-10s}" cold
proofs 32 "${WARMUP:-60s}" warm-up >/dev/null
proofs 1 "${DURATION:-10s}" warm
proofs 32 "${DURATION:-10s}" warm
