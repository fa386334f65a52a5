#!/usr/bin/env bash
# Several gateway nodes behind HAProxy on highly available PostgreSQL (the local cluster of scripts/cluster.sh: a
# pg_auto_failover primary with a synchronous standby, so every commit waits for the standby's flush too).
#   ./bench/cluster.sh [BUILD_DIR]      (also run at the end of ./bench/run.sh)
# One cluster, in a fresh state directory on the real disk, seeded with BENCH_ROWS STK transactions (bench/lib.sh
# seed_sql, BENCH_CLUSTER_PENDING_PERCENT of them PENDING), then the same two loads with 1, 2 and 3 nodes behind
# HAProxy (`CLUSTER_NODES=N scripts/cluster.sh up` adds or stops nodes), and with 1 node without HAProxy (its cost):
#   GET /api/v1/mpesa/status/{id} (JWT + read of a random row) and POST /api/v1/mpesa/callback settling PENDING rows
#   (each run its own third of them; the database is the judge of how many settled, and of duplicate payments).
# The machine has few cores and every process of the cluster shares them (two PostgreSQL servers, the monitor, the
# nodes, HAProxy, wrk): the point is that more nodes stay correct and do not make it worse, not that they scale here.
# Writes bench/results/cluster.md. Knobs (env): BENCH_DURATION (8), BENCH_CONNECTIONS (64), BENCH_THREADS (1),
# BENCH_ROWS (100000), BENCH_CLUSTER_PENDING_PERCENT (60).
set -euo pipefail

BUILD_DIR="${1:-build}"
HERE="$(cd "$(dirname "$0")" && pwd)"
log() { printf '[bench cluster] %s\n' "$*" >&2; }
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

DURATION="${BENCH_DURATION:-8}"
CONNS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-1}"
ROWS="${BENCH_ROWS:-100000}"
PENDING_PCT="${BENCH_CLUSTER_PENDING_PERCENT:-60}"
CLUSTER="$ROOT/scripts/cluster.sh"

for tool in wrk curl jq psql pg_autoctl haproxy; do command -v "$tool" >/dev/null || die "$tool is needed (make bench installs wrk; scripts/install-deps.sh --test the rest)"; done
[ -x "$BIN" ] || die "$BIN not found; run make build first"

BASE="$(bench_base_dir)"
WORK="$(mktemp -d "$BASE/haven-bench-cluster.XXXXXX")"
chmod 755 "$WORK"  # PostgreSQL runs as the postgres user and enters it
export HAVEN_CLUSTER_DIR="$WORK/cluster" HAVEN_BIN="$BIN"
cleanup() {
    local rc=$?
    "$CLUSTER" down >/dev/null 2>&1 || log "cluster.sh down failed (state in $WORK/cluster)"
    if [ "$rc" -ne 0 ]; then
        for f in "$WORK"/cluster/logs/gw*.log "$WORK"/cluster/logs/haproxy.log; do
            [ -f "$f" ] && { log "tail of $f:"; tail -n 10 "$f" >&2 || true; }
        done
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The nodes: no rate limit (wrk is one client address), the reconciler never touches the seeded PENDING rows.
export RATE_LIMIT_PER_SECOND=0 RECONCILE_AFTER_SECONDS=86400 LOG_LEVEL=warn

RESULTS="$WORK/results"
: >"$RESULTS"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"; log "$1: $2"; }
cell() { printf '%s req/s, p99 %s%s' "$1" "$2" "${3:+ ($3)}"; }
frac() { awk -v a="$1" -v b="$2" 'BEGIN {if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a"}'; }
wrk_run() {  # wrk_run NAME URL [wrk args...] -> WRK_RPS WRK_P99 WRK_ERR
    local name="$1" url="$2" f="$WORK/wrk-$1.txt"
    shift 2
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s --latency "$url" "$@" >"$f" 2>&1 || true
    WRK_RPS="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$f")"
    WRK_P99="$(awk '$1=="99%" {print $2}' "$f")"
    WRK_ERR="$(awk '/Non-2xx or 3xx responses:/ {printf "non-2xx %s ", $NF} /Socket errors:/ {sub(/^ */, ""); printf "%s ", $0}' "$f")"
    WRK_ERR="${WRK_ERR% }"
    [ -n "$WRK_RPS" ] || { cat "$f" >&2; die "wrk $name produced no result"; }
}
WRK_CMD="wrk -t$THREADS -c$CONNS -d${DURATION}s --latency"

# === The cluster with one node; the rows =============================================================================
log "starting the cluster (PostgreSQL primary + synchronous standby, 1 node, HAProxy) in $WORK/cluster"
t0=$(date +%s)
CLUSTER_NODES=1 "$CLUSTER" up >"$WORK/up.out" || die "cluster.sh up failed"
record "cluster up from nothing" "$(($(date +%s) - t0)) s" "CLUSTER_NODES=1 scripts/cluster.sh up"
eval "$("$CLUSTER" env)"
DB="${DATABASE_URL//\'/}"
q() { psql -X -q -At -v ON_ERROR_STOP=1 "$DB" -c "$1"; }

log "seeding $ROWS STK rows ($PENDING_PCT% PENDING)"
t0=$(date +%s%3N)
seed_sql postgres "$ROWS" "$PENDING_PCT" "$(date +%s)" | psql -X -q -v ON_ERROR_STOP=1 "$DB" >/dev/null || die "seeding failed"
record "rows" "$ROWS STK rows, $(q "SELECT count(*) FROM stk_transactions WHERE status = 'PENDING'") PENDING, seeded in $(( $(date +%s%3N) - t0 )) ms" \
    "seed_sql postgres $ROWS $PENDING_PCT | psql  # bench/lib.sh"
"$CLUSTER" wait-sync 120 || die "the standby is not in sync after seeding"
q "SELECT checkout_request_id, merchant_request_id, amount, phone_number FROM stk_transactions WHERE status = 'PENDING' ORDER BY id" \
    >"$WORK/pending-all.txt"
PENDING_N=$(wc -l <"$WORK/pending-all.txt")
# Four loads settle rows (1 node direct, then 1, 2, 3 nodes through HAProxy): a quarter each.
split -n l/4 -d -a 1 "$WORK/pending-all.txt" "$WORK/pending-"
PG_SETTINGS="$(q "SELECT string_agg(name || '=' || setting, ', ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'synchronous_standby_names')")"
record "PostgreSQL" "$(psql --version | awk '{print $3}') pair under pg_auto_failover $(pg_autoctl --version | awk 'NR==1 {print $3}'): $PG_SETTINGS" "pg_settings on the primary"
record "disk" "$(df -h --output=source,fstype "$WORK" 2>/dev/null | tail -1 | tr -s ' ') ($WORK)" "df --output=source,fstype"

TOKEN="$(curl -fsS "$LB_URL/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | jq -r .data.token)"
[ -n "$TOKEN" ] && [ "$TOKEN" != null ] || die "login through HAProxy failed"
AUTH="Authorization: Bearer $TOKEN"
CB_PATH="/api/v1/mpesa/callback?secret=$MPESA_CALLBACK_SECRET"

settled_count() { q "SELECT (SELECT count(*) FROM stk_transactions WHERE status <> 'PENDING') || ' ' || (SELECT count(*) FROM payments)"; }
# measure NAME BASE_URL PENDING_FILE: status reads, then the callbacks on that file's rows; sets <NAME>_* variables.
measure() {
    local name="$1" base="$2" file="$3" before after settled paid repeated note
    wrk_run "$name-status" "$base" -H "$AUTH" -s "$HERE/lua/status.lua" -- "$ROWS"
    printf -v "${name}_STATUS" '%s' "$(cell "$WRK_RPS" "$WRK_P99" "$WRK_ERR")"
    printf -v "${name}_STATUS_RPS" '%s' "$WRK_RPS"
    before="$(settled_count)"
    # each load its own receipts (BC(10000000 + offset + line)): one database sees all four loads
    wrk_run "$name-settle" "$base$CB_PATH" -s "$HERE/lua/settle.lua" -- "$file" "$THREADS" "$((${file##*-} * 1000000))"
    after="$(settled_count)"
    settled=$(( ${after%% *} - ${before%% *} ))
    paid=$(( ${after##* } - ${before##* } ))
    repeated="$(awk '/^SETTLE_SENT/ {print $4}' "$WORK/wrk-$name-settle.txt")"
    note="$settled rows settled, $paid payments"
    [ "$settled" -ne "$paid" ] && note="$note; SETTLED AND PAID DIFFER"
    [ "${repeated:-0}" -gt 0 ] && note="$note; RAN OUT of PENDING rows: $repeated repeats"
    [ -n "$WRK_ERR" ] && note="$note; $WRK_ERR"
    printf -v "${name}_CB" '%s' "$(cell "$WRK_RPS" "$WRK_P99" "$note")"
    printf -v "${name}_CB_RPS" '%s' "$WRK_RPS"
}
STATUS_CMD="$WRK_CMD -H 'Authorization: Bearer \$TOKEN' -s bench/lua/status.lua BASE -- $ROWS"
SETTLE_CMD="$WRK_CMD -s bench/lua/settle.lua 'BASE/api/v1/mpesa/callback?secret=...' -- pending-K $THREADS K000000"

# === 1 node without HAProxy (the reference), then 1, 2, 3 nodes through HAProxy =====================================
LOADS_START="$(q "SELECT now()")"
log "1 node, direct"
measure D1 "$GW_URL_1" "$WORK/pending-0"
record "1 node direct: GET /api/v1/mpesa/status/{id}" "$D1_STATUS" "$STATUS_CMD  # BASE = the node"
record "1 node direct: POST /api/v1/mpesa/callback settling PENDING rows" "$D1_CB" "$SETTLE_CMD  # BASE = the node"
k=1
for n in 1 2 3; do
    log "$n node(s) behind HAProxy"
    CLUSTER_NODES=$n "$CLUSTER" up >/dev/null || die "cluster.sh up with $n nodes failed"
    measure "N$n" "$LB_URL" "$WORK/pending-$k"
    k=$((k + 1))
    v="N${n}_STATUS"; record "$n node(s) through HAProxy: GET /api/v1/mpesa/status/{id}" "${!v}" "CLUSTER_NODES=$n scripts/cluster.sh up; $STATUS_CMD  # BASE = HAProxy"
    v="N${n}_CB"; record "$n node(s) through HAProxy: POST /api/v1/mpesa/callback settling PENDING rows" "${!v}" "$SETTLE_CMD  # BASE = HAProxy"
done
DUP="$(q "SELECT count(*) FROM (SELECT transaction_id FROM payments WHERE transaction_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1) d")"
record "transactions paid twice over all loads" "$DUP" "SELECT ... FROM payments GROUP BY transaction_id HAVING count(*) > 1"
# pg_auto_failover's view of the loads: a standby or primary the monitor found unhealthy shows here.
mq() { psql -X -q -At "postgres://postgres@127.0.0.1:$MONITOR_PORT/pg_auto_failover" -c "$1"; }
PGAF_EVENTS="$(mq "SELECT count(*) FROM pgautofailover.event WHERE eventtime > '$LOADS_START'")"
mq "SELECT eventtime, nodename, reportedstate, goalstate, description FROM pgautofailover.event WHERE eventtime > '$LOADS_START' ORDER BY eventid" \
    >"$WORK/pgaf-events.txt" 2>&1 || true
[ "${PGAF_EVENTS:-0}" -gt 0 ] && { log "pg_auto_failover events during the loads:"; cat "$WORK/pgaf-events.txt" >&2; }
record "pg_auto_failover events during the loads (state changes; 0 = the pair stayed primary + secondary)" "${PGAF_EVENTS:-n/a}$( [ "${PGAF_EVENTS:-0}" -gt 0 ] && printf ': %s' "$(cut -d'|' -f2-4 "$WORK/pgaf-events.txt" | tr '\n' ';' | cut -c1-400)")" \
    "SELECT ... FROM pgautofailover.event WHERE eventtime > (the start of the loads)"
"$CLUSTER" wait-sync 60 >/dev/null 2>&1 && SYNC_END="in sync" || SYNC_END="NOT in sync"
record "the standby after the loads" "$SYNC_END" "scripts/cluster.sh wait-sync 60"

# --- summary -----------------------------------------------------------------------------------------------------------
DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
CPU="$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
OUT="$WORK/cluster.md"
{
    echo "# Haven M-Pesa cluster benchmark — $DATE"
    echo
    echo "Commit $COMMIT, $CPU, load average at the end $LOAD, loopback only. Binary: \`$BIN\`."
    echo "wrk ${DURATION}s, $THREADS thread(s), $CONNS connections. The local cluster of \`scripts/cluster.sh\`: PostgreSQL 15 primary"
    echo "and synchronous standby under pg_auto_failover (every commit waits for the standby's flush; \`fsync = on\`), HAProxy"
    echo "$(haproxy -v | awk 'NR==1 {print $3}') (round robin, health checks on \`/readyz\`), gateway nodes with \`RATE_LIMIT_PER_SECOND=0\`. $ROWS STK rows, $PENDING_N"
    echo "PENDING (each callback load settles its own quarter). Every process shares the same $(nproc) cores: more nodes"
    echo "cannot add CPU here; what matters is that the answers stay correct and the rate does not fall."
    echo
    echo "| route | 1 node, no HAProxy | 1 node | 2 nodes | 3 nodes | HAProxy / direct | 2 / 1 | 3 / 1 |"
    echo "|---|---|---|---|---|---|---|---|"
    echo "| \`GET /api/v1/mpesa/status/{id}\` (JWT + read) | $D1_STATUS | $N1_STATUS | $N2_STATUS | $N3_STATUS | **$(frac "$N1_STATUS_RPS" "$D1_STATUS_RPS")** | **$(frac "$N2_STATUS_RPS" "$N1_STATUS_RPS")** | **$(frac "$N3_STATUS_RPS" "$N1_STATUS_RPS")** |"
    echo "| \`POST /api/v1/mpesa/callback\` settling a PENDING row | $D1_CB | $N1_CB | $N2_CB | $N3_CB | **$(frac "$N1_CB_RPS" "$D1_CB_RPS")** | **$(frac "$N2_CB_RPS" "$N1_CB_RPS")** | **$(frac "$N3_CB_RPS" "$N1_CB_RPS")** |"
    echo
    echo "Transactions paid twice over all loads: **$DUP**. The standby after the loads: $SYNC_END."
    echo
    echo "## Each number and the command that produced it"
    echo
    echo "| measurement | value | command |"
    echo "|---|---|---|"
    while IFS=$'\t' read -r name value cmd; do
        echo "| $name | ${value//|/\\|} | \`${cmd//|/\\|}\` |"
    done <"$RESULTS"
} >"$OUT"
mkdir -p "$HERE/results"
cp "$OUT" "$HERE/results/cluster.md"
echo
cat "$OUT"
echo
log "written to bench/results/cluster.md"
