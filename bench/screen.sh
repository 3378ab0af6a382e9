#!/usr/bin/env bash
# Benchmark of `custodia screen` (docs/command-line.md) against an independent DuckDB implementation
# (bench/screen_duckdb.py), with an output check and a peak-memory run.
#
#   bash bench/screen.sh            # from anywhere; works in the repository root
#   RUNS=5 AS_OF=2025-06-01 AGREEMENT=examples/agreements/us-sv-cecot.toml bash bench/screen.sh
#   SKIP_BUILD=1 ...     use target/release/custodia as it is (the report says so)
#   NO_HYPERFINE=1 ...   time with a bash loop even when hyperfine is available
#
# Steps: (1) cargo build --release (of the custodia binary's package); (2) synthetic person files in bench-data/ (1M rows, and 5M for
# the memory run) unless present; (3) median wall time of `custodia screen` on 1M rows; (4) the
# same for the DuckDB script; (5) both outputs must be byte-identical except the free text after
# `INPUT: <column>:` of invalid rows (bench/compare_screen.py) — the script fails loudly otherwise;
# (6) peak RSS of `custodia screen` on 5M rows (/usr/bin/time -v); (7) a Markdown report on
# standard output (also saved as bench-data/screen-report.md).
#
# Everything is bounded in time (timeout). Generated data stays in bench-data/ (gitignored).
# Timings are wall-clock medians; the file is read warm from the page cache (one warm-up run each).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
DATA=$ROOT/bench-data
BIN=$ROOT/target/release/custodia
RUNS=${RUNS:-5}
AS_OF=${AS_OF:-2025-06-01}
AGREEMENT=${AGREEMENT:-examples/agreements/us-sv-cecot.toml}
P1M=$DATA/persons-1m.csv
P5M=$DATA/persons-5m.csv
OUT_RUST=$DATA/screen-custodia-1m.csv
OUT_DUCK=$DATA/screen-duckdb-1m.csv
REPORT=$DATA/screen-report.md
PY=${PYTHON:-python3}
mkdir -p "$DATA"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '\n*** bench/screen.sh FAILED: %s ***\n\n' "$*" >&2; exit 1; }

# ---- (1) build ------------------------------------------------------------------------------------
# The binary under test only: `-p custodia-cli` so that a workspace crate still being written elsewhere
# cannot stop the benchmark. SKIP_BUILD=1 uses the binary as it is (said so in the report).
if [ "${SKIP_BUILD:-0}" = 1 ]; then
    log "SKIP_BUILD=1: using $BIN as built"
    BUILD_NOTE="binary not rebuilt (SKIP_BUILD=1), built $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC')"
else
    log "cargo build --release -p custodia-cli"
    timeout 1800 cargo build --release --quiet -p custodia-cli || die "cargo build --release failed or took over 30 min"
    BUILD_NOTE="built with cargo build --release -p custodia-cli at commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- crates 2>/dev/null || echo ' + uncommitted changes')"
fi
[ -x "$BIN" ] || die "$BIN missing after the build"
timeout 20 "$BIN" screen --help >/dev/null || die "custodia screen is not available"

# ---- tools: duckdb (PyPI), /usr/bin/time (Debian) -------------------------------------------------
if ! "$PY" -c 'import duckdb' 2>/dev/null; then
    log "installing duckdb from PyPI"
    timeout 600 "$PY" -m pip install --quiet duckdb || die "pip install duckdb failed"
fi
APT_UPDATED=0
apt_install() { # package: install from Debian, bounded in time; returns non-zero on failure
    if [ "$APT_UPDATED" -eq 0 ]; then timeout 600 apt-get update -qq && APT_UPDATED=1 || return 1; fi
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq "$1" >/dev/null
}
if [ ! -x /usr/bin/time ]; then
    log "installing time from Debian"
    apt_install time || die "apt-get install time failed"
fi
if ! command -v hyperfine >/dev/null 2>&1 && [ "${NO_HYPERFINE:-0}" != 1 ]; then
    log "installing hyperfine from Debian (falls back to a bash loop if that fails)"
    apt_install hyperfine || log "no hyperfine: timing with a bash loop"
fi
if [ "${NO_HYPERFINE:-0}" = 1 ]; then HYPERFINE_OFF=1; fi  # NO_HYPERFINE=1: always the bash loop

# ---- (2) data -------------------------------------------------------------------------------------
synth() { # count file time-limit
    if [ -s "$2" ]; then log "using existing $2"; return; fi
    log "custodia synth persons --count $1 --seed 1 --out $2"
    timeout "$3" "$BIN" synth persons --count "$1" --seed 1 --out "$2.tmp" || die "synth $1 failed"
    mv "$2.tmp" "$2"
}
synth 1000000 "$P1M" 300
synth 5000000 "$P5M" 900

# ---- timing helpers -------------------------------------------------------------------------------
RUST_CMD=("$BIN" screen --agreement "$AGREEMENT" --persons "$P1M" --as-of "$AS_OF" --format csv --out "$OUT_RUST")
DUCK_CMD=("$PY" bench/screen_duckdb.py --agreement "$AGREEMENT" --persons "$P1M" --as-of "$AS_OF" --out "$OUT_DUCK")

median() { sort -g | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.4f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# time_runs NAME LIMIT CMD... : RUNS wall-clock runs after one warm-up; sets MED, MIN, MAX (seconds).
# Every run's standard error is appended to $DATA/NAME.stderr.
time_runs() {
    local name=$1 limit=$2; shift 2
    local times=$DATA/$name.times errs=$DATA/$name.stderr
    : >"$times"
    timeout "$limit" "$@" >/dev/null 2>"$errs.warmup" || die "$name: warm-up run failed (see $errs.warmup)"
    : >"$errs"
    if [ -z "${HYPERFINE_OFF:-}" ] && command -v hyperfine >/dev/null 2>&1; then
        local cmd
        cmd="timeout $limit $(printf '%q ' "$@") 2>>$(printf '%q' "$errs")"
        timeout $((limit * (RUNS + 1))) hyperfine --style basic --runs "$RUNS" \
            --export-json "$DATA/$name.hyperfine.json" "$cmd" >&2 || die "$name: hyperfine failed"
        "$PY" -c 'import json,sys; [print(t) for t in json.load(open(sys.argv[1]))["results"][0]["times"]]' \
            "$DATA/$name.hyperfine.json" >"$times"
        TIMER="hyperfine $(hyperfine --version | awk '{print $2}'), $RUNS runs"
    else
        local t0 t1
        for _ in $(seq "$RUNS"); do
            t0=$(date +%s.%N)
            timeout "$limit" "$@" >/dev/null 2>>"$errs" || die "$name: run failed (see $errs)"
            t1=$(date +%s.%N)
            awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f\n", b - a}' >>"$times"
        done
        TIMER="bash loop with date +%s.%N, $RUNS runs"
    fi
    [ "$(wc -l <"$times")" -eq "$RUNS" ] || die "$name: expected $RUNS timings in $times"
    MED=$(median <"$times" | xargs printf '%.3f')
    MIN=$(sort -g "$times" | head -1 | xargs printf '%.3f')
    MAX=$(sort -g "$times" | tail -1 | xargs printf '%.3f')
}

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- (3) custodia screen, 1M ----------------------------------------------------------------------
log "timing custodia screen on 1M rows ($RUNS runs + 1 warm-up)"
time_runs custodia-1m 300 "${RUST_CMD[@]}"
RUST_MED=$MED RUST_MIN=$MIN RUST_MAX=$MAX

# ---- (4) DuckDB, 1M -------------------------------------------------------------------------------
log "timing bench/screen_duckdb.py on 1M rows ($RUNS runs + 1 warm-up)"
time_runs duckdb-1m 600 "${DUCK_CMD[@]}"
DUCK_MED=$MED DUCK_MIN=$MIN DUCK_MAX=$MAX
# The script's own figure for each run: SQL only (read, compute, write), no interpreter start-up.
DUCK_QUERY_MED=$(grep -o 'in [0-9.]*s wall' "$DATA/duckdb-1m.stderr" | awk '{print substr($2, 1, length($2) - 1)}' | median | xargs printf '%.3f')
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- (5) outputs must agree -----------------------------------------------------------------------
log "comparing outputs"
if timeout 600 "$PY" bench/compare_screen.py "$OUT_RUST" "$OUT_DUCK" --persons "$P1M" --show 20 >"$DATA/compare.txt" 2>&1; then
    SAME="yes — byte-identical except the free text of invalid rows ($(tail -1 "$DATA/compare.txt"))"
    DIFFER=0
else
    cat "$DATA/compare.txt" >&2
    SAME="**NO — the outputs differ**, see bench-data/compare.txt"
    DIFFER=1
fi
DECISIONS=$("$PY" - "$OUT_RUST" <<'EOF'
import collections, csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = csv.reader(f)
    next(rows)
    c = collections.Counter(r[1] for r in rows)
print(", ".join(f"{k} {c[k]:,}" for k in ("eligible", "ineligible", "review", "invalid")))
EOF
)

# ---- (6) peak RSS, 5M -----------------------------------------------------------------------------
log "peak RSS of custodia screen on 5M rows"
RSS_LOG=$DATA/custodia-5m.time-v
timeout 900 /usr/bin/time -v "$BIN" screen --agreement "$AGREEMENT" --persons "$P5M" --as-of "$AS_OF" \
    --format csv --out "$DATA/screen-custodia-5m.csv" 2>"$RSS_LOG" >/dev/null || die "custodia screen on 5M rows failed (see $RSS_LOG)"
RUST_RSS_KB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$RSS_LOG")
RUST_5M_WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$RSS_LOG")
log "peak RSS of the DuckDB script on 5M rows (for comparison)"
DUCK_RSS_LOG=$DATA/duckdb-5m.time-v
if timeout 900 /usr/bin/time -v "$PY" bench/screen_duckdb.py --agreement "$AGREEMENT" --persons "$P5M" \
    --as-of "$AS_OF" --out "$DATA/screen-duckdb-5m.csv" 2>"$DUCK_RSS_LOG" >/dev/null; then
    DUCK_RSS_KB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$DUCK_RSS_LOG")
    DUCK_5M_WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$DUCK_RSS_LOG")
else
    DUCK_RSS_KB=""; DUCK_5M_WALL="failed"
fi
commas() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
mib() { [ -n "$1" ] && awk -v k="$1" 'BEGIN {printf "%.0f MiB", k / 1024}' || echo "n/a"; }

# ---- (7) report -----------------------------------------------------------------------------------
CPU=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
MEM=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
RUSTC=$(rustc --version 2>/dev/null || echo "?")
DUCKV=$("$PY" -c 'import duckdb; print(duckdb.__version__)')
PYV=$("$PY" --version 2>&1)
ROWS_1M=$(($(wc -l <"$P1M") - 1))
ROWS_5M=$(($(wc -l <"$P5M") - 1))
SPEEDUP=$(awk -v a="$DUCK_MED" -v b="$RUST_MED" 'BEGIN {printf "%.1f", a / b}')
AGREEMENT_NAME=$(basename "$AGREEMENT")

{
cat <<EOF
## \`custodia screen\` benchmark — $(date -u +%Y-%m-%d)

| implementation | rows | wall time, median of $RUNS | min – max | peak RSS (5M rows) | wall time, 5M rows |
|---|---:|---:|---:|---:|---:|
| \`custodia screen\` (Rust, release) | $(commas "$ROWS_1M") | **${RUST_MED} s** | ${RUST_MIN} – ${RUST_MAX} s | $(mib "$RUST_RSS_KB") | ${RUST_5M_WALL} |
| DuckDB SQL (\`bench/screen_duckdb.py\`), whole process | $(commas "$ROWS_1M") | **${DUCK_MED} s** | ${DUCK_MIN} – ${DUCK_MAX} s | $(mib "$DUCK_RSS_KB") | ${DUCK_5M_WALL} |
| DuckDB SQL, query + write only (script's own timer) | $(commas "$ROWS_1M") | ${DUCK_QUERY_MED} s | | | |

- custodia is **${SPEEDUP}×** faster than the DuckDB implementation (whole-process medians).
- Same output: ${SAME}.
- Decisions (1M rows, \`${AGREEMENT_NAME}\`, as of ${AS_OF}): ${DECISIONS}.
- Machine: $(nproc) CPUs ($CPU), $MEM memory; load average $LOAD_BEFORE before and $LOAD_AFTER after the timed runs.
- Binary: $BUILD_NOTE.
- Software: $RUSTC; DuckDB $DUCKV ($PYV, DuckDB's default thread count = $(nproc)); timer: ${TIMER:-?}; one warm-up run each, input in the page cache.
- 5M-row file: $(commas "$ROWS_5M") rows, $(du -h "$P5M" | cut -f1); peak RSS from \`/usr/bin/time -v\` (maximum resident set size).

Commands:

\`\`\`sh
cargo build --release -p custodia-cli
target/release/custodia synth persons --count 1000000 --seed 1 --out bench-data/persons-1m.csv
target/release/custodia synth persons --count 5000000 --seed 1 --out bench-data/persons-5m.csv
target/release/custodia screen --agreement $AGREEMENT --persons bench-data/persons-1m.csv --as-of $AS_OF --format csv --out bench-data/screen-custodia-1m.csv
python3 bench/screen_duckdb.py --agreement $AGREEMENT --persons bench-data/persons-1m.csv --as-of $AS_OF --out bench-data/screen-duckdb-1m.csv
python3 bench/compare_screen.py bench-data/screen-custodia-1m.csv bench-data/screen-duckdb-1m.csv --persons bench-data/persons-1m.csv
/usr/bin/time -v target/release/custodia screen --agreement $AGREEMENT --persons bench-data/persons-5m.csv --as-of $AS_OF --format csv --out bench-data/screen-custodia-5m.csv
\`\`\`
EOF
} | tee "$REPORT"

if [ "$DIFFER" -ne 0 ]; then
    die "custodia and DuckDB disagree on $P1M (first differences above and in bench-data/compare.txt)"
fi
log "done; report saved to $REPORT"
