package dashboards

import (
	"encoding/json"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/demo"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// The drill pages over a small demo agency (ingest/demo: its org "acme",
// 6 people, 3 months ending 7 December 2026), on the real engine: each
// page's numbers are the KPI layer's for the same filters.

var (
	drillNow   = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	drillOnce  sync.Once
	drillFacts *metrics.Facts
	drillErr   error
)

const drillOrg = "acme"

// drillServer loads the demo once and returns the pages, served as the
// signed-in org "acme" with the role the request's X-Test-Role names.
func drillServer(t *testing.T) *echo.Echo {
	t.Helper()
	s := chdbtest.Shared(t)
	drillOnce.Do(func() {
		if drillFacts, drillErr = metrics.NewFacts(metrics.FactsConfig{Store: s, Logger: slog.New(slog.DiscardHandler)}); drillErr != nil {
			return
		}
		var w *ingest.Writer
		if w, drillErr = ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: slog.New(slog.DiscardHandler), Changed: drillFacts.Changed}); drillErr != nil {
			return
		}
		_, drillErr = demo.Generate(t.Context(), demo.Config{Seed: 3, People: 6, Months: 3, End: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)},
			func(recs any) error {
				_, err := w.Write(t.Context(), "drill-test", recs)
				return err
			})
	})
	if drillErr != nil {
		t.Fatal(drillErr)
	}
	e := echo.New()
	role := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if r := c.Request().Header.Get("X-Test-Role"); r != "" {
				auth.WithPrincipal(c, auth.Principal{Org: drillOrg, UserID: "u-" + r, Role: r})
			}
			return next(c)
		}
	}
	if err := Register(e.Group(""), Config{Store: s, Facts: drillFacts, Logger: slog.New(slog.DiscardHandler),
		Org: func(echo.Context) (string, bool) { return drillOrg, true }, Now: func() time.Time { return drillNow }}, role); err != nil {
		t.Fatal(err)
	}
	return e
}

// drillGet answers path as role.
func drillGet(t *testing.T, e *echo.Echo, role, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("X-Test-Role", role)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// drillKPI computes a KPI of the demo org in November 2026 as the API does.
func drillKPI(t *testing.T, kpi string, filters map[string]string, kv ...string) metrics.Table {
	t.Helper()
	r := metrics.Request{KPI: kpi, Org: drillOrg, From: mtMonth(11), To: mtMonth(12), Filters: filters, Now: drillNow}
	for i := 0; i+1 < len(kv); i += 2 {
		switch kv[i] {
		case "group_by":
			r.GroupBy = kv[i+1]
		case "interval":
			r.Interval = kv[i+1]
		}
	}
	res, err := metrics.Compute(t.Context(), chdbtest.Shared(t), drillFacts, r)
	if err != nil {
		t.Fatalf("%s: %v", kpi, err)
	}
	return metrics.TableOf(res)
}

// fact is how a summary number reads in a page's HTML.
func fact(label, value string) string {
	return "<dt>" + html.EscapeString(label) + "</dt><dd>" + value + "</dd>"
}

func mustContain(t *testing.T, page, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		// A fact shown as a warning reads <dd class="bad">.
		if !strings.Contains(body, w) && !strings.Contains(body, strings.Replace(w, "</dt><dd>", `</dt><dd class="bad">`, 1)) {
			t.Errorf("%s lacks %s", page, w)
		}
	}
}

// drillOptions are the page's chart options by chart id.
func drillOptions(t *testing.T, body string) map[string]string {
	t.Helper()
	out := map[string]string{}
	re := regexp.MustCompile(`(?s)<figure class="chart" id="([^"]+)">.*?data-option="([^"]*)"`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		out[m[1]] = html.UnescapeString(m[2])
	}
	return out
}

// drillURLs are the click URLs a chart option's data items carry.
func drillURLs(t *testing.T, option string) []string {
	t.Helper()
	var opt struct {
		Series []struct {
			Data []json.RawMessage
		}
	}
	if err := json.Unmarshal([]byte(option), &opt); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range opt.Series {
		for _, d := range s.Data {
			var item struct{ URL string }
			if json.Unmarshal(d, &item) == nil && item.URL != "" {
				out = append(out, item.URL)
			}
		}
	}
	return out
}

// biggest is the group of t with the most of col.
func biggest(t metrics.Table, dim, col string) string {
	best, most := "", -1.0
	for r := range t.Len() {
		if v := t.Num0(r, col); t.Str(r, dim) != "" && v > most {
			best, most = t.Str(r, dim), v
		}
	}
	return best
}

const drillRange = "from=2026-11-01&to=2026-12-01"

func TestClientPageNumbersAreTheKPIs(t *testing.T) {
	e := drillServer(t)
	client := biggest(drillKPI(t, "logged_hours", nil, "group_by", "client"), "client", "value")
	if client == "" {
		t.Fatal("the demo logged no hours on a client in November")
	}
	f := map[string]string{"client": client}
	rec := drillGet(t, e, auth.RolePartner, "/clients/"+client+"?"+drillRange+"&back=/margin")
	if rec.Code != http.StatusOK {
		t.Fatalf("partner: %d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	money := drillKPI(t, "margin_pct", f)
	rev, _ := money.Num(0, "revenue")
	lc, _ := money.Num(0, "labour_cost")
	mg, _ := money.Num(0, "margin")
	pctV, _ := money.Num(0, "value")
	cur := "USD"
	mustContain(t, "client page", body,
		fact("Revenue ("+cur+")", marginMoney(rev, true)), fact("Labour cost ("+cur+")", marginMoney(lc, true)),
		fact("Margin ("+cur+")", marginMoney(mg, true)), fact("Margin %", fmtNum(pctV, true, "ratio")))
	onTime := drillKPI(t, "on_time_rate", f)
	if x, ok := onTime.Num(0, "value"); ok {
		mustContain(t, "client page", body, fact("On-time rate", fmtNum(x, true, "ratio")))
	}
	p50 := drillKPI(t, "approval_time_p50", f)
	x, ok := p50.Num(0, "value")
	if !ok {
		t.Fatalf("the demo's client %s has no decided review in November", client)
	}
	mustContain(t, "client page", body, fact("Approval time p50 (hours)", fmtNum(x, true, "hours")))
	// The p90 is approval_time_p90's own value (the page reads it from the
	// p50's query).
	p90 := drillKPI(t, "approval_time_p90", f)
	x90, _ := p90.Num(0, "value")
	mustContain(t, "client page", body, fact("Approval time p90 (hours)", fmtNum(x90, true, "hours")))
	rounds := drillKPI(t, "revision_rounds", f)
	if x, ok := rounds.Num(0, "value"); ok {
		mustContain(t, "client page", body, fact("Revision rounds (mean)", fmtNum(x, true, "rounds")))
	}
	// Hours by person: every person's hours in the chart's table, their name
	// linking to their page with the range, and the bars carrying the URLs.
	n := namesOf(must(metrics.LoadNames(t.Context(), chdbtest.Shared(t), drillOrg)))
	byPerson := drillKPI(t, "logged_hours", f, "group_by", "person")
	for r := range byPerson.Len() {
		id := byPerson.Str(r, "person")
		link := "/people/" + id + "?back=%2Fmargin&amp;from=2026-11-01&amp;org=acme&amp;to=2026-12-01"
		mustContain(t, "client page", body, `<td><a href="`+link+`">`+html.EscapeString(n.of("person", id))+`</a></td><td class="n">`+fmtNum(byPerson.Num0(r, "value"), true, "hours")+`</td>`)
	}
	urls := drillURLs(t, drillOptions(t, body)["client-people"])
	if len(urls) == 0 || !strings.HasPrefix(urls[0], "/people/") || !strings.Contains(urls[0], "from=2026-11-01") || !strings.Contains(urls[0], "to=2026-12-01") {
		t.Errorf("client-people click URLs: %v", urls)
	}
	// The breadcrumb leads back to the margin page with the range.
	mustContain(t, "client page", body, `<nav class="crumbs" aria-label="Breadcrumb"><a href="/margin?from=2026-11-01&amp;org=acme&amp;to=2026-12-01">Margin</a> › <span aria-current="page">`+html.EscapeString(n.of("client", client))+`</span></nav>`)

	// A viewer sees hours and delivery, and no amount anywhere.
	rec = drillGet(t, e, auth.RoleViewer, "/clients/"+client+"?"+drillRange)
	if rec.Code != http.StatusOK {
		t.Fatalf("viewer: %d %s", rec.Code, rec.Body)
	}
	vb := rec.Body.String()
	for _, w := range []string{marginMoney(rev, true), marginMoney(lc, true), marginMoney(mg, true), "Revenue", "revenue", "Labour cost", "Margin (", "(" + cur + ")", "overhead"} {
		if strings.Contains(vb, w) {
			t.Errorf("the viewer's client page shows %q", w)
		}
	}
	used := drillKPI(t, "budget_used", f, "group_by", "project")
	for r := range used.Len() {
		if v, ok := used.Num(r, "used_value"); ok && strings.Contains(vb, marginMoney(v, true)) {
			t.Errorf("the viewer's client page shows the used value %s", marginMoney(v, true))
		}
	}
	mustContain(t, "viewer's client page", vb, "Hours by person", "Deliverables due")
}

// A drill page's Waiting and Stuck are pending_reviews' value and stuck as
// of now, for a client with reviews waiting (the page reads them
// from its waiting list's columns).
func TestDrillPageWaitingIsPendingReviews(t *testing.T) {
	e := drillServer(t)
	pending := func(f map[string]string, groupBy string) metrics.Table {
		r := metrics.AsOfNow(metrics.Request{KPI: "pending_reviews", Org: drillOrg, From: mtMonth(11), To: mtMonth(12), Filters: f,
			GroupBy: groupBy, Now: drillNow}, time.UTC)
		return metrics.TableOf(must(metrics.Compute(t.Context(), chdbtest.Shared(t), drillFacts, r)))
	}
	// (In the demo every waiting review is stuck by now, so the two numbers
	// are equal here; TestBuildDrillApprovals tells them apart.)
	client := biggest(pending(nil, "client"), "client", "value")
	if client == "" {
		t.Fatal("no review of the demo waits now")
	}
	p := pending(map[string]string{"client": client}, "")
	waiting, _ := p.Num(0, "value")
	stuck, _ := p.Num(0, "stuck")
	rec := drillGet(t, e, auth.RolePartner, "/clients/"+client+"?"+drillRange)
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	mustContain(t, "client page", body, fact("Waiting", fmtNum(waiting, true, "count")))
	if !regexp.MustCompile(`<dt>Stuck \(over \d+ hours\)</dt><dd[^>]*>` + regexp.QuoteMeta(fmtNum(stuck, true, "count")) + `</dd>`).MatchString(body) {
		t.Errorf("the client page does not show %v stuck reviews", stuck)
	}
}

func TestProjectAndPersonPagesAreTheKPIs(t *testing.T) {
	e := drillServer(t)
	// The budgeted project with the most hours used.
	used := drillKPI(t, "budget_used", nil, "group_by", "project")
	project := biggest(used, "project", "used_hours")
	if project == "" {
		t.Fatal("no budgeted project in the demo")
	}
	rec := drillGet(t, e, auth.RoleAdmin, "/projects/"+project+"?"+drillRange)
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	u := drillKPI(t, "budget_used", map[string]string{"project": project}, "group_by", "project")
	mustContain(t, "project page", body, fact("Used (h)", fmtNum(u.Num0(0, "used_hours"), true, "hours")),
		fact("Budget (h)", fmtNum(u.Num0(0, "budget_hours"), true, "hours")))
	// Its title names its client, and the breadcrumb leads to the client's page.
	client := biggest(drillKPI(t, "logged_hours", map[string]string{"project": project}, "group_by", "client"), "client", "value")
	n := namesOf(must(metrics.LoadNames(t.Context(), chdbtest.Shared(t), drillOrg)))
	mustContain(t, "project page", body, "<title>"+html.EscapeString(n.of("project", project)+" · "+n.of("client", client)),
		`<a href="/clients/`+client+`?back=%2Fmargin&amp;from=2026-11-01&amp;org=acme&amp;to=2026-12-01">`+html.EscapeString(n.of("client", client))+`</a> › <span aria-current="page">`+html.EscapeString(n.of("project", project))+`</span>`)

	person := biggest(drillKPI(t, "logged_hours", nil, "group_by", "person"), "person", "value")
	rec = drillGet(t, e, auth.RoleViewer, "/people/"+person+"?"+drillRange+"&back=/utilization")
	if rec.Code != http.StatusOK {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	body = rec.Body.String()
	util := drillKPI(t, "billable_utilization", map[string]string{"person": person})
	x, ok := util.Num(0, "value")
	mustContain(t, "person page", body, fact("Billable utilization", fmtNum(x, ok, "ratio")),
		fact("Billable hours", fmtNum(util.Num0(0, "billable_hours"), true, "hours")))
	byClient := drillKPI(t, "logged_hours", map[string]string{"person": person}, "group_by", "client")
	for r := range byClient.Len() {
		if id := byClient.Str(r, "client"); id != "" {
			mustContain(t, "person page", body, `<a href="/clients/`+id+`?back=%2Futilization&amp;from=2026-11-01&amp;org=acme&amp;to=2026-12-01">`+
				html.EscapeString(n.of("client", id))+`</a></td><td class="n">`+fmtNum(byClient.Num0(r, "value"), true, "hours"))
		}
	}
}

func TestDrillPagesUnknownAndNamed(t *testing.T) {
	e := drillServer(t)
	for _, path := range []string{"/clients/no-such-client", "/projects/no-such-project", "/people/no-such-person"} {
		rec := drillGet(t, e, auth.RoleViewer, path+"?"+drillRange)
		if rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), strings.TrimPrefix(path[strings.LastIndex(path, "/"):], "/")) {
			t.Errorf("%s: %d %s, want a 404 naming it", path, rec.Code, rec.Body)
		}
	}
	// A name, in other capitals, is its id's page.
	all := must(metrics.LoadNames(t.Context(), chdbtest.Shared(t), drillOrg))
	c := all.Of("client")[0]
	rec := drillGet(t, e, auth.RoleViewer, "/clients/"+strings.ReplaceAll(strings.ToUpper(c.Name), " ", "%20")+"?"+drillRange)
	if want := "/clients/" + c.ID + "?" + drillRange; rec.Code != http.StatusFound || rec.Header().Get("Location") != want {
		t.Errorf("by name: %d %q, want a redirect to %s", rec.Code, rec.Header().Get("Location"), want)
	}
}

func TestPagesLinkToDrillPages(t *testing.T) {
	e := drillServer(t)
	client := biggest(drillKPI(t, "logged_hours", nil, "group_by", "client"), "client", "value")
	q := "&amp;from=2026-11-01&amp;org=acme&amp;to=2026-12-01"
	rec := drillGet(t, e, auth.RolePartner, "/margin?"+drillRange)
	mustContain(t, "margin page", rec.Body.String(), `<a href="/clients/`+client+`?back=%2Fmargin`+q+`">`)
	rec = drillGet(t, e, auth.RolePartner, "/utilization?"+drillRange)
	body := rec.Body.String()
	person := biggest(drillKPI(t, "logged_hours", nil, "group_by", "person"), "person", "value")
	mustContain(t, "utilization page", body, `<a href="/people/`+person+`?back=%2Futilization`+q+`">`)
	// The heatmap's cells open their person's page.
	urls := drillURLs(t, drillOptions(t, body)["util-heatmap"])
	found := false
	for _, u := range urls {
		found = found || u == "/people/"+person+"?back=%2Futilization&from=2026-11-01&org=acme&to=2026-12-01"
	}
	if !found {
		t.Errorf("no heatmap cell opens %s: %v", person, urls)
	}
	rec = drillGet(t, e, auth.RolePartner, "/approvals?"+drillRange)
	body = rec.Body.String()
	if urls := drillURLs(t, drillOptions(t, body)["approval-times"]); len(urls) == 0 || !strings.HasPrefix(urls[0], "/clients/") {
		t.Errorf("approval-times click URLs: %v", urls)
	}
	if !regexp.MustCompile(`<a href="/clients/[^"?]+\?back=%2Fapprovals` + q + `">`).MatchString(body) {
		t.Error("the approvals page links no client to its page")
	}
	rec = drillGet(t, e, auth.RolePartner, "/delivery?"+drillRange)
	if body := rec.Body.String(); strings.Contains(body, "late or overdue") && !strings.Contains(body, "?back=%2Fdelivery") {
		t.Error("the delivery page's late list links no client to its page")
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A drill page's approvals: p90 from the p50 query's p90 column, Waiting
// and Stuck from the waiting list's waiting and stuck columns (every
// waiting review, before the list's limit), and "more" what the list left
// out. Pure.
func TestBuildDrillApprovals(t *testing.T) {
	v := View{Org: "o", From: mtMonth(10), To: mtMonth(11)}
	p50 := mtResult([]string{"value", "business_hours", "cycles", "p90"}, []any{10.5, 4.0, uint64(6), 30.25})
	rounds := mtResult([]string{"value"}, []any{1.5})
	// Two of four waiting reviews listed; three of the four are stuck.
	list := mtResult([]string{"deliverable_id", "deliverable", "client_id", "project_id", "requested_at", "age_hours", "waiting", "stuck"},
		[]any{"d1", "Spring visuals", "c", "p1", time.Date(2026, 10, 26, 14, 0, 0, 0, time.UTC), 120.0, uint64(4), uint64(3)},
		[]any{"d2", "Logo", "c", "p1", time.Date(2026, 10, 28, 14, 0, 0, 0, time.UTC), 72.0, uint64(4), uint64(3)},
	)
	got := buildDrillApprovals(v, mtNames("client", "c", "Gamma"), mtMonth(11), time.UTC, 48, p50, rounds, list)
	want := []Fact{{"Approval time p50 (hours)", "10.50", false}, {"Approval time p90 (hours)", "30.25", false},
		{"Client decisions", "6", false}, {"Revision rounds (mean)", "1.50", false}, {"Waiting", "4", false},
		{"Stuck (over 48 hours)", "3", true}}
	mtEqual(t, "facts", got.Facts, want)
	if len(got.Stuck) != 2 || got.More != 2 {
		t.Errorf("listed %d, more %d; want 2 listed and 2 more", len(got.Stuck), got.More)
	}
}
