#!/usr/bin/env bash
# Imports a generated Harvest CSV with `opsmetrics import` and, in the same
# run, has ClickHouse ingest the same file on the same engine
# (INSERT ... SELECT ... FROM file(..., CSVWithNames)). Reports rows/s of both
# and the importer's peak memory without the mapped libchdb (VmRSS - RssFile).
#
#   bench/import-harvest.sh [ROWS] [ROUNDS]   (defaults 10000000 and 3)
#
# Each round checks that both sides keep the same number of entries.
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
  SELECT 'bench', 'harvest', concat(hex(substring(SHA256(formatRow('TSV', *)), 1, 16)), '-', toString(_row_number)),
    \`Employee Id\`, toDate(Date), toDecimal64(Hours, 6), Project, Client, Task, Notes, \`Billable?\` = 'Yes',
    toDecimal64(\`Billable Rate\`, 4), toDecimal64(\`Cost Rate\`, 4), if(\`Invoiced?\` = 'Yes', 'billed', 'unbilled'), 'USD',
    1, now64(3), 'baseline'
  FROM file('$csv', CSVWithNames)" | cut -f1 | tr -d s)
  printf 'opsmetrics import:  %8.1f s  %10.0f rows/s  peak memory without libchdb %d MB (anon %d MB)\n' \
    "$ours" "$(echo "$rows / $ours" | bc -l)" $((peak_rss / 1024)) $((peak_anon / 1024))
  printf 'clickhouse file():  %8.1f s  %10.0f rows/s\n' "$baseline" "$(echo "$rows / $baseline" | bc -l)"
  printf 'ratio: %.2f of the engine'"'"'s own ingest rate\n' "$(echo "$baseline / $ours" | bc -l)"
  # The same rows on both sides: the importer keeps two rows with the same
  # date, person, client, project, task, notes, hours and billable flag as
  # two entries (its key counts earlier equal rows), and a third of a
  # generated file's rows share those with another. The baseline's key is
  # a hash of the whole row with its _row_number (the 10M file repeats
  # 36,270 whole rows; _row_number alone is not unique under the engine's
  # parallel parsing). A key of those fields alone folded a third of the
  # rows into others, which flattered the baseline.
  count='SELECT count() FROM ops.time_entries FINAL'
  have=$(go run ./bench/chsql --data-dir "$work/import-data" "$count" | cut -f2 | tr -d '[]')
  want=$(go run ./bench/chsql --data-dir "$work/baseline-data" "$count" | cut -f2 | tr -d '[]')
  echo "rows kept: import $have, baseline $want"
  [ "$have" = "$want" ] || { echo "the two sides hold different rows: the comparison is void"; exit 1; }
done
