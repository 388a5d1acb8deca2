#!/usr/bin/env bash
# Benchmark: a release `kumbu serve` on a fresh database and the `kumbu load` generator, on this
# machine, fsync on. Usage: scripts/bench.sh sqlite|postgres [concurrency] [seconds]
# PostgreSQL: set BENCH_PG_ADMIN (default postgres://kumbu:kumbu@127.0.0.1:5432/postgres).
# A warm-up run (BENCH_WARMUP seconds, default 5; 0 skips it) fills the database first and
# PostgreSQL's statistics are then refreshed (ANALYZE), as autovacuum keeps them in production:
# a database created seconds earlier has none, and its plans scan whole tables.
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-sqlite}
concurrency=${2:-64}
seconds=${3:-10}
port=18090
key=sk_test_benchmark00000000000000000
cargo build --release --quiet
work=$(mktemp -d)
case "$backend" in
  sqlite) url="sqlite://$work/bench.db" ;;
  postgres)
    admin=${BENCH_PG_ADMIN:-postgres://kumbu:kumbu@127.0.0.1:5432/postgres}
    psql "$admin" -qc "drop database if exists kumbu_bench with (force)" -c "create database kumbu_bench"
    url="${admin%/*}/kumbu_bench" ;;
  *) echo "usage: $0 sqlite|postgres [concurrency] [seconds]" >&2; exit 2 ;;
esac
export KUMBU_SECRET_KEY=${KUMBU_SECRET_KEY:-$(target/release/kumbu secret-key)}
KUMBU_SANDBOX_KEY=$key RUST_LOG=warn target/release/kumbu serve --listen 127.0.0.1:$port \
  --database-url "$url" --sandbox-delay-ms 0 ${BENCH_SERVER_ARGS:-} > "$work/server.out" 2> "$work/server.err" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do curl -sf localhost:$port/readyz >/dev/null && break; sleep 0.1; done
warmup=${BENCH_WARMUP:-5}
if [ "$warmup" -gt 0 ]; then
  target/release/kumbu load --url http://127.0.0.1:$port --key $key --concurrency "$concurrency" \
    --duration "$warmup" --read-duration 1 ${BENCH_LOAD_ARGS:-} > "$work/warmup.out"
  [ "$backend" = postgres ] && psql "$url" -qc analyze
fi
echo "backend: $backend ($(nproc) cores, server and load generator on this machine; ${warmup} s warm-up)"
target/release/kumbu load --url http://127.0.0.1:$port --key $key \
  --concurrency "$concurrency" --duration "$seconds" --read-duration "$seconds" ${BENCH_LOAD_ARGS:-}
target/release/kumbu ledger verify --database-url "$url"
