#!/usr/bin/env bash
# Register benchmarks on PostgreSQL (issue 16): importing N synthetic people (default 1,000,000)
# into a fresh PostgreSQL register, and `custodia journal verify --tree-only` over its events
# compared with raw SHA-256 over the same bytes (same machine, same run).
# Targets: the import of 1,000,000 people under 12 s; the tree-only verify at least half the speed
# of raw SHA-256.
#
#   bash bench/journal_pg.sh        # SKIP_BUILD=1 to reuse target/release; COUNT=200000 for less
#
# Starts a throwaway PostgreSQL cluster (scripts/pg-cluster.sh) and stops it at the end; the CSV
# and the export stay in bench-data/ (gitignored).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DATA=bench-data
BIN=${CARGO_TARGET_DIR:-target}/release/custodia
COUNT=${COUNT:-1000000}
mkdir -p "$DATA"
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "cargo build --release"
    timeout 1800 cargo build --release --quiet -p custodia-cli
fi
timeout 600 cargo build --release --quiet -p custodia-journal --example sha256_lines
SHA=${CARGO_TARGET_DIR:-target}/release/examples/sha256_lines

# The cluster runs as a deployment would: fsync and synchronous commit on, a cache of 2 GB and
# room for 8 GB of write-ahead log between checkpoints (the test defaults — fsync off, 128 MB, 1 GB
# — are not what a register runs on). PG_OPTIONS overrides them.
export PG_OPTIONS=${PG_OPTIONS:--c fsync=on -c synchronous_commit=on -c shared_buffers=2GB -c max_wal_size=8GB}
eval "$(scripts/pg-cluster.sh start)"
trap 'scripts/pg-cluster.sh stop "$PG_CLUSTER_DIR" >/dev/null 2>&1 || true' EXIT
PSQL=$(ls -d /usr/lib/postgresql/*/bin | head -1)/psql
CSV=$DATA/persons-$COUNT.csv
[ -s "$CSV" ] || timeout 1800 "$BIN" synth persons --count "$COUNT" --seed 1 --out "$CSV"

runs=()
for run in 1 2 3; do
    db=bench_$run
    "$PSQL" -q "$CUSTODIA_TEST_POSTGRES_URL" -c "CREATE DATABASE $db" >/dev/null
    URL=${CUSTODIA_TEST_POSTGRES_URL%/*}/$db
    ADMIN=$(timeout 60 "$BIN" init --admin bench.admin --database "$URL" --data-dir "$DATA/pg-keys-$run" | sed -n 's/^admin token: //p')
    CUSTODIA_TOKEN=$ADMIN timeout 60 "$BIN" import agreement examples/agreements/us-sv-cecot.toml --database "$URL" --data-dir "$DATA/pg-keys-$run" >/dev/null
    CUSTODIA_TOKEN=$ADMIN timeout 60 "$BIN" user add bench.officer --role sending_officer --agreements '*' --database "$URL" --data-dir "$DATA/pg-keys-$run" >/dev/null
    OFFICER=$(timeout 60 "$BIN" user token bench.officer --database "$URL" --data-dir "$DATA/pg-keys-$run" | awk '{print $NF; exit}')
    log "import $COUNT persons into PostgreSQL ($db)"
    runs+=("$( { CUSTODIA_TOKEN=$OFFICER /usr/bin/time -f '%e' timeout 1800 "$BIN" import persons "$CSV" --agreement us-sv-cecot --database "$URL" --data-dir "$DATA/pg-keys-$run" >/dev/null; } 2>&1 | tail -1)")
    last_url=$URL; last_dir=$DATA/pg-keys-$run; last_token=$OFFICER
done
import_s=$(printf '%s\n' "${runs[@]}" | sort -n | sed -n 2p)

log "journal verify --tree-only, 3 runs"
verify_runs=()
for _ in 1 2 3; do
    verify_runs+=("$( { /usr/bin/time -f '%e' timeout 1800 "$BIN" journal verify --tree-only --database "$last_url" --data-dir "$last_dir" >/dev/null; } 2>&1 | tail -1)")
done
verify_s=$(printf '%s\n' "${verify_runs[@]}" | sort -n | sed -n 2p)
CUSTODIA_TOKEN=$last_token timeout 1800 "$BIN" journal export --database "$last_url" --data-dir "$last_dir" --out "$DATA/journal-pg.jsonl"
events=$(wc -l < "$DATA/journal-pg.jsonl")
raw=$(timeout 600 "$SHA" "$DATA/journal-pg.jsonl")
raw_s=$(echo "$raw" | sed -E 's/.*best of 5: ([0-9.]+) s.*/\1/')
bytes=$(echo "$raw" | sed -E 's/.*lines, ([0-9]+) bytes.*/\1/')
cat <<REPORT
### Register on PostgreSQL: import and journal verification — $(date +%Y-%m-%d)

| measurement | figure |
|---|---:|
| import $COUNT people into PostgreSQL (\`custodia import persons\`, median of 3: ${runs[*]}) | **${import_s} s** |
| \`custodia journal verify --tree-only\`, ${events} events, $(python3 -c "print(f'{$bytes/1e6:.0f}')") MB of leaves (median of 3: ${verify_runs[*]}) | **${verify_s} s** ($(python3 -c "print(f'{$bytes/$verify_s/1e6:.0f}')") MB/s) |
| raw SHA-256 over the same bytes, one hash per event (sha2, best of 5) | ${raw_s} s |
| tree-only verify speed as a fraction of raw SHA-256 (target ≥ 0.5) | **$(python3 -c "print(f'{$raw_s / $verify_s:.2f}')")** |

- Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/{print $2}') GiB; PostgreSQL $("$PSQL" --version | awk '{print $3}') on the same machine (scripts/pg-cluster.sh, options \`$PG_OPTIONS\`); load average $(cut -d' ' -f1-3 /proc/loadavg).
REPORT
