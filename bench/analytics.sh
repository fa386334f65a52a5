#!/usr/bin/env bash
# The analytics endpoints at scale: BENCH_AN_TRANSACTIONS (1,000,000) transactions of one agency in SQLite (on the
# real disk), spread evenly over the 365 days up to now, then each `GET /api/v1/analytics/...` timed against one
# gateway, per day (30 buckets) and per month (12 buckets; these read every row of the year).
#   ./bench/analytics.sh [BUILD_DIR]      (also run at the end of ./bench/run.sh)
# The data (transaction i of N, kinds interleaved so every day has each kind):
#   i % 20 <= 12: an STK push (65%): SUCCESS with its payment when i % 20 < 8, else FAILED with result code
#                1032, 1032, 1037, 1 (i % 20 = 8..11), and at i % 20 = 12 2001 (wrong PIN) when i % 40 = 12, else 17;
#   i % 20 in 13..18: a paybill (C2B) payment (30%), as its payments row;
#   i % 20 = 19: a transfer (5%): a reversal when i % 100 = 19, else B2C of type refund, payout or salary; SUCCESS,
#                FAILED when i % 1000 = 39, PENDING when i % 1000 = 59.
# Every transaction has its transaction_ids row; payments belong to BENCH_AN_LEASES (1,000) leases; C2B payments
# have no c2b_payments detail row (no analytics series reads it). Knobs (env): BENCH_AN_TRANSACTIONS,
# BENCH_AN_LEASES, BENCH_AN_RUNS (timed requests per endpoint, 5). Writes bench/results/analytics.md.
set -euo pipefail

BUILD_DIR="${1:-build}"
HERE="$(cd "$(dirname "$0")" && pwd)"
log() { printf '[bench analytics] %s\n' "$*" >&2; }
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
N="${BENCH_AN_TRANSACTIONS:-1000000}"
LEASES="${BENCH_AN_LEASES:-1000}"
RUNS="${BENCH_AN_RUNS:-5}"

for tool in curl jq sqlite3; do command -v "$tool" >/dev/null || die "$tool is needed"; done
[ -x "$BIN" ] || die "$BIN not found; run make build first"

BASE="$(bench_base_dir)"
WORK="$(mktemp -d "$BASE/haven-bench-an.XXXXXX")"
GW_PID=""
cleanup() {
    local rc=$?
    stop_pid "$GW_PID"
    if [ "$rc" -ne 0 ] && [ -f "$WORK/gateway.log" ]; then tail -n 20 "$WORK/gateway.log" >&2 || true; fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

gateway_env "$WORK"
gateway_prepare "$WORK"
DB="$WORK/bench.db"
NOW="$(date +%s)"
START=$((NOW - 365 * 86400))
STEP="$(awk -v n="$N" 'BEGIN {printf "%.6f", 365 * 86400 / n}')"
log "seeding $N transactions ($LEASES leases) over the last 365 days into $DB"
seed_start=$(date +%s%3N)
sqlite3 "$DB" <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
CREATE TEMP TABLE seq (i INTEGER PRIMARY KEY, at TEXT NOT NULL);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $N)
INSERT INTO seq SELECT i, strftime('%Y-%m-%dT%H:%M:%SZ', $START + i * $STEP, 'unixepoch') FROM s;
INSERT INTO leases (id, agency_id, tenant_name, phone_number, unit, monthly_rent, account_reference, created_at,
    due_day, start_date)
SELECT i, 1, 'Tenant ' || i, '2547' || (20000000 + i), 'U' || i, 10000 + i % 1000, 'L' || i,
    strftime('%Y-%m-%dT%H:%M:%SZ', $START, 'unixepoch'), 1 + i % 28, strftime('%Y-%m-%d', $START + 86400, 'unixepoch')
FROM seq WHERE i <= $LEASES;
INSERT INTO transaction_ids (id, kind, created_at)
SELECT i, CASE WHEN i % 20 <= 12 THEN 'stk' WHEN i % 20 <= 18 THEN 'c2b'
    WHEN i % 100 = 19 THEN 'reversal' ELSE 'b2c' END, at FROM seq;
INSERT INTO stk_transactions (id, agency_id, lease_id, phone_number, amount, account_reference, transaction_desc,
    checkout_request_id, status, result_code, result_desc, mpesa_receipt_number, created_at, updated_at, completed_at)
SELECT i, 1, 1 + i % $LEASES, '2547' || (20000000 + i % $LEASES), 500 + (i * 37) % 1500, 'L' || (1 + i % $LEASES),
    'Rent', 'ws_CO_an_' || i, CASE WHEN i % 20 < 8 THEN 'SUCCESS' ELSE 'FAILED' END,
    CASE i % 20 WHEN 8 THEN 1032 WHEN 9 THEN 1032 WHEN 10 THEN 1037 WHEN 11 THEN 1
        WHEN 12 THEN CASE WHEN i % 40 = 12 THEN 2001 ELSE 17 END ELSE 0 END,
    'bench', CASE WHEN i % 20 < 8 THEN 'BA' || (10000000 + i) END, at, at, at
FROM seq WHERE i % 20 <= 12;
INSERT INTO payments (agency_id, lease_id, transaction_id, source, amount, mpesa_receipt_number, phone_number, paid_at)
SELECT 1, 1 + i % $LEASES, i, CASE WHEN i % 20 < 8 THEN 'stk' ELSE 'c2b' END, 500 + (i * 37) % 1500,
    'BA' || (10000000 + i), '2547' || (20000000 + i % $LEASES), at
FROM seq WHERE i % 20 < 8 OR i % 20 BETWEEN 13 AND 18;
INSERT INTO transfers (id, agency_id, kind, type, command_id, phone_number, amount, remarks, status, created_at,
    updated_at, completed_at)
SELECT i, 1, CASE WHEN i % 100 = 19 THEN 'reversal' ELSE 'b2c' END,
    CASE WHEN i % 100 = 19 THEN 'reversal' ELSE CASE i % 3 WHEN 0 THEN 'refund' WHEN 1 THEN 'payout' ELSE 'salary' END END,
    CASE WHEN i % 100 = 19 THEN 'TransactionReversal' ELSE 'BusinessPayment' END, '2547' || (20000000 + i % $LEASES),
    100 + i % 5000, 'bench', CASE i % 1000 WHEN 39 THEN 'FAILED' WHEN 59 THEN 'PENDING' ELSE 'SUCCESS' END, at, at,
    CASE WHEN i % 1000 = 59 THEN NULL ELSE at END
FROM seq WHERE i % 20 = 19;
COMMIT;
ANALYZE;
SQL
seed_ms=$(( $(date +%s%3N) - seed_start ))
counts="$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM transaction_ids) || ' transactions: ' || (SELECT count(*) FROM stk_transactions) || ' STK pushes, ' || (SELECT count(*) FROM payments) || ' payments (' || (SELECT count(*) FROM payments WHERE source = 'c2b') || ' paybill), ' || (SELECT count(*) FROM transfers) || ' transfers, ' || (SELECT count(*) FROM leases) || ' leases'")"
log "seeded: $counts in $seed_ms ms"

gateway_serve "$WORK"
TOKEN="$(bench_login)"

# time_get PATH: RUNS timed requests after one warm-up; prints "min / median / max ms", leaves the answer in
# $WORK/answer.
time_get() {
    local url="$GW$1" times="$WORK/times.txt"
    : >"$times"
    curl -fs -o "$WORK/answer" -H "Authorization: Bearer $TOKEN" "$url" || die "GET $1 failed"
    for _ in $(seq 1 "$RUNS"); do
        curl -fs -o "$WORK/answer" -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" "$url" >>"$times"
    done
    awk '{print $1*1000}' "$times" | sort -n | awk '{a[NR]=$1} END {printf "%.0f / %.0f / %.0f ms", a[1], a[int((NR+1)/2)], a[NR]}'
}

ROWS_MD="$WORK/rows.md"
: >"$ROWS_MD"
measure() {
    local path="$1" what="$2" ms
    ms="$(time_get "$path")"
    log "$path: $ms ($what: $(jq -c "$3" "$WORK/answer"))"
    printf '| `GET %s` | %s | %s | `%s` |\n' "$path" "$ms" "$what" "$(jq -c "$3" "$WORK/answer")" >>"$ROWS_MD"
}
measure "/api/v1/analytics/collections?period=day" "30 days" '.data.totals.total'
measure "/api/v1/analytics/collections?period=month" "12 months" '.data.totals.total'
measure "/api/v1/analytics/stk?period=day" "30 days" '.data.totals | {pushes, successRate}'
measure "/api/v1/analytics/stk?period=month" "12 months" '.data.totals | {pushes, successRate}'
measure "/api/v1/analytics/transfers?period=day" "30 days" '[.data.totals.groups[].count] | add'
measure "/api/v1/analytics/transfers?period=month" "12 months" '[.data.totals.groups[].count] | add'
measure "/api/v1/analytics/arrears?limit=10" "this month's rent roll of $LEASES leases, top 10" '.data | {leasesInArrears, totalArrears}'
hwm="$(mb "$(kb_of "$GW_PID" VmHWM)")"

# The plans SQLite chose (each arm an index range of migration 022).
plans="$(sqlite3 "$DB" "EXPLAIN QUERY PLAN SELECT 0, 'stk', COUNT(*), COALESCE(SUM(amount), 0) FROM payments WHERE agency_id = 1 AND source = 'stk' AND paid_at >= '2026-01-01' AND paid_at < '2026-02-01'; EXPLAIN QUERY PLAN SELECT COUNT(*) FROM stk_transactions WHERE agency_id = 1 AND status = 'FAILED' AND result_code = 1032 AND created_at >= '2026-01-01' AND created_at < '2026-02-01'; EXPLAIN QUERY PLAN SELECT kind, type, status, COUNT(*), SUM(amount) FROM transfers WHERE agency_id = 1 AND created_at >= '2026-01-01' AND created_at < '2026-02-01' GROUP BY kind, type, status" | sed -n 's/.*\(SEARCH .*\)/\1/p' | sort -u)"

commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
mkdir -p "$HERE/results"
{
    echo "# Analytics — $(date -u '+%Y-%m-%d %H:%M') UTC"
    echo
    echo "Commit $commit, $(nproc) cores (load average $(cut -d' ' -f1-3 /proc/loadavg) at the end), loopback, SQLite (WAL, real"
    echo "disk). \`./bench/analytics.sh\` with BENCH_AN_TRANSACTIONS=$N, BENCH_AN_LEASES=$LEASES: $counts, spread"
    echo "over the last 365 days (seeded in $seed_ms ms). Each figure: $RUNS timed requests after one warm-up, min / median /"
    echo "max (curl \`time_total\`, a new connection each, JSON answer included). Target: < 100 ms per endpoint."
    echo
    echo "| request | time | buckets | totals of the answer |"
    echo "|---|---|---|---|"
    cat "$ROWS_MD"
    echo
    echo "Gateway VmHWM after the runs: $hwm MB. SQLite's plans for one arm of each series:"
    echo
    echo '```'
    echo "$plans"
    echo '```'
} >"$HERE/results/analytics.md"
cat "$HERE/results/analytics.md"
log "written to bench/results/analytics.md"
