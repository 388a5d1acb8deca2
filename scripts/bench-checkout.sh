#!/usr/bin/env bash
# Checkout page benchmark: the weight of each view of the page (what a phone downloads on a first
# visit: HTML, stylesheet, script) and page views per second, with wrk, beside a baseline measured
# in the same run (GET /healthz: the same server and sockets, no database, no HTML).
# Usage: scripts/bench-checkout.sh sqlite|postgres [connections] [seconds]
# Needs wrk (Debian's package; installed here when missing and run as root).
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
bench_setup "${1:-sqlite}"
connections=${2:-16}
seconds=${3:-10}
if ! command -v wrk >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi
# Slow sandbox steps, so that the waiting view stays a waiting view while it is measured.
BENCH_SANDBOX_DELAY_MS=600000 start_server

session() { # session <body> → the page URL
  curl -sf "$base/v1/checkout/sessions" -u "$key:" -H 'content-type: application/json' -d "$1" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["url"])'
}
body='{"currency":"XAF","items":[{"name":"T-shirt","quantity":2,"unit_amount":2500},{"name":"Cap","quantity":1,"unit_amount":1500}],"return_url":"https://shop.example/paid","cancel_url":"https://shop.example/cart","description":"Order #1234"}'
form=$(session "$body")
waiting=$(session "$body")
# Start an attempt on the second page (a browser's form post: cookie, CSRF token).
jar="$work/jar"
token=$(curl -sf -c "$jar" "$waiting" | grep -o 'name="csrf" value="[^"]*"' | head -1 | sed 's/.*value="//;s/"//')
curl -sf -b "$jar" -o /dev/null "$waiting" --data "csrf=$token&phone=%2B237670000789&operator=mtn_cm"

bytes() { curl -sf -H 'accept-language: fr' "$1" | wc -c; }
css=$(bytes "$base/pay/assets/checkout.css")
js=$(bytes "$base/pay/assets/checkout.js")
echo "backend: $backend ($(nproc) cores, server and wrk on this machine)"
echo "assets: stylesheet $css B, script $js B (cached a day after the first view)"
printf '%-10s %8s %12s %12s\n' view "html B" "first visit" "gzip -9"
for v in form waiting; do
  url=${!v}
  h=$(bytes "$url")
  gz=$( (curl -sf -H 'accept-language: fr' "$url"; cat crates/kumbu-http/src/pages/assets/checkout.css crates/kumbu-http/src/pages/assets/checkout.js) | gzip -9 | wc -c)
  printf '%-10s %8d %10.1f KiB %10.1f KiB\n' "$v" "$h" "$(echo "($h+$css+$js)/1024" | bc -l)" "$(echo "$gz/1024" | bc -l)"
done

run() { # run <label> <url>: fails on any 4xx/5xx answer (wrk's "Non-2xx or 3xx") or socket error
  local out
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency -H 'accept-language: fr' "$2")
  printf '%-22s %10s req/s   p50 %8s   p99 %8s\n' "$1" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
    "$(awk '$1=="50%" {print $2}' <<<"$out")" "$(awk '$1=="99%" {print $2}' <<<"$out")"
  if grep -E 'Non-2xx or 3xx responses|Socket errors' <<<"$out"; then
    echo "FAILED: $1 ($2) had errors (above); its rate is not a page rate" >&2
    exit 1
  fi
}
cpu_mark
run "baseline /healthz" "$base/healthz"
run "page: form view" "$form"
run "page: waiting view" "$waiting"
run "page: status (script)" "$waiting/status"
run "asset: checkout.css" "$base/pay/assets/checkout.css"
cpu_report
