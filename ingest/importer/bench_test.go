package importer_test

import (
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest/importer"
)

// BenchmarkImportHarvestFile imports the Harvest CSV named by
// BENCH_HARVEST_CSV (bench/harvestgen writes one) and reports rows/s.
func BenchmarkImportHarvestFile(b *testing.B) {
	path := os.Getenv("BENCH_HARVEST_CSV")
	if path == "" {
		b.Skip("set BENCH_HARVEST_CSV to a file from `go run ./bench/harvestgen`")
	}
	_, s := newImporter(b)
	im, err := importer.New(importer.Config{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		sum, err := im.Import(b.Context(), importer.Request{Org: "bench", File: path, Body: f})
		f.Close()
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(sum.Entities["time_entry"].Read)/b.Elapsed().Seconds(), "rows/s")
	}
}

// BenchmarkReimportHarvestFile imports the Harvest CSV named by
// BENCH_HARVEST_CSV into a new org, then imports it again, and reports both
// rates and their ratio: the re-import finds every key stored, and checks
// every person-day against the stored entries.
func BenchmarkReimportHarvestFile(b *testing.B) {
	path := os.Getenv("BENCH_HARVEST_CSV")
	if path == "" {
		b.Skip("set BENCH_HARVEST_CSV to a file from `go run ./bench/harvestgen`")
	}
	_, s := newImporter(b)
	im, err := importer.New(importer.Config{Store: s, Logger: slog.New(slog.DiscardHandler), PauseMerges: true})
	if err != nil {
		b.Fatal(err)
	}
	var first, again time.Duration
	rows := 0
	for i := range b.N {
		org := fmt.Sprintf("reimport-%d-%d", time.Now().UnixNano(), i)
		for _, d := range []*time.Duration{&first, &again} {
			f, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			start := time.Now()
			sum, err := im.Import(b.Context(), importer.Request{Org: org, File: path, Body: f, CountChanges: true})
			*d += time.Since(start)
			f.Close()
			if err != nil {
				b.Fatal(err)
			}
			if c := sum.Entities["time_entry"]; c.Rejected != 0 || c.Written != c.Read {
				b.Fatalf("%+v", c)
			}
			rows += sum.Entities["time_entry"].Read
		}
	}
	b.ReportMetric(float64(rows/2)/first.Seconds(), "first_rows/s")
	b.ReportMetric(float64(rows/2)/again.Seconds(), "reimport_rows/s")
	b.ReportMetric(first.Seconds()/again.Seconds(), "ratio")
}
