# Shared by the benchmark scripts (sourced): paths, small /proc readers, a free port, and starting one gateway.
# Expects BUILD_DIR (default build) and a log() function; sets ROOT and BIN.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
case "$BUILD_DIR" in /*) ;; *) BUILD_DIR="$ROOT/$BUILD_DIR" ;; esac
BIN="$BUILD_DIR/haven-mpesa"
CALLBACK_SECRET="bench-callback-secret-0123456789abcdef"  # 38 chars, known to the callback load
BENCH_EMAIL="bench@bench.local"
BENCH_PASSWORD="bench-password-2026"

die() { log "error: $*"; exit 1; }
kb_of() { awk -v k="$2:" '$1==k {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k/1024}'; }
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_gateway WORK_DIR [ENV=VALUE ...]: a gateway in simulator mode on SQLite in WORK_DIR, with one admin user;
# waits until it answers. Sets GW_PID, GW_PORT and GW (its base URL).
start_gateway() {
    local work="$1"
    shift
    GW_PORT="$(free_port)"
    export HOST=127.0.0.1 PORT="$GW_PORT" DATABASE_URL="sqlite:$work/bench.db" MPESA_ENVIRONMENT=simulator
    export JWT_SECRET="bench-jwt-secret-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"
    export MPESA_CALLBACK_SECRET="$CALLBACK_SECRET" RATE_LIMIT_PER_SECOND=0 SIMULATOR_INTERACTIVE=0
    export RECONCILE_AFTER_SECONDS=3600
    local kv
    for kv in "$@"; do export "${kv?}"; done
    (cd "$work" && "$BIN" migrate >"$work/migrate.log" 2>&1) || { cat "$work/migrate.log" >&2; die "migrate failed"; }
    (cd "$work" && "$BIN" user add --email "$BENCH_EMAIL" --password "$BENCH_PASSWORD" --role admin --agency Bench \
        >"$work/user.log" 2>&1) || { cat "$work/user.log" >&2; die "user add failed"; }
    cd "$work"
    "$BIN" serve >"$work/gateway.log" 2>&1 &
    GW_PID=$!
    GW="http://127.0.0.1:$GW_PORT"
    for _ in $(seq 1 100); do curl -fs "$GW/api/v1/health" >/dev/null 2>&1 && break; sleep 0.1; done
    curl -fs "$GW/api/v1/health" >/dev/null || die "gateway did not start"
}

# bench_login: a bearer token for the bench user.
bench_login() {
    local token
    token="$(curl -fs "$GW/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASSWORD\"}" | jq -r .data.token)"
    [ -n "$token" ] && [ "$token" != null ] || die "login failed"
    printf '%s' "$token"
}
