#!/usr/bin/env bash
# Runs one Go benchmark on two builds of opsmetrics in the same run,
# alternating them, so a change is measured against a baseline under the
# same machine load: BASE (a git revision) and this working tree.
#
#   bench/compare.sh BASE PKG BENCH BENCHTIME [ROUNDS]
#   e.g. OPSMETRICS_BENCH_DATA=/tmp/opsmetrics-bench/kpi-data \
#        bench/compare.sh 4057eef ./metrics KPIs 20x 2
#
# Each round runs BASE then this tree; the outputs go to
# $BENCH_DIR/compare/{base,head}-ROUND.txt with the machine's load before each.
set -euo pipefail
cd "$(dirname "$0")/.."
base=$1 pkg=$2 bench=$3 benchtime=$4 rounds=${5:-2}
work=${BENCH_DIR:-/tmp/opsmetrics-bench}/compare
rm -rf "$work" && mkdir -p "$work"
git worktree add --detach "$work/base-tree" "$base" > /dev/null
trap 'git worktree remove --force "$work/base-tree"' EXIT
(cd "$work/base-tree" && go test -c -o "$work/base.test" "$pkg")
go test -c -o "$work/head.test" "$pkg"
for round in $(seq "$rounds"); do
  for side in base head; do
    dir=$pkg
    [ "$side" = base ] && dir="$work/base-tree/$pkg"
    out="$work/$side-$round.txt"
    echo "load before: $(uptime | sed 's/.*average: //')" > "$out"
    (cd "$dir" && "$work/$side.test" -test.run '^$' -test.bench "$bench" -test.benchtime "$benchtime" -test.timeout 60m) >> "$out" 2>&1
    echo "round $round $side: $out"
  done
done

# Summary: per benchmark, the p50_ms of each round (base / head), and the
# ratio of head's sum to base's over all rounds.
awk '
  FNR == 1 { side = (FILENAME ~ /\/base-/) ? "base" : "head" }
  /^Benchmark/ {
    for (i = 3; i < NF; i++) if ($(i + 1) == "p50_ms") { v[$1, side] = v[$1, side] " " $i; s[$1, side] += $i; tot[side] += $i }
    names[$1] = 1
  }
  END {
    printf "%-48s %-24s %-24s %s\n", "benchmark", "base p50 ms", "head p50 ms", "head/base"
    for (n in names) if (s[n, "base"] > 0) printf "%-48s %-24s %-24s %.3f\n", n, v[n, "base"], v[n, "head"], s[n, "head"] / s[n, "base"]
    if (tot["base"] > 0) printf "%-48s %-24.1f %-24.1f %.3f\n", "all (sum of p50s)", tot["base"], tot["head"], tot["head"] / tot["base"]
  }' $(ls "$work"/base-*.txt "$work"/head-*.txt) | sort
