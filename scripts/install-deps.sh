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
TEST_PKGS=(postgresql chromium curl clang-format python3-aiosmtpd)
FUZZ_PKGS=(clang-14 libfuzzer-14-dev)

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
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
