#!/usr/bin/env bash
# Imports a generated Harvest CSV twice into one fresh data directory with
# `opsmetrics import` and reports the rows/s of both imports: the second
# finds every row already stored, so it measures what a re-import adds (the
# new/updated split and the 24-hour check against stored entries).
#
#   bench/reimport-harvest.sh [ROWS] [ROUNDS]   (defaults 1500000 and 1)
#
# Each round starts from an empty directory and prints both rates and their
# ratio (re-import / first import); the target is at least 0.8.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1500000}
rounds=${2:-1}
work=${BENCH_DIR:-/tmp/opsmetrics-bench}
mkdir -p "$work"
csv="$work/harvest-$rows.csv"
go build -o "$work/opsmetrics" ./cmd/opsmetrics
[ -s "$csv" ] || go run ./bench/harvestgen --rows "$rows" --out "$csv"
echo "file: $csv ($(du -h "$csv" | cut -f1), $rows rows); load: $(uptime | sed 's/.*load/load/')"

# import prints the seconds one import took and leaves its summary in import.out.
import() {
  local start end
  start=$(date +%s.%N)
  if ! "$work/opsmetrics" import "$csv" --org bench --data-dir "$work/reimport-data" --log-level warn \
      > "$work/import.out" 2> "$work/import.err"; then
    echo "import failed:" >&2; cat "$work/import.err" "$work/import.out" >&2; exit 1
  fi
  end=$(date +%s.%N)
  echo "$end - $start" | bc
}

for round in $(seq "$rounds"); do
  rm -rf "$work/reimport-data"
  first=$(import); cat "$work/import.out"
  second=$(import); cat "$work/import.out"
  printf 'round %d: first import %6.1f s %8.0f rows/s; re-import %6.1f s %8.0f rows/s; ratio %.2f (load: %s)\n' \
    "$round" "$first" "$(echo "$rows / $first" | bc -l)" "$second" "$(echo "$rows / $second" | bc -l)" \
    "$(echo "$first / $second" | bc -l)" "$(uptime | sed 's/.*average: //')"
done
