#!/usr/bin/env bash
# Issue 20's scale model: BenchmarkScale (metrics/scale_bench_test.go), a
# per-org KPI of acme (billable_utilization, margin) over a year, on 10M,
# 30M and 100M time entries across 100, 300 and 1,000 orgs of the demo
# generator (the same org size), the three stores alternated in each round.
# Loads each store once (the 100-org one is a copy of bench/kpis.sh's data
# when it is there: the same flags make the same data).
#
#   bench/scale.sh [BENCHTIME] [ROUNDS]     (default 20x, 2 rounds)
set -euo pipefail
cd "$(dirname "$0")/.."
benchtime=${1:-20x} rounds=${2:-2}
dir=${BENCH_DIR:-/tmp/opsmetrics-bench}
mkdir -p "$dir"
go build -o "$dir/opsmetrics" ./cmd/opsmetrics
for spec in 100:10000000 300:30000000 1000:100000000; do
  orgs=${spec%%:*} entries=${spec##*:} data=$dir/scale-$orgs
  if [ ! -e "$data/.loaded" ]; then
    rm -rf "$data"
    if [ "$orgs" = 100 ] && [ -e "$dir/kpi-data/.loaded" ]; then
      cp -a "$dir/kpi-data" "$data"
    else
      echo "loading $entries time entries across $orgs orgs into $data"
      "$dir/opsmetrics" demo --data-dir "$data" --orgs "$orgs" --entries "$entries" --log-level warn
    fi
    touch "$data/.loaded"
  fi
done
go test -c -o "$dir/metrics.test" ./metrics
for round in $(seq "$rounds"); do
  for orgs in 100 300 1000; do
    echo "round $round, $orgs orgs ($(du -sh "$dir/scale-$orgs" | cut -f1) on disk), load before: $(uptime | sed 's/.*average: //')"
    (cd metrics && OPSMETRICS_BENCH_DATA="$dir/scale-$orgs" "$dir/metrics.test" -test.run '^$' -test.bench Scale \
      -test.benchtime "$benchtime" -test.timeout 60m) | grep -E '^Benchmark|time entries across'
  done
done
