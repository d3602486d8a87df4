package app_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// cacheOrg is one org of cacheServe, with its tokens and a partner's
// session, so the pages show the money.
type cacheOrg struct {
	id                   string
	in, read, admin      string
	session              *http.Cookie
	first, today, tomorr string // the month's first day, today and tomorrow (UTC, the org's zone)
}

// TestWriteVisibleInNextAnswer is issue 19's "a write is visible in the very
// next answer of every cached surface": the KPI API, a page, and /metrics
// after its refresh (the CLI's is TestKPICommandReadsThroughCache in
// cmd/opsmetrics). Each read is asked twice, the second answered from the
// cache alone (no miss); then one time entry, a change of the org's
// settings and a change of a person's cost rate each show in the very next
// answer of the API and the page, and in the gauge once the collector has
// refreshed.
//
// The data (cacheServe): person p1 at a cost rate of 40, project pr1 (time
// and materials, client c1, bill rate 100), and entry e1 of 3 billable hours
// today:
//
//	revenue 3 × 100 = 300, labour cost 3 × 40 = 120, margin 300 − 120 = 180, margin ratio 180 / 300 = 0.6
//
// e2, 2 non-billable hours today, adds cost but no revenue:
//
//	revenue 300, labour cost 5 × 40 = 200, margin 100, margin ratio 100 / 300 = 0.3333
//
// overhead_per_hour 10 (the org's settings):
//
//	labour cost 5 × (40 + 10) = 250, margin 50, margin ratio 50 / 300 = 0.1667
//
// p1's cost rate 60 instead of 40:
//
//	labour cost 5 × (60 + 10) = 350, margin −50, margin ratio −50 / 300 = −0.1667
func TestWriteVisibleInNextAnswer(t *testing.T) {
	svc, orgs := cacheServe(t, "cache-vis")
	a := orgs[0]
	if got := twice(t, svc, "API margin", func() string { return a.apiMargin(t, svc) }); got != "180" {
		t.Fatalf("API margin %s, want 180 (300 − 120)", got)
	}
	if got := twice(t, svc, "page margin", func() string { return a.pageMargin(t, svc) }); got != "180.00" {
		t.Fatalf("client page margin %q, want 180.00", got)
	}
	gauge := `opsmetrics_kpi_margin_ratio{client="c1",org="cache-vis",window="month"}`
	waitGauge(t, svc, gauge, 0.6)

	a.post(t, svc, "time_entries", a.entry("e2", 2, false))
	a.next(t, svc, "after e2", "100", "100.00")
	waitGauge(t, svc, gauge, 100.0/300)

	a.put(t, svc, `{"overhead_per_hour":10}`)
	a.next(t, svc, "after overhead_per_hour 10", "50", "50.00")
	waitGauge(t, svc, gauge, 50.0/300)

	// A new version of p1, as an HR export sends it.
	a.post(t, svc, "people", `{"external_id":"p1","valid_from":"2020-01-01","name":"Ana Silva","cost_rate":60,"bill_rate":100}`)
	a.next(t, svc, "after p1's cost rate 60", "-50", "-50.00")
	waitGauge(t, svc, gauge, -50.0/300)
}

// TestWriteLeavesOtherOrgsCached: the writes of TestWriteVisibleInNextAnswer
// to one org (a time entry, a setting, a person's cost rate) leave another
// org's answers cached: asked again, the API and the page answer with no
// miss and the same numbers (180: 300 − 120, as there before any write).
func TestWriteLeavesOtherOrgsCached(t *testing.T) {
	svc, orgs := cacheServe(t, "cache-own-a", "cache-own-b")
	a, b := orgs[0], orgs[1]
	twice(t, svc, "API margin of b", func() string { return b.apiMargin(t, svc) })
	twice(t, svc, "page margin of b", func() string { return b.pageMargin(t, svc) })
	for _, w := range []struct {
		what  string
		write func()
	}{
		{"a time entry", func() { a.post(t, svc, "time_entries", a.entry("e2", 2, false)) }},
		{"a setting", func() { a.put(t, svc, `{"overhead_per_hour":10}`) }},
		{"a person's cost rate", func() {
			a.post(t, svc, "people", `{"external_id":"p1","valid_from":"2020-01-01","name":"Ana Silva","cost_rate":60,"bill_rate":100}`)
		}},
	} {
		w.write()
		b.stillHits(t, svc, "after "+w.what+" of "+a.id, "180", "180.00")
	}
}

// cacheServe serves orgs made of the data TestWriteVisibleInNextAnswer
// describes, each with a partner signed in, with the KPI gauges refreshed
// every second (a collector that refreshes on a version change does not
// need it), and returns once their entry facts are built.
func cacheServe(t *testing.T, ids ...string) (*apptest.Service, []*cacheOrg) {
	t.Helper()
	svc := apptest.New(t)
	var orgs []*cacheOrg
	for i, id := range ids {
		o := &cacheOrg{id: id}
		o.in, o.read, o.admin = svc.Token(id, "ingest"), svc.Token(id, "read"), svc.Token(id, "admin")
		svc.User(id, fmt.Sprintf("partner%d@example.com", i), "Pat Partner", "partner", "correct horse battery")
		orgs = append(orgs, o)
	}
	svc.Serve(func(o *app.Options) { o.KPIRefresh = time.Second })
	now := time.Now().UTC()
	for i, o := range orgs {
		o.session = apptest.SignInPassword(t, svc.URL, fmt.Sprintf("partner%d@example.com", i), "correct horse battery")
		o.first = now.Format("2006-01") + "-01"
		o.today, o.tomorr = now.Format(time.DateOnly), now.AddDate(0, 0, 1).Format(time.DateOnly)
		o.put(t, svc, `{"currency":"EUR"}`)
		o.post(t, svc, "people", `{"external_id":"p1","valid_from":"2020-01-01","name":"Ana Silva","cost_rate":40,"bill_rate":100}`)
		o.post(t, svc, "clients", `{"external_id":"c1","name":"Nordlicht GmbH"}`)
		o.post(t, svc, "projects", `{"external_id":"pr1","name":"Website","client":"c1","kind":"time_and_materials","bill_rate":100}`)
		o.post(t, svc, "time_entries", o.entry("e1", 3, true))
	}
	svc.Facts.Wait()
	return svc, orgs
}

// entry is a time entry of p1 on pr1 today as NDJSON.
func (o *cacheOrg) entry(id string, hours float64, billable bool) string {
	return fmt.Sprintf(`{"external_id":%q,"person":"p1","project":"pr1","client":"c1","date":%q,"hours":%g,"billable":%t}`, id, o.today, hours, billable)
}

// post sends one NDJSON record to the intake of entity (a URL plural).
func (o *cacheOrg) post(t *testing.T, svc *apptest.Service, entity, record string) {
	t.Helper()
	if code, r := apptest.Post(t, svc.URL+"/api/v1/"+entity, o.in, "application/x-ndjson", strings.NewReader(record+"\n")); code != 200 || r.Rejected != 0 {
		t.Fatalf("%s: POST %s %s: %d %+v", o.id, entity, record, code, r)
	}
}

// put changes the org's settings through PUT /api/v1/org.
func (o *cacheOrg) put(t *testing.T, svc *apptest.Service, patch string) {
	t.Helper()
	if code, _, body := apptest.Send(t, http.MethodPut, svc.URL+"/api/v1/org", o.admin, patch, "Content-Type", "application/json"); code != 200 {
		t.Fatalf("%s: PUT /org %s: %d %s", o.id, patch, code, body)
	}
}

// apiMargin is the org's margin this month from the KPI API, as its JSON
// text.
func (o *cacheOrg) apiMargin(t *testing.T, svc *apptest.Service) string {
	t.Helper()
	url := svc.URL + "/api/v1/kpis/margin?from=" + o.first + "&to=" + o.tomorr
	code, _, body := apptest.Get(t, url, o.read, "")
	var res struct{ Rows []map[string]json.RawMessage }
	if err := json.Unmarshal([]byte(body), &res); code != 200 || err != nil || len(res.Rows) != 1 {
		t.Fatalf("%s: GET %s: %d %s", o.id, url, code, body)
	}
	return strings.Trim(string(res.Rows[0]["value"]), `"`)
}

// pageMargin is the margin the client page of c1 shows this month, to a
// partner.
func (o *cacheOrg) pageMargin(t *testing.T, svc *apptest.Service) string {
	t.Helper()
	path := "/clients/c1?from=" + o.first + "&to=" + o.tomorr
	req, _ := http.NewRequest(http.MethodGet, svc.URL+path, nil)
	req.AddCookie(o.session)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	body := string(raw)
	got, ok := factOf(body, "Margin (EUR)")
	if resp.StatusCode != 200 || !ok {
		t.Fatalf("%s: GET %s: %d, no margin in:\n%.3000s", o.id, path, resp.StatusCode, body)
	}
	return got
}

// next asks the API and the page once each right after a write of o: each
// answer misses the cache (its version moved) and shows the new margin.
func (o *cacheOrg) next(t *testing.T, svc *apptest.Service, when, api, page string) {
	t.Helper()
	// Reads that depend on the time key on the minute: the check below
	// stands only when the answers and their asking again fall in one.
	minute := time.Now().Truncate(time.Minute)
	c0 := cacheCounts(t, svc)
	if got := o.apiMargin(t, svc); got != api {
		t.Errorf("%s %s: the next API answer says margin %s, want %s", o.id, when, got, api)
	}
	if got := o.pageMargin(t, svc); got != page {
		t.Errorf("%s %s: the next page says margin %q, want %q", o.id, when, got, page)
	}
	c1 := cacheCounts(t, svc)
	if c1.of("api", "miss") == c0.of("api", "miss") || c1.of("page", "miss") == c0.of("page", "miss") {
		t.Errorf("%s %s: the API or the page answered from the cache alone: %v then %v", o.id, when, c0, c1)
	}
	// Those answers were cached at the version the write left (a read of
	// entry facts waits for the write's build before it is keyed), so
	// asked again they hit.
	o.apiMargin(t, svc)
	o.pageMargin(t, svc)
	if c2 := cacheCounts(t, svc); c2.misses() != c1.misses() && time.Now().Truncate(time.Minute).Equal(minute) {
		t.Errorf("%s %s: asked again, %v misses: the entry facts build moved the version of answers that waited for it", o.id, when, c2.misses()-c1.misses())
	}
}

// stillHits asks o's API and page again: another org's write left them
// cached, so neither reaches the engine. A read that depends on the time
// keys on the minute, so an ask that straddles a minute is made again.
func (o *cacheOrg) stillHits(t *testing.T, svc *apptest.Service, when, api, page string) {
	t.Helper()
	for range 3 {
		minute := time.Now().Truncate(time.Minute)
		c0 := cacheCounts(t, svc)
		gotAPI, gotPage := o.apiMargin(t, svc), o.pageMargin(t, svc)
		c1 := cacheCounts(t, svc)
		if !time.Now().Truncate(time.Minute).Equal(minute) {
			continue
		}
		if gotAPI != api || gotPage != page {
			t.Errorf("%s %s: margin %s and %q, want %s and %q", o.id, when, gotAPI, gotPage, api, page)
		}
		if c1.misses() != c0.misses() || c1.hits() == c0.hits() {
			t.Errorf("%s %s: %v misses and %v hits, want no miss: the write moved this org's data version too",
				o.id, when, c1.misses()-c0.misses(), c1.hits()-c0.hits())
		}
		return
	}
	t.Fatalf("%s: three asks straddled a minute", o.id)
}

// twice runs ask two times and checks that the second added hits and no
// miss to the KPI cache's API and page counters; it returns the second answer, which must equal the
// first. A cached read that depends on the time keys on the minute, so a
// pair that straddles a minute is asked again.
func twice(t *testing.T, svc *apptest.Service, what string, ask func() string) string {
	t.Helper()
	for range 3 {
		minute := time.Now().Truncate(time.Minute)
		first := ask()
		c0 := cacheCounts(t, svc)
		second := ask()
		c1 := cacheCounts(t, svc)
		if !time.Now().Truncate(time.Minute).Equal(minute) {
			continue
		}
		if first != second {
			t.Fatalf("%s: asked twice, answered %q then %q", what, first, second)
		}
		if c1.misses() != c0.misses() || c1.hits() == c0.hits() {
			t.Fatalf("%s: the repeated ask made %v misses and %v hits, want no miss", what, c1.misses()-c0.misses(), c1.hits()-c0.hits())
		}
		return second
	}
	t.Fatalf("%s: three pairs of asks straddled a minute", what)
	return ""
}

// factOf finds the value shown under label in a page's facts
// (<dt>label</dt><dd>value</dd>), without its tags.
func factOf(body, label string) (string, bool) {
	_, after, ok := strings.Cut(body, ">"+label+"</dt>")
	if !ok {
		return "", false
	}
	_, after, ok = strings.Cut(after, "<dd")
	if !ok {
		return "", false
	}
	_, after, _ = strings.Cut(after, ">")
	value, _, _ := strings.Cut(after, "</dd>")
	for strings.Contains(value, "<") {
		i, j := strings.Index(value, "<"), strings.Index(value, ">")
		if j < i {
			break
		}
		value = value[:i] + value[j+1:]
	}
	return strings.TrimSpace(value), true
}

// waitGauge polls /metrics for up to 15 s until series equals want (to 4
// decimals): the collector refreshes on its own cadence, or on the write's
// version change.
func waitGauge(t *testing.T, svc *apptest.Service, series string, want float64) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	last := "absent"
	for time.Now().Before(deadline) {
		resp, err := http.Get(svc.MetricsURL)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if v, ok := strings.CutPrefix(sc.Text(), series+" "); ok {
				last = v
			}
		}
		resp.Body.Close()
		if f, err := strconv.ParseFloat(last, 64); err == nil && fmt.Sprintf("%.4f", f) == fmt.Sprintf("%.4f", want) {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("/metrics: %s is %s after 15 s, want %.4f", series, last, want)
}

// counts are the KPI cache's requests by "surface result" (hit or miss),
// as /metrics' opsmetrics_cache_requests_total says: the API's and the
// pages' apart from the collector's, which refreshes when it likes.
type counts map[string]float64

func (c counts) of(surface, result string) float64 { return c[surface+" "+result] }
func (c counts) hits() float64                     { return c.of("api", "hit") + c.of("page", "hit") }
func (c counts) misses() float64                   { return c.of("api", "miss") + c.of("page", "miss") }

// cacheCounts scrapes the KPI cache's request counters.
func cacheCounts(t *testing.T, svc *apptest.Service) counts {
	t.Helper()
	resp, err := http.Get(svc.MetricsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := counts{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "opsmetrics_cache_requests_total{")
		if !ok {
			continue
		}
		labels, value, _ := strings.Cut(rest, "} ")
		var result, surface string
		for _, kv := range strings.Split(labels, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "result":
				result = strings.Trim(v, `"`)
			case "surface":
				surface = strings.Trim(v, `"`)
			}
		}
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatalf("/metrics: %s", sc.Text())
		}
		out[surface+" "+result] = n
	}
	return out
}
