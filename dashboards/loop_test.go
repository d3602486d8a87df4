package dashboards

import (
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// TestBuildLoop: open actions only, those past their due day first and
// marked, each part by due date; the counts; a report's action names its
// client, linked to the report of its month; a retro's names its quarter.
func TestBuildLoop(t *testing.T) {
	v := View{Org: "o"}
	today := day("2026-03-11")
	acts := []metrics.Action{ // as ListActions orders them: open first, then by due
		{Client: "c1", ClientName: "Kauri Ltd", Origin: metrics.OriginReport, Period: day("2026-02-01"), Kind: metrics.ActionKind,
			Title: "Send the brief", OwnerName: "Ada Lovelace", Due: day("2026-03-12"), Status: metrics.ActionOpen},
		{Origin: metrics.OriginRetro, Period: day("2026-01-01"), Kind: metrics.DecisionKind,
			Title: "Time-box reviews", Owner: "p-2", Due: day("2026-03-13"), Status: metrics.ActionOpen},
		{Client: "c 2", ClientName: "Rimu Co", Origin: metrics.OriginReport, Period: day("2026-02-01"), Kind: metrics.ActionKind,
			Title: "Chase the copy", OwnerName: "Bo Chen", Due: day("2026-03-20"), Status: metrics.ActionOpen},
		{Client: "c1", ClientName: "Kauri Ltd", Origin: metrics.OriginReport, Period: day("2026-02-01"), Kind: metrics.ActionKind,
			Title: "Book the shoot", OwnerName: "Bo Chen", Due: day("2026-03-01"), Status: metrics.ActionClosed},
	}
	// Make two overdue (due before 11 March) behind the open ones in the
	// input, so their coming first is the panel's doing.
	acts = append(acts,
		metrics.Action{Client: "c 2", ClientName: "Rimu Co", Origin: metrics.OriginReport, Period: day("2026-01-01"), Kind: metrics.ActionKind,
			Title: "Fix the invoice", OwnerName: "Ada Lovelace", Due: day("2026-03-02"), Status: metrics.ActionOpen},
		metrics.Action{Client: "c1", ClientName: "Kauri Ltd", Origin: metrics.OriginReport, Period: day("2026-02-01"), Kind: metrics.ActionKind,
			Title: "Agree the retainer", OwnerName: "Ada Lovelace", Due: day("2026-03-10"), Status: metrics.ActionOpen})
	p := buildLoop(v, acts, false, today)
	var titles []string
	for _, r := range p.Rows {
		titles = append(titles, r.Title)
	}
	// 5 open of 6 given (one closed); overdue: due 2 and 10 March, before 11 March
	// (12 March is not, nor is a due day of today).
	want := []string{"Fix the invoice", "Agree the retainer", "Send the brief", "Time-box reviews", "Chase the copy"}
	if strings.Join(titles, "|") != strings.Join(want, "|") || p.Open != 5 || p.Overdue != 2 || p.Heading() != "5 open, 2 overdue" {
		t.Errorf("rows %q, %d open, %d overdue, heading %q", titles, p.Open, p.Overdue, p.Heading())
	}
	if r := p.Rows[0]; !r.Overdue || r.Due != "2 Mar 2026" || r.Client != "Rimu Co" || r.Owner != "Ada Lovelace" ||
		r.ClientLink != "/clients/c%202/report?month=2026-01&org=o" || r.From != "January 2026 report" {
		t.Errorf("first row %+v", r)
	}
	if r := p.Rows[3]; r.Overdue || r.Client != "" || r.ClientLink != "" || r.From != "2026-Q1 retro" || r.Owner != "p-2" {
		t.Errorf("the retro's row %+v (no owner name: its id)", r)
	}
	if e := buildLoop(v, nil, false, today); e.Heading() != "none open" || e.Empty != loopEmpty || !strings.Contains(e.Empty, "monthly report") {
		t.Errorf("empty %+v", e)
	}
}

// TestLastCompleteMonth: a client's page links the report of the month
// before today's, or of the whole past month it shows.
func TestLastCompleteMonth(t *testing.T) {
	today := day("2026-03-11")
	for _, c := range []struct {
		from, to, want string
	}{
		{"2026-03-01", "2026-03-12", "2026-02-01"}, // March to date
		{"2026-01-01", "2026-02-01", "2026-01-01"}, // January, a whole past month
		{"2026-03-01", "2026-04-01", "2026-02-01"}, // March, not complete yet
		{"2025-11-01", "2026-02-01", "2026-02-01"}, // three months
	} {
		if got := lastCompleteMonth(View{From: day(c.from), To: day(c.to)}, today); !got.Equal(day(c.want)) {
			t.Errorf("%s–%s: %s, want %s", c.from, c.to, got.Format(time.DateOnly), c.want)
		}
	}
}

// TestLoopOnPages: an action added in a report shows on the overview (with
// its client, owner and due day in the org's calendar, overdue first and
// marked) and on its client's page, until it is closed; the client's page
// links its monthly report.
func TestLoopOnPages(t *testing.T) {
	const orgID = "dash-loop"
	// 10 March 12:00 UTC is 11 March 01:00 in Auckland: the org's today is 11 March.
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	s := chdbtest.Shared(t)
	ctx := t.Context()
	facts, err := metrics.NewFacts(metrics.FactsConfig{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: slog.New(slog.DiscardHandler), Changed: facts.Changed})
	if err != nil {
		t.Fatal(err)
	}
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: orgID, Source: "api", ExternalID: id} }
	for _, recs := range []any{
		[]org.Settings{{ID: orgID, Name: "Loop Studio", TimeZone: "Pacific/Auckland", Currency: "NZD"}},
		[]ingest.Person{{Meta: meta("p-1"), ValidFrom: day("2025-01-01"), Name: "Ana Silva"}, {Meta: meta("p-2"), ValidFrom: day("2025-01-01"), Name: "Bo Chen"}},
		[]ingest.Client{{Meta: meta("c-1"), Name: "Kauri <Ltd>"}, {Meta: meta("c-2"), Name: "Rimu Co"}, {Meta: meta("c-3"), Name: "Totara Group"}},
	} {
		if _, err := w.Write(ctx, "test", recs); err != nil {
			t.Fatal(err)
		}
	}
	facts.Wait()
	feb := day("2026-02-01")
	add := func(client, title, owner, due string) metrics.Action {
		t.Helper()
		a, err := metrics.AddAction(ctx, s, orgID, "ann@example.com", metrics.Action{Client: client, Period: feb, Title: title, Owner: owner, Due: day(due)}, now)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	add("c-1", "Send the revised brief", "p-2", "2026-03-20")
	late := add("c-1", "Agree the retainer hours", "p-1", "2026-03-10") // before 11 March: overdue
	add("c-2", "Chase the copy", "p-2", "2026-03-11")                   // today: not yet
	closed := add("c-2", "Book the shoot", "p-1", "2026-03-01")
	if _, _, err := metrics.SetActionStatus(ctx, s, orgID, "ann@example.com", closed.ID, true, now); err != nil {
		t.Fatal(err)
	}

	e := echo.New()
	role := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			auth.WithPrincipal(c, auth.Principal{Org: orgID, UserID: "u-viewer", Role: auth.RoleViewer})
			return next(c)
		}
	}
	if err := Register(e.Group(""), Config{Store: s, Facts: facts, Logger: slog.New(slog.DiscardHandler),
		Org: func(echo.Context) (string, bool) { return orgID, true }, Now: func() time.Time { return now }}, role); err != nil {
		t.Fatal(err)
	}
	get := func(path string) string {
		t.Helper()
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, rec.Code, rec.Body)
		}
		return rec.Body.String()
	}
	panel := func(page string) string {
		t.Helper()
		m := regexp.MustCompile(`(?s)<section class="block loop-actions".*?</section>`).FindString(page)
		if m == "" {
			t.Fatalf("no actions panel:\n%s", page)
		}
		return m
	}
	rowsOf := func(p string) []string {
		return regexp.MustCompile(`(?s)<tr(?: class="overdue")?>.*?</tr>`).FindAllString(p, -1)[1:] // [0] is the header
	}

	over := panel(get("/"))
	mustContain(t, "overview", over, "3 open, 1 overdue")
	rows := rowsOf(over)
	if len(rows) != 3 {
		t.Fatalf("overview: %d rows, want the 3 open ones:\n%s", len(rows), over)
	}
	// The overdue one first and marked, with its owner, its client (escaped) linked to
	// February's report, and its due day; then by due day.
	mustContain(t, "overview, first row", rows[0], `class="overdue"`, "Agree the retainer hours", "Ana Silva", "10 Mar 2026",
		`<a href="/clients/c-1/report?month=2026-02&amp;org=dash-loop">Kauri &lt;Ltd&gt;</a>`, "overdue</span>")
	mustContain(t, "overview, second row", rows[1], "Chase the copy", "Bo Chen", "11 Mar 2026", "Rimu Co")
	mustContain(t, "overview, third row", rows[2], "Send the revised brief", "20 Mar 2026")
	for _, r := range rows[1:] {
		if strings.Contains(r, "overdue") {
			t.Errorf("a row not past its due day is marked overdue: %s", r)
		}
	}
	if strings.Contains(over, "Book the shoot") {
		t.Error("the closed action is on the overview")
	}

	client := panel(get("/clients/c-1"))
	mustContain(t, "client page", client, "2 open, 1 overdue", "Agree the retainer hours", "Send the revised brief",
		`<a class="report-link" href="/clients/c-1/report?month=2026-02&amp;org=dash-loop">Monthly report: February 2026</a>`)
	if strings.Contains(client, "Chase the copy") || strings.Contains(client, "<th>client</th>") {
		t.Errorf("client c-1's page lists another client's action, or a client column:\n%s", client)
	}

	// Closed: gone from both.
	if _, _, err := metrics.SetActionStatus(ctx, s, orgID, "ann@example.com", late.ID, true, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	over = panel(get("/"))
	mustContain(t, "overview after closing", over, "2 open, 0 overdue")
	if strings.Contains(over, "Agree the retainer hours") || strings.Contains(panel(get("/clients/c-1")), "Agree the retainer hours") {
		t.Error("a closed action is still shown")
	}
	// A client with none open says how actions are added.
	mustContain(t, "client page without actions", panel(get("/clients/c-3?from=2026-01-01&to=2026-02-01")), "none open", html.EscapeString(loopEmptyClient),
		`href="/clients/c-3/report?month=2026-01&amp;org=dash-loop">Monthly report: January 2026`)
}
