package app_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/app/apptest"
	"github.com/opsmetrics/opsmetrics/dashboards"
	"github.com/opsmetrics/opsmetrics/metrics"
)

// BenchmarkHTTP measures issue 19's targets over HTTP, on the whole service
// as serve runs it (app.Run: the KPI cache and data versions, the entry
// facts, the echo server; /metrics and its collector are off, the
// collector has benchmarks of its own) over the KPI benchmark's data
// (bench/kpis.sh: 10M time entries across 100 orgs), for one org
// (OPSMETRICS_BENCH_ORG, default acme).
//
// Targets: every KPI of the catalog through the API (GET
// /api/v1/kpis/{name}, the year to the first of this month, with a read
// token), and every page (the Pages, the client, project and person pages
// of the client, project and person with the most hours last month, and
// that client's monthly report for last month) as a partner signed in.
// Each iteration of a target:
//
//   - writes: two time entries of the org through the intake API (POST
//     /api/v1/time_entries), one today and one last month, whose hours
//     alternate between 1 and 1.5, so every write changes the org's hours
//     and money and the same two rows are replaced, never added;
//   - waits for the write's entry facts to be built (Facts.Wait), so the
//     build is not in the figure (build_ms says what it took);
//   - cold: times the target's request, the first after the write;
//   - warm: times the same request three times more.
//
// Reported per target: cold_p50_ms, cold_p99_ms, warm_p50_ms, warm_p99_ms,
// and the KPI cache's misses and hits per cold and per warm request (a warm
// request should have no miss). With 10 iterations p99 is the slowest.
// Sub-benchmarks after_write_nowait/{revenue,margin} time the request made
// right after the write, without waiting for the build: what a user who
// asks at once waits, the build included.
//
//	cp -a /tmp/opsmetrics-bench/kpi-data /tmp/httpbench-kpi-data   # the engine writes to it
//	OPSMETRICS_BENCH_DATA=/tmp/httpbench-kpi-data go test -run '^$' -bench 'HTTP' -benchtime 10x -timeout 30m ./app
//
// -bench 'HTTP/kpi' or 'HTTP/page' runs one half.
func BenchmarkHTTP(b *testing.B) {
	dir := os.Getenv("OPSMETRICS_BENCH_DATA")
	if dir == "" {
		b.Skip("set OPSMETRICS_BENCH_DATA to a copy of a data directory loaded by bench/kpis.sh (the service writes to it)")
	}
	org := cmp.Or(os.Getenv("OPSMETRICS_BENCH_ORG"), "acme")
	svc := apptest.Open(b, dir)
	read, in := svc.Token(org, "read"), svc.Token(org, "ingest")
	email := fmt.Sprintf("bench-%d@example.com", time.Now().UnixNano()) // one more user per run
	svc.User(org, email, "Bench Partner", "partner", "correct horse battery")
	svc.Serve(func(o *app.Options) { o.MetricsAddr = "" })
	session := apptest.SignInPassword(b, svc.URL, email, "correct horse battery")
	svc.Facts.Wait() // the start's refresh of every org's facts

	now := time.Now().UTC()
	to := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	from, lastMonth := to.AddDate(-1, 0, 0), to.AddDate(0, -1, 0)
	top := map[string]string{}
	for _, dim := range []string{"client", "project", "person"} {
		top[dim] = busiest(b, svc.URL, read, dim, lastMonth, to)
	}
	b.Logf("org %s: busiest last month: client %s, project %s, person %s", org, top["client"], top["project"], top["person"])

	// The two entries of every write, replaced each time.
	writes := 0
	write := func() {
		writes++
		hours := 1 + 0.5*float64(writes%2)
		body := ""
		for i, day := range []time.Time{now, lastMonth.AddDate(0, 0, 14)} {
			body += fmt.Sprintf(`{"external_id":"bench-http-%d","person":%q,"project":%q,"date":%q,"hours":%g,"billable":true}`+"\n",
				i, top["person"], top["project"], day.Format(time.DateOnly), hours)
		}
		if code, r := apptest.Post(b, svc.URL+"/api/v1/time_entries", in, "application/x-ndjson", strings.NewReader(body)); code != 200 || r.Rejected != 0 {
			b.Fatalf("write: %d %+v", code, r)
		}
	}
	// The CSRF cookie a page sets is sent back with the next, as a browser
	// does: a session's pages carry one token.
	var csrf *http.Cookie
	get := func(path string, api bool) time.Duration {
		req, _ := http.NewRequest(http.MethodGet, svc.URL+path, nil)
		if api {
			req.Header.Set("Authorization", "Bearer "+read)
		} else {
			req.AddCookie(session)
			if csrf != nil {
				req.AddCookie(csrf)
			}
		}
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		took := time.Since(start)
		for _, c := range resp.Cookies() {
			if c.Name == "opsmetrics_csrf" {
				csrf = c
			}
		}
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("GET %s: %d %.500s", path, resp.StatusCode, body)
		}
		return took
	}

	type target struct {
		name, path string
		api        bool
	}
	var targets []target
	for _, k := range metrics.Catalog() {
		targets = append(targets, target{"kpi/" + k.Name, fmt.Sprintf("/api/v1/kpis/%s?from=%s&to=%s", k.Name, from.Format(time.DateOnly), to.Format(time.DateOnly)), true})
	}
	for _, p := range dashboards.Pages {
		targets = append(targets, target{"page/" + cmp.Or(strings.Trim(p.Path, "/"), "overview"), p.Path, false})
	}
	targets = append(targets,
		target{"page/client", "/clients/" + url.PathEscape(top["client"]), false},
		target{"page/project", "/projects/" + url.PathEscape(top["project"]), false},
		target{"page/person", "/people/" + url.PathEscape(top["person"]), false},
		target{"page/report", "/clients/" + url.PathEscape(top["client"]) + "/report?month=" + lastMonth.Format("2006-01"), false})

	ms := func(ds []time.Duration, q float64) float64 {
		ds = slices.Sorted(slices.Values(ds))
		return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))].Microseconds()) / 1000
	}
	for _, t := range targets {
		b.Run(t.name, func(b *testing.B) {
			var cold, warm, builds []time.Duration
			var coldHits, coldMisses, warmHits, warmMisses uint64
			for range b.N {
				write()
				start := time.Now()
				svc.Facts.Wait()
				builds = append(builds, time.Since(start))
				h0, m0 := svc.Cache.Counts()
				cold = append(cold, get(t.path, t.api))
				h1, m1 := svc.Cache.Counts()
				for range 3 {
					warm = append(warm, get(t.path, t.api))
				}
				h2, m2 := svc.Cache.Counts()
				coldHits, coldMisses = coldHits+h1-h0, coldMisses+m1-m0
				warmHits, warmMisses = warmHits+h2-h1, warmMisses+m2-m1
			}
			b.ReportMetric(ms(cold, 0.5), "cold_p50_ms")
			b.ReportMetric(ms(cold, 0.99), "cold_p99_ms")
			b.ReportMetric(ms(warm, 0.5), "warm_p50_ms")
			b.ReportMetric(ms(warm, 0.99), "warm_p99_ms")
			b.ReportMetric(ms(builds, 0.5), "build_ms")
			b.ReportMetric(float64(coldMisses)/float64(len(cold)), "cold_misses/req")
			b.ReportMetric(float64(coldHits)/float64(len(cold)), "cold_hits/req")
			b.ReportMetric(float64(warmMisses)/float64(len(warm)), "warm_misses/req")
			b.ReportMetric(float64(warmHits)/float64(len(warm)), "warm_hits/req")
			b.ReportMetric(0, "ns/op")
		})
	}
	for _, kpi := range []string{"revenue", "margin"} {
		b.Run("after_write_nowait/"+kpi, func(b *testing.B) {
			var took []time.Duration
			for range b.N {
				svc.Facts.Wait() // the previous iteration's build is not in this one
				write()
				took = append(took, get(fmt.Sprintf("/api/v1/kpis/%s?from=%s&to=%s", kpi, from.Format(time.DateOnly), to.Format(time.DateOnly)), true))
			}
			b.ReportMetric(ms(took, 0.5), "p50_ms")
			b.ReportMetric(ms(took, 0.99), "p99_ms")
			b.ReportMetric(0, "ns/op")
		})
	}
	svc.Facts.Wait()
}

// busiest is the id of the client, project or person (dim) with the most
// hours in [from, to), from the KPI API.
func busiest(b *testing.B, base, token, dim string, from, to time.Time) string {
	b.Helper()
	u := fmt.Sprintf("%s/api/v1/kpis/logged_hours?from=%s&to=%s&group_by=%s", base, from.Format(time.DateOnly), to.Format(time.DateOnly), dim)
	code, _, body := apptest.Get(b, u, token, "")
	var res struct{ Rows []map[string]any }
	if err := json.Unmarshal([]byte(body), &res); code != 200 || err != nil {
		b.Fatalf("GET %s: %d %.500s", u, code, body)
	}
	best, most := "", -1.0
	for _, r := range res.Rows {
		id, _ := r[dim].(string)
		if v, _ := r["value"].(float64); id != "" && v > most {
			best, most = id, v
		}
	}
	if best == "" {
		b.Fatalf("no %s has hours from %s to %s", dim, from.Format(time.DateOnly), to.Format(time.DateOnly))
	}
	return best
}
