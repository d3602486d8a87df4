package metrics

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/shopspring/decimal"

	settings "github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// BenchmarkKPIs measures every KPI of the catalog for one org over one
// year on the data bench/kpis.sh loads (10M time entries across 100 orgs of
// the demo generator), and, per KPI, the HTTP API against executing the same
// SQL directly, alternating the two in the same run. Reported per KPI:
// p50_ms and p99_ms of the API, sql_p50_ms, and api_over_sql (p50 ratio).
//
//	OPSMETRICS_BENCH_DATA=/tmp/kpi-bench go test -run '^$' -bench KPIs -benchtime 40x ./metrics
func BenchmarkKPIs(b *testing.B) {
	s := benchStore(b, "OPSMETRICS_BENCH_DATA", "bench/kpis.sh")
	defer s.Close()
	ctx := context.Background()
	org := os.Getenv("OPSMETRICS_BENCH_ORG")
	if org == "" {
		org = "acme"
	}
	to := time.Date(time.Now().Year(), time.Now().Month(), 1, 0, 0, 0, 0, time.UTC)
	from := to.AddDate(-1, 0, 0)
	var n int
	if err := must(s.Query(ctx, "SELECT count() FROM ops.time_entries FINAL WHERE org_id = {org:String} AND date >= {from:Date} AND date < {to:Date}",
		map[string]any{"org": org, "from": from, "to": to})).Scan(0, &n); err != nil || n == 0 {
		b.Fatalf("org %s has %d entries in %s..%s (%v)", org, n, day(from), day(to), err)
	}
	b.Logf("org %s: %d time entries from %s to %s", org, n, day(from), day(to))

	facts := must(NewFacts(FactsConfig{Store: s, Logger: slog.New(slog.DiscardHandler)}))
	e := echo.New()
	orgs, err := settings.NewCache(settings.Config{Store: s, TTL: settings.DefaultTTL})
	if err != nil {
		b.Fatal(err)
	}
	RegisterAPI(e.Group("/api/v1"), s, facts, orgs, func(echo.Context) (string, bool) { return org, true }, time.Now)
	srv := httptest.NewServer(e)
	defer srv.Close()

	for _, k := range Catalog() {
		b.Run(k.Name, func(b *testing.B) {
			r := Request{KPI: k.Name, Org: org, From: from, To: to}
			p, err := prepare(ctx, s, facts, r)
			if err != nil {
				b.Fatal(err)
			}
			url := fmt.Sprintf("%s/api/v1/kpis/%s?from=%s&to=%s", srv.URL, k.Name, day(from), day(to))
			var api, direct []time.Duration
			for i := range b.N + 1 {
				start := time.Now()
				if _, err := s.Query(ctx, p.text, p.params); err != nil {
					b.Fatal(err)
				}
				d := time.Since(start)
				start = time.Now()
				resp, err := http.Get(url)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Fatalf("GET %s: %d", url, resp.StatusCode)
				}
				if i > 0 { // the first run warms caches
					direct, api = append(direct, d), append(api, time.Since(start))
				}
			}
			slices.Sort(api)
			slices.Sort(direct)
			pct := func(ds []time.Duration, q float64) float64 {
				return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))].Microseconds()) / 1000
			}
			b.ReportMetric(pct(api, 0.5), "p50_ms")
			b.ReportMetric(pct(api, 0.99), "p99_ms")
			b.ReportMetric(pct(direct, 0.5), "sql_p50_ms")
			b.ReportMetric(pct(api, 0.5)/pct(direct, 0.5), "api_over_sql")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkFactsBuild measures what the first money KPI after a write to
// an org pays: building the org's entry and adjustment facts (all its
// dates) on the KPI benchmark's data. Each iteration builds under a new
// build id and drops the older ones, as a real rebuild does.
//
//	OPSMETRICS_BENCH_DATA=/tmp/kpi-bench go test -run '^$' -bench FactsBuild -benchtime 10x ./metrics
func BenchmarkFactsBuild(b *testing.B) {
	s := benchStore(b, "OPSMETRICS_BENCH_DATA", "bench/kpis.sh")
	defer s.Close()
	org := os.Getenv("OPSMETRICS_BENCH_ORG")
	if org == "" {
		org = "acme"
	}
	var all []time.Duration
	for i := range b.N {
		start := time.Now()
		if _, err := buildFacts(b.Context(), s, org, fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i), nil); err != nil {
			b.Fatal(err)
		}
		all = append(all, time.Since(start))
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(all[len(all)-1].Microseconds())/1000, "max_ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkCollector measures the Prometheus side on the KPI benchmark's
// data, as serve runs it (reads through the KPI cache, data versions,
// /metrics pre-encoded): the full refresh of every org (what runs at
// start; the first one also builds every org's entry facts, so a warm
// one is timed after it), the refresh after one org's write (a real write
// through the store moves the org's version; Update recomputes that org
// alone), then scrapes of /metrics over loopback HTTP with gzip, as
// Prometheus asks, and without. Reported: full_s (first, cold), warm_full_s,
// write_refresh_s, series, dropped, body_KiB, gzip_KiB, p50_ms and p99_ms
// (gzip), plain_p50_ms, and the promhttp scrape of the same families built
// per scrape (old_p50_ms), as before this encoding.
//
//	OPSMETRICS_BENCH_DATA=/tmp/kpi-bench go test -run '^$' -bench Collector -benchtime 20x -timeout 30m ./metrics
func BenchmarkCollector(b *testing.B) {
	s := benchStore(b, "OPSMETRICS_BENCH_DATA", "bench/kpis.sh")
	defer s.Close()
	ctx := WithSurface(context.Background(), "collector")
	log := slog.New(slog.DiscardHandler)
	reg := prometheus.NewRegistry()
	var orgs []string
	if o := os.Getenv("OPSMETRICS_BENCH_ORG"); o != "" {
		orgs = []string{o}
	}
	versions := must(NewVersions(s, log))
	cache := must(NewCache(CacheConfig{Store: s, Versions: versions, Registerer: reg}))
	facts := must(NewFacts(FactsConfig{Store: s, Logger: log}))
	c, err := NewCollector(CollectorConfig{Store: cache, Facts: facts, Logger: log, Registerer: reg, Orgs: orgs, Versions: versions, PreEncoded: true})
	if err != nil {
		b.Fatal(err)
	}
	timed := func(f func(context.Context) error) time.Duration {
		start := time.Now()
		if err := f(ctx); err != nil {
			b.Fatal(err)
		}
		return time.Since(start)
	}
	// kpiTimes reads the collector's per-KPI query time so far.
	kpiTimes := func() map[string][2]float64 {
		out := map[string][2]float64{}
		for _, f := range must(reg.Gather()) {
			if f.GetName() == "opsmetrics_query_duration_seconds" {
				for _, m := range f.GetMetric() {
					out[m.GetLabel()[0].GetValue()] = [2]float64{float64(m.GetHistogram().GetSampleCount()), m.GetHistogram().GetSampleSum()}
				}
			}
		}
		return out
	}
	// logTimes logs, with -v, where a refresh's time went, per KPI.
	logTimes := func(what string, before map[string][2]float64) {
		if !testing.Verbose() {
			return
		}
		for kpi, t := range kpiTimes() {
			n, sum := t[0]-before[kpi][0], t[1]-before[kpi][1]
			if n > 0 {
				b.Logf("%s: %s %d queries, %.1f s, %.0f ms each", what, kpi, int(n), sum, 1000*sum/n)
			}
		}
	}
	full := timed(c.Refresh)
	logTimes("cold full refresh", nil)
	// A warm full refresh: the facts are built; the cache is bypassed by
	// moving every org's version (a write of unknown orgs), as at a restart.
	versions.wrote(ctx, store.Write{Table: "ops.time_entries"})
	t0 := kpiTimes()
	warm := timed(c.Refresh)
	logTimes("warm full refresh", t0)
	// One org's write: a real entry through the store, then the check.
	org := "acme"
	if len(orgs) > 0 {
		org = orgs[0]
	}
	if err := s.Insert(ctx, &store.Batch{Table: "ops.time_entries", Columns: []string{"org_id", "source", "external_id", "person_id", "date", "hours", "ingested_at"},
		Values: []any{[]string{org}, []string{"bench"}, []string{fmt.Sprint("bench-write-", time.Now().UnixNano())}, []string{"bench-person"},
			[]time.Time{time.Now().UTC().Truncate(24 * time.Hour)}, []decimal.Decimal{decimal.NewFromInt(1)}, []time.Time{time.Now().UTC()}}}); err != nil {
		b.Fatal(err)
	}
	facts.Changed(ctx, []string{org})
	refreshed := c.refreshed.WithLabelValues("all")
	before := testutil.ToFloat64(refreshed)
	t0 = kpiTimes()
	afterWrite := timed(c.Update)
	logTimes("refresh after one write", t0)
	if n := testutil.ToFloat64(refreshed) - before; n != 1 {
		b.Fatalf("the refresh after %s's write recomputed %v orgs, want 1", org, n)
	}
	scrapes := func(h http.Handler, gz bool) ([]time.Duration, int) {
		srv := httptest.NewServer(h)
		defer srv.Close()
		// No transparent decompression: the scrape's bytes are timed as sent.
		client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
		var took []time.Duration
		var size int
		for range b.N {
			req := must(http.NewRequest("GET", srv.URL, nil))
			if gz {
				req.Header.Set("Accept-Encoding", "gzip")
			}
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			took = append(took, time.Since(start))
			size = int(n)
		}
		slices.Sort(took)
		return took, size
	}
	pct := func(ds []time.Duration, q float64) float64 {
		return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))].Microseconds()) / 1000
	}
	gz, gzSize := scrapes(c.Handler(reg), true)
	plain, size := scrapes(c.Handler(reg), false)
	// As before: the same families registered as a collector, built and
	// encoded (and compressed) by promhttp at every scrape.
	old := prometheus.NewRegistry()
	old.MustRegister(c, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	oldTook, _ := scrapes(promhttp.HandlerFor(prometheus.Gatherers{old, reg}, promhttp.HandlerOpts{}), true)

	dropped := 0
	for _, n := range c.dropped {
		dropped += n
	}
	b.ReportMetric(full.Seconds(), "full_s")
	b.ReportMetric(warm.Seconds(), "warm_full_s")
	b.ReportMetric(afterWrite.Seconds(), "write_refresh_s")
	b.ReportMetric(float64(c.encoded.series), "series")
	b.ReportMetric(float64(dropped), "dropped")
	b.ReportMetric(float64(size)/1024, "body_KiB")
	b.ReportMetric(float64(gzSize)/1024, "gzip_KiB")
	b.ReportMetric(pct(gz, 0.5), "p50_ms")
	b.ReportMetric(pct(gz, 0.99), "p99_ms")
	b.ReportMetric(pct(plain, 0.5), "plain_p50_ms")
	b.ReportMetric(pct(oldTook, 0.5), "old_p50_ms")
	b.ReportMetric(0, "ns/op")
}

// benchStore opens a benchmark's data directory (chdbtest.Bench).
func benchStore(b *testing.B, envVar, script string) *chdb.Store {
	return chdbtest.Bench(b, envVar, script)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// BenchmarkEarliestStart answers "20 h/week of design and 10 of development
// for 6 weeks" over a 52-week horizon for a 100-person org (bench/capacity.sh
// loads it), reporting p50_ms and p99_ms.
//
//	OPSMETRICS_BENCH_CAPACITY_DATA=/tmp/cap go test -run '^$' -bench EarliestStart -benchtime 40x ./metrics
func BenchmarkEarliestStart(b *testing.B) {
	s := benchStore(b, "OPSMETRICS_BENCH_CAPACITY_DATA", "bench/capacity.sh")
	defer s.Close()
	ctx := context.Background()
	r := EarliestStartRequest{Org: "acme", Demand: map[string]decimal.Decimal{"designer": decimal.NewFromInt(20), "developer": decimal.NewFromInt(10)},
		Weeks: 6, NotBefore: time.Now(), HorizonWeeks: 52, IncludeTentative: true}
	var ds []time.Duration
	for i := range b.N + 1 {
		start := time.Now()
		if _, err := EarliestStart(ctx, s, r); err != nil {
			b.Fatal(err)
		}
		if i > 0 {
			ds = append(ds, time.Since(start))
		}
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "p50_ms")
	b.ReportMetric(float64(ds[len(ds)*9/10].Microseconds())/1000, "p90_ms")
	b.ReportMetric(float64(ds[min(len(ds)-1, len(ds)*99/100)].Microseconds())/1000, "p99_ms")
	b.ReportMetric(0, "ns/op")
}
