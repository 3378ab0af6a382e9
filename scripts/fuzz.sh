#!/usr/bin/env bash
# Runs the cargo-fuzz targets of fuzz/ (RELIABILITY.md, "Fuzzing") for a bounded time each.
#
#   scripts/fuzz.sh                      every target, FUZZ_SECONDS (default 30) each
#   FUZZ_SECONDS=600 scripts/fuzz.sh term canonical     chosen targets, ten minutes each
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz --locked`). Each target's
# corpus (fuzz/corpus/<target>, not committed) is seeded first from examples/, tests/fixtures/ and
# small generated checkpoints, notes and proof inputs; what the fuzzer adds there is kept for the
# next run. A crash, a panic, a failed property or a hang (FUZZ_TIMEOUT seconds for one input,
# default 10) stops the script with the input saved under fuzz/artifacts/<target>/ and a non-zero
# exit. At the end it prints the executions per target (libFuzzer's
# stat::number_of_executed_units).
#
# Built without a sanitizer (`-s none`): the workspace forbids `unsafe`, so AddressSanitizer would
# only slow every execution; overflow checks and debug assertions stay on.
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=${FUZZ_SECONDS:-30}
TIMEOUT=${FUZZ_TIMEOUT:-10}
ALL=(agreement persons term cells billing canonical checkpoint note proofs)
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL[@]}")
FUZZ=(cargo +nightly fuzz)
if ! "${FUZZ[@]}" --version > /dev/null 2>&1; then
    echo "scripts/fuzz.sh needs the nightly toolchain and cargo-fuzz:" >&2
    echo "  rustup toolchain install nightly --profile minimal && cargo install cargo-fuzz --locked" >&2
    exit 1
fi

# The body of the TOML multi-line literal `key = '''…'''` in a fixture file.
block() { # file key
    awk -v key="$2" '
        found && /^'"'''"'/ { exit }
        found { print }
        $0 == key " = '"'''"'" { found = 1 }
    ' "$1"
}

# Writes stdin into the corpus directory $1 under its SHA-256 (identical seeds stored once).
seed() {
    local tmp
    tmp=$(mktemp)
    cat > "$tmp"
    if [ -s "$tmp" ]; then
        mv "$tmp" "$1/seed-$(sha256sum "$tmp" | cut -c1-16)"
    else
        rm -f "$tmp"
    fi
}

fixtures_with() { grep -l "^$1 = '''" tests/fixtures/*/*.toml; }

seed_agreement() {
    for f in examples/agreements/*.toml; do seed "$1" < "$f"; done
    for f in $(fixtures_with agreement); do block "$f" agreement | seed "$1"; done
}

seed_persons() {
    seed "$1" < examples/persons.csv
    for f in $(fixtures_with persons); do block "$f" persons | seed "$1"; done
}

seed_term() {
    # Six parameter bytes (start, credit, rate, profile), then the term as written.
    local terms
    terms=$(sed -n 's/.*"term": "\([^"]*\)".*/\1/p' tests/fixtures/sentence/*.json | sort -u)
    terms+=$'\n'$(cut -d, -f9 examples/persons.csv | tail -n +2 | sort -u)
    while read -r term; do
        [ -n "$term" ] && printf '\x0b\x2c\x80\x00\x78\x36%s' "$term" | seed "$1"
    done <<< "$terms"
}

seed_cells() {
    for a in examples/agreements/*.toml; do
        for c in examples/cells.csv examples/cells/*.csv; do
            { cat "$a"; printf '\n%%%%\n'; cat "$c"; } | seed "$1"
        done
    done
}

seed_billing() {
    { cat examples/agreements/us-sv-cecot.toml; printf '\n%%%%\n'; cat examples/stays.csv
      printf '\n%%%%\n'; cat examples/extras.csv; } | seed "$1"
    for f in $(fixtures_with stays); do
        { block "$f" agreement; printf '\n%%%%\n'; block "$f" stays; printf '\n%%%%\n'; block "$f" extras; } | seed "$1"
    done
}

seed_canonical() {
    for f in tests/fixtures/sentence/*.json; do seed "$1" < "$f"; done
    printf '%s' '{"type":"person.admitted","seq":1,"amount_minor":12500,"names":["Ø","\u00e9","\ud83d\ude00"]}' | seed "$1"
    printf '%s' '{"b":[1,-9007199254740991,{"\u0000":null,"":true}],"a":{"z":"\"\\/\b\f\n\r\t","é":false}}' | seed "$1"
    printf '%s' '[1.5, 1e3, -0, 9007199254740992, {"deep": [[[[[]]]]]}]' | seed "$1"
}

# Checkpoint bodies as `custodia journal checkpoint` writes them: origin, size, base64 root.
checkpoint_body() { # size
    printf 'custodia.example/journal\n%s\n%s\n' "$1" "$(head -c 32 /dev/urandom | base64 -w0)"
}

seed_checkpoint() {
    for size in 0 1 2 7 1000000 1099511627776; do checkpoint_body "$size" | seed "$1"; done
}

seed_note() {
    seed_checkpoint "$1"
    # The signed-note reference vector (Go's golang.org/x/mod/sumdb/note) and its verifier key.
    printf '%s\n%s\n\n\xe2\x80\x94 PeterNeumann %s\n' \
        'If you think cryptography is the answer to your problem,' \
        "then you don't know what your problem is." \
        'x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=' | seed "$1"
    printf '%s' 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW' | seed "$1"
}

seed_proofs() {
    for n in 1 40 72 104 200 400; do head -c "$n" /dev/urandom | seed "$1"; done
}

echo "== cargo fuzz build (nightly, no sanitizer)"
"${FUZZ[@]}" build -s none

declare -A EXECUTED
for target in "${TARGETS[@]}"; do
    corpus=fuzz/corpus/$target
    mkdir -p "$corpus" "fuzz/artifacts/$target"
    "seed_$target" "$corpus"
    echo "== $target: $(find "$corpus" -type f | wc -l) inputs in the corpus, ${SECONDS_EACH}s"
    log=$(mktemp)
    status=0
    "${FUZZ[@]}" run -s none "$target" "$corpus" -- \
        -max_total_time="$SECONDS_EACH" -timeout="$TIMEOUT" -max_len=65536 -print_final_stats=1 \
        > "$log" 2>&1 || status=$?
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::(number_of_executed_units|peak_rss_mb)' "$log" || true
    if [ "$status" -ne 0 ]; then
        tail -n 60 "$log"
        echo "!! $target failed (exit $status); the input is in fuzz/artifacts/$target/" >&2
        exit 1
    fi
    EXECUTED[$target]=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rm -f "$log"
done

echo "== executions per target (${SECONDS_EACH}s each, $(nproc) CPUs: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1))"
for target in "${TARGETS[@]}"; do
    printf '%-12s %s\n' "$target" "${EXECUTED[$target]:-?}"
done
