#!/usr/bin/env bash
# Imports a generated Harvest CSV with `opsmetrics import` and, in the same
# run, has ClickHouse ingest the same file on the same engine
# (INSERT ... SELECT ... FROM file(..., CSVWithNames)). Reports rows/s of both
# and the importer's peak memory without the mapped libchdb (VmRSS - RssFile).
#
#   bench/import-harvest.sh [ROWS] [ROUNDS]   (defaults 10000000 and 3)
#
# The two sides alternate ROUNDS times: this machine's speed drifts by 20%
# over minutes, so one run of each says little. Each round prints its ratio.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-10000000}
rounds=${2:-3}
work=${BENCH_DIR:-/tmp/opsmetrics-bench}
mkdir -p "$work"
csv="$work/harvest-$rows.csv"
go build -o "$work/opsmetrics" ./cmd/opsmetrics
[ -s "$csv" ] || go run ./bench/harvestgen --rows "$rows" --out "$csv"
echo "file: $csv ($(du -h "$csv" | cut -f1), $rows rows)"

for round in $(seq "$rounds"); do
  echo "round $round"
  rm -rf "$work/import-data"
  start=$(date +%s.%N)
  "$work/opsmetrics" import "$csv" --org bench --data-dir "$work/import-data" --log-level warn > "$work/import.out" 2> "$work/import.err" &
  pid=$!
  peak_anon=0 peak_rss=0
  while kill -0 "$pid" 2>/dev/null; do
    if read -r rss file anon < <(awk '/^VmRSS/{r=$2} /^RssFile/{f=$2} /^RssAnon/{a=$2} END{print r, f, a}' "/proc/$pid/status" 2>/dev/null); then
      [ -n "$rss" ] && [ $((rss - file)) -gt "$peak_rss" ] && peak_rss=$((rss - file))
      [ -n "$anon" ] && [ "$anon" -gt "$peak_anon" ] && peak_anon=$anon
    fi
    sleep 0.2
  done
  wait "$pid" || { echo "import failed:"; cat "$work/import.err"; exit 1; }
  end=$(date +%s.%N)
  ours=$(echo "$end - $start" | bc)
  cat "$work/import.out"
  
  rm -rf "$work/baseline-data"
  baseline=$(go run ./bench/chsql --data-dir "$work/baseline-data" "
  INSERT INTO ops.time_entries (org_id, source, external_id, person_id, date, hours, project_id, client_id, task, notes,
    billable, bill_rate, cost_rate, billing_status, currency, version, ingested_at, batch_id)
  SELECT 'bench', 'harvest', hex(substring(SHA256(concat(Date, \`Employee Id\`, \`First Name\`, \`Last Name\`, Client, Project, Task, Notes, toString(Hours), \`Billable?\`)), 1, 12)),
    \`Employee Id\`, toDate(Date), toDecimal64(Hours, 6), Project, Client, Task, Notes, \`Billable?\` = 'Yes',
    toDecimal64(\`Billable Rate\`, 4), toDecimal64(\`Cost Rate\`, 4), if(\`Invoiced?\` = 'Yes', 'billed', 'unbilled'), 'USD',
    1, now64(3), 'baseline'
  FROM file('$csv', CSVWithNames)" | cut -f1 | tr -d s)
  printf 'opsmetrics import:  %8.1f s  %10.0f rows/s  peak memory without libchdb %d MB (anon %d MB)\n' \
    "$ours" "$(echo "$rows / $ours" | bc -l)" $((peak_rss / 1024)) $((peak_anon / 1024))
  printf 'clickhouse file():  %8.1f s  %10.0f rows/s\n' "$baseline" "$(echo "$rows / $baseline" | bc -l)"
  printf 'ratio: %.2f of the engine'"'"'s own ingest rate\n' "$(echo "$baseline / $ours" | bc -l)"
done
