#!/usr/bin/env bash
# Real RabbitMQ 4.x brokers for the tests, from Debian's own packages in a chroot, run beside the
# machine's own broker (which this script never touches) on ports, node names and an epmd of their
# own. One folder per Debian suite, cached between runs; any number of nodes run from one folder,
# each with its own data directory under /run/rabbitmq-mcp-test-brokers.
#
#   scripts/test-brokers.sh install 4.0|4.3          debootstrap the suite and install rabbitmq-server
#   scripts/test-brokers.sh start NODE...            start nodes and wait until each is healthy
#   scripts/test-brokers.sh fresh NODE...            the same, with no data left from an earlier run
#   scripts/test-brokers.sh stop NODE...             stop nodes (and their epmd when none is left)
#   scripts/test-brokers.sh ports NODE               "amqp management" ports of a node
#   scripts/test-brokers.sh version NODE             the RabbitMQ version the node's folder ships
#   scripts/test-brokers.sh cluster-up               the three 4.3 nodes, clustered, healthy
#   scripts/test-brokers.sh cluster-down             stop the three
#
# NODE is 4.0, 4.3 (single nodes) or c1, c2, c3 (the three 4.3 nodes of the cluster), as
# scripts/test-brokers.json lists them with their ports. Needs root (debootstrap, chroot, mount).
# RABBITMQ_MCP_BROKER_CACHE moves the cached folders.
set -euo pipefail

CACHE="${RABBITMQ_MCP_BROKER_CACHE:-/var/cache/rabbitmq-mcp/brokers}"
RUN_DIR=/run/rabbitmq-mcp-test-brokers
# The cluster's nodes share one Erlang cookie (a fixed one: these brokers listen on loopback only).
COOKIE=rabbitmq-mcp-test-cluster-cookie

log() { printf '[test-brokers] %s\n' "$*" >&2; }
die() { printf '[test-brokers] %s\n' "$*" >&2; exit 1; }
as_root() { if ((EUID == 0)); then "$@"; else sudo "$@"; fi; }

NODES_FILE="$(dirname "$0")/test-brokers.json"

# node → "suite amqp management distribution epmd nodename", from scripts/test-brokers.json
node_spec() {
  node -e '
    const [file, id] = process.argv.slice(1);
    const node = require(file).nodes[id];
    if (!node) { console.error(`unknown node "${id}": use one of ${Object.keys(require(file).nodes).join(", ")}`); process.exit(1); }
    console.log([node.suite, node.amqp, node.http, node.dist, node.epmd, node.name].join(" "));
  ' "$(realpath "$NODES_FILE")" "$1" || exit 1
}

all_nodes() { node -e 'console.log(Object.keys(require(process.argv[1]).nodes).join(" "))' "$(realpath "$NODES_FILE")"; }

suite_of_version() {
  node -e '
    const [file, version] = process.argv.slice(1);
    const suite = require(file).suites[version];
    if (!suite) { console.error(`unknown version "${version}": use one of ${Object.keys(require(file).suites).join(", ")}`); process.exit(1); }
    console.log(suite);
  ' "$(realpath "$NODES_FILE")" "$1" || exit 1
}

# The Debian mirror this machine's apt uses (deb822 or one-line sources), else deb.debian.org.
debian_mirror() {
  local uri
  uri=$(grep -hsE '^URIs:.*debian/?$' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -n1 | awk '{print $2}')
  [[ -z "$uri" ]] && uri=$(grep -hsE '^deb .*debian/? ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    grep -v security | head -n1 | awk '{print $2}')
  echo "${uri:-http://deb.debian.org/debian}"
}

folder_of_suite() { echo "$CACHE/$1"; }

mounted() { mountpoint -q "$1"; }

mount_proc() { # folder
  local dir=$1
  mounted "$dir/proc" || as_root mount -t proc proc "$dir/proc"
}

umount_proc() { # folder; only when no node of this folder runs
  local dir=$1
  mounted "$dir/proc" && as_root umount -l "$dir/proc" || true
}

install_suite() { # suite
  local suite=$1 dir
  dir=$(folder_of_suite "$suite")
  if [[ -f "$dir/.rabbitmq-mcp-ready" ]]; then
    log "$suite: cached in $dir ($(cat "$dir/.rabbitmq-mcp-ready"))"
    return
  fi
  command -v debootstrap >/dev/null 2>&1 || {
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -yq --no-install-recommends debootstrap
  }
  local mirror script=() apt_options=()
  mirror=$(debian_mirror)
  # forky's Release file on the mirror is past its Valid-Until; debootstrap has no script for it
  # but sid's fits.
  if [[ "$suite" == forky ]]; then
    script=(/usr/share/debootstrap/scripts/sid)
    apt_options=(-o Acquire::Check-Valid-Until=false)
  fi
  as_root rm -rf "$dir.partial"
  as_root mkdir -p "$dir.partial"
  log "$suite: debootstrap from $mirror into $dir (a few minutes, once)"
  as_root debootstrap --variant=minbase "$suite" "$dir.partial" "$mirror" "${script[@]}" >&2
  echo '127.0.0.1 localhost' | as_root tee "$dir.partial/etc/hosts" >/dev/null
  printf '#!/bin/sh\nexit 101\n' | as_root tee "$dir.partial/usr/sbin/policy-rc.d" >/dev/null
  as_root chmod 755 "$dir.partial/usr/sbin/policy-rc.d"
  mount_proc "$dir.partial"
  local status=0
  as_root chroot "$dir.partial" apt-get "${apt_options[@]}" update -q >&2 || status=$?
  ((status == 0)) && { as_root chroot "$dir.partial" env DEBIAN_FRONTEND=noninteractive \
    apt-get "${apt_options[@]}" install -yq --no-install-recommends rabbitmq-server >&2 || status=$?; }
  as_root chroot "$dir.partial" apt-get clean >&2 || true
  umount_proc "$dir.partial"
  ((status == 0)) || die "$suite: installing rabbitmq-server failed (exit $status)"
  local version
  version=$(as_root chroot "$dir.partial" dpkg-query -W -f '${Version}' rabbitmq-server)
  echo "rabbitmq-server $version" | as_root tee "$dir.partial/.rabbitmq-mcp-ready" >/dev/null
  as_root rm -rf "$dir"
  as_root mv "$dir.partial" "$dir"
  log "$suite: rabbitmq-server $version installed"
}

# Everything a node needs inside the folder: its config, plugins, data and log directories.
prepare_node() { # node
  local node=$1 suite amqp http dist epmd name dir base
  read -r suite amqp http dist epmd name <<<"$(node_spec "$node")"
  dir=$(folder_of_suite "$suite")
  [[ -f "$dir/.rabbitmq-mcp-ready" ]] || die "node $node needs the $suite folder: run scripts/test-brokers.sh install first"
  base="$RUN_DIR/$node"
  as_root mkdir -p "$dir$base/data" "$dir$base/log"
  as_root tee "$dir$base/rabbitmq.conf" >/dev/null <<EOF
listeners.tcp.1 = 127.0.0.1:$amqp
management.tcp.ip = 127.0.0.1
management.tcp.port = $http
collect_statistics_interval = 1000
loopback_users = none
log.console = false
log.file.level = info
EOF
  echo '[rabbitmq_management,rabbitmq_shovel,rabbitmq_shovel_management,rabbitmq_federation,rabbitmq_federation_management].' |
    as_root tee "$dir$base/enabled_plugins" >/dev/null
  # The Debian wrapper runs the node as the rabbitmq user, whose home holds the Erlang cookie.
  echo -n "$COOKIE" | as_root tee "$dir/var/lib/rabbitmq/.erlang.cookie" >/dev/null
  as_root chroot "$dir" chown rabbitmq:rabbitmq /var/lib/rabbitmq/.erlang.cookie
  as_root chmod 400 "$dir/var/lib/rabbitmq/.erlang.cookie"
  as_root chroot "$dir" chown -R rabbitmq:rabbitmq "$base"
}

# The environment the Debian wrapper and rabbitmqctl read, for one node: its ports, node name,
# config, data and logs; Erlang distribution and epmd on loopback only.
node_env() { # node → one VAR=value per line
  local suite amqp http dist epmd name base
  read -r suite amqp http dist epmd name <<<"$(node_spec "$1")"
  base="$RUN_DIR/$1"
  printf '%s\n' "ERL_EPMD_PORT=$epmd" "ERL_EPMD_ADDRESS=127.0.0.1" "RABBITMQ_NODENAME=$name" \
    "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1" "RABBITMQ_NODE_PORT=$amqp" "RABBITMQ_DIST_PORT=$dist" \
    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}" \
    "RABBITMQ_CONFIG_FILE=$base/rabbitmq.conf" "RABBITMQ_ENABLED_PLUGINS_FILE=$base/enabled_plugins" \
    "RABBITMQ_MNESIA_BASE=$base/data" "RABBITMQ_LOG_BASE=$base/log" "RABBITMQ_PID_FILE=$base/pid" \
    "HOME=/var/lib/rabbitmq"
}

in_node() { # node command... — runs a command in the node's folder with its environment
  local node=$1 suite dir
  shift
  read -r suite _ <<<"$(node_spec "$node")"
  dir=$(folder_of_suite "$suite")
  local -a environment
  mapfile -t environment < <(node_env "$node")
  as_root chroot "$dir" env "${environment[@]}" "$@"
}

healthy() { # node
  local suite amqp http _rest
  read -r suite amqp http _rest <<<"$(node_spec "$1")"
  (exec 3<>"/dev/tcp/127.0.0.1/$amqp") 2>/dev/null || return 1
  curl -fsS -m 2 -u guest:guest "http://127.0.0.1:$http/api/health/checks/alarms" >/dev/null 2>&1
}

running() { # node
  local suite amqp _rest
  read -r suite amqp _rest <<<"$(node_spec "$1")"
  (exec 3<>"/dev/tcp/127.0.0.1/$amqp") 2>/dev/null
}

start_node() { # node
  local node=$1 suite dir
  read -r suite _ <<<"$(node_spec "$node")"
  dir=$(folder_of_suite "$suite")
  if healthy "$node"; then log "$node: already running"; return; fi
  prepare_node "$node"
  mount_proc "$dir"
  log "$node: starting ($(cat "$dir/.rabbitmq-mcp-ready"))"
  # A session of its own, so that nothing waits on it and a test runner's process group is not its.
  # In a session of its own, so that nothing waits on it and a test runner's process group is not its.
  setsid "$0" run-node "$node" </dev/null >/dev/null 2>&1 &
}

await_node() { # node seconds
  local node=$1 deadline=$((SECONDS + $2))
  until healthy "$node"; do
    if ((SECONDS > deadline)); then
      local suite dir
      read -r suite _ <<<"$(node_spec "$node")"
      dir=$(folder_of_suite "$suite")
      tail -n 30 "$dir$RUN_DIR/$node/log/start.out" "$dir$RUN_DIR/$node/log/"*.log 2>/dev/null >&2 || true
      die "$node did not become healthy within $2 s"
    fi
    sleep 0.5
  done
  log "$node: healthy"
}

stop_node() { # node
  local node=$1
  if ! running "$node"; then log "$node: not running"; return; fi
  in_node "$node" rabbitmqctl -n "$(node_spec "$node" | awk '{print $6}')" stop >/dev/null 2>&1 ||
    in_node "$node" rabbitmqctl -n "$(node_spec "$node" | awk '{print $6}')" shutdown >/dev/null 2>&1 || true
  local deadline=$((SECONDS + 60))
  while running "$node"; do
    ((SECONDS > deadline)) && die "$node did not stop within 60 s"
    sleep 0.3
  done
  log "$node: stopped"
  # The node's epmd goes too, unless another node of ours still registers with it.
  local epmd other
  epmd=$(node_spec "$node" | awk '{print $5}')
  for other in $(all_nodes); do
    [[ "$other" != "$node" && "$(node_spec "$other" | awk '{print $5}')" == "$epmd" ]] && running "$other" && return
  done
  in_node "$node" epmd -kill >/dev/null 2>&1 || true
}

wipe_node() { # node: its data, logs and config, so that it starts as a new node
  local suite
  read -r suite _ <<<"$(node_spec "$1")"
  as_root rm -rf "$(folder_of_suite "$suite")$RUN_DIR/$1"
}

# A cluster nobody runs starts new; one with a node down gets that node back with its data (it
# rejoins the others).
cluster_up() {
  local node
  if ! running c1 && ! running c2 && ! running c3; then
    for node in c1 c2 c3; do wipe_node "$node"; done
  fi
  for node in c1 c2 c3; do start_node "$node"; done
  for node in c1 c2 c3; do await_node "$node" 180; done
  for node in c2 c3; do
    if in_node "$node" rabbitmqctl -n "rabbit${node}@localhost" cluster_status 2>/dev/null | grep -q rabbitc1@localhost; then
      continue
    fi
    log "$node: joining rabbitc1@localhost"
    in_node "$node" rabbitmqctl -n "rabbit${node}@localhost" stop_app >/dev/null
    in_node "$node" rabbitmqctl -n "rabbit${node}@localhost" join_cluster rabbitc1@localhost >/dev/null
    in_node "$node" rabbitmqctl -n "rabbit${node}@localhost" start_app >/dev/null
    await_node "$node" 120
  done
}

command=${1:-}
shift || true
# Unknown node names fail here, before anything starts or stops.
case "$command" in start | fresh | stop | ports | version | run-node) for node in "$@"; do node_spec "$node" >/dev/null; done ;; esac
case "$command" in
  install)
    (($# > 0)) || die "install which versions? 4.0, 4.3"
    for version in "$@"; do
      suite=$(suite_of_version "$version")
      install_suite "$suite"
    done
    ;;
  start)
    for node in "$@"; do start_node "$node"; done
    for node in "$@"; do await_node "$node" 180; done
    ;;
  stop)
    for node in "$@"; do stop_node "$node"; done
    ;;
  fresh) # start nodes that are not running with no data from an earlier run
    for node in "$@"; do running "$node" || wipe_node "$node"; done
    for node in "$@"; do start_node "$node"; done
    for node in "$@"; do await_node "$node" 180; done
    ;;
  cluster-down)
    stop_node c2
    stop_node c3
    stop_node c1
    ;;
  ports)
    read -r _ amqp http _ <<<"$(node_spec "$1")"
    echo "$amqp $http"
    ;;
  version)
    read -r suite _ <<<"$(node_spec "$1")"
    cut -d' ' -f2 "$(folder_of_suite "$suite")/.rabbitmq-mcp-ready"
    ;;
  cluster-up) cluster_up ;;
  run-node) # the node in the foreground, its output in its log folder (start runs this)
    in_node "$1" sh -c 'exec /usr/sbin/rabbitmq-server >"$RABBITMQ_LOG_BASE/start.out" 2>&1'
    ;;
  *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
