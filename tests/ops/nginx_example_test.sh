#!/usr/bin/env bash
# deploy/nginx-haven-mpesa.conf, as shipped except for ports, certificate and log paths: `nginx -t` accepts it with a
# self-signed certificate made here (alone, and included from Debian's own nginx.conf; no warning either way), and
# a running nginx with it
#   - proxies HTTPS to the real gateway (GET /api/v1/health) with HSTS on the answer,
#   - redirects plain HTTP to HTTPS,
#   - sends X-Forwarded-For = the client's own address (a forged X-Forwarded-For is replaced), X-Forwarded-Proto https
#     and the Host (seen by a small echo server standing in for the gateway),
#   - answers 404 for /metrics, and logs neither query strings nor the secret in /hooks/daraja/<secret>/.
# Needs nginx, openssl, curl and python3 (scripts/install-deps.sh --test); a missing one fails the test.
# Usage: nginx_example_test.sh PATH/TO/haven-mpesa
set -euo pipefail
BIN=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
SITE="$SRC/deploy/nginx-haven-mpesa.conf"
HOSTNAME_=pay.example.co.ke

fail() { echo "FAIL: $*" >&2; exit 1; }
NGINX=$(command -v nginx || true)
[ -z "$NGINX" ] && [ -x /usr/sbin/nginx ] && NGINX=/usr/sbin/nginx
[ -n "$NGINX" ] || fail "nginx is not installed (scripts/install-deps.sh --test installs it)"
for tool in openssl curl python3; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh --test installs it)"
done

T=$(mktemp -d)
chmod 755 "$T"  # nginx workers run as nobody when the test runs as root
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$T"
}
trap cleanup EXIT
mkdir -p "$T/log" "$T/tmp"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# Polls until `curl ARGS` succeeds (deadline 20 s).
wait_for() {
    local until=$((SECONDS + 20))
    until curl -s -o /dev/null "$@"; do
        [ $SECONDS -lt $until ] || return 1
        sleep 0.05
    done
}

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=$HOSTNAME_" -addext "subjectAltName=DNS:$HOSTNAME_" \
    -keyout "$T/privkey.pem" -out "$T/fullchain.pem" 2>"$T/openssl.log" || fail "openssl: $(cat "$T/openssl.log")"

# The shipped file with each machine-specific string replaced; each must be there (else the test checks nothing).
# Writes $T/site-NAME.conf and $T/nginx-NAME.conf; sets TLS_PORT and HTTP_PORT.
make_config() {
    local name=$1 upstream_port=$2
    TLS_PORT=$(free_port)
    HTTP_PORT=$(free_port)
    python3 - "$SITE" "$T/site-$name.conf" <<PY || fail "deploy/nginx-haven-mpesa.conf changed: update this test"
import sys
text = open(sys.argv[1]).read()
swaps = [
    ("server 127.0.0.1:4000;", "server 127.0.0.1:$upstream_port;"),
    ("listen 80;", "listen 127.0.0.1:$HTTP_PORT;"),
    ("listen [::]:80;", ""),
    ("listen 443 ssl http2;", "listen 127.0.0.1:$TLS_PORT ssl http2;"),
    ("listen [::]:443 ssl http2;", ""),
    ("/etc/letsencrypt/live/$HOSTNAME_/fullchain.pem", "$T/fullchain.pem"),
    ("/etc/letsencrypt/live/$HOSTNAME_/privkey.pem", "$T/privkey.pem"),
    ("/var/log/nginx/", "$T/log/$name-"),
]
for old, new in swaps:
    if old not in text:
        sys.exit("missing: " + old)
    text = text.replace(old, new)
open(sys.argv[2], "w").write(text)
PY
    cat >"$T/nginx-$name.conf" <<CONF
worker_processes 1;
pid $T/nginx-$name.pid;
error_log $T/log/$name-error.log;
events { worker_connections 64; }
http {
    client_body_temp_path $T/tmp/body;
    proxy_temp_path $T/tmp/proxy;
    fastcgi_temp_path $T/tmp/fastcgi;
    uwsgi_temp_path $T/tmp/uwsgi;
    scgi_temp_path $T/tmp/scgi;
    include $T/site-$name.conf;
}
CONF
}

start_nginx() {
    local name=$1
    "$NGINX" -p "$T" -c "$T/nginx-$name.conf" -g 'daemon off;' >"$T/log/$name-stdout.log" 2>&1 &
    pids+=($!)
    wait_for --cacert "$T/fullchain.pem" --resolve "$HOSTNAME_:$TLS_PORT:127.0.0.1" "https://$HOSTNAME_:$TLS_PORT/" ||
        fail "nginx ($name) did not start: $(cat "$T/log/$name-stdout.log" "$T/log/$name-error.log" 2>/dev/null)"
}

https() {  # https PATH [curl args...]: through the proxy, the certificate checked against the one made here
    local path=$1
    shift
    curl -sS --cacert "$T/fullchain.pem" --resolve "$HOSTNAME_:$TLS_PORT:127.0.0.1" "$@" "https://$HOSTNAME_:$TLS_PORT$path"
}

# 1. nginx -t accepts the example.
GW_PORT=$(free_port)
make_config gateway "$GW_PORT"
"$NGINX" -t -p "$T" -c "$T/nginx-gateway.conf" >"$T/nginx-t.log" 2>&1 || fail "nginx -t: $(cat "$T/nginx-t.log")"
grep -q "test is successful" "$T/nginx-t.log" || fail "nginx -t: $(cat "$T/nginx-t.log")"
if grep -q "\[warn\]" "$T/nginx-t.log"; then fail "nginx -t warns: $(cat "$T/nginx-t.log")"; fi
echo "ok: nginx -t accepts deploy/nginx-haven-mpesa.conf"
# And where it will live: included from Debian's own nginx.conf (its http-level defaults: ssl_protocols, logs, gzip)
# in place of sites-enabled/, with the pid and logs moved here.
[ -f /etc/nginx/nginx.conf ] || fail "/etc/nginx/nginx.conf is missing (the nginx package ships it)"
python3 - /etc/nginx/nginx.conf "$T/debian-nginx.conf" "$T" <<'PY' || fail "/etc/nginx/nginx.conf: unexpected layout"
import sys
text, t = open(sys.argv[1]).read(), sys.argv[3]
for old, new in [("include /etc/nginx/sites-enabled/*;", "include %s/site-gateway.conf;" % t),
                 ("include /etc/nginx/conf.d/*.conf;", ""),
                 ("pid /run/nginx.pid;", "pid %s/debian-nginx.pid;" % t),
                 ("/var/log/nginx/", "%s/log/debian-" % t)]:
    if old not in text:
        sys.exit("missing: " + old)
    text = text.replace(old, new)
open(sys.argv[2], "w").write(text)
PY
"$NGINX" -t -c "$T/debian-nginx.conf" >"$T/nginx-t-debian.log" 2>&1 || fail "nginx -t in Debian's nginx.conf: $(cat "$T/nginx-t-debian.log")"
if grep -q "\[warn\]" "$T/nginx-t-debian.log"; then fail "nginx -t warns: $(cat "$T/nginx-t-debian.log")"; fi
echo "ok: nginx -t accepts it included from Debian's nginx.conf"

# 2. The real gateway behind it (simulator mode, its own SQLite database in $T).
(cd "$T" && exec env -i PATH=/usr/bin:/bin MPESA_ENVIRONMENT=simulator HOST=127.0.0.1 PORT="$GW_PORT" \
    DATABASE_URL="sqlite:$T/haven.db" "$BIN" serve >"$T/log/gateway.log" 2>&1) &
pids+=($!)
wait_for "http://127.0.0.1:$GW_PORT/api/v1/health" || fail "the gateway did not start: $(tail -20 "$T/log/gateway.log")"
start_nginx gateway

headers=$(https /api/v1/health -D - -o "$T/health.json")
echo "$headers" | head -1 | grep -q " 200" || fail "GET /api/v1/health through nginx: $headers"
grep -q '"success":true' "$T/health.json" || fail "health body: $(cat "$T/health.json")"
echo "$headers" | grep -qi "^strict-transport-security: max-age=63072000; includeSubDomains" ||
    fail "no HSTS header: $headers"
echo "ok: HTTPS reaches the gateway, with HSTS"

redirect=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -H "Host: $HOSTNAME_" \
    "http://127.0.0.1:$HTTP_PORT/api/v1/health?x=1")
[ "$redirect" = "301 https://$HOSTNAME_/api/v1/health?x=1" ] || fail "plain HTTP: $redirect"
echo "ok: plain HTTP redirects to HTTPS"

metrics=$(https /metrics -o /dev/null -w '%{http_code}')
[ "$metrics" = "404" ] || fail "/metrics through the proxy answered $metrics"
echo "ok: /metrics is not served through the proxy"

https "/hooks/daraja/s3cr3t-in-path/stk?token=query-secret" -o /dev/null
https "/api/v1/mpesa/callback?secret=query-secret2" -o /dev/null -X POST -d '{}'
log="$T/log/gateway-haven-mpesa.access.log"
# nginx writes the access log line as the request ends; poll for it.
until=$((SECONDS + 10))
until grep -q "mpesa/callback" "$log" 2>/dev/null; do
    [ $SECONDS -lt $until ] || fail "no access log at $log"
    sleep 0.05
done
grep -q '"GET /hooks/daraja/\[secret\]/stk"' "$log" || fail "access log: $(cat "$log")"
if grep -q "s3cr3t-in-path\|query-secret" "$log"; then fail "the access log holds a secret: $(cat "$log")"; fi
echo "ok: the access log holds no callback secret and no query string"

# 3. What the gateway is told: an echo server in its place.
ECHO_PORT=$(free_port)
python3 - "$ECHO_PORT" >"$T/log/echo.log" 2>&1 <<'PY' &
import http.server, json, sys
class Echo(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Echo).serve_forever()
PY
pids+=($!)
wait_for "http://127.0.0.1:$ECHO_PORT/" || fail "the echo server did not start: $(cat "$T/log/echo.log")"
make_config echo "$ECHO_PORT"
start_nginx echo
https /api/v1/health -H "X-Forwarded-For: 203.0.113.9" -o "$T/echo.json"
python3 - "$T/echo.json" "$HOSTNAME_" <<'PY' || fail "forwarded headers: $(cat "$T/echo.json")"
import json, sys
h = json.load(open(sys.argv[1]))
assert h.get("x-forwarded-for") == "127.0.0.1", "X-Forwarded-For must be the client's address alone: %r" % h.get("x-forwarded-for")
assert h.get("x-forwarded-proto") == "https", h.get("x-forwarded-proto")
assert h.get("host") == sys.argv[2], h.get("host")
PY
echo "ok: X-Forwarded-For is the client's address (a forged one is replaced), X-Forwarded-Proto https, Host kept"
echo "nginx example: all checks passed"
