#!/usr/bin/env bash
# Issue 17: the alert scheduler's evaluation of 100,000 people in custody (target: under 1 s).
# Runs crates/custodia-app/examples/alerts_eval.rs in a release build: the core's open_alerts over
# every case of CECOT on a day, then notify::plan_changes against yesterday's open occurrences and
# a hundred subscriptions. Prints each run and the median; figures in BENCHMARKS.md.
#
#   bench/alerts.sh [PEOPLE] [RUNS]      # defaults: 100000 7
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release --quiet -p custodia-app --example alerts_eval
"${CARGO_TARGET_DIR:-target}/release/examples/alerts_eval" "${1:-100000}" "${2:-7}"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
