#!/usr/bin/env bash
# Runs the browser tests: installs playwright-core from the lock file when needed, then `node --test`.
# Env: HAVEN_BIN (gateway binary; default <repo>/build/haven-mpesa), CHROMIUM_PATH (default /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v node >/dev/null; then echo "browser tests: node is not installed" >&2; exit 1; fi
if [ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]; then
    echo "browser tests: Chromium not found at ${CHROMIUM_PATH:-/usr/bin/chromium} (apt-get install chromium)" >&2
    exit 1
fi

# (Re)install when node_modules is missing or older than the lock file.
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi

export HAVEN_BIN="${HAVEN_BIN:-$(cd ../.. && pwd)/build/haven-mpesa}"
if [ ! -x "$HAVEN_BIN" ]; then
    echo "browser tests: gateway binary not found at $HAVEN_BIN (build it, or set HAVEN_BIN)" >&2
    exit 1
fi
mkdir -p artifacts
files=("$@")
if [ ${#files[@]} -eq 0 ]; then files=(*.test.mjs); fi
exec node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
