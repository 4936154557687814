#!/usr/bin/env bash
# A three-master Redis Cluster on loopback for the cluster tests (test/support/redis-cluster.ts)
# and CI: `start` (idempotent: a running, healthy cluster is left as it is) or `stop` (stops the
# nodes and removes their files). No replicas, no persistence: test data only.
# Ports 7001-7003 (the tests' default TEST_REDIS_CLUSTER_URL); files in REDIS_CLUSTER_DIR.
set -euo pipefail

PORTS=(7001 7002 7003)
DIR=${REDIS_CLUSTER_DIR:-/tmp/sync-scheduler-redis-cluster}
WAIT_S=30

say() { echo "redis-cluster: $*"; }
cli() { redis-cli -h 127.0.0.1 -p "$1" "${@:2}"; }
answers() { cli "$1" ping >/dev/null 2>&1; }
info_field() { cli "$1" cluster info 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"; }

healthy() {
  for port in "${PORTS[@]}"; do
    [[ "$(info_field "$port" cluster_state)" == ok ]] || return 1
    [[ "$(info_field "$port" cluster_known_nodes)" == "${#PORTS[@]}" ]] || return 1
  done
}

start_node() {
  local port=$1
  redis-server --port "$port" --bind 127.0.0.1 --daemonize yes \
    --cluster-enabled yes --cluster-config-file "$DIR/nodes-$port.conf" \
    --cluster-node-timeout 5000 --save "" --appendonly no --dir "$DIR" \
    --pidfile "$DIR/redis-$port.pid" --logfile "$DIR/redis-$port.log" 9>&-
}

start() {
  for tool in redis-server redis-cli; do
    command -v "$tool" >/dev/null 2>&1 || { say "$tool is not installed"; exit 2; }
  done
  mkdir -p "$DIR"
  # Test files starting the cluster at the same time wait for each other here (the daemons
  # must not inherit the lock: it would be held for as long as they run).
  exec 9>"$DIR/lock"
  flock 9
  if healthy; then
    say "already running on ports ${PORTS[*]}"
    return
  fi
  for port in "${PORTS[@]}"; do
    answers "$port" || start_node "$port"
  done
  for port in "${PORTS[@]}"; do
    for _ in $(seq 1 $((WAIT_S * 10))); do answers "$port" && break; sleep 0.1; done
    answers "$port" || { say "node $port did not start (see $DIR/redis-$port.log)"; exit 1; }
  done
  # Nodes restarted with their nodes-*.conf form the cluster again by themselves; fresh ones
  # (no slot assigned anywhere) are joined here.
  local assigned=0
  for port in "${PORTS[@]}"; do
    assigned=$((assigned + $(info_field "$port" cluster_slots_assigned)))
  done
  if [[ "$assigned" -eq 0 ]]; then
    local nodes=()
    for port in "${PORTS[@]}"; do nodes+=("127.0.0.1:$port"); done
    redis-cli --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >"$DIR/create.log" 9>&-
  fi
  for _ in $(seq 1 $((WAIT_S * 10))); do
    if healthy; then
      say "running on ports ${PORTS[*]}"
      return
    fi
    sleep 0.1
  done
  say "the cluster did not reach cluster_state:ok within ${WAIT_S} s; try '$0 stop' then '$0 start'"
  exit 1
}

stop() {
  for port in "${PORTS[@]}"; do
    if answers "$port"; then cli "$port" shutdown nosave >/dev/null 2>&1 || true; fi
  done
  for port in "${PORTS[@]}"; do
    for _ in $(seq 1 50); do answers "$port" || break; sleep 0.1; done
  done
  rm -rf "$DIR"
  say "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 64
    ;;
esac
