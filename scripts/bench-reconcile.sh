#!/usr/bin/env bash
# Reconciliation benchmark: a MEPS file of N payments (default 100,000) imported with
# `kumbu reconcile` against N open collection requests, then `kumbu ledger verify`; beside a
# baseline measured in the same run: every row the reconciliation wrote, written again by plain
# SQL (INSERT … SELECT into copies of the tables): what the writes alone cost on this database.
# Usage: scripts/bench-reconcile.sh sqlite|postgres [payments]
# The file is written by an independent generator (Python, from the InterBancos layout), so the
# parser is exercised on a file it did not write.
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
bench_setup "${1:-postgres}"
count=${2:-100000}
kumbu=target/release/kumbu
sql() { # sql <statement>: runs it on the benchmark database
  if [ "$backend" = postgres ]; then psql "$url" -qAtc "$1"; else python3 - "$work/bench.db" "$1" <<'EOF'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1]); r = c.execute(sys.argv[2]).fetchall(); c.commit()
for row in r: print("|".join(str(x) for x in row))
EOF
  fi
}
$kumbu migrate --database-url "$url" >/dev/null
merchant=$($kumbu merchant create --name "Águas da Região" --database-url "$url")
$kumbu merchant erv-entity --merchant "$merchant" 90002 --database-url "$url" >/dev/null

# N open bills of 100.00 to 199.99 MZN, references 00000000001…, created by SQL (matching
# compares references as text; their check digits are tested elsewhere).
now=$(( $(date +%s) * 1000000 ))
sql "INSERT INTO collection_requests (id, merchant_id, mode, status, amount, amount_paid,
  amount_overpaid, currency, allow_instalments, allow_reuse, methods, erv_entity, erv_reference,
  erv_with_amount, description, payer, due_at, third_party_reference, bill_number, metadata,
  created_at, updated_at)
  SELECT 'cr_bench' || g, '$merchant', 'live', 'open', 10000 + g % 10000, 0, 0, 'MZN', 0, 0,
  '[\"simo_erv\"]', '90002', substr('00000000000' || g, length('00000000000' || g) - 10, 11), 0, NULL, '{\"address\":{}}', NULL, NULL,
  'KMB-2026-' || g, '{}', $now, $now FROM (WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < $count) SELECT g FROM s) AS t"

# Statistics, as autovacuum keeps them in production (a table filled seconds ago has none).
if [ "$backend" = postgres ]; then sql "ANALYZE"; fi

python3 - "$work/MEPS.TXT" "$count" <<'EOF'
import sys
path, n = sys.argv[1], int(sys.argv[2])
rec = lambda s: s.ljust(107) + "\r\n"
with open(path, "w") as f:
    f.write(rec("0MEPS" + "00000008" + "00090002" + "202609211" + "202609201" + "90002" + "943" + "XX0000"))
    total = 0
    for g in range(1, n + 1):
        amount = 10000 + g % 10000
        total += amount
        paid_at = "20260921%02d%02d" % (8 + g // 3600 % 10, g // 60 % 60)
        f.write(rec("204" + "%012d" % g + paid_at + "%013d" % amount + "%09d" % 100
                    + ("AT%010d" % (g % 1000 + 1)).ljust(12) + ("%d" % (g % 100000)).rjust(5)
                    + "MAPUTO".ljust(15) + "%011d" % g + "000" + " " * 12))
    f.write(rec("9" + "%08d" % n + "%017d" % total + "%012d" % (100 * n) + "%012d" % 0))
EOF

echo "backend: $backend ($(nproc) cores); $count payments against $count open collection requests"
cpu_mark
start=$(date +%s.%N)
$kumbu reconcile "$work/MEPS.TXT" --database-url "$url" | tee "$work/reconcile.out"
secs=$(echo "$(date +%s.%N) - $start" | bc -l)
cpu_report
# Every line of the file names one open bill with its exact amount: each must be matched, and
# each bill paid; a run that matched fewer measured something else, and fails.
matched=$(awk '$1 == "matched" {print $2}' "$work/reconcile.out")
printf 'kumbu reconcile: %d payments in %.1f s = %.0f payments/s, %d lines matched = %.0f matched lines/s\n' \
  "$count" "$secs" "$(echo "$count / $secs" | bc -l)" "${matched:-0}" "$(echo "${matched:-0} / $secs" | bc -l)"
$kumbu ledger verify --database-url "$url"
paid=$(sql "SELECT COUNT(*) FROM collection_requests WHERE status = 'paid'")
echo "bills paid: $paid of $count"
if [ "${matched:-0}" != "$count" ] || [ "$paid" != "$count" ]; then
  echo "FAILED: $count lines should match $count bills; ${matched:-0} matched, $paid paid" >&2
  exit 1
fi

# Baseline: every row the reconciliation wrote (ingested payments, payment records and their
# history, events, ledger entries), written again by plain SQL into copies of their tables
# (on PostgreSQL with the same indexes and constraints; SQLite cannot copy them).
rows=0
for t in ingested_payments payments payment_history events ledger_entries; do
  if [ "$backend" = postgres ]; then
    sql "CREATE TABLE bench_$t (LIKE $t INCLUDING ALL)" >/dev/null
  else
    sql "CREATE TABLE bench_$t AS SELECT * FROM $t WHERE 1 = 0" >/dev/null
  fi
done
over=; [ "$backend" = postgres ] && over="OVERRIDING SYSTEM VALUE"
start=$(date +%s.%N)
for t in ingested_payments payments payment_history events ledger_entries; do
  sql "INSERT INTO bench_$t $over SELECT * FROM $t" >/dev/null
  rows=$((rows + $(sql "SELECT COUNT(*) FROM bench_$t")))
done
secs=$(echo "$(date +%s.%N) - $start" | bc -l)
printf 'baseline (plain SQL, the same %d rows in 5 tables): %.1f s = %.0f payments/s\n' "$rows" "$secs" "$(echo "$count / $secs" | bc -l)"
