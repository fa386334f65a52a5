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

# gateway_env WORK_DIR [DATABASE_URL]: the environment of a bench gateway (simulator mode, SQLite in WORK_DIR unless
# a DATABASE_URL is given). BENCH_JWT_SECRET, when set, is shared (the bench's peer verifies the same tokens).
gateway_env() {
    GW_PORT="$(free_port)"
    export HOST=127.0.0.1 PORT="$GW_PORT" DATABASE_URL="${2:-sqlite:$1/bench.db}" MPESA_ENVIRONMENT=simulator
    export JWT_SECRET="${BENCH_JWT_SECRET:-bench-jwt-secret-$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')}"
    export MPESA_CALLBACK_SECRET="$CALLBACK_SECRET" RATE_LIMIT_PER_SECOND=0 SIMULATOR_INTERACTIVE=0
    export RECONCILE_AFTER_SECONDS="${RECONCILE_AFTER_SECONDS:-3600}"
}

# gateway_prepare WORK_DIR: migrate the database and add the bench user (an admin of agency "Bench", id 1).
gateway_prepare() {
    (cd "$1" && "$BIN" migrate >"$1/migrate.log" 2>&1) || { cat "$1/migrate.log" >&2; die "migrate failed"; }
    (cd "$1" && "$BIN" user add --email "$BENCH_EMAIL" --password "$BENCH_PASSWORD" --role admin --agency Bench \
        >"$1/user.log" 2>&1) || { cat "$1/user.log" >&2; die "user add failed"; }
}

# gateway_serve WORK_DIR [ENV=VALUE ...]: start `haven-mpesa serve` (ENV only for it) and wait until it answers.
# Sets GW_PID, GW.
gateway_serve() {
    local work="$1"
    shift
    cd "$work"
    env "$@" "$BIN" serve >"$work/gateway.log" 2>&1 &
    GW_PID=$!
    GW="http://127.0.0.1:$GW_PORT"
    for _ in $(seq 1 100); do curl -fs "$GW/api/v1/health" >/dev/null 2>&1 && break; sleep 0.1; done
    curl -fs "$GW/api/v1/health" >/dev/null || die "gateway did not start"
}

# start_gateway WORK_DIR [ENV=VALUE ...]: a gateway in simulator mode on SQLite in WORK_DIR, with one admin user;
# waits until it answers. Sets GW_PID, GW_PORT and GW (its base URL).
start_gateway() {
    local work="$1"
    shift
    gateway_env "$work"
    local kv
    for kv in "$@"; do export "${kv?}"; done
    gateway_prepare "$work"
    gateway_serve "$work"
}

# stop_pid PID: TERM, wait up to 5 s, then KILL.
stop_pid() {
    local pid="$1"
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null || return 0
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
}

# bench_base_dir: where benchmark databases live: the real disk (never tmpfs, where fsync costs nothing).
bench_base_dir() {
    local base="${BENCH_WORK_BASE:-/tmp}"
    if [ "$(stat -f -c %T "$base" 2>/dev/null)" = tmpfs ]; then base="$ROOT/bench/.work"; fi
    mkdir -p "$base"
    printf '%s' "$base"
}

# seed_sql sqlite|postgres ROWS PENDING_PERCENT NOW_EPOCH: SQL adding ROWS STK transactions to agency 1 (of a freshly
# migrated database with the bench user), the same rows on both databases: 1000 leases, ids 1..ROWS with
# CheckoutRequestID ws_CO_bench_(10000000+i); row i is PENDING when i % 100 < PENDING_PERCENT, otherwise settled
# (FAILED 1032 when i % 10 = 9, else SUCCESS with receipt BS(10000000+i), its payment, a callback event and an
# audit row). Created over the last ROWS/2 seconds, so no row is old enough for the reconciler (RECONCILE_AFTER_SECONDS).
seed_sql() {
    local dialect="$1" rows="$2" pct="$3" now="$4" ts seq
    if [ "$dialect" = sqlite ]; then
        ts="strftime('%Y-%m-%dT%H:%M:%SZ', $now - ($rows - i) / 2, 'unixepoch')"
        seq="CREATE TEMP TABLE bench_seq (i INTEGER PRIMARY KEY);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $rows) INSERT INTO bench_seq SELECT i FROM s;"
    else
        ts="to_char(to_timestamp($now - ($rows - i) / 2) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
        seq="CREATE TEMP TABLE bench_seq (i BIGINT PRIMARY KEY);
INSERT INTO bench_seq SELECT generate_series(1, $rows);"
    fi
    cat <<SQL
BEGIN;
$seq
INSERT INTO leases (id, agency_id, tenant_name, phone_number, unit, monthly_rent, account_reference, created_at)
SELECT i, 1, 'Tenant ' || i, '2547' || (20000000 + i), 'Unit ' || i, 10000 + i, 'L' || i, $ts FROM bench_seq WHERE i <= 1000;
INSERT INTO transaction_ids (id, kind, created_at) SELECT i, 'stk', $ts FROM bench_seq;
INSERT INTO stk_transactions (id, agency_id, lease_id, user_id, phone_number, amount, account_reference, transaction_desc,
    merchant_request_id, checkout_request_id, status, result_code, result_desc, mpesa_receipt_number, transaction_date,
    created_at, updated_at, paid_amount, completed_at)
SELECT i, 1, 1 + i % 1000, 1, '2547' || (10000000 + (i * 7919) % 89999999), 1 + (i * 37) % 5000, 'B' || i, 'Rent',
    'bench-m-' || i, 'ws_CO_bench_' || (10000000 + i), st,
    CASE st WHEN 'SUCCESS' THEN 0 WHEN 'FAILED' THEN 1032 END,
    CASE st WHEN 'SUCCESS' THEN 'The service request is processed successfully.' WHEN 'FAILED' THEN 'Request Cancelled by user.' END,
    CASE st WHEN 'SUCCESS' THEN 'BS' || (10000000 + i) END,
    CASE st WHEN 'SUCCESS' THEN '20261201120000' END,
    $ts, $ts,
    CASE st WHEN 'SUCCESS' THEN 1 + (i * 37) % 5000 END,
    CASE WHEN st <> 'PENDING' THEN $ts END
FROM (SELECT i, CASE WHEN i % 100 < $pct THEN 'PENDING' WHEN i % 10 = 9 THEN 'FAILED' ELSE 'SUCCESS' END AS st
      FROM bench_seq) x;
INSERT INTO payments (agency_id, lease_id, transaction_id, amount, mpesa_receipt_number, phone_number, paid_at)
SELECT agency_id, lease_id, id, paid_amount, mpesa_receipt_number, phone_number, updated_at
FROM stk_transactions WHERE status = 'SUCCESS' ORDER BY id;
INSERT INTO stk_events (transaction_id, kind, payload, created_at)
SELECT id, 'request_sent', '{"AccountReference":"' || account_reference || '","Amount":' || amount || '}', created_at
FROM stk_transactions ORDER BY id;
INSERT INTO stk_events (transaction_id, kind, payload, created_at)
SELECT id, 'callback', '{"Body":{"stkCallback":{"CheckoutRequestID":"' || checkout_request_id || '","ResultCode":' || result_code || '}}}', updated_at
FROM stk_transactions WHERE status <> 'PENDING' ORDER BY id;
INSERT INTO audit_log (agency_id, actor_user_id, actor, action, target, request_id, outcome, at)
SELECT agency_id, NULL, 'daraja', 'stk.status', 'stk_transaction:' || id, 'seed', 'success: ' || status, updated_at
FROM stk_transactions WHERE status <> 'PENDING' ORDER BY id;
SQL
    if [ "$dialect" = postgres ]; then
        local t
        for t in transaction_ids leases stk_transactions payments stk_events audit_log; do
            echo "SELECT setval(pg_get_serial_sequence('$t', 'id'), (SELECT max(id) FROM $t));"
        done
    fi
    echo "COMMIT;"
    echo "ANALYZE;"
}

# start_bench_pg DIR: a PostgreSQL 15 for the benchmark in DIR (real disk), durable like production: fsync = on,
# synchronous_commit = on, full_page_writes = on. Sets PG_PORT, PG_DIR. stop_bench_pg stops it.
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
start_bench_pg() {
    PG_DIR="$1"
    PG_PORT="$(free_port)"
    [ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 not found in $PG_BIN (scripts/install-deps.sh --test)"
    mkdir -p "$PG_DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres "$PG_DIR"
    chmod 700 "$PG_DIR"
    as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 >"$PG_DIR/initdb.log" 2>&1 \
        || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 \
        -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $PG_DIR -c fsync=on -c synchronous_commit=on -c full_page_writes=on -c max_connections=300 -c shared_buffers=128MB" \
        start >/dev/null 2>&1 || { cat "$PG_DIR/server.log" >&2; die "PostgreSQL did not start"; }
}
stop_bench_pg() {
    [ -n "${PG_DIR:-}" ] && [ -f "$PG_DIR/data/postmaster.pid" ] || return 0
    as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}
pg_url() { printf 'postgres://postgres@127.0.0.1:%s/%s' "$PG_PORT" "$1"; }

# bench_login: a bearer token for the bench user.
bench_login() {
    local token
    token="$(curl -fs "$GW/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$BENCH_EMAIL\",\"password\":\"$BENCH_PASSWORD\"}" | jq -r .data.token)"
    [ -n "$token" ] && [ "$token" != null ] || die "login failed"
    printf '%s' "$token"
}
