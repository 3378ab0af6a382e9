#!/usr/bin/env bash
# Journal proofs (issue 16): inclusion proofs served from the journal's tiles, on registers of
# 1,000,000 and (with EVENTS="1000000 10000000") 10,000,000 events.
#   1. one client, one request at a time: the latency of a proof (server time plus loopback);
#   2. 32 connections: proofs per second.
# Targets: under 5 ms per proof at 1M and 10M events; at least 10,000 proofs/s.
#
#   bash bench/proofs.sh            # SKIP_BUILD=1 to reuse target/release; EVENTS="1000000 10000000"
#
# Registers stay in bench-data/register-proofs-N/ (gitignored) and are reused when present.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DATA=bench-data
BIN=${CARGO_TARGET_DIR:-target}/release/custodia
DURATION=${DURATION:-10s}
EVENTS=${EVENTS:-1000000}
mkdir -p "$DATA"
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "cargo build --release"
    timeout 1800 cargo build --release --quiet -p custodia-cli
fi

# A register of about N events: the agreement, two users, and N persons imported (one event each).
build() {
    local n=$1 reg=$2
    local csv=$DATA/persons-$n.csv
    [ -s "$csv" ] || timeout 1800 "$BIN" synth persons --count "$n" --seed 1 --out "$csv"
    rm -rf "$reg"
    ADMIN=$(timeout 60 "$BIN" init --admin bench.admin --data-dir "$reg" | sed -n 's/^admin token: //p')
    CUSTODIA_TOKEN=$ADMIN timeout 60 "$BIN" import agreement examples/agreements/us-sv-cecot.toml --data-dir "$reg" >/dev/null
    CUSTODIA_TOKEN=$ADMIN timeout 60 "$BIN" user add bench.officer --role sending_officer --agreements '*' --data-dir "$reg" >/dev/null
    local officer
    officer=$(timeout 60 "$BIN" user token bench.officer --data-dir "$reg" | awk '{print $NF; exit}')
    # At most 1,000,000 people per import: one transaction's write-ahead log holds everything it
    # writes until it commits (10,000,000 people in one import grew an 11 GB WAL).
    log "import $n persons into $reg, 1,000,000 per import"
    local header part
    header=$(head -1 "$csv")
    rm -f "$DATA/part-$n-"*
    tail -n +2 "$csv" | split -l 1000000 -d -a 3 - "$DATA/part-$n-"
    for part in "$DATA/part-$n-"[0-9][0-9][0-9]; do
        { echo "$header"; cat "$part"; } > "$part.csv"
        rm "$part"
        CUSTODIA_TOKEN=$officer timeout 3600 "$BIN" import persons "$part.csv" --agreement us-sv-cecot --data-dir "$reg" >/dev/null
        rm "$part.csv"
    done
    echo "$officer" > "$reg/bench-token"
}

rows=()
for n in $EVENTS; do
    reg=$DATA/register-proofs-$n
    [ -s "$reg/bench-token" ] || build "$n" "$reg"
    export CUSTODIA_TOKEN=$(cat "$reg/bench-token")
    CUSTODIA_LOG_FILTER=warn "$BIN" serve --addr 127.0.0.1:0 --data-dir "$reg" >"$DATA/proofs-serve.out" 2>"$DATA/proofs-serve.err" &
    PID=$!
    trap 'kill -TERM $PID 2>/dev/null || true; wait $PID 2>/dev/null || true' EXIT
    for _ in $(seq 1 600); do
        grep -q '^address: ' "$DATA/proofs-serve.out" 2>/dev/null && break
        kill -0 $PID 2>/dev/null || { cat "$DATA/proofs-serve.err" >&2; exit 1; }
        sleep 0.2
    done
    ADDR=$(sed -n 's/^address: //p' "$DATA/proofs-serve.out")
    size=$(curl -sf "$ADDR/checkpoint" | sed -n 2p)
    log "$size events at $ADDR"
    # The proof must verify: fetch one and check it offline against the signed checkpoint.
    curl -sf "$ADDR/checkpoint" > "$DATA/proofs-checkpoint.note"
    curl -sf -H "Authorization: Bearer $CUSTODIA_TOKEN" "$ADDR/api/v1/journal/proofs/inclusion?index=$((size / 3))" > "$DATA/proofs-one.json"
    "$BIN" journal export --from $((size / 3)) --to $((size / 3 + 1)) --data-dir "$reg" --out "$DATA/proofs-leaf.json"
    "$BIN" journal check --key "$(curl -sf -H "Authorization: Bearer $CUSTODIA_TOKEN" "$ADDR/api/v1/journal/key")" \
        --checkpoint "$DATA/proofs-checkpoint.note" --proof "$DATA/proofs-one.json" --leaf "$DATA/proofs-leaf.json" >&2
    for c in 1 32; do
        log "wrk: $c connection(s), $DURATION"
        WRK_EVENTS=$size timeout 120 wrk -t"$(( c < 2 ? 1 : 2 ))" -c"$c" -d"$DURATION" --latency -s bench/wrk/proof.lua "$ADDR" > "$DATA/wrk-proofs-$n-$c.txt"
        if grep -q "Non-2xx" "$DATA/wrk-proofs-$n-$c.txt"; then cat "$DATA/wrk-proofs-$n-$c.txt" >&2; exit 1; fi
        f=$DATA/wrk-proofs-$n-$c.txt
        rows+=("| $size | $c | $(awk '/Requests\/sec/ {print $2}' "$f") | $(awk '$1=="50%" {print $2}' "$f") | $(awk '$1=="99%" {print $2}' "$f") |")
    done
    kill -TERM $PID; wait $PID 2>/dev/null || true
    trap - EXIT
done
printf '\n| events | connections | proofs/s | p50 | p99 |\n|---:|---:|---:|---:|---:|\n'
printf '%s\n' "${rows[@]}"
printf '\nMachine: %s CPUs (%s), %s GiB; load average %s\n' "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')" "$(free -g | awk '/Mem:/{print $2}')" "$(cut -d' ' -f1-3 /proc/loadavg)"
