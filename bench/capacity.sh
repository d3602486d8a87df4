#!/usr/bin/env bash
# Loads a 100-person demo org once and runs BenchmarkEarliestStart: an
# earliest-start answer over a 52-week horizon, p50 and p99.
#
#   bench/capacity.sh [RUNS]     (default 40)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-40}
data=${BENCH_DIR:-/tmp/opsmetrics-bench}/capacity-data
if [ ! -e "$data/.loaded" ]; then
  rm -rf "$data"
  go run ./cmd/opsmetrics demo --data-dir "$data" --people 100 --log-level warn
  touch "$data/.loaded"
fi
OPSMETRICS_BENCH_CAPACITY_DATA="$data" go test -run '^$' -bench 'EarliestStart' -benchtime "${runs}x" ./metrics
