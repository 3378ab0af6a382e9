#!/usr/bin/env bash
# Benchmark of `custodia screen` (docs/command-line.md) against the independent DuckDB peer
# (/work/shared/peer/duckdb_screen.py, called from there: PEER=...), on two generators' files, with
# an output check and a peak-memory run.
#
#   bash bench/screen.sh            # from anywhere; works in the repository root
#   RUNS=5 AS_OF=2025-06-01 AGREEMENT=examples/agreements/us-sv-cecot.toml bash bench/screen.sh
#   SKIP_BUILD=1 ...     use target/release/custodia as it is (the report says so)
#   NO_HYPERFINE=1 ...   time with a bash loop even when hyperfine is available
#   PEER=path/to/duckdb_screen.py ...   the opponent (default: ../shared/peer/duckdb_screen.py)
#
# Steps: (1) cargo build --release (of the custodia binary's package); (2) person files in
# bench-data/ unless present: 1M and 5M rows from `custodia synth persons --seed 1` (the project's
# own generator) and 1M rows from bench/gen_persons.py --seed 7 (the second generator: written
# independently from docs/person-file.md, CRLF, another column order, quoted names, more empty
# cells, 0.3 % invalid values); (3) for each 1M file, in the same run: median wall time of
# `custodia screen`, then of the DuckDB peer, and their ratio; (4) both outputs must be
# byte-identical except the free text after `INPUT: <column>:` of invalid rows
# (bench/compare_screen.py) — the script fails loudly otherwise; (5) peak RSS of `custodia screen`
# on 5M rows (/usr/bin/time -v); (6) a Markdown report on standard output (also saved as
# bench-data/screen-report.md) that says whether each target is met.
#
# Targets (issue 16): custodia <= 0.25 s on the own 1M file; >= 4x faster than the peer on both 1M
# files; peak RSS < 100 MiB on 5M rows.
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
PALT=$DATA/persons-alt-1m.csv
P5M=$DATA/persons-5m.csv
REPORT=$DATA/screen-report.md
PY=${PYTHON:-python3}
PEER=${PEER:-$ROOT/../shared/peer/duckdb_screen.py}
[ -f "$PEER" ] || { printf 'bench/screen.sh: no DuckDB peer at %s (set PEER=...)\n' "$PEER" >&2; exit 1; }
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
if [ -s "$PALT" ]; then log "using existing $PALT"; else
    log "$PY bench/gen_persons.py --count 1000000 --seed 7 --out $PALT"
    timeout 900 "$PY" bench/gen_persons.py --count 1000000 --seed 7 --out "$PALT.tmp" || die "gen_persons.py failed"
    mv "$PALT.tmp" "$PALT"
fi

# ---- timing helpers -------------------------------------------------------------------------------
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

# ---- (3)+(4) each 1M file: custodia, then the peer, then the outputs compared -----------------------
# bench_file TAG FILE: sets <TAG>_RUST_{MED,MIN,MAX}, <TAG>_DUCK_{MED,MIN,MAX}, <TAG>_RATIO, <TAG>_SAME,
# <TAG>_DECISIONS; DIFFER=1 when the outputs disagree.
DIFFER=0
bench_file() {
    local tag=$1 file=$2
    local out_rust=$DATA/screen-custodia-$tag.csv out_duck=$DATA/screen-peer-$tag.csv
    log "timing custodia screen on $file ($RUNS runs + 1 warm-up)"
    time_runs "custodia-$tag" 300 "$BIN" screen --agreement "$AGREEMENT" --persons "$file" --as-of "$AS_OF" \
        --format csv --out "$out_rust"
    printf -v "${tag}_RUST_MED" %s "$MED"; printf -v "${tag}_RUST_MIN" %s "$MIN"; printf -v "${tag}_RUST_MAX" %s "$MAX"
    local rust_med=$MED
    log "timing the DuckDB peer on $file ($RUNS runs + 1 warm-up)"
    time_runs "peer-$tag" 600 "$PY" "$PEER" --agreement "$AGREEMENT" --persons "$file" --as-of "$AS_OF" \
        --format csv --out "$out_duck"
    printf -v "${tag}_DUCK_MED" %s "$MED"; printf -v "${tag}_DUCK_MIN" %s "$MIN"; printf -v "${tag}_DUCK_MAX" %s "$MAX"
    printf -v "${tag}_RATIO" %s "$(awk -v a="$MED" -v b="$rust_med" 'BEGIN {printf "%.1f", a / b}')"
    log "comparing outputs"
    if timeout 600 "$PY" bench/compare_screen.py "$out_rust" "$out_duck" --persons "$file" --show 20 \
        >"$DATA/compare-$tag.txt" 2>&1; then
        printf -v "${tag}_SAME" %s "yes ($(tail -1 "$DATA/compare-$tag.txt"))"
    else
        cat "$DATA/compare-$tag.txt" >&2
        printf -v "${tag}_SAME" %s "**NO — the outputs differ**, see bench-data/compare-$tag.txt"
        DIFFER=1
    fi
    printf -v "${tag}_DECISIONS" %s "$("$PY" -c '
import collections, csv, sys
with open(sys.argv[1], newline="", encoding="utf-8") as f:
    rows = csv.reader(f)
    next(rows)
    c = collections.Counter(r[1] for r in rows)
print(", ".join(f"{k} {c[k]:,}" for k in ("eligible", "ineligible", "review", "invalid")))
' "$out_rust")"
}
bench_file own "$P1M"
bench_file alt "$PALT"
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- (5) peak RSS, 5M -----------------------------------------------------------------------------
log "peak RSS of custodia screen on 5M rows"
RSS_LOG=$DATA/custodia-5m.time-v
timeout 900 /usr/bin/time -v "$BIN" screen --agreement "$AGREEMENT" --persons "$P5M" --as-of "$AS_OF" \
    --format csv --out "$DATA/screen-custodia-5m.csv" 2>"$RSS_LOG" >/dev/null || die "custodia screen on 5M rows failed (see $RSS_LOG)"
RUST_RSS_KB=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$RSS_LOG")
RUST_5M_WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$RSS_LOG")
commas() { echo "$1" | sed ':a;s/\B[0-9]\{3\}\>/,&/;ta'; }
mib() { [ -n "$1" ] && awk -v k="$1" 'BEGIN {printf "%.0f MiB", k / 1024}' || echo "n/a"; }

# ---- (6) report -----------------------------------------------------------------------------------
CPU=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
MEM=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
RUSTC=$(rustc --version 2>/dev/null || echo "?")
DUCKV=$("$PY" -c 'import duckdb; print(duckdb.__version__)')
PYV=$("$PY" --version 2>&1)
ROWS_5M=$(($(wc -l <"$P5M") - 1))
AGREEMENT_NAME=$(basename "$AGREEMENT")
met() { if awk -v v="$1" -v t="$3" "BEGIN {exit !(v $2 t)}"; then echo "**met**"; else echo "**not met**"; fi; }
RSS_MIB=$(awk -v k="$RUST_RSS_KB" 'BEGIN {printf "%.0f", k / 1024}')

{
cat <<EOF
## \`custodia screen\` against the DuckDB peer — $(date -u +%Y-%m-%d)

| file (1,000,000 rows) | \`custodia screen\`, median of $RUNS | min – max | DuckDB peer, median of $RUNS | min – max | ratio |
|---|---:|---:|---:|---:|---:|
| own: \`custodia synth persons --seed 1\` ($(du -h "$P1M" | cut -f1)) | **${own_RUST_MED} s** | ${own_RUST_MIN} – ${own_RUST_MAX} s | ${own_DUCK_MED} s | ${own_DUCK_MIN} – ${own_DUCK_MAX} s | **${own_RATIO}×** |
| second generator: \`bench/gen_persons.py --seed 7\` ($(du -h "$PALT" | cut -f1)) | **${alt_RUST_MED} s** | ${alt_RUST_MIN} – ${alt_RUST_MAX} s | ${alt_DUCK_MED} s | ${alt_DUCK_MIN} – ${alt_DUCK_MAX} s | **${alt_RATIO}×** |

Peak RSS of \`custodia screen\` on $(commas "$ROWS_5M") rows ($(du -h "$P5M" | cut -f1)): **$(mib "$RUST_RSS_KB")** (wall ${RUST_5M_WALL}).

Targets:
- at most 0.25 s on the own 1M file: ${own_RUST_MED} s — $(met "$own_RUST_MED" "<=" 0.25);
- at least 4× faster than the peer on the own file: ${own_RATIO}× — $(met "$own_RATIO" ">=" 4);
- at least 4× faster than the peer on the second generator's file: ${alt_RATIO}× — $(met "$alt_RATIO" ">=" 4);
- peak RSS under 100 MiB on 5M rows: ${RSS_MIB} MiB — $(met "$RSS_MIB" "<" 100).

Notes:
- Same output (own file): ${own_SAME}.
- Same output (second generator): ${alt_SAME}.
- Decisions (\`${AGREEMENT_NAME}\`, as of ${AS_OF}): own file ${own_DECISIONS}; second generator ${alt_DECISIONS}.
- Machine: $(nproc) CPUs ($CPU), $MEM memory; load average $LOAD_BEFORE before and $LOAD_AFTER after the timed runs.
- Binary: $BUILD_NOTE.
- Software: $RUSTC; DuckDB $DUCKV ($PYV, the peer uses DuckDB's default thread count = $(nproc)); timer: ${TIMER:-?}; one warm-up run each, input in the page cache.

Commands:

\`\`\`sh
cargo build --release -p custodia-cli
target/release/custodia synth persons --count 1000000 --seed 1 --out bench-data/persons-1m.csv
target/release/custodia synth persons --count 5000000 --seed 1 --out bench-data/persons-5m.csv
python3 bench/gen_persons.py --count 1000000 --seed 7 --out bench-data/persons-alt-1m.csv
target/release/custodia screen --agreement $AGREEMENT --persons bench-data/persons-1m.csv --as-of $AS_OF --format csv --out bench-data/screen-custodia-own.csv
python3 ../shared/peer/duckdb_screen.py --agreement $AGREEMENT --persons bench-data/persons-1m.csv --as-of $AS_OF --format csv --out bench-data/screen-peer-own.csv
python3 bench/compare_screen.py bench-data/screen-custodia-own.csv bench-data/screen-peer-own.csv --persons bench-data/persons-1m.csv
# the same three for bench-data/persons-alt-1m.csv (...-alt.csv)
/usr/bin/time -v target/release/custodia screen --agreement $AGREEMENT --persons bench-data/persons-5m.csv --as-of $AS_OF --format csv --out bench-data/screen-custodia-5m.csv
\`\`\`
EOF
} | tee "$REPORT"

if [ "$DIFFER" -ne 0 ]; then
    die "custodia and the DuckDB peer disagree (first differences above and in bench-data/compare-*.txt)"
fi
log "done; report saved to $REPORT"
