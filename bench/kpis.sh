#!/usr/bin/env bash
# Loads the KPI benchmark's data once (10M time entries across 100 orgs of
# the demo generator) and runs BenchmarkKPIs: every KPI for one org over one
# year, p50/p99 through the HTTP API, and the API against the same SQL run
# directly, alternating in the same run.
#
#   bench/kpis.sh [RUNS]     (default 40 per KPI)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-40}
data=${BENCH_DIR:-/tmp/opsmetrics-bench}/kpi-data
if [ ! -e "$data/.loaded" ]; then
  rm -rf "$data"
  go run ./cmd/opsmetrics demo --data-dir "$data" --orgs 100 --entries 10000000 --log-level warn
  touch "$data/.loaded"
fi
OPSMETRICS_BENCH_DATA="$data" go test -run '^$' -bench 'KPIs' -benchtime "${runs}x" -timeout 60m ./metrics
