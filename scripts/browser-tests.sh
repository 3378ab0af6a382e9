#!/usr/bin/env bash
# The browser tests (browser/README.md): Debian's chromium driven by playwright-core against
# `custodia demo`, axe-core on every page, a screenshot of every page in target/screenshots/.
# Installs what is missing: the chromium package (apt, as root) and browser/'s npm packages
# (`npm ci`, exactly as package-lock.json says). Prints `N passed, N failed`; fails on any failure.
#
# Environment: CUSTODIA_BIN (default target/debug/custodia, built when absent), SCREENSHOTS,
# DEMO_DIR, DEMO_PEOPLE, WALKS (see browser/run.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
    echo "== installing Debian's chromium"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi
/usr/bin/chromium --version

echo "== npm ci (browser/)"
(cd browser && npm ci --no-audit --no-fund)

BIN=${CUSTODIA_BIN:-target/debug/custodia}
if [ ! -x "$BIN" ]; then
    echo "== building $BIN"
    cargo build -p custodia-cli --locked
fi
export CUSTODIA_BIN="$BIN"

echo "== browser walks"
node browser/run.mjs
