#!/usr/bin/env bash
# Runs every test: unit, storage contract (SQLite and PostgreSQL), simulator, integration, cluster, browser
# (`run-tests.sh BUILD_DIR --no-browser`: all but the browser ones).
# Starts a throwaway PostgreSQL server for the storage contract suite and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${1:-build}
BROWSER=1
[ "${2:-}" = "--no-browser" ] && BROWSER=0  # make unit: every ctest test, PostgreSQL included, no browser

pg_url=$(./scripts/pg-test-server.sh start)
trap './scripts/pg-test-server.sh stop "$pg_url" >/dev/null 2>&1 || true' EXIT
export HAVEN_TEST_POSTGRES_URL="$pg_url"

# The webhook tests verify deliveries with npm standardwebhooks: install it from the lock file when needed.
if [ ! -f tests/webhooks/node_modules/.package-lock.json ] ||
    [ tests/webhooks/package-lock.json -nt tests/webhooks/node_modules/.package-lock.json ]; then
    (cd tests/webhooks && npm ci --no-audit --no-fund --loglevel=error)
fi

status=0
(cd "$BUILD_DIR" && ctest --output-on-failure --timeout 600 -j 2) || status=1

if [ "$BROWSER" = 1 ]; then
    HAVEN_BIN="$(pwd)/$BUILD_DIR/haven-mpesa" ./tests/browser/run.sh || status=1
fi
exit $status
