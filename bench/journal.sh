#!/usr/bin/env bash
# Register benchmarks (issue 4): importing 1,000,000 synthetic people into SQLite, and
# `custodia journal verify --tree-only` over the resulting 1,000,001 events compared with raw SHA-256
# over the same bytes (one SHA-256 per event, sha2 crate, same machine, same run); and (issue 13)
# `custodia journal verify` with replay, which must stay within 3x of the tree-only verify.
#
#   bash bench/journal.sh            # SKIP_BUILD=1 to reuse target/release; IMPORT_RUNS=1 for one import
#
# Data stays in bench-data/ (gitignored): persons-1m.csv, a register in bench-data/register-1m/,
# and the journal export bench-data/journal-1m.jsonl. Everything is bounded in time.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DATA=bench-data
TARGET=${CARGO_TARGET_DIR:-target}
BIN=$TARGET/release/custodia
mkdir -p "$DATA"
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "cargo build --release"
    timeout 1800 cargo build --release --quiet -p custodia-cli
fi
timeout 600 cargo build --release --quiet -p custodia-journal --example sha256_lines
SHA=$TARGET/release/examples/sha256_lines

[ -s "$DATA/persons-1m.csv" ] || timeout 300 "$BIN" synth persons --count 1000000 --seed 1 --out "$DATA/persons-1m.csv"

REG=$DATA/register-1m
log "import persons (1,000,000 rows) into a fresh SQLite register, 3 runs"
import_runs=()
# A fresh register each run: `custodia init`, the agreement imported by its admin, and the persons by
# a sending-state officer (admins hold no operational capability); commands act through tokens.
fresh_register() {
    rm -rf "$REG"
    ADMIN_TOKEN=$(timeout 60 "$BIN" init --admin bench.admin --data-dir "$REG" | sed -n 's/^admin token: //p')
    CUSTODIA_TOKEN=$ADMIN_TOKEN timeout 60 "$BIN" import agreement examples/agreements/us-sv-cecot.toml --data-dir "$REG" >/dev/null
    CUSTODIA_TOKEN=$ADMIN_TOKEN timeout 60 "$BIN" user add bench.officer --role sending_officer --agreements '*' --data-dir "$REG" >/dev/null
    OFFICER_TOKEN=$(timeout 60 "$BIN" user token bench.officer --data-dir "$REG" | awk '{print $NF; exit}')
}
for _ in $(seq "${IMPORT_RUNS:-3}"); do
    fresh_register
    sync
    import_runs+=("$( { CUSTODIA_TOKEN=$OFFICER_TOKEN /usr/bin/time -f '%e' timeout 600 "$BIN" import persons "$DATA/persons-1m.csv" --agreement us-sv-cecot --data-dir "$REG" >/dev/null; } 2>&1 | tail -1)")
done
import_s=$(printf '%s\n' "${import_runs[@]}" | sort -n | sed -n "$(( (${#import_runs[@]} + 1) / 2 ))p")
db_bytes=$(stat -c %s "$REG/custodia.db")

log "journal verify --tree-only and journal verify (replay), alternating, 3 runs each"
verify_runs=()
replay_runs=()
for _ in 1 2 3; do
    verify_runs+=("$( { /usr/bin/time -f '%e' timeout 600 "$BIN" journal verify --tree-only --data-dir "$REG" >/dev/null; } 2>&1 | tail -1)")
    replay_runs+=("$( { /usr/bin/time -f '%e %MkB' timeout 600 "$BIN" journal verify --data-dir "$REG" >/dev/null; } 2>&1 | tail -1)")
done
verify_s=$(printf '%s\n' "${verify_runs[@]}" | sort -n | sed -n 2p)
replay_s=$(printf '%s\n' "${replay_runs[@]}" | cut -d' ' -f1 | sort -n | sed -n 2p)
replay_rss=$(printf '%s\n' "${replay_runs[@]}" | cut -d' ' -f2 | sort -n | tail -1)

log "raw SHA-256 over the same bytes"
CUSTODIA_TOKEN=$OFFICER_TOKEN timeout 600 "$BIN" journal export --data-dir "$REG" --out "$DATA/journal-1m.jsonl"
events=$(wc -l < "$DATA/journal-1m.jsonl")
raw=$(timeout 600 "$SHA" "$DATA/journal-1m.jsonl")
raw_s=$(echo "$raw" | sed -E 's/.*best of 5: ([0-9.]+) s.*/\1/')
bytes=$(echo "$raw" | sed -E 's/.*lines, ([0-9]+) bytes.*/\1/')

ratio=$(python3 -c "print(f'{$raw_s / $verify_s:.2f}')")
cat <<REPORT
### Register: import and journal verification — $(date +%Y-%m-%d)

| measurement | figure |
|---|---:|
| import 1,000,000 people into SQLite (\`custodia import persons\`, median of ${#import_runs[@]}: ${import_runs[*]}) | **${import_s} s** (database $(python3 -c "print(f'{$db_bytes/2**20:.0f}')") MiB) |
| \`custodia journal verify --tree-only\`, ${events} events, $(python3 -c "print(f'{$bytes/1e6:.0f}')") MB of leaves (median of 3: ${verify_runs[*]}) | **${verify_s} s** ($(python3 -c "print(f'{$bytes/$verify_s/1e6:.0f}')") MB/s) |
| \`custodia journal verify\` (tree and replay of every table; median of 3: $(printf '%s\n' "${replay_runs[@]}" | cut -d' ' -f1 | tr '\n' ' ')) | **${replay_s} s** (peak RSS ${replay_rss}, the memory-mapped database file included) |
| replay verify / tree-only verify (target ≤ 3) | **$(python3 -c "print(f'{$replay_s / $verify_s:.2f}')")** |
| raw SHA-256 over the same bytes, one hash per event (sha2, best of 5) | ${raw_s} s ($(python3 -c "print(f'{$bytes/$raw_s/1e6:.0f}')") MB/s) |
| tree-only verify speed as a fraction of raw SHA-256 | **${ratio}** |

- Machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(free -g | awk '/Mem:/{print $2}') GiB; load average $(cut -d' ' -f1-3 /proc/loadavg).
- Commands: \`$BIN init --admin bench.admin --data-dir $REG\`, the agreement and a sending officer
  added with the admin's token, then \`CUSTODIA_TOKEN=… $BIN import persons $DATA/persons-1m.csv --agreement us-sv-cecot --data-dir $REG\`,
  \`$BIN journal verify --tree-only --data-dir $REG\`, \`$BIN journal verify --data-dir $REG\`, \`$SHA $DATA/journal-1m.jsonl\`.
REPORT
