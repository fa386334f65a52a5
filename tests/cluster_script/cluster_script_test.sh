#!/usr/bin/env bash
# scripts/cluster.sh from a clean state directory, the way a new user runs it:
#   up      starts the PostgreSQL pair and its monitor, the simulator, three nodes and HAProxy, and returns once the
#           standby is in sync; a second `up` changes nothing (the same processes);
#   status  shows every part up, the standby in sync, every node UP in HAProxy (exit status 0);
#   a push through HAProxy is accepted and settles from the simulator's callback (which comes through HAProxy too);
#   down    leaves no process of the cluster running and no port of it open.
#   tests/cluster_script/cluster_script_test.sh BINARY
set -euo pipefail

BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
CLUSTER="$ROOT/scripts/cluster.sh"
DIR="$(mktemp -d /tmp/haven-cluster-test.XXXXXX)"
chmod 755 "$DIR"  # PostgreSQL runs as the postgres user and enters it
export HAVEN_CLUSTER_DIR="$DIR" HAVEN_BIN="$BIN"

fail() { echo "FAIL: $*" >&2; exit 1; }
cleanup() {
    local rc=$?
    if [ "$rc" -ne 0 ]; then
        for f in "$DIR"/logs/*.log; do [ -f "$f" ] && { echo "--- tail of $f" >&2; tail -n 15 "$f" >&2; }; done
    fi
    "$CLUSTER" down >/dev/null 2>&1 || true
    rm -rf "$DIR"
    exit "$rc"
}
trap cleanup EXIT

# Processes whose working directory or command line lies in the state directory (as cluster.sh starts them).
cluster_processes() {
    local p cwd
    for p in /proc/[0-9]*; do
        p="${p#/proc/}"
        [ "$p" = "$$" ] && continue
        [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = Z ] && continue
        cwd="$(readlink "/proc/$p/cwd" 2>/dev/null || true)"
        if [ "${cwd#"$DIR"}" != "$cwd" ] || tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF "$DIR/"; then
            echo "$p $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | cut -c1-120)"
        fi
    done
}
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start=$(date +%s)
"$CLUSTER" up >"$DIR/up.out" 2>"$DIR/up.err" || { cat "$DIR/up.out" "$DIR/up.err" >&2; fail "cluster.sh up failed"; }
echo "up in $(($(date +%s) - start)) s"
grep -q "Dashboard:  http://127.0.0.1:" "$DIR/up.out" || fail "up did not print the URL: $(cat "$DIR/up.out")"
grep -q "Login:      " "$DIR/up.out" || fail "up did not print the login"

eval "$("$CLUSTER" env)"

# A second `up` finds everything running and starts nothing.
pids_before="$(cat "$DIR"/run/*.pid | sort | tr '\n' ' ')"
"$CLUSTER" up >/dev/null 2>"$DIR/up2.err" || { cat "$DIR/up2.err" >&2; fail "the second up failed"; }
pids_after="$(cat "$DIR"/run/*.pid | sort | tr '\n' ' ')"
[ "$pids_before" = "$pids_after" ] || fail "the second up restarted something: $pids_before -> $pids_after"
grep -q "starting\|creating" "$DIR/up2.err" && fail "the second up started something: $(cat "$DIR/up2.err")"

# status: every part up, the standby in sync, every node UP behind HAProxy.
"$CLUSTER" status >"$DIR/status.out" 2>&1 || { cat "$DIR/status.out" >&2; fail "status exited non-zero with the cluster up"; }
cat "$DIR/status.out"
for part in monitor node1 node2 simulator gw1 gw2 gw3 haproxy; do
    grep -Eq "^  $part +up " "$DIR/status.out" || fail "status does not show $part up"
done
grep -q "sync: the standby is in sync" "$DIR/status.out" || fail "status does not show the standby in sync"
grep -Eq "reported primary, assigned primary" "$DIR/status.out" || fail "status shows no primary"
grep -Eq "reported secondary, assigned secondary" "$DIR/status.out" || fail "status shows no secondary"
[ "$(grep -Ec '^    gw[123] +UP$' "$DIR/status.out")" = 3 ] || fail "HAProxy does not show the three nodes UP"

# One push through HAProxy; the simulator's callback comes back through HAProxy and settles it.
token="$(curl -fsS "$LB_URL/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}" | jq -r .data.token)"
[ -n "$token" ] && [ "$token" != null ] || fail "login through HAProxy failed"
push="$(curl -sS "$LB_URL/api/v1/mpesa/stk-push" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -H "Idempotency-Key: cluster-script-$$" \
    -d '{"phoneNumber":"0708374149","amount":1500,"accountReference":"CLUSTER","transactionDesc":"Rent"}')"
checkout="$(jq -r '.data.checkoutRequestId // empty' <<<"$push")"
[ -n "$checkout" ] || fail "the push through HAProxy was not accepted: $push"
status=""
for _ in $(seq 1 100); do
    status="$(curl -fsS "$LB_URL/api/v1/mpesa/status/$checkout" -H "Authorization: Bearer $token" | jq -r .data.status)"
    [ "$status" = SUCCESS ] && break
    sleep 0.2
done
[ "$status" = SUCCESS ] || fail "the push did not settle from its callback through HAProxy (status $status)"
echo "push $checkout settled: $status"

# down: nothing of the cluster left, no port of it answering.
"$CLUSTER" down >"$DIR/down.out" 2>&1 || { cat "$DIR/down.out" >&2; fail "down failed"; }
left="$(cluster_processes)"
[ -z "$left" ] || fail "processes left after down:
$left"
for port in "${LB_URL##*:}" "${SIM_URL##*:}" "$MONITOR_PORT" "$PG_PORT_node1" "$PG_PORT_node2" "${GW_URL_1##*:}" \
    "${GW_URL_2##*:}" "${GW_URL_3##*:}"; do
    port_open "$port" && fail "port $port still open after down"
done
"$CLUSTER" status >/dev/null 2>&1 && fail "status exits 0 with the cluster down"
echo "down: no process, no port left"
