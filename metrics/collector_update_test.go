package metrics_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// orgCounter counts the reads of each org (by the {org} parameter).
type orgCounter struct {
	q  metrics.Querier
	mu sync.Mutex
	n  map[string]int
}

var _ metrics.Querier = (*orgCounter)(nil)

func (c *orgCounter) Query(ctx context.Context, query string, params store.Params) (*store.Rows, error) {
	org, _ := params["org"].(string)
	c.mu.Lock()
	c.n[org]++
	c.mu.Unlock()
	return c.q.Query(ctx, query, params)
}

// take returns the counts so far and starts again from zero.
func (c *orgCounter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

// scrape GETs /metrics from h, plain or gzip, and returns the body (gzip
// decoded as one member).
func scrape(t *testing.T, h http.Handler, gz bool) string {
	t.Helper()
	r := httptest.NewRequest("GET", "/metrics", nil)
	if gz {
		r.Header.Set("Accept-Encoding", "gzip;q=1.0, identity;q=0.5")
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Fatalf("/metrics: %d %s", w.Code, w.Body)
	}
	if got := w.Header().Get("Content-Encoding"); (got == "gzip") != gz {
		t.Fatalf("Content-Encoding %q with gzip asked %v", got, gz)
	}
	if !gz {
		return w.Body.String()
	}
	br := bytes.NewReader(w.Body.Bytes())
	zr, err := gzip.NewReader(br)
	if err != nil {
		t.Fatal(err)
	}
	zr.Multistream(false) // one member: what every gzip reader takes
	body, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("gunzip /metrics: %v", err)
	}
	if br.Len() != 0 {
		t.Fatalf("the gzip body has %d bytes after its first member", br.Len())
	}
	return string(body)
}

// parse reads an exposition body; it fails the test when it is not valid.
func parse(t *testing.T, body string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse /metrics: %v\n%s", err, body)
	}
	return fams
}

// value finds the series of fams[name] whose labels include want.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	for _, m := range fams[name].GetMetric() {
		match := 0
		for _, l := range m.GetLabel() {
			if v, ok := want[l.GetName()]; ok && v == l.GetValue() {
				match++
			}
		}
		if match == len(want) {
			return m.GetGauge().GetValue() + m.GetCounter().GetValue() + m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// Answer from what changed: after the full refresh, a check with no write
// reads no org; a write to one org recomputes that org only and shows in
// /metrics (the pre-encoded body, plain and gzip); Run takes a write
// within its check period without a full refresh.
func TestCollectorUpdate(t *testing.T) {
	const a, b = "cu-alpha", "cu-beta"
	s := testStore(t)
	log := slog.New(slog.DiscardHandler)
	for _, id := range []string{a, b} {
		meta := func(x string) ingest.Meta { return ingest.Meta{Org: id, Source: "test", ExternalID: x} }
		write(t, []settings.Settings{{ID: id, Name: "Org " + id, TimeZone: "UTC", Currency: "EUR"}},
			[]ingest.Person{{Meta: meta("p1"), ValidFrom: d("2025-01-01"), Name: "Pia", Team: "Studio", WeeklyCapacityHours: dec("40"),
				BillRate: pdec("100"), StartDate: pd("2025-01-01")}},
			[]ingest.Client{{Meta: meta("c1"), Name: "One"}},
			[]ingest.TimeEntry{{Meta: meta("e1"), PersonID: "p1", ClientID: "c1", Date: d("2026-03-02"), Hours: dec("4"), Billable: true, BillingStatus: "unbilled"}})
	}
	versions, err := metrics.NewVersions(s, log)
	if err != nil {
		t.Fatal(err)
	}
	q := &orgCounter{q: s, n: map[string]int{}}
	reg := prometheus.NewRegistry()
	c, err := metrics.NewCollector(metrics.CollectorConfig{Store: q, Facts: testFacts(t), Logger: log, Registerer: reg, Versions: versions,
		Orgs: []string{a, b}, Interval: time.Hour, Check: 20 * time.Millisecond, PreEncoded: true, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	h := c.Handler(reg)
	if err := c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := q.take(); n[a] == 0 || n[b] == 0 {
		t.Fatalf("the full refresh read a %d and b %d times", n[a], n[b])
	}
	// Nothing written: a check reads no org's numbers.
	if err := c.Update(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := q.take(); n[a] != 0 || n[b] != 0 {
		t.Errorf("a check after no write read a %d and b %d times", n[a], n[b])
	}
	woA := map[string]string{"org": a, "client": "", "window": "month"}
	fams := parse(t, scrape(t, h, false))
	if v, ok := value(fams, "opsmetrics_kpi_write_off_ratio", woA); !ok || v != 0 {
		t.Fatalf("a's write-off before the write: %v %v", v, ok)
	}
	// KPI families are in the body once, not also gathered from the registry.
	if got := strings.Count(scrape(t, h, false), "# TYPE opsmetrics_kpi_write_off_ratio "); got != 1 {
		t.Errorf("opsmetrics_kpi_write_off_ratio is typed %d times", got)
	}

	// a writes off 4 h more: written off 400 of a standard value of (4 + 4) h × 100 =
	// 800, 0.5.
	write(t, []ingest.TimeEntry{{Meta: ingest.Meta{Org: a, Source: "test", ExternalID: "e2"}, PersonID: "p1", ClientID: "c1",
		Date: d("2026-03-03"), Hours: dec("4"), Billable: true, BillingStatus: "written_off"}})
	testFacts(t).Wait()
	if err := c.Update(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := q.take(); n[a] == 0 || n[b] != 0 {
		t.Errorf("after a write to a, the check read a %d and b %d times (want b 0)", n[a], n[b])
	}
	for _, gz := range []bool{false, true} {
		fams := parse(t, scrape(t, h, gz))
		if v, ok := value(fams, "opsmetrics_kpi_write_off_ratio", woA); !ok || v != 0.5 {
			t.Errorf("a's write-off after the write (gzip %v): %v %v, want 0.5", gz, v, ok)
		}
		// b's, untouched: 0 written off of 400.
		if v, ok := value(fams, "opsmetrics_kpi_write_off_ratio", map[string]string{"org": b, "client": "", "window": "month"}); !ok || v != 0 {
			t.Errorf("b's write-off (gzip %v): %v %v", gz, v, ok)
		}
		// The registry's own families follow the KPI body.
		if v, ok := value(fams, "opsmetrics_kpi_orgs_refreshed_total", map[string]string{"part": "all"}); !ok || v != 3 {
			t.Errorf("orgs refreshed whole (gzip %v): %v, want 3 (a and b, then a)", gz, v)
		}
	}

	// Run: its first round is a full refresh; then a write to b shows within a
	// few checks, recomputing b alone.
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()
	waitFor := func(what string, ok func(map[string]*dto.MetricFamily) bool) {
		t.Helper()
		// Generous: a loaded machine (CI shares its cores) is slow, and
		// what is checked is that it shows, not how fast.
		deadline := time.Now().Add(30 * time.Second)
		for {
			fams := parse(t, scrape(t, h, true))
			if ok(fams) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 30 s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitFor("Run's full refresh", func(f map[string]*dto.MetricFamily) bool {
		v, _ := value(f, "opsmetrics_kpi_orgs_refreshed_total", map[string]string{"part": "all"})
		return v == 5
	})
	q.take()
	write(t, []ingest.TimeEntry{{Meta: ingest.Meta{Org: b, Source: "test", ExternalID: "e2"}, PersonID: "p1", ClientID: "c1",
		Date: d("2026-03-03"), Hours: dec("4"), Billable: true, BillingStatus: "written_off"}})
	testFacts(t).Wait()
	start := time.Now()
	waitFor("b's write in /metrics", func(f map[string]*dto.MetricFamily) bool {
		v, _ := value(f, "opsmetrics_kpi_write_off_ratio", map[string]string{"org": b, "client": "", "window": "month"})
		return v == 0.5
	})
	t.Logf("b's write in /metrics after %v", time.Since(start))
	if n := q.take(); n[a] != 0 || n[b] == 0 {
		t.Errorf("Run after a write to b read a %d and b %d times (want a 0)", n[a], n[b])
	}
	fams = parse(t, scrape(t, h, false))
	if v, _ := value(fams, "opsmetrics_kpi_orgs_refreshed_total", map[string]string{"part": "all"}); v != 6 {
		t.Errorf("orgs refreshed whole: %v, want 6 (b once more, no full refresh)", v)
	}
	// The lag is at most the check period (2 s) plus a check's own time,
	// which a loaded CI machine stretches: idle it reads about 1 s.
	if v, ok := value(fams, "opsmetrics_kpi_refresh_lag_seconds", nil); !ok || v > 6 {
		t.Errorf("refresh lag %v %v after the refresh, want under 6 s", v, ok)
	}
	// Stopped and forgotten (a replica that lost the refresh's lease): no
	// KPI series left to scrape.
	cancel()
	<-done
	c.Forget()
	fams = parse(t, scrape(t, h, false))
	if _, ok := value(fams, "opsmetrics_kpi_write_off_ratio", map[string]string{"org": b, "client": "", "window": "month"}); ok {
		t.Error("after Forget, /metrics still has b's write-off ratio")
	}
}

// The gauges that move with the clock alone are recomputed each Interval
// though no version moved, and only they: a review requested 8 March 14:00
// has waited 46 h at testNow (10 March 12:00), under the 48 h limit; at
// 17:00 the same day it has waited 51 h and is stuck. Data age moves at
// each scrape.
func TestCollectorClock(t *testing.T) {
	const org = "cu-clock"
	s := testStore(t)
	log := slog.New(slog.DiscardHandler)
	meta := func(x string) ingest.Meta { return ingest.Meta{Org: org, Source: "test", ExternalID: x} }
	write(t, []settings.Settings{{ID: org, Name: "Clock", TimeZone: "UTC", Currency: "EUR"}},
		[]ingest.Client{{Meta: meta("c1"), Name: "One"}},
		[]ingest.TaskEvent{{Meta: meta("r1"), OccurredAt: utc("2026-03-08 14:00"), Type: ingest.EventClientReviewRequested, DeliverableID: "d1", ClientID: "c1"}})
	versions, err := metrics.NewVersions(s, log)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := testNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	set := func(t time.Time) { mu.Lock(); now = t; mu.Unlock() }
	reg := prometheus.NewRegistry()
	c, err := metrics.NewCollector(metrics.CollectorConfig{Store: s, Facts: testFacts(t), Logger: log, Registerer: reg, Versions: versions,
		Orgs: []string{org}, Interval: time.Hour, PreEncoded: true, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	h := c.Handler(reg)
	if err := c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	stuck := map[string]string{"org": org, "client": ""}
	fams := parse(t, scrape(t, h, false))
	if v, ok := value(fams, "opsmetrics_kpi_stuck_reviews", stuck); !ok || v != 0 {
		t.Fatalf("stuck reviews at 12:00: %v %v, want 0", v, ok)
	}
	age0, _ := value(fams, "opsmetrics_data_age_seconds", map[string]string{"org": org})
	queries := func(kpi string) uint64 {
		fams := parse(t, scrape(t, h, false))
		for _, m := range fams["opsmetrics_query_duration_seconds"].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "kpi" && l.GetValue() == kpi {
					return m.GetHistogram().GetSampleCount()
				}
			}
		}
		return 0
	}
	writeOffs, reviews := queries("write_off_rate"), queries("pending_reviews")

	// 30 minutes on: within the Interval, nothing is recomputed.
	set(testNow.Add(30 * time.Minute))
	if err := c.Update(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := queries("pending_reviews"); got != reviews {
		t.Errorf("pending reviews queried %d times within the interval", got-reviews)
	}
	// 17:00, 5 h on: the clock's gauges are, the others are not.
	set(testNow.Add(5 * time.Hour))
	if err := c.Update(t.Context()); err != nil {
		t.Fatal(err)
	}
	fams = parse(t, scrape(t, h, false))
	if v, ok := value(fams, "opsmetrics_kpi_stuck_reviews", stuck); !ok || v != 1 {
		t.Errorf("stuck reviews at 17:00: %v %v, want 1", v, ok)
	}
	if got := queries("pending_reviews"); got != reviews+1 {
		t.Errorf("pending reviews queried %d times at the clock's turn, want 1", got-reviews)
	}
	if got := queries("write_off_rate"); got != writeOffs {
		t.Errorf("write-off queried %d times though no version and no day moved", got-writeOffs)
	}
	if v, _ := value(fams, "opsmetrics_kpi_orgs_refreshed_total", map[string]string{"part": "clock"}); v != 1 {
		t.Errorf("orgs refreshed for the clock: %v, want 1", v)
	}
	// Data age is the scrape's: 5 h = 18,000 s more.
	if age, ok := value(fams, "opsmetrics_data_age_seconds", map[string]string{"org": org}); !ok || math.Abs(age-age0-18_000) > 0.001 {
		t.Errorf("data age moved by %v s, want 18000", age-age0)
	}
	// The next UTC day moves the windows: a whole refresh, no write needed.
	set(testNow.Add(13 * time.Hour))
	if err := c.Update(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := queries("write_off_rate"); got != writeOffs+2 {
		t.Errorf("write-off queried %d times on a new day, want 2 (month and 30 days)", got-writeOffs)
	}
}

// The body /metrics serves is valid exposition for promtool, plain and
// gzip alike.
func TestCollectorExpositionPromtool(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		bin = "/usr/bin/promtool"
	}
	const org = "cu-promtool"
	meta := func(x string) ingest.Meta { return ingest.Meta{Org: org, Source: "test", ExternalID: x} }
	write(t, []settings.Settings{{ID: org, Name: "Prom \"Tool\" & Co", TimeZone: "UTC", Currency: "EUR"}},
		[]ingest.Person{{Meta: meta("p1"), ValidFrom: d("2025-01-01"), Name: "Pia", Team: "Studio", Role: "designer", WeeklyCapacityHours: dec("40"),
			BillRate: pdec("100"), StartDate: pd("2025-01-01")}},
		[]ingest.Client{{Meta: meta("c1"), Name: "Back\\slash\nNewline"}},
		[]ingest.TimeEntry{{Meta: meta("e1"), PersonID: "p1", ClientID: "c1", Date: d("2026-03-02"), Hours: dec("4"), Billable: true, BillingStatus: "written_off"}})
	reg := prometheus.NewRegistry()
	c, err := metrics.NewCollector(metrics.CollectorConfig{Store: testStore(t), Facts: testFacts(t), Logger: slog.New(slog.DiscardHandler),
		Registerer: reg, Orgs: []string{org}, PreEncoded: true, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	plain, zipped := scrape(t, c.Handler(reg), false), scrape(t, c.Handler(reg), true)
	// The same but for the lag, which grows between the two scrapes.
	lagless := func(body string) string {
		var keep []string
		for _, l := range strings.Split(body, "\n") {
			if !strings.HasPrefix(l, "opsmetrics_kpi_refresh_lag_seconds ") {
				keep = append(keep, l)
			}
		}
		return strings.Join(keep, "\n")
	}
	if lagless(plain) != lagless(zipped) {
		t.Errorf("the gzip body differs from the plain one:\n%s\n---\n%s", plain, zipped)
	}
	fams := parse(t, plain)
	if v, ok := value(fams, "opsmetrics_name_info", map[string]string{"org": org, "kind": "client", "name": "Back\\slash\nNewline"}); !ok || v != 1 {
		t.Errorf("the client's name, escaped and parsed back: %v %v", v, ok)
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader(plain)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}
}
