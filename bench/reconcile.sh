#!/usr/bin/env bash
# Statement import: a 100,000-row M-Pesa business statement reconciled by `haven-mpesa reconcile` against a database
# seeded like the main benchmark's (bench/lib.sh seed_sql: 100,000 STK transactions of agency 1). The statement has
# one row per seeded transaction: the SUCCESS ones with their receipt and amount (every 1,000th with another amount:
# an amount_mismatch), the others replaced by Pay Bill payments we have no record of (missing_in_ours). So the run
# streams ~20 MB, looks up every receipt, and writes ~46,000 findings in one unit of work. Target: under 5 s.
#   ./bench/reconcile.sh [BUILD_DIR]      (also run at the end of ./bench/run.sh)
# Knobs (env): BENCH_RECONCILE_ROWS (100000). Writes bench/results/reconcile.md.
set -euo pipefail

BUILD_DIR="${1:-build}"
HERE="$(cd "$(dirname "$0")" && pwd)"
log() { printf '[bench reconcile] %s\n' "$*" >&2; }
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
ROWS="${BENCH_RECONCILE_ROWS:-100000}"
PCT=40

for tool in python3 sqlite3; do command -v "$tool" >/dev/null || die "$tool is needed"; done
[ -x "$BIN" ] || die "$BIN not found; run make build first"

WORK="$(mktemp -d "$(bench_base_dir)/haven-bench-reconcile.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

gateway_env "$WORK"
gateway_prepare "$WORK"
NOW="$(date +%s)"
seed_sql sqlite "$ROWS" "$PCT" "$NOW" | sqlite3 "$WORK/bench.db" >/dev/null
log "seeded $ROWS STK transactions"

# The statement: the seed's rows in its own formulas (receipt BS(10000000+i), amount 1 + (i*37) % 5000, completed
# at NOW - (ROWS - i)/2 UTC), newest first, printed in Nairobi time with thousands separators.
python3 - "$ROWS" "$PCT" "$NOW" >"$WORK/statement.csv" <<'PY'
import sys, datetime
rows, pct, now = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
out = sys.stdout
out.write("Organization Name:,BENCH HOMES\nOrganization Short Code:,600977\nAccount:,Utility Account\n")
out.write("Receipt No.,Completion Time,Initiation Time,Details,Transaction Status,Paid In,Withdrawn,Balance,"
          "Balance Confirmed,Reason Type,Other Party Info,Linked Transaction ID,A/C No.\n")
eat = datetime.timezone(datetime.timedelta(hours=3))
balance = 10_000_000
for i in range(rows, 0, -1):
    t = datetime.datetime.fromtimestamp(now - (rows - i) // 2, eat).strftime("%Y-%m-%d %H:%M:%S")
    success = not (i % 100 < pct) and i % 10 != 9
    amount = 1 + (i * 37) % 5000
    if success:
        receipt, account = f"BS{10000000 + i}", f"B{i}"
        if i % 1000 == 0:
            amount += 1
    else:
        receipt, account = f"CB{10000000 + i}", f"L{1 + i % 1000}"
    balance -= amount
    out.write(f'{receipt},{t},{t},Pay Bill Online from 2547****{i % 1000:03d} - TENANT {i} Acc. {account},Completed,'
              f'"{amount:,}.00",,"{balance:,}.00",true,Pay Bill Online,2547****{i % 1000:03d} - TENANT {i},,{account}\n')
PY
BYTES="$(stat -c %s "$WORK/statement.csv")"
log "statement: $ROWS rows, $BYTES bytes"

START="$(date +%s.%N)"
if [ -x /usr/bin/time ]; then
    (cd "$WORK" && /usr/bin/time -f '%M' -o "$WORK/rss" "$BIN" reconcile "$WORK/statement.csv" --agency 1 >"$WORK/out.txt" 2>&1)
else
    (cd "$WORK" && "$BIN" reconcile "$WORK/statement.csv" --agency 1 >"$WORK/out.txt" 2>&1)
fi
END="$(date +%s.%N)"
SECONDS_TAKEN="$(awk -v a="$START" -v b="$END" 'BEGIN {printf "%.2f", b - a}')"
RSS="$( [ -f "$WORK/rss" ] && awk '{printf "%.1f MB", $1/1024}' "$WORK/rss" || echo "n/a")"
cat "$WORK/out.txt" | head -n 12 >&2
FINDINGS="$(sqlite3 "$WORK/bench.db" 'SELECT COUNT(*) FROM reconciliation_findings')"

mkdir -p "$HERE/results"
{
    echo "# Statement import — $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
    echo
    echo "| what | value | command |"
    echo "|---|---|---|"
    echo "| statement rows | $ROWS ($BYTES bytes) | \`bench/reconcile.sh\` (python3 generator, seed_sql sqlite $ROWS $PCT) |"
    echo "| import time (parse, compare, write) | **${SECONDS_TAKEN} s** (target < 5 s) | \`haven-mpesa reconcile statement.csv --agency 1\` on SQLite (WAL, synchronous FULL, real disk) |"
    echo "| findings written | $FINDINGS | \`SELECT COUNT(*) FROM reconciliation_findings\` |"
    echo "| peak memory | $RSS | \`/usr/bin/time -f %M\` |"
} >"$HERE/results/reconcile.md"
cat "$HERE/results/reconcile.md"
