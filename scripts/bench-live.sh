#!/usr/bin/env bash
# Live-mode benchmark: payments through the MTN MoMo connector to `kumbu simulate mtn-momo`,
# carried to a final state, next to test-mode (sandbox) payments measured in the same run on the
# same server. Release builds, this machine, fsync on.
# Usage: scripts/bench-live.sh [postgres|sqlite] [clients] [seconds]  (default postgres 64 10)
# See scripts/bench-common.sh for the set-up (BENCH_PG_ADMIN, BENCH_WARMUP).
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
bench_setup "${1:-postgres}"
clients=${2:-64}
seconds=${3:-10}
sim_port=18091
api_user=0b9f1b7e-7c5e-4b0a-9d7e-3f2a1c5d6e7f
api_key=bench-api-key
sub_key=bench-subscription-key

RUST_LOG=warn target/release/kumbu simulate mtn-momo --listen 127.0.0.1:$sim_port \
  --approval-delay-ms 0 --subscription-key $sub_key --api-user "$api_user:$api_key:127.0.0.1" \
  > "$work/sim.out" 2>&1 &
sim=$!
trap 'stop_server; kill $sim 2>/dev/null; rm -rf "$work"' EXIT
start_server --mtn-momo-url http://127.0.0.1:$sim_port --operator-poll-ms 1000
merchant=$(sed -n 's/^Created the sandbox merchant \(mer_[A-Za-z0-9]*\).*/\1/p' "$work/server.out" | head -1)
live_key=$(target/release/kumbu keys create --merchant "$merchant" --mode live --database-url "$url")
keys="{\"subscription_key\": \"$sub_key\", \"api_user\": \"$api_user\", \"api_key\": \"$api_key\"}"
echo "{\"target_environment\": \"mtnivorycoast\", \"callback_host\": \"127.0.0.1\", \"collection\": $keys}" \
  | target/release/kumbu connector set --merchant "$merchant" --operator mtn_ci --file - --database-url "$url" > /dev/null

warm_up "$clients"
# Where the CPU goes, per mode: the server, the simulator, PostgreSQL's processes (its
# connections are open by now), the rest (the load generator).
cpu_watch="simulator:$sim"
if [ "$backend" = postgres ]; then cpu_watch+=" database:$(pgrep -d, -u postgres)"; fi
echo "backend: $backend ($(nproc) cores; server, MTN simulator and load generator on this machine; ${warmup} s warm-up)"
echo
echo "== test mode: sandbox payments (orange_ci), the baseline"
cpu_mark
target/release/kumbu load --url $base --key $key --concurrency "$clients" \
  --duration "$seconds" --read-duration 0 | tee "$work/test.out"
cpu_report
echo
echo "== live mode: MTN MoMo payments (mtn_ci) through the connector and the simulator"
stats() { curl -sf "http://127.0.0.1:$sim_port/_simulator/stats"; }
stat() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
before=$(stats)
cpu_mark
target/release/kumbu load --url $base --key "$live_key" --concurrency "$clients" \
  --duration "$seconds" --read-duration 0 --operator mtn_ci --phone +2250500000789 | tee "$work/live.out"
cpu_report
after=$(stats)
echo "simulator: $after"
stop_server
# Every acknowledged live payment reached MTN once, and every callback MTN sent was taken.
created=$(awk '$1 == "create" {print $2}' "$work/live.out")
registered=$(( $(stat "$after" registered) - $(stat "$before" registered) ))
failed=$(( $(stat "$after" callbacks_failed) - $(stat "$before" callbacks_failed) ))
delivered=$(( $(stat "$after" callbacks_delivered) - $(stat "$before" callbacks_delivered) ))
echo "MTN registered $registered transactions for $created acknowledged payments; callbacks: $delivered taken, $failed failed"
status=0
if [ "$registered" != "$created" ]; then
  echo "FAILED: MTN registered $registered transactions for $created acknowledged payments" >&2; status=1
fi
if [ "$failed" != 0 ]; then
  echo "FAILED: $failed of $((delivered + failed)) callbacks were not taken (answered late or refused)" >&2; status=1
fi
# Live mode keeps up with test mode (issue 24, item 0: it ran at 0.47 of it while callbacks
# waited on the worker's row locks), and no transaction was ever a deadlock's victim.
rate() { sed -n 's/.*: \([0-9.]*\) payments\/s created and carried.*/\1/p' "$1"; }
ratio=$(echo "$(rate "$work/live.out") / $(rate "$work/test.out")" | bc -l)
printf 'live / test mode: %.2f (payments carried to a final state per second)\n' "$ratio"
if (( $(echo "$ratio < 0.8" | bc -l) )); then
  echo "FAILED: live mode ran at $(printf '%.2f' "$ratio") of test mode's rate, under 0.8" >&2; status=1
fi
deadlocks=$(grep -ci 'deadlock' "$work/server.err" || true)
echo "deadlocks reported: $deadlocks"
if [ "$deadlocks" != 0 ]; then
  echo "FAILED: the database reported $deadlocks deadlock(s)" >&2; status=1
fi
echo "server warnings and errors: $(grep -cE 'WARN|ERROR' "$work/server.err" || true)"
grep -E 'WARN|ERROR' "$work/server.err" | head -5 || true
target/release/kumbu ledger verify --database-url "$url"
exit $status
