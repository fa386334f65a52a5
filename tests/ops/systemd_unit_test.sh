#!/usr/bin/env bash
# deploy/haven-mpesa.service: `systemd-analyze verify` accepts it without a single warning (an unknown or misspelt
# option is only a warning there, so any output fails the test), it keeps the hardening the deployment relies on,
# and `systemd-analyze security` rates its exposure at most 2.0 ("OK") out of 10.
# The copy checked is the shipped file with ExecStart pointed at the built binary (verify requires an executable).
# Then deploy/env.example against the gateway's own configuration check.
# Needs systemd-analyze (package systemd) and openssl (scripts/install-deps.sh --test): missing, the test fails.
# Usage: systemd_unit_test.sh PATH/TO/haven-mpesa
set -euo pipefail
BIN=$(realpath "$1")
SRC=$(cd "$(dirname "$0")/../.." && pwd)
UNIT="$SRC/deploy/haven-mpesa.service"

fail() { echo "FAIL: $*" >&2; exit 1; }
for tool in systemd-analyze openssl; do
    command -v "$tool" >/dev/null || fail "$tool is not installed (scripts/install-deps.sh --test)"
done

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
grep -qx "ExecStart=/opt/haven-mpesa/haven-mpesa serve" "$UNIT" || fail "ExecStart changed: update this test"
sed "s|^ExecStart=/opt/haven-mpesa/haven-mpesa serve\$|ExecStart=$BIN serve|" "$UNIT" >"$T/haven-mpesa.service"

if ! systemd-analyze verify --man=no "$T/haven-mpesa.service" >"$T/verify.log" 2>&1; then
    fail "systemd-analyze verify: $(cat "$T/verify.log")"
fi
[ ! -s "$T/verify.log" ] || fail "systemd-analyze verify warns: $(cat "$T/verify.log")"
echo "ok: systemd-analyze verify accepts deploy/haven-mpesa.service, no warnings"

# The nightly backup: its service runs the binary through sh (a dated file name), so it verifies as shipped.
cp "$SRC/deploy/haven-mpesa-backup.service" "$SRC/deploy/haven-mpesa-backup.timer" "$T/"
if ! systemd-analyze verify --man=no "$T/haven-mpesa-backup.timer" "$T/haven-mpesa-backup.service" \
    >"$T/verify-backup.log" 2>&1; then
    fail "systemd-analyze verify (backup): $(cat "$T/verify-backup.log")"
fi
[ ! -s "$T/verify-backup.log" ] || fail "systemd-analyze verify (backup) warns: $(cat "$T/verify-backup.log")"
systemd-analyze security --offline=true --threshold=20 "$T/haven-mpesa-backup.service" >"$T/security-backup.log" 2>&1 ||
    fail "backup service exposure above 2.0: $(grep -E '✗|Overall' "$T/security-backup.log")"
echo "ok: systemd-analyze verify accepts deploy/haven-mpesa-backup.{service,timer}"

# The settings the deployment relies on (docs/going-live.md), each exactly as meant.
for line in \
    "User=haven-mpesa" \
    "EnvironmentFile=/etc/haven-mpesa/env" \
    "Restart=on-failure" \
    "ProtectSystem=strict" \
    "ReadWritePaths=/var/lib/haven-mpesa /var/log/haven-mpesa" \
    "StateDirectory=haven-mpesa" \
    "NoNewPrivileges=true" \
    "PrivateTmp=true" \
    "ProtectHome=true" \
    "CapabilityBoundingSet=" \
    "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" \
    "SystemCallFilter=@system-service" \
    "MemoryDenyWriteExecute=true"; do
    grep -qxF "$line" "$UNIT" || fail "deploy/haven-mpesa.service lacks '$line'"
done
echo "ok: the hardening options are set"

if ! systemd-analyze security --offline=true --threshold=20 "$T/haven-mpesa.service" >"$T/security.log" 2>&1; then
    fail "exposure above 2.0: $(grep -E '✗|Overall' "$T/security.log")"
fi
grep "Overall exposure" "$T/security.log"

# deploy/env.example: as shipped, the gateway refuses to start (its secrets are blank); with them filled in, the
# configuration passes (`haven-mpesa migrate` loads it whole, then migrates a database of the test's own).
env_from_example=()
while IFS= read -r line; do
    [[ "$line" =~ ^[A-Z_][A-Z0-9_]*= ]] && env_from_example+=("$line")
done <"$SRC/deploy/env.example"
[ ${#env_from_example[@]} -gt 10 ] || fail "deploy/env.example: too few settings read"
run_migrate() {
    (cd "$T" && env -i PATH=/usr/bin:/bin "${env_from_example[@]}" "$@" DATABASE_URL="sqlite:$T/haven.db" \
        "$BIN" migrate) >"$T/migrate.log" 2>&1
}
if run_migrate; then fail "the unedited env.example started: $(cat "$T/migrate.log")"; fi
grep -q "configuration error: MPESA_CONSUMER_KEY" "$T/migrate.log" || fail "unedited env.example: $(cat "$T/migrate.log")"
run_migrate MPESA_CONSUMER_KEY=live-key MPESA_CONSUMER_SECRET=live-secret MPESA_SHORTCODE=600999 \
    MPESA_PASSKEY="$(openssl rand -hex 32)" MPESA_CALLBACK_SECRET="$(openssl rand -hex 20)" \
    JWT_SECRET="$(openssl rand -hex 32)" MASTER_KEY="$(openssl rand -hex 32)" ||
    fail "env.example with its secrets filled in: $(cat "$T/migrate.log")"
echo "ok: deploy/env.example refuses to start until its secrets are set, and passes once they are"

# The backup service's command, as systemd would run it (%% is %), on the database just migrated: a dated copy.
cmd=$(sed -n "s/^ExecStart=\/bin\/sh -c '\(.*\)'\$/\1/p" "$SRC/deploy/haven-mpesa-backup.service")
[ -n "$cmd" ] || fail "haven-mpesa-backup.service: ExecStart changed: update this test"
cmd=${cmd//%%/%}
cmd=${cmd//\/opt\/haven-mpesa\/haven-mpesa/$BIN}
cmd=${cmd//\/var\/lib\/haven-mpesa-backups/$T/backups}
mkdir "$T/backups"
(cd "$T" && env -i PATH=/usr/bin:/bin DATABASE_URL="sqlite:$T/haven.db" sh -c "$cmd") >"$T/backup.log" 2>&1 ||
    fail "the backup service's command: $(cat "$T/backup.log")"
copy="$T/backups/haven-$(date +%F).db"
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"; assert c.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] > 0' "$copy" ||
    fail "no usable copy at $copy: $(cat "$T/backup.log")"
echo "ok: the backup service's command writes a dated copy"
echo "systemd unit: all checks passed"
