#!/usr/bin/env bash
# What one operation costs, rather than how many fit in a second: the server's CPU time per
# payment created (and carried to settled by the sandbox worker) and per webhook delivered, and
# PostgreSQL's work per payment created (commits, rows written, rows read). On a small shared VM
# the rates of bench.sh and bench-webhooks.sh move by ±20 % from run to run; these costs move by a
# few per cent, so two builds can be compared on them: run this script in each checkout, in turns.
# Usage: scripts/bench-cost.sh [clients] [seconds]   (PostgreSQL only; defaults 64 10)
# See scripts/bench-common.sh for the set-up (BENCH_PG_ADMIN, BENCH_WARMUP).
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
bench_setup postgres
clients=${1:-64}
seconds=${2:-10}

# cpu_ms PID: the process's user + system CPU time so far, in ms (from /proc, no perf needed).
cpu_ms() { awk -v hz="$(getconf CLK_TCK)" '{print int(($14 + $15) * 1000 / hz)}' "/proc/$1/stat"; }
# pg_work: commits, rows inserted, updated, fetched and returned in the bench database so far.
pg_work() {
  psql "$url" -tAc "select xact_commit, tup_inserted, tup_updated, tup_fetched, tup_returned
    from pg_stat_database where datname = current_database()"
}
# per N BEFORE AFTER: AFTER − BEFORE (|-separated counters) divided by N, one decimal each.
per() { python3 -c 'import sys; n = int(sys.argv[1]); a, b = (list(map(int, s.split("|"))) for s in sys.argv[2:4])
print(" ".join(f"{(y - x) / n:.1f}" for x, y in zip(a, b)))' "$@"; }
count() { sed -n "s/^$1 *\([0-9]*\) .*/\1/p" "$2"; }

echo "backend: postgres ($(nproc) cores, server and load generator on this machine)"
echo "1. payments: $clients clients create for $seconds s (the sandbox worker settles them)"
start_server
warm_up "$clients"
c0=$(cpu_ms "$server"); w0=$(pg_work)
target/release/kumbu load --url $base --key $key --concurrency "$clients" \
  --duration "$seconds" --read-duration 0 > "$work/create.out"
c1=$(cpu_ms "$server"); w1=$(pg_work)
stop_server
grep -E '^(create|final)' "$work/create.out"
n=$(count create "$work/create.out")
echo "server CPU per payment: $(( (c1 - c0) * 1000 / n )) µs"
read -r commits ins upd fetched returned <<< "$(per "$n" "$w0" "$w1")"
echo "PostgreSQL per payment: $commits commits, $ins rows inserted, $upd updated, $fetched fetched, $returned returned"

echo "2. webhooks: a backlog made by 4 clients in $seconds s, drained by a dispatch-only server"
start_server --dispatch-tasks 0
target/release/kumbu load --url $base --key $key --concurrency 4 --duration "$seconds" \
  --read-duration 0 --webhooks --backlog > "$work/backlog.out" &
loader=$!
until grep -q '^backlog ready' "$work/backlog.out"; do
  kill -0 $loader 2>/dev/null || { cat "$work/backlog.out"; exit 1; }
  sleep 0.2
done
stop_server
psql "$url" -qc analyze
start_server --worker-tasks 0
c0=$(cpu_ms "$server")
wait $loader
c1=$(cpu_ms "$server")
stop_server
grep -E '^webhook' "$work/backlog.out"
n=$(count webhook "$work/backlog.out")
echo "server CPU per delivery: $(( (c1 - c0) * 1000 / n )) µs"
target/release/kumbu ledger verify --database-url "$url"
