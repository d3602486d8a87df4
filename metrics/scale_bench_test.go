package metrics

import (
	"cmp"
	"context"
	"log/slog"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/sql/chdb"
)

// BenchmarkScale is issue 20's scale model: a per-org KPI of one org
// (OPSMETRICS_BENCH_ORG, default acme) over the year to the first of this
// month, computed straight from the store (no result cache: every
// iteration plans and reads), on a store holding that org among many
// (bench/scale.sh loads 10M, 30M and 100M time entries across 100, 300 and
// 1,000 orgs of the demo generator: the same org size). Reported per KPI:
// p50_ms, p99_ms and storage_rows/op, the rows the engine read from tables
// for one answer (its storage counters), and the store's time_entries
// rows and orgs, so a run's line says which data it ran on.
//
//	OPSMETRICS_BENCH_DATA=/tmp/scale/d300 go test -run '^$' -bench Scale -benchtime 20x ./metrics
func BenchmarkScale(b *testing.B) {
	s := benchStore(b, "OPSMETRICS_BENCH_DATA", "bench/scale.sh")
	defer s.Close()
	ctx := context.Background()
	org := cmp.Or(os.Getenv("OPSMETRICS_BENCH_ORG"), "acme")
	var entries, orgs uint64
	if err := must(s.Query(ctx, "SELECT count() FROM ops.time_entries", nil)).Scan(0, &entries); err != nil {
		b.Fatal(err)
	}
	if err := must(s.Query(ctx, "SELECT count() FROM ops.orgs FINAL", nil)).Scan(0, &orgs); err != nil {
		b.Fatal(err)
	}
	to := time.Date(time.Now().Year(), time.Now().Month(), 1, 0, 0, 0, 0, time.UTC)
	from := to.AddDate(-1, 0, 0)
	facts := must(NewFacts(FactsConfig{Store: s, Logger: slog.New(slog.DiscardHandler)}))
	b.Logf("%d time entries across %d orgs; org %s, %s to %s", entries, orgs, org, day(from), day(to))
	// On disk: every table's compressed bytes, and time_entries' per row.
	var disk, teBytes uint64
	if err := must(s.Query(ctx, `SELECT sum(data_compressed_bytes), sumIf(data_compressed_bytes, table = 'time_entries')
		FROM system.parts WHERE active AND database = 'ops'`, nil)).Scan(0, &disk, &teBytes); err != nil {
		b.Fatal(err)
	}
	b.Logf("time entries across %d orgs: %.0f MB compressed in all tables, time_entries %.1f bytes a row", orgs,
		float64(disk)/1e6, float64(teBytes)/float64(max(entries, 1)))
	for _, kpi := range []string{"billable_utilization", "margin"} {
		b.Run(kpi, func(b *testing.B) {
			r := Request{KPI: kpi, Org: org, From: from, To: to}
			if _, err := Compute(ctx, s, facts, r); err != nil { // builds the org's entry facts once
				b.Fatal(err)
			}
			var took []time.Duration
			var read chdb.ReadCounter
			rctx := chdb.WithReadCounter(ctx, &read)
			for range b.N {
				start := time.Now()
				if _, err := Compute(rctx, s, facts, r); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			ms := func(q float64) float64 {
				return float64(took[min(len(took)-1, int(q*float64(len(took))))].Microseconds()) / 1000
			}
			b.ReportMetric(ms(0.5), "p50_ms")
			b.ReportMetric(ms(0.99), "p99_ms")
			b.ReportMetric(float64(read.Rows.Load())/float64(b.N), "storage_rows/op")
			b.ReportMetric(float64(entries), "time_entries")
			b.ReportMetric(float64(orgs), "orgs")
			b.ReportMetric(0, "ns/op")
		})
	}
}
