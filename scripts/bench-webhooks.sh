#!/usr/bin/env bash
# Webhook benchmark, two measurements on one fresh database, each printed by `kumbu load`:
#  1. delay: payments are created by [clients] clients for [seconds] s while the dispatcher
#     delivers their events to a local receiver; commit→delivery delay p50/p99, and the rate.
#  2. backlog: a server with no dispatcher (--dispatch-tasks 0) creates and settles payments
#     for [seconds] s; then a server that only dispatches (--worker-tasks 0) delivers them all.
#     Deliveries per second, beside a baseline: plain POSTs of the same body to the same receiver.
#  3. slow neighbour: the delay of phase 1 measured twice on one server, the receiver's endpoint
#     alone, then beside a second endpoint of the same merchant that answers every event only
#     after [slow-ms] ms (default 9000). Printed: the measured (fast) endpoint's p50/p99, both runs.
# Usage: scripts/bench-webhooks.sh sqlite|postgres [clients] [seconds] [slow-ms]
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
bench_setup "${1:-postgres}"
clients=${2:-4}
seconds=${3:-10}
slow_ms=${4:-9000}
load() {
  target/release/kumbu load --url $base --key $key --concurrency "$clients" \
    --duration "$seconds" --read-duration 0 --webhooks "$@"
}
start_server
warm_up "$clients" --webhooks
echo "backend: $backend ($(nproc) cores, server and load generator on this machine; ${warmup} s warm-up)"
echo "1. delay under load"
cpu_mark
load
cpu_report
stop_server

echo "2. backlog"
start_server --dispatch-tasks 0
load --backlog > "$work/backlog.out" &
loader=$!
until grep -q '^backlog ready' "$work/backlog.out"; do
  kill -0 $loader 2>/dev/null || { cat "$work/backlog.out"; exit 1; }
  sleep 0.2
done
stop_server
cpu_mark
start_server --worker-tasks 0
wait $loader
cpu_report
grep -v '^kumbu load' "$work/backlog.out"
stop_server

echo "3. slow neighbour (the measured endpoint alone, then beside one answering in $slow_ms ms)"
start_server
cpu_mark
load | grep '^webhook'
load --slow-neighbour-ms "$slow_ms" | grep '^webhook'
cpu_report
stop_server
target/release/kumbu ledger verify --database-url "$url"
