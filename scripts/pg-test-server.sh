#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests.
#   scripts/pg-test-server.sh start [PORT]   # prints postgres://postgres@127.0.0.1:PORT/haven_test
#   scripts/pg-test-server.sh stop [PORT|URL] # stops it (the last one started when omitted)
#   scripts/pg-test-server.sh halt PORT|URL [fast|immediate]  # stops the server but keeps its data (a failover test)
#   scripts/pg-test-server.sh resume PORT|URL                 # starts a halted one again, same port, same data
# Listens on 127.0.0.1 only, trust auth, fsync off. As root, the cluster runs as the `postgres` OS user.
# The state lives in ${HAVEN_PG_ROOT:-/tmp}/haven-pg.PORT; "current" there points at the last one started.
set -euo pipefail

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
ROOT=${HAVEN_PG_ROOT:-/tmp}
DB_NAME=${HAVEN_PG_DB:-haven_test}
CURRENT_LINK="$ROOT/haven-pg.current"

die() { echo "pg-test-server: $*" >&2; exit 1; }

[ -x "$PG_BIN/initdb" ] || die "PostgreSQL 15 not found in $PG_BIN (run scripts/install-deps.sh --test)"

if [ "$(id -u)" -eq 0 ]; then
  id postgres >/dev/null 2>&1 || die "the postgres OS user is missing (install the postgresql package)"
  as_pg() { runuser -u postgres -- "$@"; }
  OWNER=postgres
else
  as_pg() { "$@"; }
  OWNER=$(id -un)
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The server's settings: the same on every start of one cluster.
server_options() {  # PORT DIR
  echo "-p $1 -c listen_addresses=127.0.0.1 -k $2 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
}

# PORT|URL -> the port
port_of() {
  local port=$1
  if [[ "$port" == *://* ]]; then port=${port##*:}; port=${port%%/*}; fi  # postgres://...:PORT/db
  echo "$port"
}

free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$(( 20000 + RANDOM % 30000 ))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  die "no free port found"
}

start() {
  local port=${1:-}
  local attempts=1
  [ -z "$port" ] && attempts=5
  for _ in $(seq 1 "$attempts"); do
    local p=${port:-$(free_port)}
    local dir="$ROOT/haven-pg.$p"
    if [ -f "$dir/data/postmaster.pid" ] && as_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      ln -sfn "$dir" "$CURRENT_LINK"
      echo "postgres://postgres@127.0.0.1:$p/$DB_NAME"  # already running: reuse it
      return 0
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    chown "$OWNER" "$dir"
    chmod 700 "$dir"
    as_pg "$PG_BIN/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    if as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "$(server_options "$p" "$dir")" \
        start >/dev/null 2>&1; then
      as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$p" -U postgres "$DB_NAME" \
        || die "createdb failed (see $dir/server.log)"
      ln -sfn "$dir" "$CURRENT_LINK"
      echo "postgres://postgres@127.0.0.1:$p/$DB_NAME"
      return 0
    fi
    [ -n "$port" ] && { cat "$dir/server.log" >&2 || true; die "could not start PostgreSQL on port $p"; }
    rm -rf "$dir"  # the random port was taken in the meantime: try another
  done
  die "could not start PostgreSQL"
}

stop() {
  local dir
  local port=${1:-}
  port=$(port_of "$port")
  if [ -n "$port" ]; then dir="$ROOT/haven-pg.$port"; else dir=$(readlink "$CURRENT_LINK" 2>/dev/null || true); fi
  [ -n "$dir" ] && [ -d "$dir" ] || { echo "pg-test-server: nothing to stop" >&2; return 0; }
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  [ "$(readlink "$CURRENT_LINK" 2>/dev/null || true)" = "$dir" ] && rm -f "$CURRENT_LINK"
  rm -rf "$dir"
}

halt() {
  local port dir
  port=$(port_of "${1:-}")
  dir="$ROOT/haven-pg.$port"
  [ -n "$port" ] && [ -d "$dir/data" ] || die "halt: no cluster for port '${1:-}'"
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m "${2:-fast}" -w stop >/dev/null
}

resume() {
  local port dir
  port=$(port_of "${1:-}")
  dir="$ROOT/haven-pg.$port"
  [ -n "$port" ] && [ -d "$dir/data" ] || die "resume: no cluster for port '${1:-}'"
  as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o "$(server_options "$port" "$dir")" start \
    >/dev/null || { cat "$dir/server.log" >&2 || true; die "could not start PostgreSQL on port $port again"; }
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-}" ;;
  halt) halt "${2:-}" "${3:-}" ;;
  resume) resume "${2:-}" ;;
  *) echo "usage: $0 start [PORT] | stop [PORT|URL] | halt PORT|URL [fast|immediate] | resume PORT|URL" >&2; exit 2 ;;
esac
