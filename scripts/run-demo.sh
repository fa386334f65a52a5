#!/usr/bin/env bash
# `make run`: starts the gateway. Without credentials this is simulator mode with demo users and a
# virtual phone (prompts wait for you in /phone.html); with a .env for sandbox/production it just serves.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-build/haven-mpesa}

env_value() {  # the environment wins over .env, as in the gateway itself
  local name=$1
  if [ -n "${!name:-}" ]; then echo "${!name}"; return; fi
  [ -f .env ] && sed -n "s/^\(export \)\{0,1\}$name=//p" .env | tail -n 1 | tr -d '"'"'" || true
}

environment=$(env_value MPESA_ENVIRONMENT)
if [ -z "$environment" ] && [ -z "$(env_value MPESA_CONSUMER_KEY)" ]; then environment=simulator; fi

if [ "$environment" = "simulator" ]; then
  export SIMULATOR_INTERACTIVE=${SIMULATOR_INTERACTIVE:-1}
  # The demo may send webhooks to a receiver on this machine or network (refused outside the demo by default).
  export WEBHOOKS_ALLOW_PRIVATE=${WEBHOOKS_ALLOW_PRIVATE:-true}
  exec "$BIN" serve --demo
fi
exec "$BIN" serve
