package collect_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
)

const benchEntries, benchPage = 100_000, 2000

// benchHarvest serves entries time entries of 50 people on 10 projects over
// 2023 and 2024 (about three a person-day), 2,000 a page, the pages encoded once beforehand so the server's
// time is not measured; an updated_since list is empty.
func benchHarvest(b *testing.B, entries int) *httptest.Server {
	var pages [][]byte
	pageCount := entries / benchPage
	for p := 1; p <= pageCount; p++ {
		items := make([]map[string]any, 0, benchPage)
		for i := (p - 1) * benchPage; i < p*benchPage; i++ {
			day := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (i/50)%730)
			items = append(items, map[string]any{"id": 1_000_000 + i, "spent_date": day.Format(time.DateOnly),
				"user":    map[string]any{"id": 100 + i%50, "name": fmt.Sprintf("Person %d", i%50)},
				"client":  map[string]any{"id": 200 + i%5, "name": fmt.Sprintf("Client %d", i%5)},
				"project": map[string]any{"id": 300 + i%10, "name": fmt.Sprintf("Project %d", i%10)},
				"task":    map[string]any{"id": 1, "name": "Design"}, "hours": 0.25 + float64(i%8)*0.25, "notes": "work " + strconv.Itoa(i),
				"updated_at": "2024-12-31T10:00:00Z", "is_billed": false, "is_running": false, "billable": i%3 != 0,
				"billable_rate": 120.0, "cost_rate": 60.0, "invoice": nil})
		}
		var next any
		if p < pageCount {
			next = p + 1
		}
		body, _ := json.Marshal(map[string]any{"time_entries": items, "per_page": benchPage, "page": p, "total_pages": pageCount,
			"total_entries": entries, "next_page": next, "links": map[string]any{"next": nil}})
		pages = append(pages, body)
	}
	empty := func(name string) []byte { return []byte(`{"` + name + `":[],"next_page":null,"links":{"next":null}}`) }
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/v2/")
		q := r.URL.Query()
		if name != "time_entries" || q.Get("updated_since") != "" || q.Get("from") > "2024-12-31" || q.Get("to") < "2023-01-01" {
			w.Write(empty(name))
			return
		}
		p, _ := strconv.Atoi(q.Get("page"))
		w.Write(pages[max(p, 1)-1])
	}))
	b.Cleanup(srv.Close)
	return srv
}

// BenchmarkHarvestSync: a full sync of 100k entries (50 pages of 2,000),
// then an incremental sync with nothing new (the last 60 days hold none of
// them); and the baseline, the CSV import of the same 100k entries.
func BenchmarkHarvestSync(b *testing.B) {
	srv := benchHarvest(b, benchEntries)
	b.Run("full-100k", func(b *testing.B) {
		for i := range b.N {
			orgID := fmt.Sprintf("bench-full-%d-%d", time.Now().UnixNano(), i)
			r := newBenchRig(b, orgID)
			src := r.addBench(b, orgID, srv.URL)
			b.StartTimer()
			res, err := r.col.Sync(b.Context(), orgID, src.ID, false)
			b.StopTimer()
			if err != nil || res.Added != benchEntries {
				b.Fatalf("full sync: %v %+v", err, res.Added)
			}
		}
	})
	b.Run("incremental-nothing-new", func(b *testing.B) {
		orgID := fmt.Sprintf("bench-inc-%d", time.Now().UnixNano())
		r := newBenchRig(b, orgID)
		src := r.addBench(b, orgID, srv.URL)
		if _, err := r.col.Sync(b.Context(), orgID, src.ID, false); err != nil {
			b.Fatal(err)
		}
		for range b.N {
			b.StartTimer()
			res, err := r.col.Sync(b.Context(), orgID, src.ID, false)
			b.StopTimer()
			if err != nil || res.Read != 0 {
				b.Fatalf("incremental sync: %v %+v", err, res)
			}
		}
	})
	b.Run("csv-import-100k-baseline", func(b *testing.B) {
		var csv strings.Builder
		csv.WriteString("Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency\n")
		for i := range benchEntries {
			day := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (i/50)%730)
			bill := "Yes"
			if i%3 == 0 {
				bill = "No"
			}
			fmt.Fprintf(&csv, "%s,Client %d,Project %d,,Design,work %d,%g,%s,No,Person,%d,Designer,Yes,120,0,60,0,\n",
				day.Format(time.DateOnly), i%5, i%10, i, 0.25+float64(i%8)*0.25, bill, i%50)
		}
		for i := range b.N {
			orgID := fmt.Sprintf("bench-csv-%d-%d", time.Now().UnixNano(), i)
			im, err := importer.New(importer.Config{Store: newBenchRig(b, orgID).s, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			sum, err := im.Import(b.Context(), importer.Request{Org: orgID, File: "bench.csv", Body: strings.NewReader(csv.String())})
			b.StopTimer()
			if err != nil || sum.Entities["time_entry"].Written != benchEntries {
				b.Fatalf("csv import: %v %+v %v", err, sum.Entities["time_entry"], sum.Errors[:1])
			}
		}
	})
}

// BenchmarkHarvestSyncMemory: the most live Go heap a full sync adds, for
// 20k, 50k and 100k entries: the runtime's live heap as its last GC
// marked it (/gc/heap/live:bytes), sampled every 5 ms, less the live heap
// after a GC before the sync, which holds the fake server's encoded pages
// (peak_live_MB). Flat in the entries means pages are dropped as they are
// written.
func BenchmarkHarvestSyncMemory(b *testing.B) {
	for _, n := range []int{20_000, 50_000, 100_000, 200_000} {
		srv := benchHarvest(b, n)
		b.Run(fmt.Sprintf("full-%dk", n/1000), func(b *testing.B) {
			for i := range b.N {
				orgID := fmt.Sprintf("bench-mem-%d-%d", time.Now().UnixNano(), i)
				r := newBenchRig(b, orgID)
				src := r.addBench(b, orgID, srv.URL)
				live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
				runtime.GC()
				metrics.Read(live)
				base := live[0].Value.Uint64()
				var peak atomic.Uint64
				stop := make(chan struct{})
				sampled := make(chan struct{})
				go func() {
					defer close(sampled)
					s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
					for {
						metrics.Read(s)
						if v := s[0].Value.Uint64(); v > peak.Load() {
							peak.Store(v)
						}
						select {
						case <-stop:
							return
						case <-time.After(5 * time.Millisecond):
						}
					}
				}()
				b.StartTimer()
				res, err := r.col.Sync(b.Context(), orgID, src.ID, false)
				b.StopTimer()
				close(stop)
				<-sampled
				if err != nil || res.Added != n {
					b.Fatalf("full sync: %v %+v", err, res.Added)
				}
				b.ReportMetric(float64(peak.Load()-min(base, peak.Load()))/1e6, "peak_live_MB")
			}
		})
	}
}

func newBenchRig(b *testing.B, orgID string) *rig {
	b.StopTimer()
	return newRigRows(b, orgID, 0)
}

func (r *rig) addBench(b *testing.B, orgID, url string) collect.Source {
	src, err := r.sources.Add(b.Context(), collect.Source{Org: orgID, Kind: "harvest", AccountID: "42", BaseURL: url,
		Since: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)}, testToken)
	if err != nil {
		b.Fatal(err)
	}
	return src
}
