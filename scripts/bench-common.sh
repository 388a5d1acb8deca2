# Shared by scripts/bench.sh and scripts/bench-webhooks.sh (sourced, not run): a release build,
# a fresh database, and a `kumbu serve` on it that can be stopped and started again.
# PostgreSQL: set BENCH_PG_ADMIN (default postgres://kumbu:kumbu@127.0.0.1:5432/postgres).
# The binary measured: this checkout's release build, or KUMBU_BIN (e.g. an older commit's
# build, for a baseline measured in the same session; relative to where the script was run).
if [ -n "${KUMBU_BIN:-}" ]; then KUMBU_BIN=$(realpath "$KUMBU_BIN"); fi
cd "$(dirname "${BASH_SOURCE[0]}")/.."
port=18090
key=sk_test_benchmark00000000000000000
base=http://127.0.0.1:$port
# The server's metrics listener, where `kumbu load` counts finished payments.
metrics_port=18100
export KUMBU_METRICS_URL=http://127.0.0.1:$metrics_port
server=
work=$(mktemp -d)
trap 'stop_server; rm -rf "$work"' EXIT

kumbu=${KUMBU_BIN:-target/release/kumbu}

# bench_setup sqlite|postgres: builds the release binary (unless KUMBU_BIN names one) and creates
# an empty database ($url).
bench_setup() {
  backend=$1
  if [ -z "${KUMBU_BIN:-}" ]; then cargo build --release --quiet; fi
  case "$backend" in
    sqlite) url="sqlite://$work/bench.db" ;;
    postgres)
      local admin=${BENCH_PG_ADMIN:-postgres://kumbu:kumbu@127.0.0.1:5432/postgres}
      psql "$admin" -qc "drop database if exists kumbu_bench with (force)" -c "create database kumbu_bench"
      url="${admin%/*}/kumbu_bench" ;;
    *) echo "backend must be sqlite or postgres, not '$backend'" >&2; exit 2 ;;
  esac
  KUMBU_SECRET_KEY=${KUMBU_SECRET_KEY:-$("$kumbu" secret-key)}
  export KUMBU_SECRET_KEY
}

# start_server [serve options…]: starts `kumbu serve` on $url and waits until it is ready (no
# per-key limit: the load generator sends everything with one key).
start_server() {
  KUMBU_SANDBOX_KEY=$key RUST_LOG=warn "$kumbu" serve --listen 127.0.0.1:$port --metrics-listen 127.0.0.1:$metrics_port --api-rate-limit 0 \
    --database-url "$url" --sandbox-delay-ms "${BENCH_SANDBOX_DELAY_MS:-0}" ${BENCH_SERVER_ARGS:-} "$@" \
    >> "$work/server.out" 2>> "$work/server.err" &
  server=$!
  for _ in $(seq 1 100); do curl -sf $base/readyz >/dev/null && return; sleep 0.1; done
  echo "the server did not start:" >&2; cat "$work/server.err" >&2; exit 1
}

stop_server() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; server=; fi
}

# warm_up clients [load options…]: BENCH_WARMUP seconds (default 5; 0 skips) of the same load,
# then fresh PostgreSQL statistics (ANALYZE), as autovacuum keeps them in production. On a
# database created seconds earlier PostgreSQL has none, and plans the claims as full scans.
warm_up() {
  local clients=$1; shift
  warmup=${BENCH_WARMUP:-5}
  [ "$warmup" -gt 0 ] || return 0
  "$kumbu" load --url $base --key $key --concurrency "$clients" \
    --duration "$warmup" --read-duration 0 "$@" > "$work/warmup.out"
  if [ "$backend" = postgres ]; then psql "$url" -qc analyze; fi
}

# cpu_mark; …; cpu_report: prints how much of this VM's CPU time the hypervisor took away
# (steal) meanwhile (figures from runs with much steal are not comparable), and where the busy
# time went: the server, each process named in $cpu_watch ("name:pid …"), and the rest
# (PostgreSQL, the load generator). Seconds of CPU, all cores together; a pid list "a,b,c" is
# counted as one (the processes alive at cpu_mark).
cpu_ticks() {
  local pid sum=0
  for pid in ${1//,/ }; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0))); done
  echo $sum
}
cpu_mark() {
  statements_mark
  read -r _ u n s i w q sq st _ < /proc/stat
  cpu0=($((u+n+s+i+w+q+sq+st)) $st $((u+n+s+q+sq)))
  cpu_pids0=()
  local entry
  for entry in "server:$server" ${cpu_watch:-}; do cpu_pids0+=("$(cpu_ticks "${entry#*:}")"); done
}
cpu_report() {
  read -r _ u n s i w q sq st _ < /proc/stat
  local total=$((u+n+s+i+w+q+sq+st-cpu0[0])) steal=$((st-cpu0[1])) busy=$((u+n+s+q+sq-cpu0[2]))
  echo "cpu steal during the measurement: $((100*steal/(total>0?total:1))) %"
  local hz line="cpu seconds:" entry k=0 used rest
  hz=$(getconf CLK_TCK); rest=$busy
  for entry in "server:$server" ${cpu_watch:-}; do
    used=$(( $(cpu_ticks "${entry#*:}") - cpu_pids0[k] )); k=$((k+1)); rest=$((rest-used))
    line+=" ${entry%%:*} $(echo "scale=1; $used / $hz" | bc),"
  done
  echo "$line rest $(echo "scale=1; $rest / $hz" | bc), busy $(echo "scale=1; $busy / $hz" | bc)"
  statements_report
}

# With BENCH_PG_STATEMENTS=1 (PostgreSQL), cpu_report also prints what the database executed
# since cpu_mark, by statement: calls, rows, execution and planning time, and the totals. Needs
# `shared_preload_libraries = 'pg_stat_statements'` (and, for planning times,
# `pg_stat_statements.track_planning = on`) in postgresql.conf, and a superuser BENCH_PG_ADMIN.
statements_mark() {
  [ "${BENCH_PG_STATEMENTS:-0}" = 1 ] && [ "$backend" = postgres ] || return 0
  local admin=${BENCH_PG_ADMIN:-postgres://kumbu:kumbu@127.0.0.1:5432/postgres}
  PGOPTIONS="-c client_min_messages=warning" psql "$admin" -qc "create extension if not exists pg_stat_statements" \
    -c "select pg_stat_statements_reset()" > /dev/null
}
statements_report() {
  [ "${BENCH_PG_STATEMENTS:-0}" = 1 ] && [ "$backend" = postgres ] || return 0
  local admin=${BENCH_PG_ADMIN:-postgres://kumbu:kumbu@127.0.0.1:5432/postgres}
  local of="from pg_stat_statements where dbid = (select oid from pg_database where datname = 'kumbu_bench')"
  psql "$admin" -P footer=off -c "select sum(calls) as calls, sum(rows) as rows,
      round(sum(total_exec_time)::numeric, 1) as exec_ms, round(sum(total_plan_time)::numeric, 1) as plan_ms,
      left(regexp_replace(query, '\s+', ' ', 'g'), 60) as statement $of group by 5 order by 3 desc limit 25" \
    -c "select sum(calls) as statements, round(sum(total_exec_time)::numeric, 1) as exec_ms,
      round(sum(total_plan_time)::numeric, 1) as plan_ms $of"
}
