#!/usr/bin/env bash
# Installs the Debian packages Haven M-Pesa needs to build, run and test.
# Does nothing (and needs no network) when everything is already present.
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build pkg-config
  libboost-dev libboost-system-dev libssl-dev nlohmann-json3-dev
  libsqlite3-dev libpq-dev libsodium-dev libspdlog-dev libfmt-dev
  libcli11-dev libexpected-dev libgtest-dev libgmock-dev ccache
  libzxcvbn-dev libcpp-jwt-dev libcurl4-openssl-dev libjs-chart.js libkainjow-mustache-dev
)
TEST_PKGS=(postgresql chromium curl clang-format python3-aiosmtpd python3-prometheus-client)
# scripts/cluster.sh (pg_auto_failover, HAProxy) and its test in make test (jq reads the answers)
TEST_PKGS+=(postgresql-15-auto-failover pg-auto-failover-cli haproxy jq)
FUZZ_PKGS=(clang-14 libfuzzer-14-dev)
# deploy/ is checked with the tools it is for: systemd-analyze, nginx (openssl for its test certificate), strace.
TEST_PKGS+=(systemd nginx openssl python3 strace)

want=("${BUILD_PKGS[@]}")
if [ "${1:-}" = "--test" ]; then want+=("${TEST_PKGS[@]}"); fi
if [ "${1:-}" = "--fuzz" ]; then want+=("${FUZZ_PKGS[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# policy-rc.d 101: a package such as nginx must not start a system service of its own (port 80) on install.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
  $SUDO chmod +x /usr/sbin/policy-rc.d
  trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
