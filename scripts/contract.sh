#!/usr/bin/env bash
# Contract tests: schemathesis (PyPI, pinned, in a virtual environment under target/) runs every
# check, the stateful phase included, against a face's OpenAPI document, served by a fresh
# gateway on a temporary SQLite database with a sandbox key, after scripts/contract_fixtures.py has
# made the state some operations need to accept a request (settled payments to refund, …). A
# failure fails the run unless scripts/contract-baseline.toml records it, with its reason, and so
# does an operation that accepted no request (scripts/contract-check.py).
# Usage: scripts/contract.sh [face|all] [examples] [schemathesis options...]
#   face      native (default), proxypay, plexospay, adullam, simiz, kulpay, or all (each in turn);
#             `setup` only installs schemathesis (CI does it while it lints)
#   examples  test cases per operation in each phase, and scenarios of the stateful phase
#             (default 100). Every phase runs to its count: what is covered is the same on a slow
#             or loaded machine as on a fast one; only the time differs.
#   options   passed on to `schemathesis run`, e.g. `--seed 1234` (the run must still test every
#             operation and the stateful phase; options that drop checks weaken what is judged)
set -euo pipefail
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$(dirname "$self")/.."
face=${1:-native}
examples=${2:-100}
case "$examples" in (*[!0-9]*|"") echo "examples must be a whole number, not '$examples'" >&2; exit 2 ;; esac
extra=("${@:3}")
faces="native proxypay plexospay adullam simiz kulpay"
venv=target/contract-venv
if [ ! -x "$venv/bin/schemathesis" ]; then
  mkdir -p target
  python3 -m venv "$venv"
  # schemathesis 4.32.5 and what it runs on, every version pinned.
  "$venv/bin/pip" install --quiet -r scripts/contract-requirements.txt
fi
[ "$face" != setup ] || { echo "schemathesis $("$venv/bin/schemathesis" --version | awk '{print $NF}') in $venv"; exit 0; }
if [ "$face" = all ]; then
  status=0
  for f in $faces; do "$self" "$f" "$examples" ${extra[@]+"${extra[@]}"} || status=1; done
  exit $status
fi
key=sk_test_contract0000000000000000000
case "$face" in
  native) doc=/openapi.json; base_path=; auth="Authorization: Bearer $key" ;;
  proxypay) doc=/compat/proxypay/openapi.json; base_path=/compat/proxypay; auth="Authorization: Token $key" ;;
  plexospay) doc=/compat/plexospay/openapi.json; base_path=/compat/plexospay; auth="Authorization: Bearer $key" ;;
  # Simiz prints Kumbu's key sk_test_X as smz_test_sk_X.
  simiz) doc=/compat/simiz/openapi.json; base_path=/compat/simiz; auth="Authorization: Bearer smz_test_sk_${key#sk_test_}" ;;
  adullam) doc=/compat/adullam/openapi.json; base_path=/compat/adullam; auth= ;; # a token, below
  kulpay) doc=/compat/kulpay/openapi.json; base_path=/compat/kulpay; auth="Authorization: Bearer $key" ;;
  *) echo "unknown face '$face' (faces: $faces)" >&2; exit 2 ;;
esac
# The gateway as the tests build it: `cargo test --workspace` unifies the dev-dependencies'
# features (tokio's test-util, …) into the binary, so a plain `cargo build` after it would build
# every crate again with other features; this one finds the tests' binary up to date.
cargo build --quiet --workspace --all-targets
work=$(mktemp -d)
server=
trap '[ -z "$server" ] || { kill $server 2>/dev/null; wait $server 2>/dev/null; }; rm -rf "$work"' EXIT
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export KUMBU_SECRET_KEY
KUMBU_SECRET_KEY=$(target/debug/kumbu secret-key)
if [ "$face" = adullam ]; then
  # Adullam's callers exchange credentials Kumbu issued for an access token (below).
  target/debug/kumbu migrate --database-url "sqlite://$work/contract.db" > /dev/null
  merchant=$(target/debug/kumbu merchant create --name contract --database-url "sqlite://$work/contract.db")
  export CONTRACT_CLIENT_PHONE=+2250701020304
  credential=$(target/debug/kumbu credentials create --merchant "$merchant" --mode test \
    --phone "$CONTRACT_CLIENT_PHONE" --database-url "sqlite://$work/contract.db")
  client_id=$(sed -n 's/^client_id: //p' <<< "$credential")
  client_secret=$(sed -n 's/^client_secret: //p' <<< "$credential")
  export CONTRACT_CLIENT_ID=$client_id CONTRACT_CLIENT_SECRET=$client_secret
fi
# No limit, so that 429s do not hide what the operations answer; the sandbox runs a payment to
# its end at once, so that the stateful phase's refunds (linked from payments) find it settled.
KUMBU_SANDBOX_KEY=$key RUST_LOG=warn \
  target/debug/kumbu serve --listen 127.0.0.1:$port --metrics-listen off --database-url "sqlite://$work/contract.db" \
  --api-rate-limit 0 --proxypay-rate-limit 0 --adullam-rate-limit 0 --adullam-hourly-rate-limit 0 --checkout-ip-limit 0 --sandbox-delay-ms 0 \
  > "$work/server.out" 2> "$work/server.err" &
server=$!
base=http://127.0.0.1:$port
for _ in $(seq 1 100); do curl -sf $base/readyz > /dev/null && break; sleep 0.1; done
curl -sf "$base/readyz" > /dev/null || { echo "the gateway did not start:" >&2; tail -n 30 "$work/server.err" >&2; exit 1; }
# The document as served: the checker needs every operation to have been tested.
curl -sf "$base$doc" > "$work/document.json" || { echo "no document at $base$doc" >&2; exit 1; }
if [ "$face" = adullam ]; then
  token=$(curl -sf "$base/compat/adullam/v1/oauth/token" -d grant_type=client_credentials \
    --data-urlencode "client_id=$client_id" --data-urlencode "client_secret=$client_secret" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
  auth="Authorization: Bearer $token"
fi
# State some operations need before they can accept a request (scripts/contract_fixtures.py).
export CONTRACT_FIXTURES=$work/fixtures.json
python3 scripts/contract_fixtures.py "$face" "$base" "$key" "$CONTRACT_FIXTURES"
reports=target/contract/$face
rm -rf "$reports"
echo "schemathesis $("$venv/bin/schemathesis" --version | awk '{print $NF}') against $face ($base$doc), $examples examples per operation and phase"
started=$(date +%s)
# scripts/contract_hooks.py gives each schema-valid request a fresh Idempotency-Key.
status=0
PYTHONPATH=scripts SCHEMATHESIS_HOOKS=contract_hooks \
  "$venv/bin/schemathesis" run "$base$doc" --url "$base$base_path" -H "$auth" --checks all \
  --max-examples "$examples" --continue-on-failure --report ndjson --report-dir "$reports" \
  --no-color ${extra[@]+"${extra[@]}"} \
  > "$work/run.out" 2>&1 \
  || status=$?
# 0: no failure; 1: failures (judged below against the baseline); anything else: it broke.
if [ "$status" -gt 1 ]; then
  echo "schemathesis stopped ($status):" >&2; tail -n 40 "$work/run.out" >&2; exit 1
fi
sed -n '/FAILURES\|SUMMARY/,$p' "$work/run.out" | tail -n 60
grep -m1 '^Seed:' "$work/run.out" || true
echo "$face: schemathesis took $(( $(date +%s) - started )) s"
"$venv/bin/python" scripts/contract-check.py "$face" "$reports"/*.ndjson scripts/contract-baseline.toml \
  "$work/document.json" || { echo "server log (last lines):"; tail -n 20 "$work/server.err"; exit 1; }
