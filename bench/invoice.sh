#!/usr/bin/env bash
# Billing benchmark (issue 6): every monthly invoice of a 10-year agreement with 1,000,000 stays,
# `custodia invoice --all --json`, for each of the four fee models. Target: under 1 s in total per
# model, in memory proportional to the stays (not to person-days).
#
#   bash bench/invoice.sh            # SKIP_BUILD=1 to reuse target/release
#
# Data stays in bench-data/ (gitignored): four 10-year agreements written below (the CECOT example
# with its term stretched to 2025-03-15 .. 2035-03-14 and each fee model in turn) and
# stays-1m.csv from `custodia synth stays`. Wall time is the median of 5 runs; peak memory is the
# maximum resident set of the last run (GNU time).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DATA=bench-data
BIN=target/release/custodia
COUNT=${COUNT:-1000000}
mkdir -p "$DATA"
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "cargo build --release"
    timeout 1800 cargo build --release --quiet -p custodia-cli
fi

declare -A FEES=(
    [per_diem]='model = "per_diem"
rate_minor = 13290
class_rates_minor = { high = 15000, maximum = 18000 }
guaranteed_minimum_places = 150000'
    [per_place_month]='model = "per_place_month"
place_month_minor = 850000
reserved_places = 120000
extra_person_day_minor = 30000'
    [per_capita]='model = "per_capita"
capita_minor = 2000000
coverage_days = 365
envelope_minor = 1500000000000'
    [lump_sum_year]='model = "lump_sum_year"
year_minor = 3060000000'
)

for model in per_diem per_place_month per_capita lump_sum_year; do
    # Everything but [fees] from the CECOT example, with a 10-year term.
    sed -e '/^\[fees\]/,$d' -e 's/^ends = .*/ends = 2035-03-14/' examples/agreements/us-sv-cecot.toml \
        > "$DATA/ten-year-$model.toml"
    printf '[fees]\n%s\n' "${FEES[$model]}" >> "$DATA/ten-year-$model.toml"
done
timeout 60 "$BIN" agreement check "$DATA/ten-year-per_diem.toml" >/dev/null

STAYS=$DATA/stays-$COUNT.csv
[ -s "$STAYS" ] || timeout 300 "$BIN" synth stays --agreement "$DATA/ten-year-per_diem.toml" \
    --count "$COUNT" --seed 1 --out "$STAYS"
log "$(wc -l < "$STAYS") lines in $STAYS ($(du -h "$STAYS" | cut -f1))"

printf '| fee model | invoices | stays | median wall (5 runs) | peak RSS |\n|---|---|---|---|---|\n'
for model in per_diem per_place_month per_capita lump_sum_year; do
    runs=()
    for _ in 1 2 3 4 5; do
        out=$( { /usr/bin/time -f '%e %M' timeout 120 "$BIN" invoice --agreement "$DATA/ten-year-$model.toml" \
            --stays "$STAYS" --all --json > "$DATA/invoices-$model.jsonl"; } 2>&1 | tail -1)
        runs+=("$out")
    done
    median=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 3p)
    invoices=$(wc -l < "$DATA/invoices-$model.jsonl")
    printf '| %s | %s | %s | %s s | %s MiB |\n' "$model" "$invoices" "$COUNT" "${median% *}" \
        "$(( ${median#* } / 1024 ))"
done
