#!/usr/bin/env bash
# Login storm: 64 clients logging in over and over (argon2id, ~64 MiB per check) against one gateway, while a
# health check, a transactions read and a Daraja callback are timed at the same moment. Shows the bound on
# password hashing (HASH_CONCURRENCY / HASH_QUEUE): peak memory stays low and other requests stay fast; logins
# beyond the bound answer 429 at once (the client then waits its Retry-After, 1 s, as a person at the login page would).
#   ./bench/logins.sh [BUILD_DIR]      (also run at the end of ./bench/run.sh)
# Knobs (env): BENCH_LOGIN_CLIENTS (64), BENCH_LOGIN_SECONDS (10). Writes bench/results/logins.md.
set -euo pipefail

BUILD_DIR="${1:-build}"
HERE="$(cd "$(dirname "$0")" && pwd)"
log() { printf '[bench logins] %s\n' "$*" >&2; }
# shellcheck source=bench/lib.sh
. "$HERE/lib.sh"
CLIENTS="${BENCH_LOGIN_CLIENTS:-64}"
LOAD_SECONDS="${BENCH_LOGIN_SECONDS:-10}"

for tool in curl jq python3; do command -v "$tool" >/dev/null || die "$tool is needed"; done
[ -x "$BIN" ] || die "$BIN not found; run make build first"

WORK="$(mktemp -d /tmp/haven-bench-logins.XXXXXX)"
GW_PID=""
PROBE_PID=""
cleanup() {
    local rc=$?
    for pid in $PROBE_PID $GW_PID; do
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill "$pid" 2>/dev/null || true; fi
    done
    for pid in $PROBE_PID $GW_PID; do
        for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    done
    if [ "$rc" -ne 0 ] && [ -f "$WORK/gateway.log" ]; then tail -n 20 "$WORK/gateway.log" >&2 || true; fi
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# pct FILE P: the P-th percentile (ms) of the seconds listed one per line in FILE.
pct() {
    awk '{print $1*1000}' "$1" | sort -n | awk -v p="$2" '{a[NR]=$1}
        END {if (!NR) {print "n/a"; exit} i=int(NR*p/100+0.5); if (i<1) i=1; if (i>NR) i=NR; printf "%.1f ms", a[i]}'
}

start_gateway "$WORK"
BODY="{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASSWORD\"}"  # the storm's clients log in with it
TOKEN="$(bench_login)"
sleep 0.5
IDLE_HWM="$(kb_of "$GW_PID" VmHWM)"  # after one login: one hash has run

# The probe: every 50 ms one timed health check, transactions read and callback (an unknown CheckoutRequestID,
# stored as unmatched and acknowledged), each on a new connection, until killed.
probe() {  # probe SUFFIX
    local n=0
    while :; do
        n=$((n + 1))
        curl -s -o /dev/null -w '%{time_total}\n' "$GW/api/v1/health" >>"$WORK/health-$1.txt"
        curl -s -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $TOKEN" \
            "$GW/api/v1/mpesa/transactions?limit=5" >>"$WORK/tx-$1.txt"
        curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json' \
            -d "{\"Body\":{\"stkCallback\":{\"MerchantRequestID\":\"m-$1-$n\",\"CheckoutRequestID\":\"ws_CO_probe_$1_$n\",\"ResultCode\":1032,\"ResultDesc\":\"Request cancelled by user\"}}}" \
            "$GW/api/v1/mpesa/callback?secret=$CALLBACK_SECRET" >>"$WORK/cb-$1.txt"
        sleep 0.05
    done
}
probe quiet &
PROBE_PID=$!
sleep 3
kill "$PROBE_PID"; wait "$PROBE_PID" 2>/dev/null || true; PROBE_PID=""

# The storm: CLIENTS threads, each on its own keep-alive connection, log in with the right password (so every
# admitted login is hashed and none is throttled) for LOAD_SECONDS; after a 429 a client waits Retry-After
# (give or take half: clients do not retry in lockstep).
cat >"$WORK/storm.py" <<'PY'
import http.client, random, sys, threading, time
port, clients, seconds, body = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
deadline = time.monotonic() + seconds
lock = threading.Lock()
rows = []
def client():
    conn = None
    while time.monotonic() < deadline:
        if conn is None:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        t0 = time.monotonic()
        try:
            conn.request("POST", "/api/v1/auth/login", body, {"Content-Type": "application/json"})
            res = conn.getresponse()
            res.read()
            status, retry = res.status, res.getheader("Retry-After")
        except Exception:
            status, retry, conn = 0, None, None
        with lock:
            rows.append((status, time.monotonic() - t0))
        if status == 429:
            # People do not retry in lockstep: Retry-After, give or take half.
            time.sleep(float(retry or 1) * random.uniform(0.5, 1.5))
threads = [threading.Thread(target=client) for _ in range(clients)]
for t in threads: t.start()
for t in threads: t.join()
for status, secs in rows:
    print(status, f"{secs:.4f}")
PY
probe load &
PROBE_PID=$!
log "$CLIENTS clients logging in for ${LOAD_SECONDS}s, while timing health, a transactions read and a callback"
python3 "$WORK/storm.py" "$PORT" "$CLIENTS" "$LOAD_SECONDS" "$BODY" >"$WORK/logins.out"
kill "$PROBE_PID"; wait "$PROBE_PID" 2>/dev/null || true; PROBE_PID=""
LOAD_HWM="$(kb_of "$GW_PID" VmHWM)"
LOAD_RSS="$(kb_of "$GW_PID" VmRSS)"

OK=$(awk '$1==200' "$WORK/logins.out" | wc -l)
BUSY=$(awk '$1==429' "$WORK/logins.out" | wc -l)
OTHER=$(awk '$1!=200 && $1!=429' "$WORK/logins.out" | wc -l)
awk '$1==200 {print $2}' "$WORK/logins.out" >"$WORK/ok-times.txt"
awk '$1==429 {print $2}' "$WORK/logins.out" >"$WORK/busy-times.txt"
CORES="$(nproc)"
OUT="$WORK/logins.md"
{
    echo "# Login storm — $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo
    echo "Commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown), $CORES cores, loopback, defaults" \
         "(HASH_CONCURRENCY=$CORES, HASH_QUEUE=$((2 * CORES))). $CLIENTS clients log in with the right password over" \
         "and over for ${LOAD_SECONDS} s, each on its own keep-alive connection (after a 429 a client waits" \
         "Retry-After, give or take half), while one probe times \`GET /api/v1/health\`, \`GET /api/v1/mpesa/transactions?limit=5\` and" \
         "\`POST /api/v1/mpesa/callback\` every 50 ms (curl, a new connection each)."
    echo
    echo "| measurement | value |"
    echo "|---|---|"
    echo "| logins answered | $OK x 200 ($(awk -v n="$OK" -v s="$LOAD_SECONDS" 'BEGIN {printf "%.1f", n/s}')/s), $BUSY x 429 (busy, \`Retry-After: 1\`), $OTHER other |"
    echo "| login time p50 / p99 (200) | $(pct "$WORK/ok-times.txt" 50) / $(pct "$WORK/ok-times.txt" 99) |"
    echo "| login time p50 / p99 (429) | $(pct "$WORK/busy-times.txt" 50) / $(pct "$WORK/busy-times.txt" 99) |"
    echo "| gateway VmHWM after one login / after the storm | $(mb "$IDLE_HWM") MB / $(mb "$LOAD_HWM") MB (VmRSS after: $(mb "$LOAD_RSS") MB) |"
    for what in health tx cb; do
        case $what in
            health) name="GET /api/v1/health" ;;
            tx) name="GET /api/v1/mpesa/transactions?limit=5" ;;
            cb) name="POST /api/v1/mpesa/callback" ;;
        esac
        echo "| $name p50 / p99: quiet ($(wc -l <"$WORK/$what-quiet.txt") probes) -> storm ($(wc -l <"$WORK/$what-load.txt")) |" \
             "$(pct "$WORK/$what-quiet.txt" 50) / $(pct "$WORK/$what-quiet.txt" 99) ->" \
             "$(pct "$WORK/$what-load.txt" 50) / $(pct "$WORK/$what-load.txt" 99) |"
    done
} >"$OUT"
mkdir -p "$HERE/results"
cp "$OUT" "$HERE/results/logins.md"
cat "$OUT"
[ "$LOAD_HWM" -lt $((300 * 1024)) ] || log "WARNING: peak RSS $(mb "$LOAD_HWM") MB is above 300 MB"
