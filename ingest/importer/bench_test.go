package importer_test

import (
	"log/slog"
	"os"
	"testing"

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
