#!/usr/bin/env bash
# What M-Pesa's long C2B call costs: live M-Pesa payments whose payer takes 30 s to answer (the
# simulator holds each C2B call open that long, as M-Pesa does until the PIN), N of them created
# at once and carried to settled, next to the same N sandbox payments measured in the same run on
# the same server. Prints payments per second (created and carried), the server's peak RSS and
# its peak open connections to M-Pesa, and the most calls the simulator saw open at once.
# Release builds, this machine.
# Usage: scripts/bench-mpesa.sh [postgres|sqlite] [payments] [prompt seconds] [clients]
#   (default postgres 2000 30 64)
# Fails when M-Pesa registered a payment more or less than once, when fewer than all the payments
# were held at once (they must not wait for one another), or on a deadlock. See
# scripts/bench-common.sh for the set-up (BENCH_PG_ADMIN, KUMBU_BIN).
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
bench_setup "${1:-postgres}"
payments=${2:-2000}
prompt=${3:-30}
clients=${4:-64}
mpesa_port=18094
api_key=bench-mpesa-api-key

RUST_LOG=warn "$kumbu" simulate mpesa-mz --listen 127.0.0.1:$mpesa_port --api-key $api_key \
  --prompt-ms $((prompt * 1000)) --platform-timeout-secs $((prompt * 4)) > "$work/mpesa.out" 2>&1 &
sim=$!
trap 'stop_server; kill $sim 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$mpesa_port/_simulator/stats" > /dev/null && break; sleep 0.1; done
public_key=$(curl -sf "http://127.0.0.1:$mpesa_port/_simulator/public_key" | python3 -c 'import json,sys; print(json.load(sys.stdin)["public_key"])')
# Room for every payment at once: the point is what they cost while held.
start_server --mpesa-mz-url http://127.0.0.1:$mpesa_port --held-calls $((payments * 2)) \
  --held-calls-per-merchant $((payments * 2)) --operator-prompt-timeout-secs $((prompt * 3)) \
  --operator-poll-ms 1000
merchant=$(sed -n 's/^Created the sandbox merchant \(mer_[A-Za-z0-9]*\).*/\1/p' "$work/server.out" | head -1)
live_key=$("$kumbu" keys create --merchant "$merchant" --mode live --database-url "$url")
echo "{\"api_key\": \"$api_key\", \"public_key\": \"$public_key\", \"service_provider_code\": \"171717\"}" \
  | "$kumbu" connector set --merchant "$merchant" --operator mpesa_mz --file - --database-url "$url" > /dev/null

rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
conns() { ss -Htn state established "( dport = :$mpesa_port )" 2>/dev/null | wc -l; }
# watch: samples the server's RSS (KiB) and its connections to M-Pesa every 200 ms into $1.
watch_server() {
  while kill -0 "$server" 2>/dev/null; do echo "$(rss) $(conns)"; sleep 0.2; done > "$1"
}
peaks() { awk 'BEGIN {r = 0; c = 0} {if ($1 > r) r = $1; if ($2 > c) c = $2} END {printf "%.1f MiB RSS, %d connections to M-Pesa", r / 1024, c}' "$1"; }
rate() { sed -n 's/.*: \([0-9.]*\) payments\/s created and carried.*/\1/p' "$1"; }

echo "backend: $backend ($(nproc) cores; server, simulator and load generator on this machine)"
echo "server RSS at rest: $(awk "BEGIN {printf \"%.1f\", $(rss) / 1024}") MiB"
echo
echo "== test mode: $payments sandbox payments (mpesa_mz), the baseline"
watch_server "$work/test.watch" & watcher=$!
"$kumbu" load --url $base --key $key --concurrency "$clients" --count "$payments" \
  --read-duration 0 --operator mpesa_mz --currency MZN --phone +258841000001 | tee "$work/test.out"
kill $watcher; wait $watcher 2>/dev/null || true
echo "peaks: $(peaks "$work/test.watch")"

echo
echo "== live mode: $payments M-Pesa payments, each payer answering after $prompt s"
before=$(curl -sf "http://127.0.0.1:$mpesa_port/_simulator/stats")
watch_server "$work/live.watch" & watcher=$!
"$kumbu" load --url $base --key "$live_key" --concurrency "$clients" --count "$payments" \
  --read-duration 0 --operator mpesa_mz --currency MZN --phone +258841000001 \
  --settle-timeout $((prompt * 10)) | tee "$work/live.out"
kill $watcher; wait $watcher 2>/dev/null || true
after=$(curl -sf "http://127.0.0.1:$mpesa_port/_simulator/stats")
echo "simulator: $after"
echo "peaks: $(peaks "$work/live.watch")"
stat() { python3 -c 'import json, sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }
registered=$(( $(stat "$after" c2b_registered) - $(stat "$before" c2b_registered) ))
requests=$(( $(stat "$after" c2b_requests) - $(stat "$before" c2b_requests) ))
held=$(stat "$after" max_open_calls)
created=$(awk '$1 == "create" {print $2}' "$work/live.out")
stop_server

status=0
echo
echo "== summary"
printf '%-28s %8s payments/s  peaks: %s\n' "test mode (sandbox)" "$(rate "$work/test.out")" "$(peaks "$work/test.watch")"
printf '%-28s %8s payments/s  peaks: %s\n' "live M-Pesa (${prompt} s prompt)" "$(rate "$work/live.out")" "$(peaks "$work/live.watch")"
echo "M-Pesa: $requests C2B requests, $registered registered for $created acknowledged; at most $held calls open at once"
if [ "$registered" != "$created" ] || [ "$requests" != "$created" ]; then
  echo "FAILED: M-Pesa got $requests requests and registered $registered payments for $created acknowledged" >&2; status=1
fi
if [ "$held" -lt "$payments" ]; then
  echo "FAILED: only $held of $payments calls were open at once: payments waited for one another" >&2; status=1
fi
deadlocks=$(grep -ci 'deadlock' "$work/server.err" || true)
if [ "$deadlocks" != 0 ]; then
  echo "FAILED: the database reported $deadlocks deadlock(s)" >&2; status=1
fi
echo "server warnings and errors: $(grep -cE 'WARN|ERROR' "$work/server.err" || true)"
grep -E 'WARN|ERROR' "$work/server.err" | head -5 || true
"$kumbu" ledger verify --database-url "$url"
exit $status
