package dashboards

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// retroServer serves orgID's pages with the retro records writable, at the
// clock now, to the role a request names in X-Role, with CSRF.
func retroServer(t *testing.T, orgID string, now time.Time) *httptest.Server {
	t.Helper()
	s := chdbtest.Shared(t)
	facts, err := metrics.NewFacts(metrics.FactsConfig{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cache, err := org.NewCache(org.Config{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	asRole := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			role := c.Request().Header.Get("X-Role")
			auth.WithPrincipal(c, auth.User{Org: orgID, ID: "u-" + role, Email: role + "@example.com", Role: role}.Principal())
			return next(c)
		}
	}
	e := echo.New()
	if err := Register(e.Group(""), Config{Store: s, Facts: facts, Logger: slog.New(slog.DiscardHandler), Settings: cache,
		Org: func(echo.Context) (string, bool) { return orgID, true }, Changes: s, Reports: s, Now: func() time.Time { return now }},
		auth.CSRF(false), asRole); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

// writeRetroLoop stores, for org "dash-retro" (UTC), one deliverable's loop
// in each of Q2 and Q3 2026 and a quarter's time entries each:
//
//	Q3 R1: intake Jul 6 09:00, production Jul 6 13:00, internal_review
//	  Jul 7 13:00, client_review Jul 7 15:00 (review requested), approved
//	  Jul 8 12:00, delivered Jul 8 15:00; due Jul 10 → on time.
//	  Times: intake 4 h, production 24 h, internal review 2 h, client
//	  review until the approval 21 h (Jul 7 15:00 → Jul 8 12:00); handoff
//	  client review → delivered waits from the approval (12:00) to 15:00: 3 h;
//	  reached client review from internal review: QA covered 1 of 1.
//	Q2 R2: intake Apr 6 09:00, production Apr 6 11:00, client_review Apr 8
//	  11:00 (review requested), approved Apr 9 09:00, delivered Apr 9 11:00;
//	  due Apr 1 → late (8 days, past any grace). Times: intake 2 h,
//	  production 48 h, client review 22 h (Apr 8 11:00 → Apr 9 09:00);
//	  client review → delivered 2 h; came to the client
//	  from production: QA 0 of 1.
//	Q1's retro: a task tool's retro_held event on Mar 20.
//	Billable hours at 100 an hour: Q3 9 h billed + 1 h written off → 1/10 =
//	10.0 %; Q2 16 h billed + 4 h written off → 4/20 = 20.0 % (in hours and
//	in value, one rate for everyone).
func writeRetroLoop(t *testing.T, orgID string) {
	t.Helper()
	s := chdbtest.Shared(t)
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: orgID, Source: "api", ExternalID: id} }
	at := func(s string) time.Time {
		x, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	day := func(s string) *time.Time { x := at(s + " 00:00"); return &x }
	var events []ingest.TaskEvent
	ev := func(deliverable, typ, phase, when string) {
		events = append(events, ingest.TaskEvent{Meta: meta(deliverable + "-" + when + "-" + typ), OccurredAt: at(when), Type: typ,
			DeliverableID: deliverable, Phase: phase, ClientID: "c1"})
	}
	ev("r1", ingest.EventCreated, "intake", "2026-07-06 09:00")
	ev("r1", ingest.EventStatusChanged, "production", "2026-07-06 13:00")
	ev("r1", ingest.EventStatusChanged, "internal_review", "2026-07-07 13:00")
	ev("r1", ingest.EventStatusChanged, "client_review", "2026-07-07 15:00")
	ev("r1", ingest.EventClientReviewRequested, "client_review", "2026-07-07 15:00")
	ev("r1", ingest.EventClientApproved, "client_review", "2026-07-08 12:00")
	ev("r1", ingest.EventStatusChanged, "delivered", "2026-07-08 15:00")
	ev("r2", ingest.EventCreated, "intake", "2026-04-06 09:00")
	ev("r2", ingest.EventStatusChanged, "production", "2026-04-06 11:00")
	ev("r2", ingest.EventStatusChanged, "client_review", "2026-04-08 11:00")
	ev("r2", ingest.EventClientReviewRequested, "client_review", "2026-04-08 11:00")
	ev("r2", ingest.EventClientApproved, "client_review", "2026-04-09 09:00")
	ev("r2", ingest.EventStatusChanged, "delivered", "2026-04-09 11:00")
	// Q1's retro, held in a task tool that sent a retro_held event
	events = append(events, ingest.TaskEvent{Meta: meta("retro-q1"), OccurredAt: at("2026-03-20 15:00"), Type: ingest.EventRetroHeld, Phase: "reported"})
	rate := decimal.NewFromInt(100)
	entry := func(id, d string, hours int64, status string) ingest.TimeEntry {
		return ingest.TimeEntry{Meta: meta(id), PersonID: "p1", ClientID: "c1", Date: *day(d), Hours: decimal.NewFromInt(hours), Billable: true, BillingStatus: status}
	}
	delivered1, delivered2 := at("2026-07-08 15:00"), at("2026-04-09 11:00")
	for _, recs := range []any{
		[]org.Settings{{ID: orgID, Name: "Retro Studio", TimeZone: "UTC", Currency: "EUR"}},
		[]ingest.Person{{Meta: meta("p1"), ValidFrom: at("2025-01-01 00:00"), Name: "Ada Lovelace", WeeklyCapacityHours: decimal.NewFromInt(40), BillRate: &rate}},
		[]ingest.Client{{Meta: meta("c1"), Name: "Nordlicht GmbH"}},
		[]ingest.Deliverable{
			{Meta: meta("r1"), Name: "Spring campaign", ClientID: "c1", DueDate: day("2026-07-10"), DeliveredAt: &delivered1, InScope: true},
			{Meta: meta("r2"), Name: "Brand refresh", ClientID: "c1", DueDate: day("2026-04-01"), DeliveredAt: &delivered2, InScope: true},
		},
		events,
		[]ingest.TimeEntry{entry("e1", "2026-07-14", 9, ingest.Billed), entry("e2", "2026-07-15", 1, ingest.WrittenOff),
			entry("e3", "2026-04-14", 16, ingest.Billed), entry("e4", "2026-04-15", 4, ingest.WrittenOff)},
	} {
		if _, err := w.Write(t.Context(), "test", recs); err != nil {
			t.Fatal(err)
		}
	}
}

// loopCell finds the loop table's row name with its two quarters' values.
func loopCell(body, name string) string {
	m := regexp.MustCompile(`<tr><td>` + regexp.QuoteMeta(name) + `</td><td class="n">([^<]*)</td><td class="n">([^<]*)</td></tr>`).FindStringSubmatch(body)
	if m == nil {
		return "(no row)"
	}
	return m[1] + " | " + m[2]
}

// TestRetroPage: ops records Q3 2026's retro (held 30 Sep) and edits a text
// (two versions, the earlier one under "Earlier versions"); a held-on day
// in the future (today is 5 Oct) or before the quarter is refused with 422,
// the page shown again with the values typed and a message naming field
// and value; an action added to the retro shows with its owner's name and
// closes; a viewer reads it all but cannot post; the quarter's loop
// numbers stand beside Q2's (writeRetroLoop's arithmetic).
func TestRetroPage(t *testing.T) {
	const orgID = "dash-retro"
	writeRetroLoop(t, orgID)
	srv := retroServer(t, orgID, time.Date(2026, 10, 5, 12, 0, 0, 0, time.UTC))
	ops := newSTClient(t, srv.URL, auth.RoleOps)
	form := func(kv ...string) url.Values {
		f := url.Values{"_csrf": {ops.csrf}}
		for i := 0; i+1 < len(kv); i += 2 {
			f.Set(kv[i], kv[i+1])
		}
		return f
	}

	if code, body := ops.do(http.MethodGet, "/retros", nil); code != http.StatusOK || strings.Contains(body, "No retro recorded yet") ||
		!strings.Contains(body, "<td>held 20 Mar 2026 (a task tool&#39;s event)</td>") ||
		!strings.Contains(body, `<a href="/retros/2026-Q4">2026-Q4</a> (this quarter)`) || !strings.Contains(body, "2025-Q4") {
		t.Fatalf("/retros before any retro: %d\n%s", code, body)
	}
	if code, body := ops.do(http.MethodGet, "/retros?quarter=2026-q3", nil); code != http.StatusSeeOther {
		t.Errorf("/retros?quarter=2026-q3: %d %s, want a redirect to /retros/2026-Q3", code, body)
	}
	// Q3 leads on to Q4 (this quarter); Q4 to nothing, Q1 2027 not having begun
	if _, body := ops.do(http.MethodGet, "/retros/2026-Q4", nil); strings.Contains(body, `href="/retros/2027-Q1"`) {
		t.Error("this quarter's retro links to the next quarter, which has not begun")
	}
	if _, body := ops.do(http.MethodGet, "/retros/2026-Q3", nil); !strings.Contains(body, `<a href="/retros/2026-Q4">2026-Q4 ›</a>`) {
		t.Error("2026-Q3's retro does not lead on to 2026-Q4")
	}
	if code, body := ops.do(http.MethodPost, "/retros/2026-Q3", form("held_on", "2026-09-30", "worked", "Briefs came before production",
		"broke", "QA skipped on the spring campaign")); code != http.StatusSeeOther {
		t.Fatalf("save: %d %s", code, body)
	}
	if code, body := ops.do(http.MethodPost, "/retros/2026-Q3", form("held_on", "2026-09-30", "worked", "Briefs came before production, every time",
		"broke", "QA skipped on the spring campaign")); code != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", code, body)
	}
	_, page := ops.do(http.MethodGet, "/retros/2026-Q3", nil)
	for _, want := range []string{"The retro: held 30 Sep 2026, recorded by ops@example.com", ">Briefs came before production, every time</textarea>",
		"Edited 2 times, last by ops@example.com on 5 Oct 2026 12:00.", "Earlier versions (1)", `<div class="prose">Briefs came before production</div>`,
		"Edited 1 time, last by ops@example.com", "What slowed the loop", "Not written yet."} {
		if !strings.Contains(page, want) {
			t.Errorf("the Q3 page lacks %q", want)
		}
	}
	notes, err := metrics.LoadNotes(t.Context(), chdbtest.Shared(t), orgID, "", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || notes.Edits(metrics.NoteWorked) != 2 || notes.Edits(metrics.NoteBroke) != 1 || notes.Edits(metrics.NoteSlowed) != 0 {
		t.Errorf("stored versions: worked %d, broke %d, slowed %d (%v); want 2, 1, 0", notes.Edits(metrics.NoteWorked),
			notes.Edits(metrics.NoteBroke), notes.Edits(metrics.NoteSlowed), err)
	}

	for _, tc := range []struct{ held, says string }{
		{"2026-10-06", "held_on 2026-10-06: in the future"},
		{"2026-06-30", "held_on 2026-06-30: before the quarter 2026-Q3 began"},
		{"30/09/2026", `held_on &#34;30/09/2026&#34;: want a date as YYYY-MM-DD`},
	} {
		code, body := ops.do(http.MethodPost, "/retros/2026-Q3", form("held_on", tc.held, "worked", "typed but refused", "slowed", "Reviews sat"))
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, tc.says) || !strings.Contains(body, `value="`+tc.held+`"`) ||
			!strings.Contains(body, ">typed but refused</textarea>") || !strings.Contains(body, `aria-invalid="true" aria-describedby="r-held-err"`) {
			t.Errorf("held_on %s: %d, want 422 saying %q with the values typed\n%s", tc.held, code, tc.says, body)
		}
	}
	if n, _ := metrics.LoadNotes(t.Context(), chdbtest.Shared(t), orgID, "", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)); n.Text(metrics.NoteSlowed) != "" ||
		n.Text(metrics.NoteWorked) != "Briefs came before production, every time" {
		t.Errorf("a refused form wrote its texts: %+v", n.Latest)
	}

	// an action: refused without an owner, then added and closed
	if code, body := ops.do(http.MethodPost, "/retros/2026-Q3/actions", form("kind", "action", "title", "Internal review before every client review",
		"owner", "", "due", "2026-10-31")); code != http.StatusUnprocessableEntity || !strings.Contains(body, "owner: empty") ||
		!strings.Contains(body, `value="Internal review before every client review"`) {
		t.Errorf("action without owner: %d\n%s", code, body)
	}
	if code, body := ops.do(http.MethodPost, "/retros/2026-Q3/actions", form("kind", "action", "title", "Internal review before every client review",
		"owner", "p1", "due", "2026-10-31")); code != http.StatusSeeOther {
		t.Fatalf("add action: %d %s", code, body)
	}
	_, page = ops.do(http.MethodGet, "/retros/2026-Q3", nil)
	m := regexp.MustCompile(`action="/retros/2026-Q3/actions/(ac_[0-9a-f]{12})"`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "Ada Lovelace <span class=\"muted\">(p1)</span>") || !strings.Contains(page, "1 open, 0 closed") {
		t.Fatalf("the action is not listed with its owner\n%s", page)
	}
	if code, body := ops.do(http.MethodPost, "/retros/2026-Q2/actions/"+m[1], form("status", "closed")); code != http.StatusNotFound {
		t.Errorf("closing Q3's action on Q2's page: %d %s, want 404", code, body)
	}
	if code, body := ops.do(http.MethodPost, "/retros/2026-Q3/actions/"+m[1], form("status", "closed")); code != http.StatusSeeOther {
		t.Fatalf("close: %d %s", code, body)
	}
	_, page = ops.do(http.MethodGet, "/retros/2026-Q3", nil)
	if !strings.Contains(page, "0 open, 1 closed") || !strings.Contains(page, "closed 5 Oct 2026 12:00 by ops@example.com") || !strings.Contains(page, ">Reopen</button>") {
		t.Errorf("after closing:\n%s", page)
	}

	// a viewer reads, cannot write
	viewer := newSTClient(t, srv.URL, auth.RoleViewer)
	code, vpage := viewer.do(http.MethodGet, "/retros/2026-Q3", nil)
	if code != http.StatusOK || strings.Contains(vpage, `<form class="retro-form"`) || !strings.Contains(vpage, "your role reads them") ||
		!strings.Contains(vpage, `<div class="prose">Briefs came before production, every time</div>`) {
		t.Errorf("viewer's page: %d\n%s", code, vpage)
	}
	for _, path := range []string{"/retros/2026-Q3", "/retros/2026-Q3/actions", "/retros/2026-Q3/actions/" + m[1]} {
		if code, _ := viewer.do(http.MethodPost, path, url.Values{"_csrf": {viewer.csrf}, "held_on": {"2026-09-29"}, "worked": {"viewer"},
			"title": {"x"}, "owner": {"p1"}, "due": {"2026-10-31"}, "status": {"open"}}); code != http.StatusForbidden {
			t.Errorf("viewer POST %s: %d, want 403", path, code)
		}
	}
	if n, _ := metrics.LoadNotes(t.Context(), chdbtest.Shared(t), orgID, "", time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)); n.Edits(metrics.NoteWorked) != 2 {
		t.Errorf("a viewer's post wrote: %d versions of worked", n.Edits(metrics.NoteWorked))
	}

	// The loop numbers, Q3 | Q2 (writeRetroLoop). The viewer sees the
	// write-off rate in hours; a partner in value (at one rate, the same).
	for name, want := range map[string]string{
		"intake": "4.0 h | 2.0 h", "production": "24.0 h | 48.0 h", "internal review": "2.0 h | –",
		"client review": "21.0 h | 22.0 h", "client review → delivered": "3.0 h | 2.0 h", "QA coverage": "100.0% | 0.0%", "On-time rate": "100.0% | 0.0%",
		"Write-off rate (hours)": "10.0% | 20.0%",
	} {
		if got := loopCell(vpage, name); got != want {
			t.Errorf("loop %s = %s, want %s", name, got, want)
		}
	}
	_, ppage := newSTClient(t, srv.URL, auth.RolePartner).do(http.MethodGet, "/retros/2026-Q3", nil)
	if got := loopCell(ppage, "Write-off rate"); got != "10.0% | 20.0%" {
		t.Errorf("partner's write-off rate = %s", got)
	}
	if got := loopCell(vpage, "reported"); got != "(no row)" {
		t.Errorf("a phase nobody left in either quarter has a row: %s", got)
	}

	_, q1 := ops.do(http.MethodGet, "/retros/2026-Q1", nil)
	if !strings.Contains(q1, "The retro: held 20 Mar 2026 (a task tool&#39;s event), not recorded here yet") ||
		!strings.Contains(q1, "A task tool sent 1 retro-held event dated in this quarter, the last on 20 Mar 2026") {
		t.Errorf("Q1's page does not show the tool's retro-held event:\n%s", q1)
	}

	_, list := ops.do(http.MethodGet, "/retros", nil)
	if !strings.Contains(list, `<a href="/retros/2026-Q3">2026-Q3</a></td><td>1 Jul – 30 Sep 2026</td>
<td>held 30 Sep 2026</td><td class="n">0</td><td class="n">1</td>`) || strings.Contains(list, "No retro recorded yet") {
		t.Errorf("/retros after the Q3 retro:\n%s", list)
	}
	// the trend chart's table: on time, QA coverage, write-off hours per
	// quarter, from the same events and entries as the Q3 page's numbers
	for _, want := range []string{
		`<td>2026-Q2</td><td>not held</td><td class="n">0.0%</td><td class="n">0.0%</td><td class="n">20.0%</td>`,
		`<td>2026-Q3</td><td>held 30 Sep 2026</td><td class="n">100.0%</td><td class="n">100.0%</td><td class="n">10.0%</td>`,
		`<td>2026-Q4</td><td>not held</td><td class="n">–</td><td class="n">–</td><td class="n">–</td>`,
	} {
		if !strings.Contains(list, want) {
			t.Errorf("/retros's trend table lacks %s", want)
		}
	}
}
