#!/usr/bin/env bash
# Drives every route of a real gateway (response_capture_test), then validates each captured answer against
# openapi.json with ajv (validate.mjs). Installs ajv from package-lock.json when node_modules is missing or
# older than the lock file. Usage: run-response-validation.sh <response_capture_test binary> <capture file>
set -euo pipefail
bin=$1
capture=$2
cd "$(dirname "$0")"

if ! command -v node >/dev/null; then echo "openapi responses: node is not installed" >&2; exit 1; fi
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi

rm -f "$capture"
HAVEN_CONTRACT_CAPTURE="$capture" "$bin" --gtest_brief=1
exec node validate.mjs "$capture"
