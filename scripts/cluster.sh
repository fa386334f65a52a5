#!/usr/bin/env bash
# A local Haven M-Pesa cluster on loopback, for trying several nodes and a database failover on one machine:
#   - PostgreSQL 15 made highly available by pg_auto_failover: a monitor, a primary and a synchronous standby
#     (pg_autoctl runs as the `postgres` OS user when started as root, else as the current user);
#   - one standalone Daraja simulator (`haven-mpesa simulate`);
#   - CLUSTER_NODES (3) gateway nodes (`haven-mpesa serve`, sandbox mode against the simulator) sharing the database
#     through a multi-host URL with target_session_attrs=read-write, and the same secrets;
#   - HAProxy in front of them, health-checking each node's GET /readyz.
#
#   scripts/cluster.sh up        start what is not running (idempotent); returns once the standby is in sync and
#                                every node is ready behind HAProxy; prints the URL and the login
#   scripts/cluster.sh status    each part up or down, the PostgreSQL roles (pg_autoctl show state), the sync state,
#                                HAProxy's view of the nodes; exit status 0 only when everything is up and in sync
#   scripts/cluster.sh down      stops everything and checks that no process of the cluster is left
#   scripts/cluster.sh destroy   down, then removes the state directory (databases, secrets, logs)
#   scripts/cluster.sh wait-sync [SECONDS]   waits until the standby reports in sync (default 120 s)
#   scripts/cluster.sh kill-primary          kill -9 of the primary PostgreSQL and its pg_autoctl (chaos tests);
#                                            prints the node's name and the time of the kill (epoch ms)
#   scripts/cluster.sh start-pg NAME         starts one PostgreSQL node again (node1 or node2) after kill-primary
#   scripts/cluster.sh env                   prints the cluster's ports, URLs and secrets as shell assignments
#
# Everything lives in ${HAVEN_CLUSTER_DIR:-./.cluster} (git-ignored): the PostgreSQL data directories (owned by
# `postgres`), pg_autoctl's configuration (XDG_* point there), the secrets generated on the first `up`
# (JWT_SECRET, MPESA_CALLBACK_SECRET, MASTER_KEY, the admin's password), the ports, logs and pid files.
# Knobs (env): HAVEN_BIN (build/haven-mpesa), CLUSTER_NODES (3; `up` with another number adds or stops nodes),
#   CLUSTER_SIM_DELAY_MS (300: the simulator's callback delay), CLUSTER_FAST_FAILOVER (1: the monitor's health checks
#   tightened for a loopback cluster, see tune_monitor). Every other variable of the caller's environment reaches the
#   gateway nodes (e.g. RATE_LIMIT_PER_SECOND=0 scripts/cluster.sh up); the cluster's own settings win.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="${HAVEN_CLUSTER_DIR:-$ROOT/.cluster}"
mkdir -p "$STATE"
STATE="$(cd "$STATE" && pwd)"
BIN="${HAVEN_BIN:-$ROOT/build/haven-mpesa}"
case "$BIN" in /*) ;; *) BIN="$(pwd)/$BIN" ;; esac
NODES="${CLUSTER_NODES:-3}"
SIM_DELAY_MS="${CLUSTER_SIM_DELAY_MS:-300}"
FAST_FAILOVER="${CLUSTER_FAST_FAILOVER:-1}"
PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
PG_NODES=(node1 node2)
RUN="$STATE/run"
LOGS="$STATE/logs"
ADMIN_EMAIL="admin@cluster.haven"

log() { printf '[cluster] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }
now_ms() { date +%s%3N; }

# --- who runs PostgreSQL ------------------------------------------------------------------------------------------
# pg_autoctl keeps its configuration and state under XDG_CONFIG_HOME / XDG_DATA_HOME / XDG_RUNTIME_DIR (by default
# in the user's home): pointed into the state directory, `destroy` removes every trace.
PG_ENV=(XDG_CONFIG_HOME="$STATE/pg/xdg/config" XDG_DATA_HOME="$STATE/pg/xdg/data" XDG_RUNTIME_DIR="$STATE/pg/xdg/run"
    PATH="$PG_BIN:/usr/local/bin:/usr/bin:/bin" PG_CONFIG="$PG_BIN/pg_config")
if [ "$(id -u)" -eq 0 ]; then
    PG_USER=postgres
    AS_PG=(runuser -u postgres -- env "${PG_ENV[@]}")
else
    PG_USER="$(id -un)"
    AS_PG=(env "${PG_ENV[@]}")
fi
as_pg() { "${AS_PG[@]}" "$@"; }
pgdata() { printf '%s/pg/%s/data' "$STATE" "$1"; }
psql_at() {  # psql_at PORT DB SQL: one query as the postgres role over loopback (trust), unaligned
    as_pg "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$1" -U postgres -d "$2" -v ON_ERROR_STOP=1 -Atc "$3"
}

# --- ports and secrets: chosen on the first `up`, kept in the state directory --------------------------------------
# free_ports N: N distinct free loopback ports, none of them already in ports.env (the sockets are held open until
# all are chosen, so the kernel cannot hand out one port twice).
free_ports() {
    python3 - "$1" "$STATE/ports.env" <<'PY'
import os, socket, sys
n, taken = int(sys.argv[1]), set()
if os.path.exists(sys.argv[2]):
    taken = {line.split("=", 1)[1].strip() for line in open(sys.argv[2]) if "=" in line}
held, ports = [], []
while len(ports) < n:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    held.append(s)
    p = str(s.getsockname()[1])
    if p not in taken and p not in ports:
        ports.append(p)
print(" ".join(ports))
PY
}
hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
load_config() {
    if [ ! -f "$STATE/ports.env" ]; then
        local ports
        read -r -a ports <<<"$(free_ports 6)"
        printf 'MONITOR_PORT=%s\nPG_PORT_node1=%s\nPG_PORT_node2=%s\nSIM_PORT=%s\nLB_PORT=%s\nLB_STATS_PORT=%s\n' \
            "${ports[@]}" >"$STATE/ports.env.tmp"
        mv "$STATE/ports.env.tmp" "$STATE/ports.env"
    fi
    if [ ! -f "$STATE/secrets.env" ]; then
        (
            umask 077
            {
                echo "JWT_SECRET=$(hex 32)"
                echo "MPESA_CALLBACK_SECRET=$(hex 20)"
                echo "MASTER_KEY=$(hex 32)"
                echo "ADMIN_PASSWORD=cluster-$(hex 8)"
            } >"$STATE/secrets.env.tmp"
            mv "$STATE/secrets.env.tmp" "$STATE/secrets.env"
        )
    fi
    # shellcheck disable=SC1091
    . "$STATE/ports.env"
    # shellcheck disable=SC1091
    . "$STATE/secrets.env"
    local i
    for i in $(seq 1 "$(max_node)"); do
        if ! grep -q "^GW_PORT_$i=" "$STATE/ports.env"; then
            local two
            read -r -a two <<<"$(free_ports 2)"
            printf 'GW_PORT_%s=%s\nMETRICS_PORT_%s=%s\n' "$i" "${two[0]}" "$i" "${two[1]}" >>"$STATE/ports.env"
        fi
    done
    # shellcheck disable=SC1091
    . "$STATE/ports.env"
    LB_URL="http://127.0.0.1:$LB_PORT"
    SIM_URL="http://127.0.0.1:$SIM_PORT"
    MONITOR_URI="postgres://autoctl_node@127.0.0.1:$MONITOR_PORT/pg_auto_failover?sslmode=require"
    DATABASE_URL="postgres://haven@127.0.0.1:${PG_PORT_node1},127.0.0.1:${PG_PORT_node2}/haven?target_session_attrs=read-write&connect_timeout=3"
}
# The highest node number that has (or had) a port: `down` and `status` look at every one of them.
max_node() {
    local n="$NODES" i
    if [ -f "$STATE/ports.env" ]; then
        i="$(sed -n 's/^GW_PORT_\([0-9]*\)=.*/\1/p' "$STATE/ports.env" | sort -n | tail -1)"
        [ -n "$i" ] && [ "$i" -gt "$n" ] && n="$i"
    fi
    echo "$n"
}
gw_port() { local v="GW_PORT_$1"; echo "${!v}"; }
pg_port() { local v="PG_PORT_$1"; echo "${!v}"; }

# --- processes ------------------------------------------------------------------------------------------------------
pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
pidfile_alive() { [ -f "$1" ] && pid_alive "$(cat "$1")"; }
# start_detached NAME CWD CMD...: in its own session (so a terminal's Ctrl-C does not reach it and `down` can signal
# the whole group), output to logs/NAME.log, pid (= process group) to run/NAME.pid.
start_detached() {
    local name="$1" cwd="$2"
    shift 2
    (cd "$cwd" && exec setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1) &
    echo $! >"$RUN/$name.pid"
}
# stop_group PIDFILE SECONDS: TERM to the process group, wait, then KILL.
stop_group() {
    local f="$1" secs="${2:-10}" pid
    [ -f "$f" ] || return 0
    pid="$(cat "$f")"
    if pid_alive "$pid"; then
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 $((secs * 10))); do pid_alive "$pid" || break; sleep 0.1; done
        pid_alive "$pid" && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
    fi
    rm -f "$f"
}
# Processes of this cluster: every process whose working directory or command line lies in the state directory
# (PostgreSQL's processes run in their data directory, the others are started from theirs).
cluster_pids() {
    local p cwd
    for p in /proc/[0-9]*; do
        p="${p#/proc/}"
        [ "$p" = "$$" ] && continue
        cwd="$(readlink "/proc/$p/cwd" 2>/dev/null || true)"
        if [ "${cwd#"$STATE"}" != "$cwd" ] || tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | grep -qF "$STATE/"; then
            # zombies hold nothing; their parent reaps them
            [ "$(awk '{print $3}' "/proc/$p/stat" 2>/dev/null)" = Z ] || echo "$p"
        fi
    done
}
http_ok() { curl -fsS -o /dev/null --max-time "${2:-2}" "$1" 2>/dev/null; }
wait_for() {  # wait_for SECONDS WHAT CMD...: poll CMD every 0.2 s until it succeeds
    local secs="$1" what="$2" until
    shift 2
    until=$(($(now_ms) + secs * 1000))
    while [ "$(now_ms)" -lt "$until" ]; do "$@" && return 0; sleep 0.2; done
    return 1
}

# --- PostgreSQL with pg_auto_failover ---------------------------------------------------------------------------------
check_pg_tools() {
    command -v pg_autoctl >/dev/null || die "pg_autoctl not found (scripts/install-deps.sh --test installs pg-auto-failover-cli and postgresql-15-auto-failover)"
    [ -x "$PG_BIN/pg_ctl" ] || die "PostgreSQL 15 not found in $PG_BIN (scripts/install-deps.sh --test)"
    command -v haproxy >/dev/null || die "haproxy not found (scripts/install-deps.sh --test)"
    [ -x "$BIN" ] || die "$BIN not found (make build, or set HAVEN_BIN)"
    if [ "$PG_USER" = postgres ]; then
        id postgres >/dev/null 2>&1 || die "the postgres OS user is missing (install the postgresql package)"
        runuser -u postgres -- test -x "$STATE" ||
            die "the postgres user cannot reach $STATE: choose a state directory on a path it can enter (HAVEN_CLUSTER_DIR=/var/tmp/haven-cluster)"
        # PostgreSQL also listens on a Unix socket in its default directory (pg_autoctl uses it locally).
        if [ ! -d /var/run/postgresql ]; then
            install -d -m 2775 -o postgres -g postgres /var/run/postgresql
        fi
    fi
}
pg_prepare_dirs() {
    mkdir -p "$STATE/pg/xdg/config" "$STATE/pg/xdg/data" "$STATE/pg/xdg/run" "$STATE/pg/monitor" \
        "$STATE/pg/node1" "$STATE/pg/node2"
    [ "$PG_USER" = postgres ] && chown -R postgres "$STATE/pg"
    chmod 700 "$STATE/pg"
}
pg_configured() { [ -f "$(pgdata "$1")/PG_VERSION" ] && [ -n "$(find "$STATE/pg/xdg/config" -path "*$(pgdata "$1")/pg_autoctl.cfg" 2>/dev/null | head -1)" ]; }
pg_running() { pidfile_alive "$RUN/pg-$1.pid"; }
pg_accepts() { as_pg "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" -t 1; }
monitor_state() {  # name|reported|assigned|port per node, from the monitor
    psql_at "$MONITOR_PORT" pg_auto_failover \
        "SELECT nodename, reportedstate, goalstate, nodeport FROM pgautofailover.node ORDER BY nodeid" 2>/dev/null
}
node_states() { monitor_state | awk -F'|' -v n="$1" '$1 == n {print $2 " " $3}'; }

start_monitor() {
    local data
    data="$(pgdata monitor)"
    if pg_running monitor; then return 0; fi
    if pg_configured monitor; then
        log "starting the pg_auto_failover monitor (port $MONITOR_PORT)"
        start_detached pg-monitor "$STATE/pg/monitor" "${AS_PG[@]}" pg_autoctl run --pgdata "$data"
    else
        log "creating the pg_auto_failover monitor (port $MONITOR_PORT)"
        rm -rf "$data"
        start_detached pg-monitor "$STATE/pg/monitor" "${AS_PG[@]}" pg_autoctl create monitor --pgdata "$data" \
            --pgport "$MONITOR_PORT" --listen 127.0.0.1 --hostname 127.0.0.1 --auth trust --ssl-self-signed \
            --pgctl "$PG_BIN/pg_ctl" --run
    fi
    wait_for 90 "the monitor" monitor_ready || { tail -n 30 "$LOGS/pg-monitor.log" >&2; die "the monitor did not start"; }
    tune_monitor
}
monitor_ready() {
    pg_running monitor || { tail -n 30 "$LOGS/pg-monitor.log" >&2; die "the monitor exited"; }
    psql_at "$MONITOR_PORT" pg_auto_failover "SELECT 1 FROM pgautofailover.formation LIMIT 1" >/dev/null 2>&1
}
# pg_auto_failover's defaults suit machines on a network: a node is unhealthy after 20 s, and the standby waits
# 30 s for the old primary to demote itself (about 50 s from a dead primary to writes). On loopback the monitor can
# check every second, call a node unhealthy after 4 s and give it 5 s to demote (measured: about 10 s). Every
# node's keeper demotes itself after network_partition_timeout (3 s here, below primary_demote_timeout) without the
# monitor and the standby, so no old primary still takes writes when the standby is promoted.
tune_monitor() {
    [ "$FAST_FAILOVER" = 1 ] || return 0
    local s
    for s in health_check_period=1000 health_check_timeout=1000 health_check_max_retries=1 \
        health_check_retry_delay=500 node_considered_unhealthy_timeout=4000 primary_demote_timeout=5000; do
        psql_at "$MONITOR_PORT" pg_auto_failover "ALTER SYSTEM SET pgautofailover.${s%%=*} = ${s#*=}" >/dev/null
    done
    psql_at "$MONITOR_PORT" pg_auto_failover "SELECT pg_reload_conf()" >/dev/null
}
start_pg_node() {
    local name="$1" data port
    data="$(pgdata "$name")"
    port="$(pg_port "$name")"
    if pg_running "$name"; then return 0; fi
    if pg_configured "$name"; then
        log "starting PostgreSQL $name (port $port)"
        start_detached "pg-$name" "$STATE/pg/$name" "${AS_PG[@]}" pg_autoctl run --pgdata "$data"
    else
        log "creating PostgreSQL $name (port $port)"
        rm -rf "$data"
        start_detached "pg-$name" "$STATE/pg/$name" "${AS_PG[@]}" pg_autoctl create postgres --pgdata "$data" \
            --pgport "$port" --listen 127.0.0.1 --hostname 127.0.0.1 --name "$name" --dbname haven --auth trust \
            --ssl-self-signed --replication-quorum true --candidate-priority 50 --monitor "$MONITOR_URI" \
            --pgctl "$PG_BIN/pg_ctl" --run
    fi
}
pg_node_settled() {  # the node reports the state the monitor assigned, and that state is a working one
    local name="$1" st
    pg_running "$name" || { tail -n 30 "$LOGS/pg-$name.log" >&2; die "PostgreSQL $name exited"; }
    st="$(node_states "$name")"
    case "$st" in
        "single single" | "primary primary" | "wait_primary wait_primary" | "secondary secondary") ;;
        *) return 1 ;;
    esac
    [ -f "$(find "$STATE/pg/xdg/config" -path "*$(pgdata "$name")/pg_autoctl.cfg" | head -1)" ]
}
keeper_timeouts() {  # see tune_monitor
    [ "$FAST_FAILOVER" = 1 ] || return 0
    as_pg pg_autoctl config set --pgdata "$(pgdata "$1")" timeout.network_partition_timeout 3 >/dev/null 2>&1 || true
}
# primary_node: the name of the node whose PostgreSQL takes writes now (empty when none does).
primary_node() {
    local name
    for name in "${PG_NODES[@]}"; do
        if [ "$(psql_at "$(pg_port "$name")" haven "SELECT pg_is_in_recovery()" 2>/dev/null)" = f ]; then
            case "$(node_states "$name")" in primary* | wait_primary* | single*) echo "$name"; return 0 ;; esac
        fi
    done
    return 1
}
# in_sync: the primary streams to the standby synchronously (pg_auto_failover names it in
# synchronous_standby_names; pg_stat_replication says sync or quorum), and both report what the monitor assigned.
in_sync() {
    local p port names
    p="$(primary_node)" || return 1
    port="$(pg_port "$p")"
    [ "$(node_states "$p")" = "primary primary" ] || return 1
    local other
    for other in "${PG_NODES[@]}"; do
        [ "$other" = "$p" ] && continue
        [ "$(node_states "$other")" = "secondary secondary" ] || return 1
    done
    names="$(psql_at "$port" haven "SHOW synchronous_standby_names" 2>/dev/null)" || return 1
    [ -n "$names" ] || return 1
    [ "$(psql_at "$port" haven "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND sync_state IN ('sync', 'quorum')" 2>/dev/null)" -ge 1 ]
}
wait_sync() {
    local secs="${1:-120}"
    wait_for "$secs" "sync" in_sync && return 0
    log "the standby is not in sync after ${secs}s:"
    show_pg_state >&2 || true
    return 1
}
show_pg_state() { as_pg pg_autoctl show state --pgdata "$(pgdata monitor)" 2>/dev/null; }

# The database and role the gateway nodes use (created once on the primary; the standby replicates them).
haven_database() {
    local p port
    p="$(primary_node)" || die "no primary"
    port="$(pg_port "$p")"
    psql_at "$port" haven "DO \$\$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'haven') THEN CREATE ROLE haven LOGIN; END IF;
    END \$\$" >/dev/null
    psql_at "$port" haven "ALTER DATABASE haven OWNER TO haven" >/dev/null
}

start_pg() {
    start_monitor
    start_pg_node node1
    wait_for 120 "node1" pg_node_settled node1 || { show_pg_state >&2; tail -n 30 "$LOGS/pg-node1.log" >&2; die "PostgreSQL node1 did not start"; }
    start_pg_node node2
    wait_for 180 "node2" pg_node_settled node2 || { show_pg_state >&2; tail -n 30 "$LOGS/pg-node2.log" >&2; die "PostgreSQL node2 did not start"; }
    keeper_timeouts node1
    keeper_timeouts node2
    log "waiting until the standby is in sync"
    wait_sync 180 || die "the standby did not reach sync"
    haven_database
}

# --- the gateway side -----------------------------------------------------------------------------------------------
# The environment of every gateway process: the caller's, then the cluster's (which wins).
node_env() {
    local i="$1"
    NODE_ENV=(
        MPESA_ENVIRONMENT=sandbox MPESA_BASE_URL="$SIM_URL"
        MPESA_CONSUMER_KEY=cluster-consumer-key MPESA_CONSUMER_SECRET=cluster-consumer-secret
        MPESA_SHORTCODE=174379 MPESA_PASSKEY=bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919
        MPESA_CALLBACK_URL="$LB_URL/api/v1/mpesa/callback" MPESA_CALLBACK_SECRET="$MPESA_CALLBACK_SECRET"
        JWT_SECRET="$JWT_SECRET" MASTER_KEY="$MASTER_KEY" DATABASE_URL="$DATABASE_URL"
        HOST=127.0.0.1 TRUSTED_PROXIES=127.0.0.1
    )
    if [ -n "$i" ]; then
        NODE_ENV+=(PORT="$(gw_port "$i")" METRICS_LISTEN="127.0.0.1:$(metrics_port "$i")")
    fi
}
metrics_port() { local v="METRICS_PORT_$1"; echo "${!v}"; }

start_simulator() {
    if pidfile_alive "$RUN/simulator.pid" && http_ok "$SIM_URL/sim/v1/rules"; then return 0; fi
    stop_group "$RUN/simulator.pid" 5
    log "starting the Daraja simulator ($SIM_URL)"
    mkdir -p "$STATE/simulator"
    start_detached simulator "$STATE/simulator" "$BIN" simulate --host 127.0.0.1 --port "$SIM_PORT" \
        --callback-delay-ms "$SIM_DELAY_MS"
    wait_for 30 "the simulator" http_ok "$SIM_URL/sim/v1/rules" || { tail -n 20 "$LOGS/simulator.log" >&2; die "the simulator did not start"; }
}

migrate_and_admin() {
    mkdir -p "$STATE/admin"
    node_env ""
    if [ ! -f "$STATE/admin/migrated" ] || [ "$STATE/admin/migrated" -ot "$BIN" ]; then
        log "migrating the database"
        (cd "$STATE/admin" && env "${NODE_ENV[@]}" "$BIN" migrate >"$LOGS/migrate.log" 2>&1) ||
            { tail -n 20 "$LOGS/migrate.log" >&2; die "migrate failed"; }
        touch "$STATE/admin/migrated"
    fi
    if [ ! -f "$STATE/admin/user-added" ]; then
        (cd "$STATE/admin" && env "${NODE_ENV[@]}" "$BIN" user add --email "$ADMIN_EMAIL" --password "$ADMIN_PASSWORD" \
            --role admin --agency "Cluster Properties" >"$LOGS/user-add.log" 2>&1) ||
            { tail -n 20 "$LOGS/user-add.log" >&2; die "user add failed"; }
        touch "$STATE/admin/user-added"
    fi
}

gw_ready() { http_ok "http://127.0.0.1:$(gw_port "$1")$READY_PATH"; }
start_gateway() {
    local i="$1"
    if pidfile_alive "$RUN/gw$i.pid"; then return 0; fi
    log "starting gateway node $i (http://127.0.0.1:$(gw_port "$i"))"
    mkdir -p "$STATE/gw$i"
    node_env "$i"
    start_detached "gw$i" "$STATE/gw$i" env "${NODE_ENV[@]}" "$BIN" serve
}

# What HAProxy and `up` ask a node: /readyz (database reachable and writable, migrations done).
READY_PATH=/readyz

write_haproxy_cfg() {
    local i
    {
        cat <<EOF
# Written by scripts/cluster.sh; rewritten on every \`up\`.
global
    maxconn 8000
    stats socket $RUN/haproxy.sock mode 600 level admin

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
    # the client's address reaches the nodes (TRUSTED_PROXIES=127.0.0.1 makes them read it)
    option forwardfor
    # a request whose connection to a node failed (never sent) goes to another node
    option redispatch
    retries 2

frontend haven
    bind 127.0.0.1:$LB_PORT
    default_backend gateways

backend gateways
    balance roundrobin
    option httpchk GET $READY_PATH
    http-check expect status 200
    default-server inter 1s fastinter 500ms downinter 1s fall 2 rise 1
EOF
        for i in $(seq 1 "$NODES"); do
            echo "    server gw$i 127.0.0.1:$(gw_port "$i") check"
        done
        cat <<EOF

frontend stats
    bind 127.0.0.1:$LB_STATS_PORT
    stats enable
    stats uri /
    stats refresh 5s
EOF
    } >"$STATE/haproxy.cfg.tmp"
    haproxy -c -q -f "$STATE/haproxy.cfg.tmp" || die "haproxy refused $STATE/haproxy.cfg.tmp"
    if cmp -s "$STATE/haproxy.cfg.tmp" "$STATE/haproxy.cfg" && pidfile_alive "$RUN/haproxy.pid"; then
        rm -f "$STATE/haproxy.cfg.tmp"
        return 0
    fi
    mv "$STATE/haproxy.cfg.tmp" "$STATE/haproxy.cfg"
    stop_group "$RUN/haproxy.pid" 5
    log "starting HAProxy ($LB_URL, stats http://127.0.0.1:$LB_STATS_PORT/)"
    mkdir -p "$STATE/haproxy"
    start_detached haproxy "$STATE/haproxy" haproxy -db -f "$STATE/haproxy.cfg"
}
# lb_servers: "gw1 UP" lines from HAProxy's statistics (CSV).
lb_servers() {
    curl -fsS --max-time 2 "http://127.0.0.1:$LB_STATS_PORT/;csv" 2>/dev/null |
        awk -F, '$1 == "gateways" && $2 != "BACKEND" {print $2, $18}'
}
lb_all_up() { [ "$(lb_servers | awk '$2 == "UP"' | wc -l)" -eq "$NODES" ]; }
lb_ready() {
    pidfile_alive "$RUN/haproxy.pid" || { tail -n 20 "$LOGS/haproxy.log" >&2; die "HAProxy exited"; }
    lb_all_up
}

cmd_up() {
    check_pg_tools
    mkdir -p "$RUN" "$LOGS"
    load_config
    pg_prepare_dirs
    start_pg
    start_simulator
    migrate_and_admin
    local i
    for i in $(seq 1 "$NODES"); do start_gateway "$i"; done
    for i in $(seq $((NODES + 1)) "$(max_node)"); do
        if pidfile_alive "$RUN/gw$i.pid"; then log "stopping gateway node $i (CLUSTER_NODES=$NODES)"; fi
        stop_group "$RUN/gw$i.pid" 10
    done
    for i in $(seq 1 "$NODES"); do
        wait_for 60 "node $i" gw_ready "$i" || { tail -n 20 "$LOGS/gw$i.log" >&2; die "gateway node $i is not ready"; }
    done
    write_haproxy_cfg
    wait_for 30 "HAProxy" lb_ready || { lb_servers >&2; tail -n 20 "$LOGS/haproxy.log" >&2; die "HAProxy does not see every node up"; }
    echo "Haven M-Pesa cluster: $NODES gateway nodes behind HAProxy, PostgreSQL $(primary_node) primary + synchronous standby"
    echo "  Dashboard:  $LB_URL/"
    echo "  Login:      $ADMIN_EMAIL / $ADMIN_PASSWORD"
    echo "  Simulator:  $SIM_URL (every STK prompt is accepted ${SIM_DELAY_MS} ms after the push; rules: POST /sim/v1/rules)"
    echo "  HAProxy:    http://127.0.0.1:$LB_STATS_PORT/ (statistics)"
    echo "  State:      $STATE (scripts/cluster.sh status | down)"
}

cmd_status() {
    [ -f "$STATE/ports.env" ] || { echo "no cluster in $STATE (scripts/cluster.sh up)"; return 3; }
    load_config
    local ok=0 name st i
    up_down() {  # up_down LABEL OK_FLAG DETAIL
        if [ "$2" = 1 ]; then printf '  %-22s up    %s\n' "$1" "$3"; else printf '  %-22s DOWN  %s\n' "$1" "$3"; ok=1; fi
    }
    echo "PostgreSQL (pg_auto_failover):"
    if pg_running monitor && pg_accepts "$MONITOR_PORT"; then up_down monitor 1 "127.0.0.1:$MONITOR_PORT"; else up_down monitor 0 "127.0.0.1:$MONITOR_PORT"; fi
    for name in "${PG_NODES[@]}"; do
        st="$(node_states "$name")"
        if pg_running "$name" && pg_accepts "$(pg_port "$name")"; then
            up_down "$name" 1 "127.0.0.1:$(pg_port "$name") ${st:+(reported ${st% *}, assigned ${st#* })}"
        else
            up_down "$name" 0 "127.0.0.1:$(pg_port "$name") ${st:+(reported ${st% *}, assigned ${st#* })}"
        fi
    done
    if in_sync; then
        echo "  sync: the standby is in sync (synchronous_standby_names = '$(psql_at "$(pg_port "$(primary_node)")" haven "SHOW synchronous_standby_names")')"
    else
        echo "  sync: NOT in sync (writes are not yet safe against the loss of the primary)"
        ok=1
    fi
    show_pg_state | sed 's/^/    /' || true
    echo "Daraja simulator:"
    if pidfile_alive "$RUN/simulator.pid" && http_ok "$SIM_URL/sim/v1/rules"; then up_down simulator 1 "$SIM_URL"; else up_down simulator 0 "$SIM_URL"; fi
    echo "Gateway nodes:"
    local want
    for i in $(seq 1 "$(max_node)"); do
        want=1
        [ "$i" -gt "$NODES" ] && want=0
        if pidfile_alive "$RUN/gw$i.pid"; then
            if gw_ready "$i"; then up_down "gw$i" 1 "http://127.0.0.1:$(gw_port "$i") ready"; else up_down "gw$i" 0 "http://127.0.0.1:$(gw_port "$i") running, not ready"; fi
        elif [ "$want" = 1 ]; then
            up_down "gw$i" 0 "http://127.0.0.1:$(gw_port "$i")"
        fi
    done
    echo "HAProxy:"
    if pidfile_alive "$RUN/haproxy.pid" && http_ok "http://127.0.0.1:$LB_STATS_PORT/"; then
        up_down haproxy 1 "$LB_URL"
        lb_servers | while read -r s state; do printf '    %-20s %s\n' "$s" "$state"; done
        lb_all_up || { echo "  not every node is UP in HAProxy"; ok=1; }
    else
        up_down haproxy 0 "$LB_URL"
    fi
    return $ok
}

cmd_down() {
    [ -d "$STATE" ] || return 0
    mkdir -p "$RUN"
    local i name f
    stop_group "$RUN/haproxy.pid" 5
    for f in "$RUN"/gw*.pid; do [ -e "$f" ] && stop_group "$f" 10; done
    stop_group "$RUN/simulator.pid" 5
    # The standby first, then the primary, then the monitor: the monitor never sees a primary go while a standby
    # could take over.
    local order=()
    if [ -f "$STATE/ports.env" ]; then
        load_config
        name="$(primary_node 2>/dev/null || true)"
        for i in "${PG_NODES[@]}"; do [ "$i" != "$name" ] && order+=("$i"); done
        [ -n "$name" ] && order+=("$name")
    else
        order=("${PG_NODES[@]}")
    fi
    for name in "${order[@]}" monitor; do
        if pg_running "$name"; then
            log "stopping PostgreSQL $name"
            as_pg pg_autoctl stop --pgdata "$(pgdata "$name")" >/dev/null 2>&1 || true
            for _ in $(seq 1 150); do pg_running "$name" || break; sleep 0.1; done
        fi
        stop_group "$RUN/pg-$name.pid" 5
        pg_kill_postmaster "$name"
    done
    # Anything still running from the state directory (a postmaster started by a killed pg_autoctl) ends here.
    local left
    for _ in $(seq 1 50); do
        left="$(cluster_pids)"
        [ -z "$left" ] && break
        sleep 0.1
    done
    if [ -n "$left" ]; then
        log "still running after down, killing: $(echo "$left" | tr '\n' ' ')"
        # shellcheck disable=SC2086
        kill -KILL $left 2>/dev/null || true
        sleep 0.5
        left="$(cluster_pids)"
        [ -z "$left" ] || die "processes of the cluster left running: $(echo "$left" | tr '\n' ' ')"
    fi
    log "stopped; nothing of the cluster is running (data kept in $STATE)"
}
# pg_kill_postmaster NAME: kill -9 a postmaster whose pg_autoctl is gone (its children follow it).
pg_kill_postmaster() {
    local f pid
    f="$(pgdata "$1")/postmaster.pid"
    [ -f "$f" ] || return 0
    pid="$(head -1 "$f")"
    if pid_alive "$pid" && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -qF "$(pgdata "$1")"; then
        kill -KILL "$pid" 2>/dev/null || true
        for _ in $(seq 1 50); do pid_alive "$pid" || break; sleep 0.1; done
    fi
}

cmd_kill_primary() {
    load_config
    local p
    p="$(primary_node)" || die "no primary to kill"
    # pg_autoctl, its supervisor and the postmaster are one process group (start_detached): all at once, like a
    # machine that loses power.
    local at
    at="$(now_ms)"
    kill -KILL -- "-$(cat "$RUN/pg-$p.pid")" 2>/dev/null || true
    pg_kill_postmaster "$p"
    rm -f "$RUN/pg-$p.pid"
    echo "$p $at"
}

cmd_env() {
    load_config
    echo "HAVEN_CLUSTER_DIR=$STATE"
    echo "LB_URL=$LB_URL"
    echo "SIM_URL=$SIM_URL"
    echo "LB_STATS_URL=http://127.0.0.1:$LB_STATS_PORT/"
    echo "MONITOR_PORT=$MONITOR_PORT"
    echo "PG_PORT_node1=$PG_PORT_node1"
    echo "PG_PORT_node2=$PG_PORT_node2"
    echo "DATABASE_URL='$DATABASE_URL'"
    echo "ADMIN_EMAIL=$ADMIN_EMAIL"
    echo "ADMIN_PASSWORD=$ADMIN_PASSWORD"
    echo "JWT_SECRET=$JWT_SECRET"
    echo "MPESA_CALLBACK_SECRET=$MPESA_CALLBACK_SECRET"
    for i in $(seq 1 "$(max_node)"); do echo "GW_URL_$i=http://127.0.0.1:$(gw_port "$i")"; done
}

case "${1:-}" in
    up) cmd_up ;;
    status) cmd_status ;;
    down) cmd_down ;;
    destroy)
        cmd_down
        rm -rf "$STATE"
        log "removed $STATE"
        ;;
    wait-sync)
        load_config
        wait_sync "${2:-120}"
        ;;
    kill-primary) cmd_kill_primary ;;
    start-pg)
        [ -n "${2:-}" ] || die "start-pg node1|node2"
        mkdir -p "$RUN" "$LOGS"
        load_config
        start_pg_node "$2"
        ;;
    env) cmd_env ;;
    *)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
        exit 2
        ;;
esac
