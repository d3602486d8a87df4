package dashboards

import (
	"cmp"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// BenchmarkPages renders every dashboard server-side for one org of the
// KPI benchmark's data (bench/kpis.sh: 10M time entries across 100 orgs),
// with the default view (the current month to date), and reports p50 and p99
// per page. The first render of each page is a warm-up (it waits for the
// org's entry facts to be built once, see metrics/facts.go) and is not
// counted.
//
//	OPSMETRICS_BENCH_DATA=/tmp/opsmetrics-bench/kpi-data go test -run '^$' -bench Pages -benchtime 20x ./dashboards
func BenchmarkPages(b *testing.B) {
	s := chdbtest.Bench(b, "OPSMETRICS_BENCH_DATA", "bench/kpis.sh")
	defer s.Close()
	org := os.Getenv("OPSMETRICS_BENCH_ORG")
	if org == "" {
		org = "acme"
	}
	facts, err := metrics.NewFacts(metrics.FactsConfig{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	e := echo.New()
	// A partner: the drill pages compute their amounts too.
	partner := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			auth.WithPrincipal(c, auth.Principal{Org: org, UserID: "bench", Role: auth.RolePartner})
			return next(c)
		}
	}
	if err := Register(e.Group(""), Config{Store: s, Facts: facts, Logger: slog.New(slog.DiscardHandler),
		Org: func(echo.Context) (string, bool) { return org, true }}, partner); err != nil {
		b.Fatal(err)
	}
	pages := slices.Clone(Pages)
	// The drill pages of the client, project and person with the most hours
	// in the default view's month.
	now := time.Now().UTC()
	to := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	for _, dim := range []string{"client", "project", "person"} {
		res, err := metrics.Compute(b.Context(), s, facts, metrics.Request{KPI: "logged_hours", Org: org, From: to.AddDate(0, -1, 0), To: to, GroupBy: dim})
		if err != nil {
			b.Fatal(err)
		}
		t := metrics.TableOf(res)
		best, most := "", -1.0
		for r := range t.Len() {
			if v := t.Num0(r, "value"); t.Str(r, dim) != "" && v > most {
				best, most = t.Str(r, dim), v
			}
		}
		if best == "" {
			b.Fatalf("no %s has hours in %s", dim, to.AddDate(0, -1, 0).Format("Jan 2006"))
		}
		pages = append(pages, Page{Path: drillPaths[dim] + "/" + url.PathEscape(best), Name: dim})
	}
	for _, p := range pages {
		name := strings.Trim(p.Path, "/")
		if name == "" {
			name = "overview"
		}
		if p.Name == "client" || p.Name == "project" || p.Name == "person" {
			name = p.Name
		}
		b.Run(name, func(b *testing.B) {
			var took []time.Duration
			for i := range b.N + 1 {
				rec := httptest.NewRecorder()
				start := time.Now()
				e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p.Path, nil))
				d := time.Since(start)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", p.Path, rec.Code, rec.Body.String())
				}
				if i > 0 {
					took = append(took, d)
				}
			}
			slices.Sort(took)
			ms := func(q float64) float64 {
				return float64(took[min(len(took)-1, int(q*float64(len(took))))].Microseconds()) / 1000
			}
			b.ReportMetric(ms(0.5), "p50_ms")
			b.ReportMetric(ms(0.99), "p99_ms")
			b.ReportMetric(0, "ns/op")
		})
	}
}

// BenchmarkReportPage renders a client's monthly report (the internal view
// of a partner, every default section and the money) for the client with
// the most hours last month, of one org of the KPI benchmark's data, and
// reports p50 and p99; the first render is a warm-up. Target: p50 ≤ 300 ms.
//
//	OPSMETRICS_BENCH_DATA=/tmp/opsmetrics-bench/kpi-data go test -run '^$' -bench ReportPage -benchtime 20x ./dashboards
func BenchmarkReportPage(b *testing.B) {
	s := chdbtest.Bench(b, "OPSMETRICS_BENCH_DATA", "bench/kpis.sh")
	defer s.Close()
	org := os.Getenv("OPSMETRICS_BENCH_ORG")
	if org == "" {
		org = "acme"
	}
	facts, err := metrics.NewFacts(metrics.FactsConfig{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	e := echo.New()
	partner := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			auth.WithPrincipal(c, auth.Principal{Org: org, UserID: "bench", Email: "bench@example.com", Role: auth.RolePartner})
			return next(c)
		}
	}
	if err := Register(e.Group(""), Config{Store: s, Facts: facts, Logger: slog.New(slog.DiscardHandler),
		Org: func(echo.Context) (string, bool) { return org, true }}, partner); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	to := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	res, err := metrics.Compute(b.Context(), s, facts, metrics.Request{KPI: "logged_hours", Org: org, From: to.AddDate(0, -1, 0), To: to, GroupBy: "client"})
	if err != nil {
		b.Fatal(err)
	}
	t := metrics.TableOf(res)
	best, most := "", -1.0
	for r := range t.Len() {
		if v := t.Num0(r, "value"); t.Str(r, "client") != "" && v > most {
			best, most = t.Str(r, "client"), v
		}
	}
	if best == "" {
		b.Fatalf("no client has hours in %s", to.AddDate(0, -1, 0).Format("Jan 2006"))
	}
	path := "/clients/" + url.PathEscape(best) + "/report"
	// The baseline, alternated with the page in the same run: the same
	// report's numbers (metrics.ClientReport, the same queries and rows)
	// without the page around them.
	month := to.AddDate(0, -1, 0)
	var took, numbers []time.Duration
	for i := range b.N + 1 {
		rec := httptest.NewRecorder()
		start := time.Now()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		d := time.Since(start)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d %s", path, rec.Code, rec.Body.String())
		}
		start = time.Now()
		if _, err := metrics.ClientReport(b.Context(), s, facts, metrics.ReportRequest{Org: org, Client: best, Month: month, Now: time.Now(), Money: true}); err != nil {
			b.Fatal(err)
		}
		if i > 0 {
			took, numbers = append(took, d), append(numbers, time.Since(start))
		}
	}
	ms := func(ds []time.Duration, q float64) float64 {
		slices.Sort(ds)
		return float64(ds[min(len(ds)-1, int(q*float64(len(ds))))].Microseconds()) / 1000
	}
	b.ReportMetric(ms(took, 0.5), "p50_ms")
	b.ReportMetric(ms(took, 0.99), "p99_ms")
	b.ReportMetric(ms(numbers, 0.5), "numbers_p50_ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkReportPDF downloads a client's report as a PDF
// (/clients/{id}/report.pdf, the internal view, as a partner) and reports
// the first PDF of a new Printer (cold_ms: Chromium's start included) and
// the p50 and max of the next ones (warm, one browser). With
// OPSMETRICS_BENCH_DATA it reads the KPI benchmark's data (bench/kpis.sh:
// 10M time entries), the client with the most hours last month of
// OPSMETRICS_BENCH_ORG (default acme); without, the PDF tests' small org.
//
//	OPSMETRICS_BENCH_DATA=/tmp/opsmetrics-bench/kpi-data go test -run '^$' -bench ReportPDF -benchtime 10x ./dashboards
func BenchmarkReportPDF(b *testing.B) {
	log := slog.New(slog.DiscardHandler)
	p, err := NewPrinter(PrinterConfig{Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	var e *echo.Echo
	path := "/clients/" + pdfClient + "/report.pdf?month=" + pdfMonth.Format("2006-01")
	if os.Getenv("OPSMETRICS_BENCH_DATA") == "" {
		pdfServer(b) // the tests' org and its data
		e = pdfEcho(b, p)
	} else {
		s := chdbtest.Bench(b, "OPSMETRICS_BENCH_DATA", "bench/kpis.sh")
		defer s.Close()
		org := cmp.Or(os.Getenv("OPSMETRICS_BENCH_ORG"), "acme")
		facts, err := metrics.NewFacts(metrics.FactsConfig{Store: s, Logger: log})
		if err != nil {
			b.Fatal(err)
		}
		defer facts.Wait()
		e = echo.New()
		partner := func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				auth.WithPrincipal(c, auth.Principal{Org: org, UserID: "bench", Email: "bench@example.com", Role: auth.RolePartner})
				return next(c)
			}
		}
		if err := Register(e.Group(""), Config{Store: s, Facts: facts, Logger: log, Printer: p,
			Org: func(echo.Context) (string, bool) { return org, true }}, partner); err != nil {
			b.Fatal(err)
		}
		now := time.Now().UTC()
		month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
		res, err := metrics.Compute(b.Context(), s, facts, metrics.Request{KPI: "logged_hours", Org: org, From: month, To: month.AddDate(0, 1, 0), GroupBy: "client"})
		if err != nil {
			b.Fatal(err)
		}
		t := metrics.TableOf(res)
		best, most := "", -1.0
		for r := range t.Len() {
			if v := t.Num0(r, "value"); t.Str(r, "client") != "" && v > most {
				best, most = t.Str(r, "client"), v
			}
		}
		if best == "" {
			b.Fatalf("no client has hours in %s", month.Format("Jan 2006"))
		}
		path = "/clients/" + url.PathEscape(best) + "/report.pdf?month=" + month.Format("2006-01")
	}
	get := func() time.Duration {
		rec := httptest.NewRecorder()
		start := time.Now()
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set("X-Test-Role", auth.RolePartner) // the tests' org's sign-in
		e.ServeHTTP(rec, req)
		d := time.Since(start)
		if rec.Code != http.StatusOK || !isPDF(rec.Body.Bytes()) {
			b.Fatalf("%s: %d %.300s", path, rec.Code, rec.Body.String())
		}
		return d
	}
	cold := get()
	var took []time.Duration
	for b.Loop() {
		took = append(took, get())
	}
	slices.Sort(took)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(cold), "cold_ms")
	b.ReportMetric(ms(took[len(took)/2]), "p50_ms")
	b.ReportMetric(ms(took[len(took)-1]), "max_ms")
	b.ReportMetric(0, "ns/op")
}
