#!/usr/bin/env bash
# Payments benchmark: a release `kumbu serve` on a fresh database and the `kumbu load`
# generator, on this machine, fsync on. Usage: scripts/bench.sh sqlite|postgres [clients] [seconds]
# (webhooks: scripts/bench-webhooks.sh). See scripts/bench-common.sh for the set-up.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
bench_setup "${1:-sqlite}"
clients=${2:-64}
seconds=${3:-10}
start_server
warm_up "$clients" ${BENCH_LOAD_ARGS:-}
echo "backend: $backend ($(nproc) cores, server and load generator on this machine; ${warmup} s warm-up)"
cpu_mark
target/release/kumbu load --url $base --key $key \
  --concurrency "$clients" --duration "$seconds" --read-duration "$seconds" ${BENCH_LOAD_ARGS:-}
cpu_report
stop_server
target/release/kumbu ledger verify --database-url "$url"
