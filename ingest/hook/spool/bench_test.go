package spool

import (
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkAppend: 64 appenders of 2 KiB records, as the receiver's handlers
// would append deliveries, into a spool on the test's temporary directory
// (put TMPDIR on the disk that will hold the spool). "grouped" is the spool
// as configured by default; "grouped-maxdelay-1ms" lingers for fuller groups;
// "fsync-each" is the baseline, the same code with one record, so one fsync,
// per group. Reports records/s and the p99 Append latency.
func BenchmarkAppend(b *testing.B) {
	for _, bc := range []struct {
		name     string
		maxDelay time.Duration
		maxBatch int
	}{
		{"grouped", 0, 0},
		{"grouped-maxdelay-1ms", time.Millisecond, 0},
		{"fsync-each", 0, 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s, err := open(Config{Dir: b.TempDir(), MaxDelay: bc.maxDelay, Logger: slog.New(slog.DiscardHandler)}, bc.maxBatch)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			const appenders = 64
			data := make([]byte, 2048)
			lat := make([][]time.Duration, appenders)
			var next atomic.Int64
			var wg sync.WaitGroup
			b.ResetTimer()
			start := time.Now()
			for g := range appenders {
				wg.Go(func() {
					for next.Add(1) <= int64(b.N) {
						t0 := time.Now()
						if _, err := s.Append(b.Context(), data); err != nil {
							b.Error(err)
							return
						}
						lat[g] = append(lat[g], time.Since(t0))
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			all := slices.Concat(lat...)
			slices.Sort(all)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "records/s")
			b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(0, "ns/op") // the elapsed time of 64 appenders says nothing per record
		})
	}
}
