#!/usr/bin/env bash
# Haven M-Pesa benchmarks: one run, loopback only, compared against nginx on the same machine.
#   ./bench/run.sh [BUILD_DIR]      (or: make bench)
# Measures HTTP throughput/latency (wrk), STK Push end to end through the built-in simulator, callback
# ingestion, and memory (VmHWM / RSS) idle, after load and with 1000 idle keep-alive connections; then a login
# storm (bench/logins.sh: 64 concurrent logins, peak RSS, health and read latency meanwhile).
# Prints one summary table and writes bench/results/latest.md. Never part of `make test`.
# Knobs (env): BENCH_DURATION (s per wrk run, 8), BENCH_CONNECTIONS (32), BENCH_STK_PUSHES (500),
#              BENCH_STK_PARALLEL (16), BENCH_IDLE_CONNECTIONS (1000).
#              DB_GROUP_COMMIT=0: the gateway commits each write on its own (the baseline for group commit).
set -euo pipefail

BUILD_DIR="${1:-build}"
HERE="$(cd "$(dirname "$0")" && pwd)"
log() { printf '[bench] %s\n' "$*" >&2; }
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"

DURATION="${BENCH_DURATION:-8}"
CONNS="${BENCH_CONNECTIONS:-32}"
STK_N="${BENCH_STK_PUSHES:-500}"
STK_P="${BENCH_STK_PARALLEL:-16}"
IDLE_N="${BENCH_IDLE_CONNECTIONS:-1000}"
DEADLINE_STK_S=120


# --- tools (Debian packages, installed only when missing; bench only, never the test path) ---------
need_pkgs=()
command -v wrk >/dev/null || need_pkgs+=(wrk)
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || need_pkgs+=(nginx)
command -v curl >/dev/null || need_pkgs+=(curl)
command -v jq >/dev/null || need_pkgs+=(jq)
command -v python3 >/dev/null || need_pkgs+=(python3)
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

# --- the binary (may be relinked by someone else: wait for it) --------------------------------------
for _ in $(seq 1 120); do [ -x "$BIN" ] && break; sleep 1; done
[ -x "$BIN" ] || die "$BIN not found; run make build first"

ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)" || true

WORK="$(mktemp -d /tmp/haven-bench.XXXXXX)"
chmod 755 "$WORK"  # nginx workers (user nobody when started as root) read $WORK/www
GW_PID=""
NGINX_PID=""
HOLD_PID=""
cleanup() {
    local rc=$?
    for pid in $HOLD_PID $GW_PID; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
    done
    if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then kill -QUIT "$NGINX_PID" 2>/dev/null || true; fi
    for pid in $HOLD_PID $GW_PID $NGINX_PID; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -9 "$pid" 2>/dev/null || true
    done
    if [ "$rc" -ne 0 ] && [ -f "$WORK/gateway.log" ]; then
        log "gateway log tail:"; tail -n 20 "$WORK/gateway.log" >&2 || true
    fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

now_ms() { date +%s%3N; }
# Sum of VmRSS over a process and its children (nginx master + workers).
tree_rss_kb() {
    local total=0 p
    for p in $1 $(pgrep -P "$1" || true); do total=$((total + $(kb_of "$p" VmRSS))); done
    echo "$total"
}
tree_hwm_kb() {
    local total=0 p
    for p in $1 $(pgrep -P "$1" || true); do total=$((total + $(kb_of "$p" VmHWM))); done
    echo "$total"
}

# Results: rows of "name|value|command" appended to $WORK/results.
RESULTS="$WORK/results"
: >"$RESULTS"
hwm_after() {  # hwm_after PHASE: the gateway's VmHWM so far, to see which load raised the peak
    record "gateway VmHWM after $1" "$(mb "$(kb_of "$GW_PID" VmHWM)") MB" "grep VmHWM /proc/\$(pidof haven-mpesa)/status"
}
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS"; log "$1: $2"; }

# --- gateway -----------------------------------------------------------------------------------------
start_gateway "$WORK" SIMULATOR_CALLBACK_DELAY_MS=20
sleep 1
GW_IDLE_HWM="$(kb_of "$GW_PID" VmHWM)"
GW_IDLE_RSS="$(kb_of "$GW_PID" VmRSS)"
record "durability" "SQLite synchronous=FULL, DB_GROUP_COMMIT=${DB_GROUP_COMMIT:-1}" "DB_GROUP_COMMIT=${DB_GROUP_COMMIT:-1} ./bench/run.sh"
record "gateway idle VmHWM" "$(mb "$GW_IDLE_HWM") MB" "grep VmHWM /proc/\$(pidof haven-mpesa)/status  # after start"

TOKEN="$(bench_login)"
AUTH="Authorization: Bearer $TOKEN"

# --- nginx (the reference) ---------------------------------------------------------------------------
NG_PORT="$(free_port)"
mkdir -p "$WORK/www/api/v1/mpesa" "$WORK/nginx"
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
    access_log off;
    default_type application/json;
    keepalive_requests 1000000;
    keepalive_timeout 60s;
    client_body_temp_path $WORK/nginx/body;
    proxy_temp_path $WORK/nginx/proxy;
    fastcgi_temp_path $WORK/nginx/fastcgi;
    uwsgi_temp_path $WORK/nginx/uwsgi;
    scgi_temp_path $WORK/nginx/scgi;
    server {
        listen 127.0.0.1:$NG_PORT;
        root $WORK/www;
        location / { try_files \$uri \$uri.json =404; }
    }
}
EOF

# --- wrk helpers ---------------------------------------------------------------------------------------
# wrk_run NAME URL [wrk args...] -> sets WRK_RPS WRK_P50 WRK_P99 WRK_ERR, the full output in $WORK/wrk-NAME.txt
wrk_run() {
    local name="$1" url="$2"; shift 2
    wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "$@" "$url" >"$WORK/wrk-$name.txt" 2>&1 || true
    WRK_RPS="$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$WORK/wrk-$name.txt")"
    WRK_P50="$(awk '$1=="50%" {print $2}' "$WORK/wrk-$name.txt")"
    WRK_P99="$(awk '$1=="99%" {print $2}' "$WORK/wrk-$name.txt")"
    WRK_ERR="$(awk '/Non-2xx or 3xx responses:/ {print $NF} /Socket errors:/ {print $0}' "$WORK/wrk-$name.txt" | tr '\n' ' ')"
    [ -n "$WRK_RPS" ] || { cat "$WORK/wrk-$name.txt" >&2; die "wrk $name produced no result"; }
}
WRK_CMD="wrk -t2 -c$CONNS -d${DURATION}s --latency"

# 1. HTTP throughput and latency ------------------------------------------------------------------------
# The reference serves the very bytes the gateway answers (same size), as static files.
curl -fs "$GW/api/v1/config" >"$WORK/www/api/v1/config.json"
CONFIG_BYTES=$(wc -c <"$WORK/www/api/v1/config.json")

log "1a. GET /api/v1/config (gateway, then nginx)"
wrk_run gw-config "$GW/api/v1/config"
record "gateway GET /api/v1/config" "$WRK_RPS req/s, p50 $WRK_P50, p99 $WRK_P99 ${WRK_ERR}" "$WRK_CMD $GW/api/v1/config"
GW_CONFIG_RPS=$WRK_RPS; GW_CONFIG_P50=$WRK_P50; GW_CONFIG_P99=$WRK_P99

"$NGINX_BIN" -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" >"$WORK/nginx/stdout.log" 2>&1 &
NGINX_PID=$!
for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$NG_PORT/api/v1/config" >/dev/null 2>&1 && break; sleep 0.1; done
curl -fs "http://127.0.0.1:$NG_PORT/api/v1/config" >/dev/null || {
    cat "$WORK/nginx/stdout.log" "$WORK/nginx/error.log" >&2 2>/dev/null; die "nginx did not start"; }
sleep 0.5
NG_IDLE_RSS="$(tree_rss_kb "$NGINX_PID")"
record "nginx idle RSS (master+workers)" "$(mb "$NG_IDLE_RSS") MB" "ps -o rss= of nginx master + workers"

wrk_run ng-config "http://127.0.0.1:$NG_PORT/api/v1/config"
record "nginx static config.json (${CONFIG_BYTES} B)" "$WRK_RPS req/s, p50 $WRK_P50, p99 $WRK_P99" \
    "$WRK_CMD http://127.0.0.1:$NG_PORT/api/v1/config"
NG_CONFIG_RPS=$WRK_RPS; NG_CONFIG_P50=$WRK_P50; NG_CONFIG_P99=$WRK_P99
hwm_after "GET /api/v1/config"

# 2. STK Push end to end (also seeds the rows for the transactions list) ---------------------------------
log "2. STK Push x$STK_N (distinct phones, $STK_P in parallel), callbacks after ${SIMULATOR_CALLBACK_DELAY_MS} ms"
CURL_CFG="$WORK/stk.curl"
: >"$CURL_CFG"
for i in $(seq 1 "$STK_N"); do
    phone=$(printf '2547%08d' $((10000000 + i * 7919 % 89999999)))
    amount=$((1 + (i * 37) % 5000))
    cat >>"$CURL_CFG" <<EOF
url = "$GW/api/v1/mpesa/stk-push"
header = "$AUTH"
header = "Content-Type: application/json"
data = "{\"phoneNumber\":\"$phone\",\"amount\":$amount,\"accountReference\":\"B$i\",\"transactionDesc\":\"Rent\"}"
output = "/dev/null"
write-out = "%{http_code} %{time_total}\\n"
EOF
    if [ "$i" -lt "$STK_N" ]; then echo "next" >>"$CURL_CFG"; fi
done
STK_CMD="curl --parallel --parallel-max $STK_P -K stk.curl  # $STK_N POST /api/v1/mpesa/stk-push, distinct 2547XXXXXXXX"
t0=$(now_ms)
curl -s --parallel --parallel-max "$STK_P" --max-time 30 -K "$CURL_CFG" >"$WORK/stk.out" 2>"$WORK/stk.err" || true
t1=$(now_ms)
STK_OK=$(awk '$1==200' "$WORK/stk.out" | wc -l)
STK_BAD=$(awk '$1!=200' "$WORK/stk.out" | wc -l)
STK_SEND_MS=$((t1 - t0))
STK_RPS=$(awk -v n="$STK_OK" -v ms="$STK_SEND_MS" 'BEGIN {printf "%.0f", n * 1000 / ms}')
STK_P50=$(awk '$1==200 {print $2*1000}' "$WORK/stk.out" | sort -n | awk '{a[NR]=$1} END {if (NR) printf "%.1fms", a[int((NR+1)/2)]}')
STK_P99=$(awk '$1==200 {print $2*1000}' "$WORK/stk.out" | sort -n | awk '{a[NR]=$1} END {if (NR) {i=int(NR*0.99); if (i<1) i=1; printf "%.1fms", a[i]}}')
if [ "$STK_BAD" -gt 0 ]; then log "STK pushes not accepted: $(awk '$1!=200 {print $1}' "$WORK/stk.out" | sort | uniq -c | tr '\n' ' ')"; fi
record "STK Push accepted" "$STK_OK/$STK_N in ${STK_SEND_MS} ms = $STK_RPS pushes/s, p50 $STK_P50, p99 $STK_P99" "$STK_CMD"

# Poll until every accepted push is SUCCESS (callbacks applied).
count_status() {  # count_status STATUS -> number of transactions with that status (paged, 200 per page)
    local total=0 cursor="" page n
    while :; do
        page="$(curl -fs -H "$AUTH" "$GW/api/v1/mpesa/transactions?kind=stk&status=$1&limit=200${cursor:+&cursor=$cursor}")" || { echo -1; return; }
        n=$(jq '.data.items | length' <<<"$page")
        total=$((total + n))
        cursor=$(jq -r '.data.nextCursor // empty' <<<"$page")
        [ -z "$cursor" ] && break
    done
    echo "$total"
}
STK_DONE_MS=""
while :; do
    succ=$(count_status SUCCESS)
    if [ "$succ" -ge "$STK_OK" ]; then STK_DONE_MS=$(( $(now_ms) - t0 )); break; fi
    [ $(( $(now_ms) - t0 )) -gt $((DEADLINE_STK_S * 1000)) ] && break
    sleep 0.1
done
STK_FAILED=$(count_status FAILED)
STK_PENDING=$(count_status PENDING)
if [ -n "$STK_DONE_MS" ]; then
    STK_E2E=$(awk -v n="$STK_OK" -v ms="$STK_DONE_MS" 'BEGIN {printf "%.0f", n * 1000 / ms}')
    record "STK Push all SUCCESS" "$succ/$STK_OK SUCCESS after ${STK_DONE_MS} ms = $STK_E2E completed/s (FAILED $STK_FAILED, PENDING $STK_PENDING)" \
        "poll GET /api/v1/mpesa/transactions?kind=stk&status=SUCCESS|PENDING every 100 ms"
else
    record "STK Push all SUCCESS" "NOT REACHED in ${DEADLINE_STK_S}s: $succ SUCCESS, FAILED $STK_FAILED" \
        "poll GET /api/v1/mpesa/transactions?kind=stk&status=SUCCESS|PENDING every 100 ms"
fi

hwm_after "STK Push"

# 1b. Transactions list (auth + DB read over the rows just created) --------------------------------------
TX_PATH="/api/v1/mpesa/transactions"
curl -fs -H "$AUTH" "$GW$TX_PATH" >"$WORK/www/api/v1/mpesa/transactions.json"
TX_BYTES=$(wc -c <"$WORK/www/api/v1/mpesa/transactions.json")
TX_ROWS=$(jq '.data.items | length' "$WORK/www/api/v1/mpesa/transactions.json")
log "1b. GET $TX_PATH ($TX_ROWS items, $TX_BYTES B; gateway, then nginx)"
wrk_run gw-tx "$GW$TX_PATH" -H "$AUTH"
record "gateway GET $TX_PATH (Bearer, $TX_ROWS of $STK_OK rows)" "$WRK_RPS req/s, p50 $WRK_P50, p99 $WRK_P99 ${WRK_ERR}" \
    "$WRK_CMD -H 'Authorization: Bearer \$TOKEN' $GW$TX_PATH"
GW_TX_RPS=$WRK_RPS; GW_TX_P50=$WRK_P50; GW_TX_P99=$WRK_P99
wrk_run ng-tx "http://127.0.0.1:$NG_PORT$TX_PATH" -H "$AUTH"
record "nginx static transactions.json (${TX_BYTES} B)" "$WRK_RPS req/s, p50 $WRK_P50, p99 $WRK_P99" \
    "$WRK_CMD -H 'Authorization: Bearer \$TOKEN' http://127.0.0.1:$NG_PORT$TX_PATH"
NG_TX_RPS=$WRK_RPS; NG_TX_P50=$WRK_P50; NG_TX_P99=$WRK_P99
hwm_after "GET /api/v1/mpesa/transactions"

# 3. Callback ingestion: unique CheckoutRequestIDs, stored as unmatched and acknowledged -------------------
log "3. POST /api/v1/mpesa/callback (unique CheckoutRequestIDs)"
cat >"$WORK/callback.lua" <<'EOF'
-- Each request: an STK callback for a CheckoutRequestID nobody asked for (stored for review, acknowledged).
counter = 0
local threads = {}
function setup(thread)
    thread:set("tid", #threads + 1)
    table.insert(threads, thread)
end
function init(args)
    math.randomseed(os.time() * 100 + tid)
    prefix = "ws_CO_bench" .. tid .. "_" .. math.random(100000, 999999) .. "_"
end
request = function()
    counter = counter + 1
    local id = prefix .. counter
    local body = '{"Body":{"stkCallback":{"MerchantRequestID":"m-' .. id .. '","CheckoutRequestID":"' .. id ..
        '","ResultCode":1032,"ResultDesc":"Request cancelled by user"}}}'
    return wrk.format("POST", nil, {["Content-Type"] = "application/json"}, body)
end
EOF
CB_URL="$GW/api/v1/mpesa/callback?secret=$CALLBACK_SECRET"
wrk_run gw-callback "$CB_URL" -s "$WORK/callback.lua"
CB_RPS=$WRK_RPS
record "callback ingestion" "$WRK_RPS callbacks/s, p50 $WRK_P50, p99 $WRK_P99 ${WRK_ERR}" \
    "$WRK_CMD -s callback.lua '$GW/api/v1/mpesa/callback?secret=\$MPESA_CALLBACK_SECRET'"
CB_ERRORS="$WRK_ERR"

GW_LOAD_HWM="$(kb_of "$GW_PID" VmHWM)"
GW_LOAD_RSS="$(kb_of "$GW_PID" VmRSS)"
record "gateway VmHWM after loads" "$(mb "$GW_LOAD_HWM") MB (VmRSS now $(mb "$GW_LOAD_RSS") MB)" \
    "grep -E 'VmHWM|VmRSS' /proc/\$(pidof haven-mpesa)/status"
NG_LOAD_HWM="$(tree_hwm_kb "$NGINX_PID")"
record "nginx VmHWM after loads (master+workers)" "$(mb "$NG_LOAD_HWM") MB" "sum of VmHWM over nginx processes"

# 4. Memory with idle keep-alive connections ---------------------------------------------------------------
cat >"$WORK/hold.py" <<'EOF'
# Opens N keep-alive connections, makes one request on each, then holds them all until stdin closes.
import socket, sys
host, port, path, n = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
req = f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: keep-alive\r\n\r\n".encode()
socks, ok = [], 0
for _ in range(n):
    s = socket.create_connection((host, port), timeout=10)
    s.sendall(req)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    if data.startswith(b"HTTP/1.1 200"):
        ok += 1
    socks.append(s)
print(ok, flush=True)
sys.stdin.read()
EOF
hold_measure() {  # hold_measure PORT PID KIND -> sets HOLD_OK HOLD_RSS
    local fifo="$WORK/hold.fifo"
    rm -f "$fifo"; mkfifo "$fifo"
    python3 "$WORK/hold.py" 127.0.0.1 "$1" /api/v1/config "$IDLE_N" <"$fifo" >"$WORK/hold.out" 2>&1 &
    HOLD_PID=$!
    exec 9>"$fifo"
    for _ in $(seq 1 300); do [ -s "$WORK/hold.out" ] && break; kill -0 "$HOLD_PID" 2>/dev/null || break; sleep 0.1; done
    sleep 1
    HOLD_OK="$(head -n1 "$WORK/hold.out")"
    if [ "$3" = tree ]; then HOLD_RSS="$(tree_rss_kb "$2")"; else HOLD_RSS="$(kb_of "$2" VmRSS)"; fi
    exec 9>&-
    wait "$HOLD_PID" 2>/dev/null || true
    HOLD_PID=""
}
log "4. $IDLE_N idle keep-alive connections"
hold_measure "$GW_PORT" "$GW_PID" single
GW_HOLD_OK=$HOLD_OK; GW_HOLD_RSS=$HOLD_RSS; GW_HOLD_HWM="$(kb_of "$GW_PID" VmHWM)"
record "gateway RSS with $GW_HOLD_OK/$IDLE_N idle keep-alive connections" \
    "$(mb "$GW_HOLD_RSS") MB (+$(mb $((GW_HOLD_RSS - GW_LOAD_RSS))) MB vs before; VmHWM $(mb "$GW_HOLD_HWM") MB)" \
    "python3 hold.py 127.0.0.1 PORT /api/v1/config $IDLE_N; grep VmRSS /proc/PID/status"
sleep 0.5
NG_BEFORE_RSS="$(tree_rss_kb "$NGINX_PID")"
hold_measure "$NG_PORT" "$NGINX_PID" tree
NG_HOLD_OK=$HOLD_OK; NG_HOLD_RSS=$HOLD_RSS
record "nginx RSS with $NG_HOLD_OK/$IDLE_N idle keep-alive connections" \
    "$(mb "$NG_HOLD_RSS") MB (+$(mb $((NG_HOLD_RSS - NG_BEFORE_RSS))) MB vs before)" \
    "python3 hold.py 127.0.0.1 PORT /api/v1/config $IDLE_N; sum VmRSS of nginx processes"

# 5. Concurrency probe, last (a regression could leave the gateway stalled): many STK pushes at once ------------
PROBE_P="${BENCH_PROBE_PARALLEL:-16}"
PROBE_N=$((PROBE_P * 3))
log "5. probe: $PROBE_N STK pushes, $PROBE_P in parallel, 5 s cap each"
: >"$WORK/probe.curl"
for i in $(seq 1 "$PROBE_N"); do
    phone=$(printf '2547%08d' $((60000000 + i * 104729)))
    cat >>"$WORK/probe.curl" <<EOF
url = "$GW/api/v1/mpesa/stk-push"
header = "$AUTH"
header = "Content-Type: application/json"
data = "{\"phoneNumber\":\"$phone\",\"amount\":$((10 + i)),\"accountReference\":\"P$i\",\"transactionDesc\":\"Rent\"}"
output = "/dev/null"
write-out = "%{http_code} %{time_total}\\n"
EOF
    if [ "$i" -lt "$PROBE_N" ]; then echo "next" >>"$WORK/probe.curl"; fi
done
t0=$(now_ms)
timeout 15 curl -s --parallel --parallel-max "$PROBE_P" --max-time 5 -K "$WORK/probe.curl" >"$WORK/probe.out" 2>/dev/null || true
PROBE_MS=$(( $(now_ms) - t0 ))
PROBE_OK=$(awk '$1==200' "$WORK/probe.out" | wc -l)
PROBE_STUCK=$((PROBE_N - PROBE_OK))
PROBE_RESULT="$PROBE_OK/$PROBE_N accepted in $PROBE_MS ms ($PROBE_STUCK with no answer within 5 s, or an error)"
record "STK Push probe at $PROBE_P parallel" "$PROBE_RESULT" \
    "timeout 15 curl --parallel --parallel-max $PROBE_P --max-time 5 -K probe.curl  # $PROBE_N pushes"

# --- summary -------------------------------------------------------------------------------------------------
frac() { awk -v a="$1" -v b="$2" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "n/a"}'; }
DATE="$(date -u '+%Y-%m-%d %H:%M UTC')"
COMMIT="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
CPU="$(nproc) cores, $(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
OUT="$WORK/latest.md"
{
    echo "# Haven M-Pesa benchmark — $DATE"
    echo
    echo "Commit $COMMIT, $CPU, loopback only. Binary: \`$BIN\`. Reference: nginx $("$NGINX_BIN" -v 2>&1 | sed 's/.*nginx\///')"
    echo "(2 workers, static files holding the gateway's own answers). wrk ${DURATION}s, 2 threads, $CONNS connections."
    echo
    echo "| benchmark | gateway | nginx reference | gateway / nginx |"
    echo "|---|---|---|---|"
    echo "| GET /api/v1/config (${CONFIG_BYTES} B) req/s | $GW_CONFIG_RPS | $NG_CONFIG_RPS | $(frac "$GW_CONFIG_RPS" "$NG_CONFIG_RPS") |"
    echo "| GET /api/v1/config p50 / p99 | $GW_CONFIG_P50 / $GW_CONFIG_P99 | $NG_CONFIG_P50 / $NG_CONFIG_P99 | |"
    echo "| GET /api/v1/mpesa/transactions (Bearer, ${TX_ROWS} items, ${TX_BYTES} B) req/s | $GW_TX_RPS | $NG_TX_RPS | $(frac "$GW_TX_RPS" "$NG_TX_RPS") |"
    echo "| GET /api/v1/mpesa/transactions p50 / p99 | $GW_TX_P50 / $GW_TX_P99 | $NG_TX_P50 / $NG_TX_P99 | |"
    echo "| STK Push accepted ($STK_OK/$STK_N, $STK_P parallel) | $STK_RPS pushes/s (p50 $STK_P50, p99 $STK_P99) | | |"
    echo "| STK Push until all SUCCESS (callback delay ${SIMULATOR_CALLBACK_DELAY_MS} ms) | ${STK_DONE_MS:-not reached} ms (${STK_E2E:-?} /s; FAILED $STK_FAILED) | | |"
    echo "| STK Push probe: $PROBE_N pushes at $PROBE_P parallel | $PROBE_RESULT | | |"
    echo "| callback ingestion (unique ids, stored + acknowledged) | $CB_RPS callbacks/s ${CB_ERRORS} | | |"
    echo "| RSS idle (MB; gateway VmHWM) | $(mb "$GW_IDLE_HWM") | $(mb "$NG_IDLE_RSS") | $(frac "$GW_IDLE_HWM" "$NG_IDLE_RSS") |"
    echo "| VmHWM after all loads (MB) | $(mb "$GW_LOAD_HWM") | $(mb "$NG_LOAD_HWM") | $(frac "$GW_LOAD_HWM" "$NG_LOAD_HWM") |"
    echo "| RSS with $IDLE_N idle keep-alive connections (MB) | $(mb "$GW_HOLD_RSS") ($GW_HOLD_OK open) | $(mb "$NG_HOLD_RSS") ($NG_HOLD_OK open) | $(frac "$GW_HOLD_RSS" "$NG_HOLD_RSS") |"
    echo "| RSS per idle connection (KB) | $(awk -v a="$GW_HOLD_RSS" -v b="$GW_LOAD_RSS" -v n="$IDLE_N" 'BEGIN {printf "%.1f", (a-b)/n}') | $(awk -v a="$NG_HOLD_RSS" -v b="$NG_BEFORE_RSS" -v n="$IDLE_N" 'BEGIN {printf "%.1f", (a-b)/n}') | |"
    echo
    echo "## Each number and the command that produced it"
    echo
    echo "| measurement | value | command |"
    echo "|---|---|---|"
    while IFS=$'\t' read -r name value cmd; do
        echo "| $name | $value | \`${cmd//|/\\|}\` |"
    done <"$RESULTS"
} >"$OUT"
mkdir -p "$HERE/results"
cp "$OUT" "$HERE/results/latest.md"
echo
cat "$OUT"
echo
log "written to bench/results/latest.md"

# 6. Login storm, with its own gateway (64 concurrent logins; see bench/logins.sh) --------------------------------
"$HERE/logins.sh" "$BUILD_DIR" || log "login storm failed (see above)"
