#!/usr/bin/env bash
# Haven M-Pesa benchmarks: one run, loopback only, the gateway against two references on the same machine:
# nginx serving the same bytes from files, and the seed's own stack (bench/peer: Express 4 + helmet + jsonwebtoken +
# better-sqlite3, WAL, synchronous = FULL) serving the same routes on the same rows.
#   ./bench/run.sh [BUILD_DIR]      (or: make bench)
# Every database (SQLite files, the PostgreSQL data directory) is on the real disk, each seeded with the same
# BENCH_ROWS STK transactions. Measures (wrk, BENCH_THREADS threads, BENCH_CONNECTIONS connections, BENCH_DURATION s):
#   GET /api/v1/mpesa/status/{id} (JWT + read), POST /api/v1/mpesa/callback settling PENDING rows (row, payment,
#   event, audit), the 50-row transactions list, GET /api/v1/config; the same status and callback routes on
#   PostgreSQL (fsync = on); callbacks with DB_GROUP_COMMIT=0 (one commit per request); STK pushes against a slow
#   Daraja (simulator rule slowMs 500) with status reads meanwhile; 10,000 idle keep-alive connections plus 1,000
#   clients polling status every 3 s; peak memory. Then the login storm (bench/logins.sh).
# Prints one table and writes bench/results/latest.md. Never part of `make test`.
# Knobs (env): BENCH_DURATION (8), BENCH_CONNECTIONS (64), BENCH_THREADS (1), BENCH_ROWS (100000),
#   BENCH_PENDING_PERCENT (40: PENDING rows, one per settling callback), BENCH_STK_CONNECTIONS (256, also
#   DARAJA_MAX_IN_FLIGHT), BENCH_SLOW_MS (500), BENCH_IDLE_CONNECTIONS (10000), BENCH_POLLERS (1000),
#   BENCH_POLL_SECONDS (15), BENCH_SKIP_PG=1 (no PostgreSQL part), BENCH_SKIP_LOGINS=1, BENCH_SKIP_RECONCILE=1,
#   BENCH_SKIP_ANALYTICS=1, BENCH_SKIP_CLUSTER=1 (no bench/cluster.sh).
set -euo pipefail

BUILD_DIR="${1:-build}"
HERE="$(cd "$(dirname "$0")" && pwd)"
log() { printf '[bench] %s\n' "$*" >&2; }
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

DURATION="${BENCH_DURATION:-8}"
CONNS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-1}"
ROWS="${BENCH_ROWS:-100000}"
PENDING_PCT="${BENCH_PENDING_PERCENT:-40}"
STK_CONNS="${BENCH_STK_CONNECTIONS:-256}"
SLOW_MS="${BENCH_SLOW_MS:-500}"
IDLE_N="${BENCH_IDLE_CONNECTIONS:-10000}"
POLLERS="${BENCH_POLLERS:-1000}"
POLL_SECONDS="${BENCH_POLL_SECONDS:-15}"

# --- tools (Debian packages and the peer's npm packages, installed only when missing; never the test path) -------
need_pkgs=()
command -v wrk >/dev/null || need_pkgs+=(wrk)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || need_pkgs+=(nginx)
for tool in curl jq python3 sqlite3 node npm; do command -v "$tool" >/dev/null || need_pkgs+=("$tool"); done
[ -f /usr/include/node/node_api.h ] || need_pkgs+=(libnode-dev)
command -v g++ >/dev/null || need_pkgs+=(g++)
command -v make >/dev/null || need_pkgs+=(make)
if [ ${#need_pkgs[@]} -gt 0 ]; then
    log "installing missing packages: ${need_pkgs[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # policy-rc.d 101: do not let the package start a system nginx service.
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
        $SUDO chmod +x /usr/sbin/policy-rc.d
        trap_policy=1
    fi
    $SUDO apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
    [ "${trap_policy:-0}" = 1 ] && $SUDO rm -f /usr/sbin/policy-rc.d
fi
NGINX_BIN="$(command -v nginx || echo /usr/sbin/nginx)"

# The peer: better-sqlite3 is compiled from source (no prebuilt binaries here) against Debian's Node headers.
PEER_DIR="$HERE/peer"
if ! (cd "$PEER_DIR" && node -e 'require("better-sqlite3"); require("express"); require("helmet"); require("jsonwebtoken")') 2>/dev/null; then
    log "installing the peer's packages (npm ci; better-sqlite3 builds from source, a few minutes)"
    nodedir=""
    [ -f /usr/include/node/node_version.h ] && nodedir=/usr
    (cd "$PEER_DIR" && npm_config_nodedir="$nodedir" npm_config_build_from_source=true \
        npm ci --no-audit --no-fund >"$PEER_DIR/npm-ci.log" 2>&1) || { tail -n 30 "$PEER_DIR/npm-ci.log" >&2; die "npm ci failed"; }
fi

# --- the binary (may be relinked by someone else: wait for it) --------------------------------------
for _ in $(seq 1 120); do [ -x "$BIN" ] && break; sleep 1; done
[ -x "$BIN" ] || die "$BIN not found; run make build first"

ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

BASE="$(bench_base_dir)"
WORK="$(mktemp -d "$BASE/haven-bench.XXXXXX")"
chmod 755 "$WORK"  # nginx workers (user nobody when started as root) read $WORK/www
GW_PID=""
NGINX_PID=""
PEER_PID=""
SIDE_PIDS=""
PG_DIR=""
cleanup() {
    local rc=$?
    local pid
    for pid in $SIDE_PIDS $GW_PID $PEER_PID; do stop_pid "$pid"; done
    if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
        kill -QUIT "$NGINX_PID" 2>/dev/null || true
        for _ in $(seq 1 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$NGINX_PID" 2>/dev/null || true
    fi
    stop_bench_pg
    if [ "$rc" -ne 0 ]; then
        for f in "$WORK"/*/gateway.log "$WORK"/peer/peer.log; do
            [ -f "$f" ] && { log "tail of $f:"; tail -n 15 "$f" >&2 || true; }
        done
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }
tree_rss_kb() {  # sum of VmRSS over a process and its children (nginx master + workers)
    local total=0 p
    for p in $1 $(pgrep -P "$1" || true); do total=$((total + $(kb_of "$p" VmRSS))); done
    echo "$total"
}
# disk_syncs LABEL: how many 4 KiB write + fdatasync pairs per second the database disk takes now (the bound of
# any one-commit-per-request server; it drifts with the other work on the machine, so it is taken twice).
disk_syncs() {
    local n
    n="$(python3 -c '
import os, sys, time
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o600)
t0, n = time.monotonic(), 0
while time.monotonic() - t0 < 1.0:
    os.pwrite(fd, b"x" * 4096, 0); os.fdatasync(fd); n += 1
os.close(fd); os.unlink(sys.argv[1])
print(round(n / (time.monotonic() - t0)))' "$WORK/sync-probe")"
    DISK_SYNCS="${DISK_SYNCS:+$DISK_SYNCS, }$n/s $1"
    record "disk: write + fdatasync $1 the callback loads" "$n/s" "python3: 4 KiB pwrite + os.fdatasync in a loop for 1 s"
}
frac() { awk -v a="$1" -v b="$2" 'BEGIN {if (a > 0 && b > 0) printf "%.2f", a / b; else print "n/a"}'; }

# Results: rows of "name<TAB>value<TAB>command" in $WORK/results, for the list under the table.
RESULTS="$WORK/results"
: >"$RESULTS"
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"; log "$1: $2"; }

# wrk_run NAME URL [wrk args...] -> WRK_RPS WRK_P50 WRK_P99 WRK_ERR WRK_REQS; the output in $WORK/wrk-NAME.txt.
WRK_CMD="wrk -t$THREADS -c$CONNS -d${DURATION}s --latency"
wrk_run() {
    local name="$1" url="$2"; shift 2
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --timeout 10s --latency "$url" "$@" >"$WORK/wrk-$name.txt" 2>&1 || true
    wrk_parse "$name"
}
wrk_parse() {
    local f="$WORK/wrk-$1.txt"
    WRK_RPS="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$f")"
    WRK_P50="$(awk '$1=="50%" {print $2}' "$f")"
    WRK_P99="$(awk '$1=="99%" {print $2}' "$f")"
    WRK_REQS="$(awk '/requests in/ {print $1}' "$f")"
    WRK_ERR="$(awk '/Non-2xx or 3xx responses:/ {printf "non-2xx %s ", $NF} /Socket errors:/ {sub(/^ */, ""); printf "%s ", $0}' "$f")"
    [ -n "$WRK_RPS" ] || { cat "$f" >&2; die "wrk $1 produced no result"; }
}
cell() { printf '%s req/s, p99 %s%s' "$1" "$2" "${3:+ ($3)}"; }  # cell RPS P99 [NOTE]

# Idle keep-alive connections and pollers.
# idle_run NAME PORT PID KIND -> IDLE_JSON, IDLE_RSS_KB (the highest RSS sampled while they were open)
idle_run() {
    local name="$1" port="$2" pid="$3" kind="$4" out="$WORK/idle-$1.out" rss
    node "$HERE/idle.js" 127.0.0.1 "$port" /api/v1/config /api/v1/mpesa/status/ "$TOKEN" "$IDLE_N" "$POLLERS" \
        "$POLL_SECONDS" 3000 "$ROWS" >"$out" 2>"$WORK/idle-$name.err" &
    local node_pid=$!
    SIDE_PIDS="$node_pid"
    IDLE_RSS_KB=0
    while kill -0 "$node_pid" 2>/dev/null; do
        if [ "$kind" = tree ]; then rss="$(tree_rss_kb "$pid")"; else rss="$(kb_of "$pid" VmRSS)"; fi
        [ "${rss:-0}" -gt "$IDLE_RSS_KB" ] && IDLE_RSS_KB="$rss"
        sleep 0.5
    done
    wait "$node_pid" 2>/dev/null || true
    SIDE_PIDS=""
    IDLE_JSON="$(tail -n 1 "$out")"
    [ "$(head -n 1 "$out")" = ready ] || { cat "$out" "$WORK/idle-$name.err" >&2; IDLE_JSON='{}'; }
}
idle_summary() {  # idle_summary JSON -> "10000 idle open, 4993 polls, 0 errors, p99 3.1ms"
    jq -r '"\(.idleStillOpen // 0)/\(.idleOpen // 0) idle still open, \(.polls // 0) polls answered 200, errors: \((.idleErrors // 0) + (.pollErrors // 0))\(if (.errorKinds // {}) == {} then "" else " \(.errorKinds | tojson)" end), poll p99 \(.p99ms // "n/a") ms"' <<<"$1"
}
idle_errors() { jq -r '(.idleErrors // 1) + (.pollErrors // 1)' <<<"$1"; }
IDLE_CMD="node bench/idle.js 127.0.0.1 PORT /api/v1/config /api/v1/mpesa/status/ \$TOKEN $IDLE_N $POLLERS $POLL_SECONDS 3000 $ROWS"

export BENCH_JWT_SECRET="bench-jwt-secret-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
GW_ENV=(DB_GROUP_COMMIT=1 SIMULATOR_CALLBACK_DELAY_MS=20 DARAJA_MAX_IN_FLIGHT="$STK_CONNS" RECONCILE_AFTER_SECONDS=86400)
NOW="$(date +%s)"
GW_PEAK_KB=0
note_peak() {  # note_peak PID: the highest VmHWM of any gateway seen in this run
    local k
    k="$(kb_of "$1" VmHWM)"
    [ "${k:-0}" -gt "$GW_PEAK_KB" ] && GW_PEAK_KB="$k"
    return 0
}

# --- the rows: one SQLite database, seeded through the gateway's own schema, copied for each server ----------------
log "seeding $ROWS STK rows ($PENDING_PCT% PENDING) into a migrated gateway database in $WORK"
mkdir -p "$WORK/seed"
gateway_env "$WORK/seed"
gateway_prepare "$WORK/seed"
t0=$(now_ms)
seed_sql sqlite "$ROWS" "$PENDING_PCT" "$NOW" | sqlite3 "$WORK/seed/bench.db" >/dev/null
sqlite3 "$WORK/seed/bench.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
sqlite3 -separator '|' "$WORK/seed/bench.db" \
    "SELECT checkout_request_id, merchant_request_id, amount, phone_number FROM stk_transactions WHERE status = 'PENDING' ORDER BY id" \
    >"$WORK/pending.txt"
PENDING_N=$(wc -l <"$WORK/pending.txt")
SETTLED0=$((ROWS - PENDING_N))
record "rows" "$ROWS STK rows, $PENDING_N PENDING, seeded in $(( $(now_ms) - t0 )) ms ($(du -m "$WORK/seed/bench.db" | cut -f1) MB)" \
    "seed_sql sqlite $ROWS $PENDING_PCT | sqlite3 bench.db  # bench/lib.sh, after haven-mpesa migrate"
for d in gw gw1 peer; do mkdir -p "$WORK/$d"; cp "$WORK/seed/bench.db" "$WORK/$d/bench.db"; done
record "disk" "$(df -h --output=source,fstype "$WORK" 2>/dev/null | tail -1 | tr -s ' ') ($WORK)" "df --output=source,fstype"

settled_count() {  # settled_count DB: rows no longer PENDING, and payments
    sqlite3 "$1" "SELECT (SELECT COUNT(*) FROM stk_transactions WHERE status <> 'PENDING') || ' ' || (SELECT COUNT(*) FROM payments)"
}
# settle_run NAME URL COUNT_CMD...: the callback load, then how many rows it settled (the database is the judge).
settle_run() {
    local name="$1" url="$2"; shift 2
    local before after
    before="$("$@")"
    wrk_run "$name" "$url" -s "$HERE/lua/settle.lua" -- "$WORK/pending.txt" "$THREADS"
    after="$("$@")"
    SETTLED=$(( ${after%% *} - ${before%% *} ))
    PAID=$(( ${after##* } - ${before##* } ))
    REPEATED="$(awk '/^SETTLE_SENT/ {print $4}' "$WORK/wrk-$name.txt")"
    SETTLE_NOTE="$SETTLED rows settled, $PAID payments"
    [ "${REPEATED:-0}" -gt 0 ] && SETTLE_NOTE="$SETTLE_NOTE; RAN OUT of PENDING rows: ${REPEATED} repeats"
    [ -n "$WRK_ERR" ] && SETTLE_NOTE="$SETTLE_NOTE; $WRK_ERR"
    return 0
}

# --- nginx (the reference): the gateway's own answers as files ------------------------------------------------------
NG_PORT="$(free_port)"
mkdir -p "$WORK/www/api/v1/mpesa" "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 2;
worker_rlimit_nofile 20000;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
daemon off;
events { worker_connections 12000; }
http {
    access_log off;
    default_type application/json;
    keepalive_requests 1000000;
    keepalive_timeout 120s;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    server {
        listen 127.0.0.1:$NG_PORT backlog=4096;
        root $WORK/www;
        location /api/v1/mpesa/status/ { try_files /status.json =404; }
        location / { try_files \$uri \$uri.json =404; }
    }
}
EOF

# === 1. The gateway on SQLite (group commit, the default) ============================================================
log "1. gateway, SQLite, group commit"
gateway_env "$WORK/gw"
gateway_serve "$WORK/gw" "${GW_ENV[@]}"
SIM_URL="$(grep -o 'Simulator: *http://[0-9.:]*' "$WORK/gw/gateway.log" | head -1 | awk '{print $2}')"
TOKEN="$(bench_login)"
AUTH="Authorization: Bearer $TOKEN"
GW_IDLE_KB="$(kb_of "$GW_PID" VmHWM)"

STATUS_ID="ws_CO_bench_$((10000000 + 50))"  # a settled row: the file nginx serves for every id
curl -fs -H "$AUTH" "$GW/api/v1/mpesa/status/$STATUS_ID" >"$WORK/www/status.json"
curl -fs "$GW/api/v1/config" >"$WORK/www/api/v1/config.json"
curl -fs -H "$AUTH" "$GW/api/v1/mpesa/transactions" >"$WORK/www/api/v1/mpesa/transactions.json"
STATUS_BYTES=$(wc -c <"$WORK/www/status.json")
CONFIG_BYTES=$(wc -c <"$WORK/www/api/v1/config.json")
TX_BYTES=$(wc -c <"$WORK/www/api/v1/mpesa/transactions.json")
TX_ROWS=$(jq '.data.items | length' "$WORK/www/api/v1/mpesa/transactions.json")

STATUS_CMD="$WRK_CMD -H 'Authorization: Bearer \$TOKEN' -s bench/lua/status.lua BASE -- $ROWS"
wrk_run gw-status "$GW" -H "$AUTH" -s "$HERE/lua/status.lua" -- "$ROWS"
GW_STATUS_RPS=$WRK_RPS; GW_STATUS_P99=$WRK_P99; GW_STATUS_ERR=$WRK_ERR
record "gateway GET /api/v1/mpesa/status/{random of $ROWS}" "$(cell "$WRK_RPS" "$WRK_P99" "$WRK_ERR")" "$STATUS_CMD"

wrk_run gw-tx "$GW/api/v1/mpesa/transactions" -H "$AUTH"
GW_TX_RPS=$WRK_RPS; GW_TX_P99=$WRK_P99; GW_TX_ERR=$WRK_ERR
record "gateway GET /api/v1/mpesa/transactions ($TX_ROWS items, $TX_BYTES B)" "$(cell "$WRK_RPS" "$WRK_P99" "$WRK_ERR")" \
    "$WRK_CMD -H 'Authorization: Bearer \$TOKEN' BASE/api/v1/mpesa/transactions"

wrk_run gw-config "$GW/api/v1/config"
GW_CONFIG_RPS=$WRK_RPS; GW_CONFIG_P99=$WRK_P99
record "gateway GET /api/v1/config" "$(cell "$WRK_RPS" "$WRK_P99" "$WRK_ERR")" "$WRK_CMD BASE/api/v1/config"

disk_syncs before
CB_PATH="/api/v1/mpesa/callback?secret=$CALLBACK_SECRET"
SETTLE_CMD="$WRK_CMD -s bench/lua/settle.lua 'BASE/api/v1/mpesa/callback?secret=...' -- pending.txt $THREADS"
settle_run gw-settle "$GW$CB_PATH" settled_count "$WORK/gw/bench.db"
GW_CB_RPS=$WRK_RPS; GW_CB_P99=$WRK_P99; GW_CB_NOTE=$SETTLE_NOTE
record "gateway POST /api/v1/mpesa/callback settling PENDING rows (group commit)" "$(cell "$WRK_RPS" "$WRK_P99" "$SETTLE_NOTE")" "$SETTLE_CMD"
note_peak "$GW_PID"

GW_HWM_KB="$(kb_of "$GW_PID" VmHWM)"
record "gateway VmHWM after these loads" "$(mb "$GW_HWM_KB") MB (after start and one login $(mb "$GW_IDLE_KB") MB)" "grep VmHWM /proc/PID/status"
stop_pid "$GW_PID"; GW_PID=""

# === 2. The gateway on SQLite, one commit per request ===============================================================
log "2. gateway, SQLite, DB_GROUP_COMMIT=0"
gateway_env "$WORK/gw1"
gateway_serve "$WORK/gw1" "${GW_ENV[@]}" DB_GROUP_COMMIT=0
settle_run gw1-settle "$GW$CB_PATH" settled_count "$WORK/gw1/bench.db"
GW1_CB_RPS=$WRK_RPS; GW1_CB_P99=$WRK_P99; GW1_CB_NOTE=$SETTLE_NOTE
record "gateway POST /api/v1/mpesa/callback settling PENDING rows (DB_GROUP_COMMIT=0)" "$(cell "$WRK_RPS" "$WRK_P99" "$SETTLE_NOTE")" "DB_GROUP_COMMIT=0; $SETTLE_CMD"
note_peak "$GW_PID"
stop_pid "$GW_PID"; GW_PID=""

# === 3. The peer: Express 4 + helmet + jsonwebtoken + better-sqlite3 (synchronous = FULL) ==========================
log "3. peer (Express + better-sqlite3)"
PEER_PORT="$(free_port)"
(cd "$PEER_DIR" && exec env PORT="$PEER_PORT" HOST=127.0.0.1 DB_PATH="$WORK/peer/bench.db" JWT_SECRET="$BENCH_JWT_SECRET" \
    MPESA_CALLBACK_SECRET="$CALLBACK_SECRET" NODE_ENV=production node server.js >"$WORK/peer/peer.log" 2>&1) &
PEER_PID=$!
PEER="http://127.0.0.1:$PEER_PORT"
for _ in $(seq 1 100); do curl -fs "$PEER/api/v1/health" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "$PEER/api/v1/health" >/dev/null || die "the peer did not start"
curl -fs -H "$AUTH" "$PEER/api/v1/mpesa/status/$STATUS_ID" >"$WORK/peer-status.json"
if cmp -s "$WORK/peer-status.json" "$WORK/www/status.json"; then SAME_BODY="the same bytes"; else SAME_BODY="DIFFERENT bytes"; fi
record "peer status body vs the gateway's" "$SAME_BODY ($(wc -c <"$WORK/peer-status.json") vs $STATUS_BYTES B)" "cmp"
settle_run peer-settle "$PEER$CB_PATH" settled_count "$WORK/peer/bench.db"
PEER_CB_RPS=$WRK_RPS; PEER_CB_P99=$WRK_P99; PEER_CB_NOTE=$SETTLE_NOTE
record "peer POST /api/v1/mpesa/callback settling PENDING rows" "$(cell "$WRK_RPS" "$WRK_P99" "$SETTLE_NOTE")" "$SETTLE_CMD"
disk_syncs after
wrk_run peer-status "$PEER" -H "$AUTH" -s "$HERE/lua/status.lua" -- "$ROWS"
PEER_STATUS_RPS=$WRK_RPS; PEER_STATUS_P99=$WRK_P99; PEER_STATUS_ERR=$WRK_ERR
record "peer GET /api/v1/mpesa/status/{random of $ROWS}" "$(cell "$WRK_RPS" "$WRK_P99" "$WRK_ERR")" "$STATUS_CMD"
PEER_HWM_KB="$(kb_of "$PEER_PID" VmHWM)"
record "peer VmHWM" "$(mb "$PEER_HWM_KB") MB" "grep VmHWM /proc/PID/status"
stop_pid "$PEER_PID"; PEER_PID=""

# === 4. nginx ========================================================================================================
log "4. nginx"
"$NGINX_BIN" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" >"$WORK/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$NG_PORT/api/v1/config" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$NG_PORT/api/v1/config" >/dev/null || {
    cat "$WORK/nginx/stdout.log" "$WORK/nginx/error.log" >&2 2>/dev/null; die "nginx did not start"; }
NG="http://127.0.0.1:$NG_PORT"
wrk_run ng-status "$NG" -H "$AUTH" -s "$HERE/lua/status.lua" -- "$ROWS"
NG_STATUS_RPS=$WRK_RPS; NG_STATUS_P99=$WRK_P99
record "nginx status.json ($STATUS_BYTES B) for every id" "$(cell "$WRK_RPS" "$WRK_P99" "$WRK_ERR")" "$STATUS_CMD"
wrk_run ng-tx "$NG/api/v1/mpesa/transactions" -H "$AUTH"
NG_TX_RPS=$WRK_RPS; NG_TX_P99=$WRK_P99
record "nginx transactions.json ($TX_BYTES B)" "$(cell "$WRK_RPS" "$WRK_P99" "$WRK_ERR")" "$WRK_CMD -H 'Authorization: Bearer \$TOKEN' NGINX/api/v1/mpesa/transactions"
wrk_run ng-config "$NG/api/v1/config"
NG_CONFIG_RPS=$WRK_RPS; NG_CONFIG_P99=$WRK_P99
record "nginx config.json ($CONFIG_BYTES B)" "$(cell "$WRK_RPS" "$WRK_P99" "$WRK_ERR")" "$WRK_CMD NGINX/api/v1/config"
idle_run ng "$NG_PORT" "$NGINX_PID" tree
NG_IDLE_JSON="$IDLE_JSON"; NG_IDLE_RSS_KB="$IDLE_RSS_KB"
record "nginx: $IDLE_N idle + $POLLERS pollers" "$(idle_summary "$IDLE_JSON"); peak RSS (master+workers) $(mb "$IDLE_RSS_KB") MB" "$IDLE_CMD"
kill -QUIT "$NGINX_PID" 2>/dev/null || true
for _ in $(seq 1 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
NGINX_PID=""

# === 5. The gateway on PostgreSQL (fsync = on, synchronous_commit = on) =============================================
PG_STATUS_RPS=""; PG_CB_RPS=""; PG1_CB_RPS=""
if [ "${BENCH_SKIP_PG:-0}" != 1 ]; then
    log "5. PostgreSQL (fsync = on) in $WORK/pg"
    start_bench_pg "$WORK/pg"
    PG_SETTINGS="$(as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -Atc "SELECT string_agg(name || '=' || setting, ', ') FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'wal_sync_method')")"
    record "PostgreSQL" "$("$PG_BIN/postgres" --version | sed 's/^[^0-9]*//'): $PG_SETTINGS, data on $(df --output=source "$WORK" | tail -1)" "pg_settings"
    pg_settled() {  # pg_settled DB
        as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$1" -Atc \
            "SELECT (SELECT COUNT(*) FROM stk_transactions WHERE status <> 'PENDING') || ' ' || (SELECT COUNT(*) FROM payments)"
    }
    for db in hvn_group hvn_one; do
        as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$db"
        mkdir -p "$WORK/$db"
        gateway_env "$WORK/$db" "$(pg_url "$db")"
        gateway_prepare "$WORK/$db"
        t0=$(now_ms)
        seed_sql postgres "$ROWS" "$PENDING_PCT" "$NOW" | as_pg "$PG_BIN/psql" -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" \
            -U postgres -d "$db" >/dev/null || die "seeding PostgreSQL failed"
        log "seeded $db in $(( $(now_ms) - t0 )) ms"
        if [ "$db" = hvn_group ]; then
            gateway_serve "$WORK/$db" "${GW_ENV[@]}"
            wrk_run pg-status "$GW" -H "$AUTH" -s "$HERE/lua/status.lua" -- "$ROWS"
            PG_STATUS_RPS=$WRK_RPS; PG_STATUS_P99=$WRK_P99; PG_STATUS_ERR=$WRK_ERR
            record "gateway (PostgreSQL) GET /api/v1/mpesa/status/{random of $ROWS}" "$(cell "$WRK_RPS" "$WRK_P99" "$WRK_ERR")" "$STATUS_CMD"
            settle_run pg-settle "$GW$CB_PATH" pg_settled "$db"
            PG_CB_RPS=$WRK_RPS; PG_CB_P99=$WRK_P99; PG_CB_NOTE=$SETTLE_NOTE
            record "gateway (PostgreSQL) POST /api/v1/mpesa/callback settling PENDING rows (group commit)" "$(cell "$WRK_RPS" "$WRK_P99" "$SETTLE_NOTE")" "$SETTLE_CMD"
        else
            gateway_serve "$WORK/$db" "${GW_ENV[@]}" DB_GROUP_COMMIT=0
            settle_run pg1-settle "$GW$CB_PATH" pg_settled "$db"
            PG1_CB_RPS=$WRK_RPS; PG1_CB_P99=$WRK_P99; PG1_CB_NOTE=$SETTLE_NOTE
            record "gateway (PostgreSQL) POST /api/v1/mpesa/callback settling PENDING rows (DB_GROUP_COMMIT=0)" "$(cell "$WRK_RPS" "$WRK_P99" "$SETTLE_NOTE")" "DB_GROUP_COMMIT=0; $SETTLE_CMD"
        fi
        note_peak "$GW_PID"
        stop_pid "$GW_PID"; GW_PID=""
    done
    stop_bench_pg
fi

# === 6. The gateway again (its SQLite database, a new process): loads that hold connections or threads ================
log "6. gateway, SQLite: idle connections and pollers, then STK pushes against a slow Daraja"
gateway_env "$WORK/gw"
gateway_serve "$WORK/gw" "${GW_ENV[@]}"
SIM_URL="$(grep -o 'Simulator: *http://[0-9.:]*' "$WORK/gw/gateway.log" | tail -1 | awk '{print $2}')"
log "6i. $IDLE_N idle keep-alive connections + $POLLERS clients polling status every 3 s, ${POLL_SECONDS}s"
idle_run gw "$GW_PORT" "$GW_PID" single
GW_IDLE_JSON="$IDLE_JSON"; GW_IDLE_RSS_KB="$IDLE_RSS_KB"
record "gateway: $IDLE_N idle + $POLLERS pollers" "$(idle_summary "$IDLE_JSON"); peak RSS meanwhile $(mb "$IDLE_RSS_KB") MB" "$IDLE_CMD"
note_peak "$GW_PID"

# STK pushes against a slow Daraja, status reads meanwhile (last: the gateway's threads may stay busy after).
log "6s. STK pushes with Daraja answering after ${SLOW_MS} ms, $STK_CONNS at once"
curl -fs -X POST "$SIM_URL/sim/v1/rules" -H 'Content-Type: application/json' \
    -d "{\"rules\":[{\"api\":\"stkpush\",\"then\":{\"slowMs\":$SLOW_MS}}],\"replace\":true}" >/dev/null \
    || die "the simulator refused the slowMs rule"
wrk -t1 -c16 -d"${DURATION}s" --timeout 10s --latency -H "$AUTH" -s "$HERE/lua/status.lua" "$GW" -- "$ROWS" \
    >"$WORK/wrk-slow-status.txt" 2>&1 &
SIDE_PIDS="$!"
wrk -t1 -c"$STK_CONNS" -d"${DURATION}s" --timeout 15s --latency -H "$AUTH" -s "$HERE/lua/stk.lua" \
    "$GW/api/v1/mpesa/stk-push" >"$WORK/wrk-slow-stk.txt" 2>&1 || true
wait $SIDE_PIDS 2>/dev/null || true
SIDE_PIDS=""
wrk_parse slow-stk
STK_RPS=$WRK_RPS; STK_P99=$WRK_P99; STK_ERR=$WRK_ERR
STK_REQS=$WRK_REQS
STK_OK=$(( STK_REQS - $(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$WORK/wrk-slow-stk.txt" | grep . || echo 0) ))
STK_OK_RPS=$(awk -v n="$STK_OK" -v d="$DURATION" 'BEGIN {printf "%.0f", n / d}')
STK_CODES="$(awk '$5=="POST" && $6=="/api/v1/mpesa/stk-push" {print $7}' "$WORK/gw/gateway.log" | sort | uniq -c \
    | awk '{printf "%s%s x %s", (NR > 1 ? ", " : ""), $2, $1}')"
wrk_parse slow-status
SLOW_STATUS_RPS=$WRK_RPS; SLOW_STATUS_P99=$WRK_P99; SLOW_STATUS_ERR=$WRK_ERR
# wrk's latencies cover only the answered requests: say how many there were.
SLOW_STATUS_ERR="$WRK_REQS answered in ${DURATION}s${SLOW_STATUS_ERR:+; $SLOW_STATUS_ERR}"
record "STK pushes accepted, Daraja slowMs $SLOW_MS, $STK_CONNS connections (DARAJA_MAX_IN_FLIGHT=$STK_CONNS)" \
    "$STK_OK_RPS accepted/s ($STK_OK of $STK_REQS answered 200 in ${DURATION}s; $STK_RPS answers/s, p99 $STK_P99 ${STK_ERR}; gateway log: $STK_CODES)" \
    "POST \$SIM/sim/v1/rules {\"api\":\"stkpush\",\"then\":{\"slowMs\":$SLOW_MS}}; wrk -t1 -c$STK_CONNS -d${DURATION}s --timeout 15s -s bench/lua/stk.lua BASE/api/v1/mpesa/stk-push"
record "status reads during the slow pushes" "$(cell "$SLOW_STATUS_RPS" "$SLOW_STATUS_P99" "$SLOW_STATUS_ERR")" \
    "wrk -t1 -c16 -d${DURATION}s -s bench/lua/status.lua BASE (at the same time)"
curl -fs -X DELETE "$SIM_URL/sim/v1/rules" >/dev/null || true
note_peak "$GW_PID"

GW_HWM_KB="$(kb_of "$GW_PID" VmHWM)"
record "gateway VmHWM after the idle connections and the slow pushes" "$(mb "$GW_HWM_KB") MB" "grep VmHWM /proc/PID/status"
stop_pid "$GW_PID"; GW_PID=""

# --- summary -------------------------------------------------------------------------------------------------------
DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
CPU="$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
OUT="$WORK/latest.md"
dash="—"
{
    echo "# Haven M-Pesa benchmark — $DATE"
    echo
    echo "Commit $COMMIT, $CPU, load average at the end $LOAD, loopback only. Binary: \`$BIN\`."
    echo "wrk ${DURATION}s, $THREADS thread(s), $CONNS connections. $ROWS STK rows ($PENDING_N PENDING) in every database, on the"
    echo "real disk. Durable everywhere: SQLite WAL with \`synchronous = FULL\` (gateway and peer), PostgreSQL with \`fsync = on\`,"
    echo "\`synchronous_commit = on\`. References: nginx $("$NGINX_BIN" -v 2>&1 | sed 's/.*nginx\///') (2 workers) serving the gateway's own"
    echo "answers as files; the peer, the seed's stack (Node $(node -v), Express 4 + helmet + jsonwebtoken + better-sqlite3 12, one"
    echo "process) on the same SQLite rows, \`synchronous = FULL\`. The disk took ${DISK_SYNCS} (write + fdatasync, before and"
    echo "after the three SQLite callback loads, which run back to back: gateway, gateway one-commit, peer)."
    echo
    echo "| route | nginx | Express peer (SQLite) | gateway | gateway one-commit | gateway / nginx | gateway / peer | group / one-commit |"
    echo "|---|---|---|---|---|---|---|---|"
    echo "| \`GET /api/v1/mpesa/status/{id}\` (JWT + read; SQLite) | $(cell "$NG_STATUS_RPS" "$NG_STATUS_P99") | $(cell "$PEER_STATUS_RPS" "$PEER_STATUS_P99" "$PEER_STATUS_ERR") | $(cell "$GW_STATUS_RPS" "$GW_STATUS_P99" "$GW_STATUS_ERR") | $dash | **$(frac "$GW_STATUS_RPS" "$NG_STATUS_RPS")** | **$(frac "$GW_STATUS_RPS" "$PEER_STATUS_RPS")** | |"
    echo "| \`POST /api/v1/mpesa/callback\` settling a PENDING row (SQLite) | $dash | $(cell "$PEER_CB_RPS" "$PEER_CB_P99" "$PEER_CB_NOTE") | $(cell "$GW_CB_RPS" "$GW_CB_P99" "$GW_CB_NOTE") | $(cell "$GW1_CB_RPS" "$GW1_CB_P99" "$GW1_CB_NOTE") | | **$(frac "$GW_CB_RPS" "$PEER_CB_RPS")** | **$(frac "$GW_CB_RPS" "$GW1_CB_RPS")** |"
    echo "| \`GET /api/v1/mpesa/transactions\` ($TX_ROWS rows, $TX_BYTES B; SQLite) | $(cell "$NG_TX_RPS" "$NG_TX_P99") | $dash | $(cell "$GW_TX_RPS" "$GW_TX_P99" "$GW_TX_ERR") | $dash | **$(frac "$GW_TX_RPS" "$NG_TX_RPS")** | | |"
    echo "| \`GET /api/v1/config\` ($CONFIG_BYTES B, no database) | $(cell "$NG_CONFIG_RPS" "$NG_CONFIG_P99") | $dash | $(cell "$GW_CONFIG_RPS" "$GW_CONFIG_P99") | $dash | $(frac "$GW_CONFIG_RPS" "$NG_CONFIG_RPS") | | |"
    if [ -n "$PG_STATUS_RPS" ]; then
        echo "| \`GET /api/v1/mpesa/status/{id}\` (gateway on PostgreSQL; peer still SQLite) | $(cell "$NG_STATUS_RPS" "$NG_STATUS_P99") | $(cell "$PEER_STATUS_RPS" "$PEER_STATUS_P99") (SQLite) | $(cell "$PG_STATUS_RPS" "$PG_STATUS_P99" "$PG_STATUS_ERR") | $dash | $(frac "$PG_STATUS_RPS" "$NG_STATUS_RPS") | $(frac "$PG_STATUS_RPS" "$PEER_STATUS_RPS") | |"
        echo "| \`POST /api/v1/mpesa/callback\` settling (gateway on PostgreSQL; peer still SQLite) | $dash | $(cell "$PEER_CB_RPS" "$PEER_CB_P99") (SQLite) | $(cell "$PG_CB_RPS" "$PG_CB_P99" "$PG_CB_NOTE") | $(cell "$PG1_CB_RPS" "$PG1_CB_P99" "$PG1_CB_NOTE") | | $(frac "$PG_CB_RPS" "$PEER_CB_RPS") | $(frac "$PG_CB_RPS" "$PG1_CB_RPS") |"
    fi
    echo
    echo "| gateway under other loads | figure |"
    echo "|---|---|"
    echo "| STK pushes accepted/s, Daraja answering after ${SLOW_MS} ms, $STK_CONNS connections (\`DARAJA_MAX_IN_FLIGHT=$STK_CONNS\`; target ~400/s = 0.8 x $STK_CONNS / $(awk -v s="$SLOW_MS" 'BEGIN {print s/1000}') s) | **$STK_OK_RPS/s** (push p99 $STK_P99; answers by HTTP status: $STK_CODES) |"
    echo "| \`GET /status/{id}\` meanwhile (16 connections) | $(cell "$SLOW_STATUS_RPS" "$SLOW_STATUS_P99" "$SLOW_STATUS_ERR") |"
    echo "| $IDLE_N idle keep-alive connections + $POLLERS clients polling status every 3 s (${POLL_SECONDS} s) | errors **$(idle_errors "$GW_IDLE_JSON")**; $(idle_summary "$GW_IDLE_JSON"); gateway RSS **$(mb "$GW_IDLE_RSS_KB") MB** (nginx, same load: errors $(idle_errors "$NG_IDLE_JSON"), $(mb "$NG_IDLE_RSS_KB") MB) |"
    echo "| gateway peak RSS (VmHWM) over all benchmarks (highest of the gateways of this run) | **$(mb "$GW_PEAK_KB") MB** (after start and one login $(mb "$GW_IDLE_KB") MB; the peer $(mb "$PEER_HWM_KB") MB) |"
    echo
    echo "Targets (issue 9): callbacks >= 10x peer and >= 3x one-commit, p99 < 20 ms; status >= 0.5x nginx, p99 < 5 ms; list >= 0.25x nginx;"
    echo "slow-Daraja pushes ~400/s with status p99 < 10 ms; 10,000 idle + 1,000 pollers without errors under 150 MB; peak RSS < 100 MB."
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
cp "$OUT" "$HERE/results/latest.md"
echo
cat "$OUT"
echo
log "written to bench/results/latest.md"

# === 7. Login storm, with its own gateway (bench/logins.sh) ==========================================================
if [ "${BENCH_SKIP_LOGINS:-0}" != 1 ]; then
    "$HERE/logins.sh" "$BUILD_DIR" || log "login storm failed (see above)"
fi

# === 8. The rent roll: 10,000 leases, 1,000,000 payments (bench/rent_roll.sh, its own gateway) =======================
if [ "${BENCH_SKIP_RENT_ROLL:-0}" != 1 ]; then
    "$HERE/rent_roll.sh" "$BUILD_DIR" || log "rent roll bench failed (see above)"
fi

# === 9. Statement import, 100,000 rows (bench/reconcile.sh) ==========================================================
if [ "${BENCH_SKIP_RECONCILE:-0}" != 1 ]; then
    "$HERE/reconcile.sh" "$BUILD_DIR" || log "statement import failed (see above)"
fi

# === 10. Analytics: 1,000,000 transactions, each /api/v1/analytics series (bench/analytics.sh, its own gateway) =====
if [ "${BENCH_SKIP_ANALYTICS:-0}" != 1 ]; then
    "$HERE/analytics.sh" "$BUILD_DIR" || log "analytics bench failed (see above)"
fi

# === 11. Several nodes behind HAProxy on PostgreSQL with a synchronous standby (bench/cluster.sh, its own cluster) ===
if [ "${BENCH_SKIP_CLUSTER:-0}" != 1 ]; then
    "$HERE/cluster.sh" "$BUILD_DIR" || log "cluster bench failed (see above)"
fi
