#!/usr/bin/env bash
# What hostile input costs the gateway (issue 23): memory must stay bounded and honest callers'
# latency unchanged, whatever strangers send.
#   1. 100,000 unauthenticated Adullam token requests, each with a distinct 15 KiB client id and
#      a distinct source address (X-Forwarded-For from this machine, a trusted proxy), while an
#      authenticated Adullam client lists payments: the server's RSS growth, and that client's
#      p99 latency alone, during the same flood with 16-byte ids (the control: what sharing the
#      cores costs), and during the flood.
#   2. 50+ webhook deliveries to a test endpoint that answers with an endless body at 5 MB/s:
#      the server's peak RSS growth.
# Targets: RSS within 20 MB of its start in each part; p99 during the flood of the same order as
# alone (the flood shares this machine's cores, so some rise is CPU, not locking). The p99 during
# the flood is over its first 5 s.
# Usage: scripts/bench-hostile.sh [requests]   (SQLite; default 100000)
# KUMBU_BIN=path/to/kumbu measures another build (e.g. an older commit's, for a baseline).
set -euo pipefail
source "$(dirname "$0")/bench-common.sh"
bench_setup sqlite
requests=${1:-100000}
bin=${KUMBU_BIN:-target/release/kumbu}
command -v wrk >/dev/null || { echo "wrk is required (apt install wrk)" >&2; exit 2; }

rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
mb() { awk -v kb="$1" 'BEGIN {printf "%.1f MB", kb / 1024}'; }
p99() { awk '/^ *99%/ {print $2}' "$1"; }
# serve: like start_server, with $bin and the Adullam limits out of the way of the measurement
# (failed sign-ins are still counted, one per distinct client and source: the tables fill).
serve() {
  KUMBU_SANDBOX_KEY=$key RUST_LOG=warn "$bin" serve --listen 127.0.0.1:$port $no_metrics --database-url "$url" \
    --sandbox-delay-ms 0 --adullam-rate-limit 1000000000 --adullam-hourly-rate-limit 1000000000 \
    >> "$work/server.out" 2>> "$work/server.err" &
  server=$!
  for _ in $(seq 1 100); do curl -sf $base/readyz >/dev/null && return; sleep 0.1; done
  echo "the server did not start:" >&2; cat "$work/server.err" >&2; exit 1
}

# A build from before --metrics-listen serves /metrics on --listen and has no such flag.
no_metrics=$("$bin" serve --help | grep -q -- --metrics-listen && echo "--metrics-listen off" || true)
echo "binary: $bin ($(nproc) cores, server and load generators on this machine)"
"$bin" migrate --database-url "$url" > /dev/null
merchant=$("$bin" merchant create --name bench --database-url "$url")
read -r client secret < <("$bin" credentials create --merchant "$merchant" --mode test \
  --database-url "$url" | awk '{print $2}' | paste -sd' ')
serve
token=$(curl -sf $base/compat/adullam/v1/oauth/token -d grant_type=client_credentials \
  -d "client_id=$client" -d "client_secret=$secret" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
cat > "$work/list.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
cat > "$work/flood.lua" <<'LUA'
-- Each request: a new client id of FLOOD_PAD bytes and a new source address (distinct across
-- rounds and floods too).
local round = os.getenv("FLOOD_ROUND")
local salt = string.byte(os.getenv("FLOOD_TAG"))
local pad = string.rep("x", tonumber(os.getenv("FLOOD_PAD")))
local threads, sent = 0, 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
function request()
  sent = sent + 1
  local body = '{"grant_type":"client_credentials","client_secret":"wrong","client_id":"cli_'
    .. os.getenv("FLOOD_TAG") .. round .. "_" .. tid .. "_" .. sent .. "_" .. pad .. '"}'
  local from = string.format("10.%d.%d.%d", (salt * 64 + round * 2 + tid) % 256,
    math.floor(sent / 256) % 256, sent % 256)
  return wrk.format("POST", "/compat/adullam/v1/oauth/token",
    {["Content-Type"] = "application/json", ["X-Forwarded-For"] = from}, body)
end
LUA
# flood N PAD TAG: rounds of 2 s until N requests are answered (wrk runs for a duration, not a
# count), client ids padded to PAD bytes and tagged TAG (distinct across floods).
flood() {
  local total=0 round=0 n
  while [ "$total" -lt "$1" ]; do
    round=$((round + 1))
    FLOOD_ROUND=$round FLOOD_PAD=$2 FLOOD_TAG=$3 wrk -t2 -c8 -d2s -s "$work/flood.lua" "$base" > "$work/flood.out"
    n=$(awk '/requests in/ {print $1}' "$work/flood.out")
    total=$((total + n))
  done
  echo "$total"
}
list() { wrk -t1 -c2 -d"$1" --latency -s "$work/list.lua" "$base/compat/adullam/v1/payments?limit=1"; }

echo "1. token flood: $requests requests with distinct 15 KiB client ids and sources"
list 5s > /dev/null
list 10s > "$work/alone.out"
# The control: the same load with 16-byte client ids (what the cores alone cost the lister).
list 5s > "$work/control.out" &
lister=$!
flood "$requests" 16 c > /dev/null
wait $lister
rss0=$(rss_kb "$server")
list 5s > "$work/during.out" &
lister=$!
start=$(date +%s%N)
flooded=$(flood "$requests" $((15 * 1024)) h)
took=$(( ($(date +%s%N) - start) / 1000000 ))
wait $lister
rss1=$(rss_kb "$server")
echo "flood: $flooded requests in $took ms"
echo "authenticated GET /payments p99: alone $(p99 "$work/alone.out"), during a flood of 16-byte ids $(p99 "$work/control.out"), during the flood $(p99 "$work/during.out")"
echo "server RSS: $(mb "$rss0") before the flood, $(mb "$rss1") after (+$(mb $((rss1 - rss0))))"
stop_server

echo "2. endless answers: a test webhook endpoint streaming a body that never ends"
python3 - "$work/endless.port" "$work/endless.count" <<'PY' &
import socket, sys, threading, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(256)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
count, lock, chunk = [0], threading.Lock(), b"%x\r\n%s\r\n" % (65536, b"x" * 65536)
def serve(c):
    with lock:
        count[0] += 1
        open(sys.argv[2], "w").write(str(count[0]))
    try:
        c.recv(65536)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
        while True:  # 5 MB/s, as the issue measured it
            c.sendall(chunk)
            time.sleep(len(chunk) / 5e6)
    except OSError:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
endless=$!
trap 'kill $endless 2>/dev/null; stop_server; rm -rf "$work"' EXIT
until [ -s "$work/endless.port" ]; do sleep 0.1; done
serve
curl -sf $base/v1/webhook_endpoints -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
  -d "{\"url\": \"http://127.0.0.1:$(cat "$work/endless.port")/hook\", \"events\": [\"payment.settled\"]}" > /dev/null
rss0=$(rss_kb "$server")
for i in $(seq 1 50); do
  curl -sf $base/v1/payments -H "Authorization: Bearer $key" -H "Content-Type: application/json" \
    -d '{"amount": 5000, "currency": "XOF", "payer": {"phone": "+2250700000789", "operator": "orange_ci"}}' > /dev/null
done
peak=$rss0
for _ in $(seq 1 600); do
  now=$(rss_kb "$server"); [ "$now" -gt "$peak" ] && peak=$now
  count=$(cat "$work/endless.count" 2>/dev/null || true)
  [ "${count:-0}" -ge 50 ] && break
  sleep 0.1
done
sleep 1
now=$(rss_kb "$server"); [ "$now" -gt "$peak" ] && peak=$now
echo "deliveries answered with an endless body: $(cat "$work/endless.count" 2>/dev/null || echo 0)"
echo "server RSS: $(mb "$rss0") before, $(mb "$peak") at most (+$(mb $((peak - rss0))))"
