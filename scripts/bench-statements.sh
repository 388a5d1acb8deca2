#!/usr/bin/env bash
# Statements and exports benchmark (issue 27): a merchant with N payments (default 1,000,000) in
# one month, each with its balance transaction; then, through the running gateway, the month's
# statement, the CSV export of its balance transactions and of its payments, each timed, with
# the server's peak RSS after each (VmHWM: the exports stream a page at a time, so a month must not
# sit in memory). Baseline in the same run: the database alone reading the same rows (COPY … TO
# on PostgreSQL, a plain SELECT in Python on SQLite).
# The payments and balance transactions are written by SQL (copies of one real settled payment
# and its transaction, numbered with their balances as the gateway numbers them): what is
# measured is reading them; writing a million through the API is bench.sh's business.
# Usage: scripts/bench-statements.sh sqlite|postgres [payments]
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
bench_setup "${1:-postgres}"
count=${2:-1000000}
sql() { # sql <statement>: runs it on the benchmark database, rows as a|b|c
  if [ "$backend" = postgres ]; then psql "$url" -qAtc "$1"; else python3 - "$work/bench.db" "$1" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); r = c.execute(sys.argv[2]).fetchall(); c.commit()
for row in r: print("|".join(str(x) for x in row))
EOF
  fi
}
rss() { awk '/VmHWM/ {printf "%.1f MiB", $2 / 1024}' "/proc/$server/status"; }

"$kumbu" migrate --database-url "$url" > /dev/null
start_server
# One real payment, settled through the sandbox: the row every copy is made from.
pay=$(curl -sf $base/v1/payments -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  -d '{"amount": 5000, "currency": "XOF", "payer": {"phone": "+2250700000789", "operator": "orange_ci"}}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 1 100); do
  [ "$(sql "SELECT status FROM payments WHERE id = '$pay'")" = settled ] && break; sleep 0.1
done
[ "$(sql "SELECT status FROM payments WHERE id = '$pay'")" = settled ] || { echo "the payment did not settle" >&2; exit 1; }
stop_server
merchant=$(sql "SELECT merchant_id FROM payments WHERE id = '$pay'")
month=$(date -u +%Y-%m)
from=$(( $(date -u -d "$month-01" +%s) * 1000000 ))
step=$(( 28 * 24 * 3600 * 1000000 / count ))   # spread over the first 28 days of the month

if [ "$backend" = postgres ]; then
  cols=$(sql "SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) FROM information_schema.columns
              WHERE table_name = 'payments' AND column_name <> 'seq'")
else
  cols=$(sql "SELECT group_concat(name, ', ') FROM pragma_table_info('payments') WHERE name <> 'seq'")
fi
# id, times and the unique columns of each copy are its own; everything else is the payment's.
select=$(sed -e "s/\bid\b/'pay_bench' || g/" -e "s/\bcreated_at\b/$from + g * $step/" \
  -e "s/\bupdated_at\b/$from + g * $step/" -e "s/\breference\b/NULL/" -e "s/\bhandover_token\b/NULL/" \
  -e "s/\boperator_reference\b/'op' || g/" <<< "$cols")
series="(WITH RECURSIVE s(g) AS (SELECT CAST(1 AS BIGINT) UNION ALL SELECT g + 1 FROM s WHERE g < $count) SELECT g FROM s) AS t"
seeded=$(date +%s.%N)
sql "INSERT INTO payments ($cols) SELECT $select FROM payments, $series WHERE payments.id = '$pay'"
# Their balance transactions: the real one is number 1; the copies follow it.
sql "INSERT INTO balance_transactions (id, merchant_id, mode, currency, number, type, source_id,
  payment_id, journal_id, amount, fee, net, balance_after, available_on, created_at)
  SELECT 'txn_bench' || g, merchant_id, mode, currency, 1 + g, type, 'pay_bench' || g,
  'pay_bench' || g, 'jrn_bench' || g, amount, fee, net, net * (1 + g), $from + g * $step + 1,
  $from + g * $step FROM balance_transactions, $series WHERE payment_id = '$pay'"
sql "UPDATE balance_heads SET number = number + $count, balance = balance * (1 + $count),
  last_at = $from + CAST($count AS BIGINT) * $step WHERE merchant_id = '$merchant'"
if [ "$backend" = postgres ]; then sql "VACUUM ANALYZE"; fi
printf 'seeded %d payments and their balance transactions in %.0f s (SQL)\n' "$count" \
  "$(echo "$(date +%s.%N) - $seeded" | bc -l)"

start_server
echo "server RSS at rest: $(rss)"
timed() { # timed <label> <path>: GET it, print time, size and the server's peak RSS after
  local out
  out=$(curl -sf -o "$work/out" -w '%{time_total} %{size_download}' "$base$2" -H "Authorization: Bearer $key")
  read -r secs bytes <<< "$out"
  printf '%-38s %7.2f s  %8.1f MiB  %7d lines  peak RSS %s\n' "$1" "$secs" \
    "$(echo "$bytes / 1048576" | bc -l)" "$(wc -l < "$work/out")" "$(rss)"
}
timed "statement $month" "/v1/statements/$month"
grep -o '"closing_balance":[0-9-]*' "$work/out" | head -1
timed "export balance_transactions $month" "/v1/exports/balance_transactions?month=$month"
timed "export payments $month" "/v1/exports/payments?month=$month"
stop_server

# Baseline: the database alone reading the same rows, in the same run.
t0=$(date +%s.%N)
if [ "$backend" = postgres ]; then
  psql "$url" -qc "\\copy (SELECT * FROM balance_transactions WHERE merchant_id = '$merchant' ORDER BY created_at, seq) TO '$work/base.csv' CSV"
else
  python3 - "$work/bench.db" "$merchant" "$work/base.csv" <<'EOF'
import csv, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
with open(sys.argv[3], "w", newline="") as f:
    w = csv.writer(f)
    for row in c.execute("SELECT * FROM balance_transactions WHERE merchant_id = ? ORDER BY created_at, seq", (sys.argv[2],)):
        w.writerow(row)
EOF
fi
printf 'baseline (the database alone, the same balance transactions to CSV): %.2f s, %d lines\n' \
  "$(echo "$(date +%s.%N) - $t0" | bc -l)" "$(wc -l < "$work/base.csv")"
