#!/usr/bin/env bash
# Forecast benchmark (issue 17): `custodia forecast` with 10,000 runs of 120 months at 500 arrivals
# a month. Target: under 5 s on this machine.
#
#   bash bench/forecast.sh           # SKIP_BUILD=1 to reuse target/release
#
# Two agreements: the US–El Salvador example as it is (a one-year term, so arrivals stop after 12 of
# the 120 months: 60 million arrivals) and the same with its term stretched to ten years
# (2025-03-15 .. 2035-03-14: arrivals every month, 600 million arrivals). Arrivals are drawn from a
# synthetic person file (`custodia synth persons --count 100000 --seed 1`) with the example's cells
# for the capacity limits. Data stays in bench-data/ (gitignored). Wall time is the median of 3
# runs, with every core (2 here) and with one thread; the output of both is compared byte for byte.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DATA=bench-data
BIN=${CARGO_TARGET_DIR:-target}/release/custodia
mkdir -p "$DATA"
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "cargo build --release"
    timeout 1800 cargo build --release --quiet -p custodia-cli
fi

PERSONS=$DATA/forecast-persons-100000.csv
[ -s "$PERSONS" ] || timeout 300 "$BIN" synth persons --count 100000 --seed 1 --out "$PERSONS"
sed -e 's/^ends = .*/ends = 2035-03-14/' examples/agreements/us-sv-cecot.toml > "$DATA/us-sv-cecot-10y.toml"
timeout 60 "$BIN" agreement check "$DATA/us-sv-cecot-10y.toml" >/dev/null

log "machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '| agreement | threads | arrivals | median wall (3 runs) | user | peak RSS |\n|---|---:|---:|---:|---:|---:|\n'
for agreement in examples/agreements/us-sv-cecot.toml "$DATA/us-sv-cecot-10y.toml"; do
    name=$(basename "$agreement" .toml)
    for threads in "$(nproc)" 1; do
        runs=()
        for _ in 1 2 3; do
            out=$( { /usr/bin/time -f '%e %U %M' timeout 600 "$BIN" forecast --agreement "$agreement" \
                --persons "$PERSONS" --cells examples/cells/cecot.csv --intake-per-month 500 --months 120 \
                --runs 10000 --seed 1 --threads "$threads" --json > "$DATA/forecast-$name-$threads.json"; } 2>&1 | tail -1)
            runs+=("$out")
        done
        median=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)
        read -r wall user rss <<< "$median"
        # Months of the 120 with arrivals (those within the term) × 500 × 10,000 runs.
        ends=$(sed -n 's/^ends = \([0-9]*\)-\([0-9]*\)-.*/\1 \2/p' "$agreement")
        months=$(python3 -c "y, m = map(int, '$ends'.split()); print(min(120, (y - 2025) * 12 + m - 3 + 1))")
        printf '| %s | %s | %s M (%s months) | %s s | %s s | %s MiB |\n' "$name" "$threads" \
            "$(( months * 500 * 10000 / 1000000 ))" "$months" "$wall" "$user" "$(( rss / 1024 ))"
    done
    cmp "$DATA/forecast-$name-$(nproc).json" "$DATA/forecast-$name-1.json" && log "$name: same output on $(nproc) threads and on 1"
done
log "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
