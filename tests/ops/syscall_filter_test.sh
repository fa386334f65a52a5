#!/usr/bin/env bash
# The system-call filters of deploy/haven-mpesa.service and deploy/haven-mpesa-backup.service allow every system call
# the programs make: systemd answers EPERM to any other, which would break the gateway in production only.
#   - `haven-mpesa serve` (simulator mode), run as an unprivileged user under strace -f: starts, logs a user in
#     (argon2id), sends an STK push to its built-in simulator (outbound HTTP), settles it from the simulator's callback
#     (a write), stops on SIGTERM;
#   - `haven-mpesa backup` on that database.
# The allowed set is computed from the units' own SystemCallFilter= lines with `systemd-analyze syscall-filter`; the
# sockets' address families are checked against RestrictAddressFamilies= too.
# Needs strace, systemd-analyze, curl, python3 (scripts/install-deps.sh --test); a missing one fails the test.
# Usage: syscall_filter_test.sh PATH/TO/haven-mpesa
set -euo pipefail
BIN=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/../.." && pwd)

fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in strace systemd-analyze curl python3 setpriv; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh --test)"
done

T=$(mktemp -d)
gw_pid=""
cleanup() {
    if [ -n "$gw_pid" ]; then
        pkill -KILL -P "$gw_pid" 2>/dev/null || true  # the gateway: strace's child, by its parent's id
        kill "$gw_pid" 2>/dev/null || true
        wait "$gw_pid" 2>/dev/null || true
    fi
    rm -rf "$T"
}
trap cleanup EXIT

# As the service would run: not root. (As root, SQLite also chowns its -wal and -shm files to the database's owner.)
as_user=()
if [ "$(id -u)" = 0 ]; then
    chown nobody "$T"
    as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
    # A build in a folder only root may enter: a copy the user can run.
    if ! "${as_user[@]}" test -x "$BIN"; then
        cp "$BIN" "$T/haven-mpesa"
        BIN="$T/haven-mpesa"
    fi
fi

# Every system call a unit's SystemCallFilter= lines allow: the union of the allow lists minus the ~ deny lists.
expand() {  # names and @groups -> names, one a line
    local item
    for item in "$@"; do
        if [[ "$item" == @* ]]; then
            expand $(systemd-analyze syscall-filter "$item" | awk 'NR > 1 && /^ +[@a-z0-9_]/ {print $1}')
        else
            echo "$item"
        fi
    done
}
allowed() {  # UNIT -> sorted allowed names
    local allow=() deny=() value
    while IFS= read -r value; do
        if [[ "$value" == "~"* ]]; then deny+=(${value#\~}); else allow+=($value); fi
    done < <(sed -n 's/^SystemCallFilter=//p' "$1")
    [ ${#allow[@]} -gt 0 ] || fail "$1 has no SystemCallFilter="
    comm -23 <(expand "${allow[@]}" | sort -u) <(expand "${deny[@]}" | sort -u)
}
used() {  # strace -C output (the calls, then the summary table) -> sorted names from the summary
    awk '/^% time +seconds/ {table = 1; next} table && $NF != "total" && $1 !~ /^-/ && NF >= 4 {print $NF}' "$1" |
        sort -u
}
families() {  # strace -C output -> the address families of the sockets opened, sorted
    grep -o 'socket(AF_[A-Z0-9]*' "$1" | sed 's/socket(//' | sort -u || true
}
check() {  # UNIT SUMMARY WHAT
    allowed "$1" >"$T/allowed"
    used "$2" >"$T/used"
    [ "$(wc -l <"$T/used")" -gt 20 ] || fail "strace saw too few system calls for $3: $(cat "$2")"
    outside=$(comm -23 "$T/used" "$T/allowed" | tr '\n' ' ')
    [ -z "$outside" ] || fail "$3 makes system calls that $(basename "$1") forbids: $outside"
    # RestrictAddressFamilies=: a socket of another family fails with EAFNOSUPPORT under the unit.
    local allowed_families
    allowed_families=$(sed -n 's/^RestrictAddressFamilies=//p' "$1" | tr ' ' '\n' | sort -u)
    [ -n "$allowed_families" ] || fail "$1 has no RestrictAddressFamilies="
    outside=$(comm -23 <(families "$2") <(echo "$allowed_families") | tr '\n' ' ')
    [ -z "$outside" ] || fail "$3 opens sockets of families that $(basename "$1") forbids: $outside"
    local opened
    opened=$(families "$2" | tr '\n' ' ')
    echo "ok: $3 made $(wc -l <"$T/used") distinct system calls, sockets: ${opened:-none}; all allowed by $(basename "$1")"
}

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ENV=(PATH=/usr/bin:/bin MPESA_ENVIRONMENT=simulator HOST=127.0.0.1 PORT="$PORT" DATABASE_URL="sqlite:$T/haven.db"
    SIMULATOR_CALLBACK_DELAY_MS=100 JWT_SECRET=syscall-filter-test-jwt-secret-0123456789)
EMAIL=ops@test.example
PASSWORD=Correct-Horse-77-Battery
(cd "$T" && "${as_user[@]}" env -i "${ENV[@]}" "$BIN" user add --email "$EMAIL" --password "$PASSWORD" --role admin \
    --agency "Ops Agency") >"$T/user.log" 2>&1 || fail "user add: $(cat "$T/user.log")"

(cd "$T" && exec "${as_user[@]}" env -i "${ENV[@]}" strace -f -qq -C -o "$T/serve.strace" "$BIN" serve) \
    >"$T/serve.log" 2>&1 &
gw_pid=$!
base="http://127.0.0.1:$PORT"
until=$((SECONDS + 60))
until curl -s -o /dev/null "$base/api/v1/health"; do
    [ $SECONDS -lt $until ] || fail "the gateway did not start under strace: $(tail -20 "$T/serve.log")"
    kill -0 "$gw_pid" 2>/dev/null || fail "the gateway exited: $(tail -20 "$T/serve.log")"
    sleep 0.1
done
token=$(curl -sS "$base/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["token"])') ||
    fail "login failed"
push=$(curl -sS "$base/api/v1/mpesa/stk-push" -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d '{"phoneNumber":"0708374149","amount":150,"accountReference":"B4","transactionDesc":"Rent"}')
id=$(echo "$push" | python3 -c 'import json, sys; print(json.load(sys.stdin)["data"]["transactionId"])') ||
    fail "STK push: $push"
until=$((SECONDS + 60))
until curl -sS "$base/api/v1/mpesa/transactions/$id" -H "Authorization: Bearer $token" | grep -q '"SUCCESS"'; do
    [ $SECONDS -lt $until ] || fail "the push was not settled by the simulator's callback: $(tail -20 "$T/serve.log")"
    sleep 0.1
done
# SIGTERM to the gateway itself (strace's child), as systemd would send it; strace ends when it does.
serve_pid=$(pgrep -P "$gw_pid" || true)
[ -n "$serve_pid" ] || fail "no gateway process under strace"
kill -TERM "$serve_pid"
until=$((SECONDS + 30))
while kill -0 "$gw_pid" 2>/dev/null; do
    [ $SECONDS -lt $until ] || fail "the gateway did not stop on SIGTERM: $(tail -20 "$T/serve.log")"
    sleep 0.1
done
wait "$gw_pid" || fail "the gateway did not stop cleanly on SIGTERM: $(tail -20 "$T/serve.log")"
gw_pid=""
check "$SRC/deploy/haven-mpesa.service" "$T/serve.strace" "haven-mpesa serve (start, login, STK push, callback, stop)"

(cd "$T" && "${as_user[@]}" env -i "${ENV[@]}" strace -f -qq -C -o "$T/backup.strace" "$BIN" backup "$T/copy.db") \
    >"$T/backup.log" 2>&1 || fail "backup: $(cat "$T/backup.log")"
check "$SRC/deploy/haven-mpesa-backup.service" "$T/backup.strace" "haven-mpesa backup"
echo "system-call filters: all checks passed"
