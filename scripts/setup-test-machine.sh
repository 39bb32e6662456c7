#!/usr/bin/env bash
# Sets up a Debian or Ubuntu machine for `npm test`: the Debian packages the suite runs (RabbitMQ,
# nginx and HAProxy for the load-balancing tests, openssl for the TLS certificates, Chromium for
# the window's tests), a running broker with the management, shovel and federation plugins, and
# RabbitMQ 4.0 and 4.3 from Debian's own packages in a chroot beside it (scripts/test-brokers.sh;
# the folders are cached, so only the first run downloads them).
# Idempotent; asks sudo for what needs root. `.ci/run` runs it, then `npm ci && npm test`.
set -euo pipefail

as_root() { if ((EUID == 0)); then "$@"; else sudo "$@"; fi; }
log() { printf '\n== %s\n' "$*"; }

wait_for_port() { # host port seconds
  local deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    if ((SECONDS > deadline)); then echo "port $1:$2 did not open within $3 s" >&2; return 1; fi
    sleep 1
  done
}

log "Debian packages"
missing=()
for tool in rabbitmq-server:rabbitmq-server redis-server:redis-server nginx:nginx-light haproxy:haproxy openssl:openssl script:bsdutils; do
  PATH="$PATH:/usr/sbin:/sbin" command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool##*:}")
done
if [[ ! -x "${CHROMIUM_PATH:-/usr/bin/chromium}" ]]; then
  # Ubuntu packages Chromium only as a snap, which does not install in a container: bring a
  # Chromium or Chrome binary and point CHROMIUM_PATH at it.
  if grep -qi '^ID=ubuntu' /etc/os-release 2>/dev/null; then
    echo "Ubuntu has no Chromium deb: install Chromium or Google Chrome and export CHROMIUM_PATH=/path/to/it" >&2
  else
    missing+=(chromium)
  fi
fi
if ((${#missing[@]} > 0)); then
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -yq --no-install-recommends "${missing[@]}"
fi
# Debian starts nginx and HAProxy as services on install; the tests run their own instances.
as_root service nginx stop >/dev/null 2>&1 || true
as_root service haproxy stop >/dev/null 2>&1 || true

log "RabbitMQ"
if ! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
  as_root rabbitmq-server -detached
fi
wait_for_port 127.0.0.1 5672 120
as_root rabbitmqctl await_startup --timeout 120 >/dev/null 2>&1 || true
as_root rabbitmq-plugins enable rabbitmq_management rabbitmq_shovel rabbitmq_shovel_management \
  rabbitmq_federation rabbitmq_federation_management
wait_for_port 127.0.0.1 15672 120

log "Redis (the fleet's shared state: MCP_REDIS_URL)"
# Loopback only, nothing saved to disk; tests use keys of their own and never flush.
if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  as_root service redis-server stop >/dev/null 2>&1 || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save ""
fi
wait_for_port 127.0.0.1 6379 30

log "RabbitMQ 4.0 and 4.3 (Debian trixie and forky, in a chroot)"
command -v debootstrap >/dev/null 2>&1 || {
  as_root apt-get update -q
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -yq --no-install-recommends debootstrap curl
}
command -v curl >/dev/null 2>&1 || as_root env DEBIAN_FRONTEND=noninteractive apt-get install -yq --no-install-recommends curl
# Both suites download at once: the time goes to the mirror, not the two cores.
installs=()
for version in 4.0 4.3; do
  as_root "$(dirname "$0")/test-brokers.sh" install "$version" &
  installs+=($!)
done
for pid in "${installs[@]}"; do wait "$pid"; done
as_root "$(dirname "$0")/test-brokers.sh" fresh 4.0 4.3
