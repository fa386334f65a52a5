#!/usr/bin/env bash
# The rent roll at scale: BENCH_RR_LEASES (10,000) leases and BENCH_RR_PAYMENTS (1,000,000) payments of one agency
# in SQLite (on the real disk), then `GET /api/v1/rent-roll?month=2026-11` timed (JSON and CSV) against one gateway.
#   ./bench/rent_roll.sh [BUILD_DIR]      (also run at the end of ./bench/run.sh)
# The data: leases 1..L start on 2025-12-01 (rent 10,000 + i % 1000, due day 1 + i % 28); payment i belongs to
# lease 1 + i % L (500-1,999 shillings: about a year of rent per lease over the year), completes at an instant
# spread evenly over 2025-12-01..2026-11-30 (Nairobi), is an STK payment when i is even and a paybill (C2B) one
# when odd; every 100th payment has a successful reversal 2 days later. The
# payments reference transaction_ids rows of their kind; the STK/C2B detail rows are left out (the roll never reads
# them). Knobs (env): BENCH_RR_LEASES, BENCH_RR_PAYMENTS, BENCH_RR_RUNS (timed requests, 5).
# Writes bench/results/rent-roll.md.
set -euo pipefail

BUILD_DIR="${1:-build}"
HERE="$(cd "$(dirname "$0")" && pwd)"
log() { printf '[bench rent-roll] %s\n' "$*" >&2; }
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
LEASES="${BENCH_RR_LEASES:-10000}"
PAYMENTS="${BENCH_RR_PAYMENTS:-1000000}"
RUNS="${BENCH_RR_RUNS:-5}"
MONTH="2026-11"

for tool in curl jq python3 sqlite3; do command -v "$tool" >/dev/null || die "$tool is needed"; done
[ -x "$BIN" ] || die "$BIN not found; run make build first"

BASE="$(bench_base_dir)"
WORK="$(mktemp -d "$BASE/haven-bench-rr.XXXXXX")"
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
REFUNDS=$((PAYMENTS / 100))
log "seeding $LEASES leases, $PAYMENTS payments, $REFUNDS reversals into $DB"
seed_start=$(date +%s%3N)
sqlite3 "$DB" <<SQL
PRAGMA journal_mode = WAL;
BEGIN;
CREATE TEMP TABLE seq (i INTEGER PRIMARY KEY);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $PAYMENTS) INSERT INTO seq SELECT i FROM s;
INSERT INTO leases (id, agency_id, tenant_name, phone_number, unit, monthly_rent, account_reference, created_at,
    due_day, start_date)
SELECT i, 1, 'Tenant ' || i, '2547' || (20000000 + i), 'U' || i, 10000 + i % 1000, 'L' || i, '2025-11-30T21:00:00Z',
    1 + i % 28, '2025-12-01' FROM seq WHERE i <= $LEASES;
INSERT INTO transaction_ids (id, kind, created_at)
SELECT i, CASE WHEN i % 2 = 0 THEN 'stk' ELSE 'c2b' END, '2025-11-30T21:00:00Z' FROM seq;
-- 2025-11-30T21:00:00Z is 1 December in Nairobi; 31,536,000 s later is 1 December 2026.
INSERT INTO payments (agency_id, lease_id, transaction_id, source, amount, mpesa_receipt_number, phone_number, paid_at)
SELECT 1, 1 + i % $LEASES, i, CASE WHEN i % 2 = 0 THEN 'stk' ELSE 'c2b' END, 500 + (i * 37) % 1500,
    'BR' || (10000000 + i), '2547' || (20000000 + i % $LEASES),
    strftime('%Y-%m-%dT%H:%M:%SZ', 1764536400 + (i - 1) * (31536000 / $PAYMENTS.0), 'unixepoch')
FROM seq ORDER BY i;
INSERT INTO transaction_ids (id, kind, created_at)
SELECT $PAYMENTS + i, 'reversal', '2025-11-30T21:00:00Z' FROM seq WHERE i <= $REFUNDS;
INSERT INTO transfers (id, agency_id, kind, type, command_id, phone_number, amount, remarks, original_transaction_id,
    status, created_at, updated_at, completed_at)
SELECT $PAYMENTS + s.i, 1, 'reversal', 'reversal', 'TransactionReversal', p.phone_number, p.amount, 'bench',
    p.transaction_id, 'SUCCESS', p.paid_at, p.paid_at,
    strftime('%Y-%m-%dT%H:%M:%SZ', p.paid_at, '+2 days')
FROM seq s JOIN payments p ON p.transaction_id = s.i * 100 WHERE s.i <= $REFUNDS;
COMMIT;
ANALYZE;
SQL
seed_ms=$(( $(date +%s%3N) - seed_start ))
counts="$(sqlite3 "$DB" "SELECT (SELECT count(*) FROM leases) || ' leases, ' || (SELECT count(*) FROM payments) || ' payments, ' || (SELECT count(*) FROM transfers) || ' reversals'")"
log "seeded: $counts in $seed_ms ms"

gateway_serve "$WORK"
TOKEN="$(bench_login)"

# time_get SUFFIX ACCEPT: RUNS timed requests after one warm-up; prints "min / median / max ms" and leaves the last
# answer in $WORK/answer.
time_get() {
    local url="$GW/api/v1/rent-roll?month=$MONTH$1" times="$WORK/times.txt"
    : >"$times"
    curl -fs -o "$WORK/answer" -H "Authorization: Bearer $TOKEN" -H "Accept: $2" "$url"
    for _ in $(seq 1 "$RUNS"); do
        curl -fs -o "$WORK/answer" -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" -H "Accept: $2" "$url" >>"$times"
    done
    awk '{print $1*1000}' "$times" | sort -n | awk '{a[NR]=$1} END {printf "%.0f / %.0f / %.0f ms", a[1], a[int((NR+1)/2)], a[NR]}'
}

json_ms="$(time_get "" application/json)"
rows="$(jq '.data.items | length' "$WORK/answer")"
totals="$(jq -c '.data.totals | {leases, due, paid, arrears, credit, late, byStatus}' "$WORK/answer")"
json_bytes="$(stat -c %s "$WORK/answer")"
csv_ms="$(time_get "&format=csv" text/csv)"
csv_lines="$(wc -l <"$WORK/answer")"
filtered_ms="$(time_get "&status=partial&q=u1" application/json)"
hwm="$(mb "$(kb_of "$GW_PID" VmHWM)")"
log "JSON $json_ms ($rows rows), CSV $csv_ms, filtered $filtered_ms, VmHWM $hwm MB"

commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
mkdir -p "$HERE/results"
{
    echo "# Rent roll — $(date -u '+%Y-%m-%d %H:%M') UTC"
    echo
    echo "Commit $commit, $(nproc) cores, loopback, SQLite (WAL, real disk). \`./bench/rent_roll.sh\` with"
    echo "BENCH_RR_LEASES=$LEASES, BENCH_RR_PAYMENTS=$PAYMENTS: $counts (seeded in $seed_ms ms)."
    echo "Each figure: $RUNS timed requests after one warm-up, min / median / max (curl \`time_total\`, a new connection each)."
    echo
    echo "| measurement | value | command |"
    echo "|---|---|---|"
    echo "| \`GET /api/v1/rent-roll?month=$MONTH\` (JSON, $rows rows, $json_bytes bytes) | $json_ms | \`curl -H 'Authorization: Bearer …' '$GW/api/v1/rent-roll?month=$MONTH'\` |"
    echo "| the same as CSV ($csv_lines lines with the header) | $csv_ms | \`curl … '$GW/api/v1/rent-roll?month=$MONTH&format=csv'\` |"
    echo "| filtered (\`status=partial&q=u1\`: the store work is the same, fewer rows written) | $filtered_ms | \`curl … '$GW/api/v1/rent-roll?month=$MONTH&status=partial&q=u1'\` |"
    echo "| gateway VmHWM after the runs | $hwm MB | \`/proc/PID/status\` |"
    echo
    echo "Totals of the month: \`$totals\`"
} >"$HERE/results/rent-roll.md"
cat "$HERE/results/rent-roll.md"
log "written to bench/results/rent-roll.md"
