#!/usr/bin/env bash
# Load-tests the NDJSON intake over loopback with wrk: 2 connections posting
# batches of BATCH new time entries for DURATION. Prints requests/s and the
# entries/s they carry.
#
#   bench/intake.sh [DURATION] [BATCH]     (default 30s, 5000)
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-30s}
export BATCH=${2:-5000}
work=${BENCH_DIR:-/tmp/opsmetrics-bench}
mkdir -p "$work"
command -v wrk >/dev/null || { echo "wrk is not installed: apt-get install wrk"; exit 1; }
go build -o "$work/opsmetrics" ./cmd/opsmetrics
data="$work/intake-data"
rm -rf "$data"
export TOKEN=$("$work/opsmetrics" token create --org bench --scope ingest --data-dir "$data" --log-level warn 2>/dev/null)
port=18080
"$work/opsmetrics" serve --addr "127.0.0.1:$port" --data-dir "$data" --log-level warn > "$work/serve.out" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
out=$(wrk -t2 -c2 -d"$duration" --timeout 30s -s bench/intake.lua "http://127.0.0.1:$port")
echo "$out"
rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
non2xx=$(echo "$out" | awk '/Non-2xx/ {print $NF}')
printf 'entries/s: %.0f (%s requests/s x %s entries)%s\n' "$(echo "$rps * $BATCH" | bc -l)" "$rps" "$BATCH" "${non2xx:+, non-2xx responses: $non2xx}"
