package dashboards

import (
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
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

// reportEditServer serves orgID's pages, reports writable (Reports set unless
// readOnly), to the role a request names in X-Role, with CSRF; its clock
// starts at start and moves a minute at every reading, so each save has a
// time of its own. The org is in New York with a client, two people.
func reportEditServer(t *testing.T, orgID string, start time.Time, readOnly bool) *httptest.Server {
	t.Helper()
	s := chdbtest.Shared(t)
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: orgID, Source: "api", ExternalID: id} }
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, recs := range []any{
		[]org.Settings{{ID: orgID, Name: "Report Studio", TimeZone: "America/New_York", Currency: "USD"}},
		[]ingest.Person{{Meta: meta("p-1"), ValidFrom: from, Name: "Ana Silva", WeeklyCapacityHours: decimal.NewFromInt(40)},
			{Meta: meta("p-2"), ValidFrom: from, Name: "Bo Chen", WeeklyCapacityHours: decimal.NewFromInt(40)}},
		[]ingest.Client{{Meta: meta("c-1"), Name: "Nordlicht GmbH"}},
	} {
		if _, err := w.Write(t.Context(), "test", recs); err != nil {
			t.Fatal(err)
		}
	}
	facts, err := metrics.NewFacts(metrics.FactsConfig{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	cache, err := org.NewCache(org.Config{Store: s})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	now := start
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Minute)
		return now
	}
	asRole := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			role := c.Request().Header.Get("X-Role")
			auth.WithPrincipal(c, auth.User{Org: orgID, ID: "u-" + role, Email: role + "@example.com", Role: role}.Principal())
			return next(c)
		}
	}
	cfg := Config{Store: s, Facts: facts, Logger: slog.New(slog.DiscardHandler), Settings: cache, Now: clock,
		Org: func(echo.Context) (string, bool) { return orgID, true }}
	if !readOnly {
		cfg.Reports = s
	}
	e := echo.New()
	if err := Register(e.Group(""), cfg, auth.CSRF(false), asRole); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

// post sends the form kv (with the client's CSRF token) to path and
// returns the status and the body.
func (s *stClient) post(path string, kv ...string) (int, string) {
	s.t.Helper()
	code, body, _ := s.postLoc(path, kv...)
	return code, body
}

// postLoc is post that returns the redirect's Location too.
func (s *stClient) postLoc(path string, kv ...string) (code int, body, loc string) {
	s.t.Helper()
	f := url.Values{"_csrf": {s.csrf}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	req, _ := http.NewRequest("POST", s.base+path, strings.NewReader(f.Encode()))
	req.Header.Set("X-Role", s.role)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}

const reportPage = "/clients/c-1/report?month=2026-11&back=%2Fdelivery"

// TestReportCommentary: the commentary saved twice keeps both versions
// with their authors and times in the org's zone; the text is shown as
// typed, escaped, line breaks kept; the internal note is marked and never
// in the client's view, which has no form, history or button.
func TestReportCommentary(t *testing.T) {
	// 3 Dec 2026 15:00 UTC is 10:00 in New York (EST, UTC-5); each clock
	// reading adds a minute.
	srv := reportEditServer(t, "rp-commentary", time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC), false)
	admin, ops := newSTClient(t, srv.URL, auth.RoleAdmin), newSTClient(t, srv.URL, auth.RoleOps)
	for _, c := range []*stClient{admin, ops} {
		if code, body := c.do("GET", reportPage, nil); code != 200 || !strings.Contains(body, `name="body"`) {
			t.Fatalf("%s: report page %d, want a commentary form\n%s", c.role, code, body)
		}
	}
	code, _, loc := admin.postLoc("/clients/c-1/report/notes?month=2026-11&back=%2Fdelivery", "month", "2026-11", "field", "commentary",
		"body", "Hours ran 12 over.\r\nNext month: <b>fewer</b> revisions.")
	// back to the same report, its back link kept, the message for the commentary
	if code != 303 || loc != "/clients/c-1/report?back=%2Fdelivery&month=2026-11&edited=commentary&saved=note" {
		t.Fatalf("save: %d to %q, want 303 to the report", code, loc)
	}
	if _, body := admin.do("GET", loc, nil); !strings.Contains(body, `<p class="flash" role="status">Commentary saved.</p>`) {
		t.Errorf("after the save, no message on the report")
	}
	code, body := ops.post("/clients/c-1/report/notes?month=2026-11&back=%2Fdelivery", "month", "2026-11", "field", "commentary",
		"body", "Hours ran 12 over.\nNext month: one revision round.")
	if code != 303 {
		t.Fatalf("second save: %d\n%s", code, body)
	}
	code, _ = admin.post("/clients/c-1/report/notes?month=2026-11", "month", "2026-11", "field", "internal", "body", "Margin is thin; 4180 cost")
	if code != 303 {
		t.Fatalf("internal note: %d", code)
	}

	code, body = admin.do("GET", reportPage+"&saved=note&edited=commentary", nil)
	if code != 200 {
		t.Fatalf("report: %d", code)
	}
	for _, want := range []string{
		"Hours ran 12 over.\nNext month: one revision round.</textarea>", // the text in force, in its form
		// two versions: edited once, by ops at the second save's time
		"Edited 1 time, last by ops@example.com at 3 Dec 2026 10:",
		"Earlier versions (1)",
		"admin@example.com, 3 Dec 2026 10:",
		"Next month: &lt;b&gt;fewer&lt;/b&gt; revisions.", // escaped, never markup
		"never shown to the client",
		"Written by admin@example.com at 3 Dec 2026 10:", // the internal note, saved once
		"Margin is thin; 4180 cost</textarea>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the internal view lacks %q", want)
		}
	}
	if strings.Contains(body, "<b>fewer</b>") {
		t.Error("the commentary's markup reached the page unescaped")
	}

	// the client's view: the commentary, nothing else of it
	code, body = admin.do("GET", reportPage+"&view=client", nil)
	if code != 200 || !strings.Contains(body, "Hours ran 12 over.\nNext month: one revision round.") {
		t.Fatalf("client view: %d, no commentary\n%s", code, body)
	}
	for _, leak := range []string{"Margin is thin", "4180", "Internal note", "<textarea", "Earlier versions", "ops@example.com", "admin@example.com", "fewer"} {
		if strings.Contains(body, leak) {
			t.Errorf("the client's view shows %q", leak)
		}
	}
}

var closeRE = regexp.MustCompile(`action="(/clients/c-1/report/actions/ac_[0-9a-f]{12}/(close|reopen|remove)\?[^"]*)"`)

// TestReportActions: an action added through the form shows with its
// owner's name and due date in the org's format; it closes and reopens
// through its buttons; refused forms (an unknown owner, an empty title, a
// bad due date) answer 422 with what was typed and the field named; a
// viewer and a sales user read only and cannot post (403), nor can anyone
// without the CSRF token.
func TestReportActions(t *testing.T) {
	srv := reportEditServer(t, "rp-actions", time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC), false)
	partner := newSTClient(t, srv.URL, auth.RolePartner)
	code, body := partner.do("GET", reportPage, nil)
	// the report of November: actions for December, due by default on
	// Tuesday 15 December 2026 (a workday)
	if code != 200 || !strings.Contains(body, `value="2026-12-15"`) || !strings.Contains(body, "No actions or decisions for December 2026 yet.") {
		t.Fatalf("report: %d, want the add form due 2026-12-15 and the empty state\n%s", code, body)
	}
	if !strings.Contains(body, `<option value="p-1">Ana Silva</option>`) {
		t.Errorf("the owner select lacks Ana Silva by name")
	}
	const add = "/clients/c-1/report/actions?month=2026-11&back=%2Fdelivery"
	code, _ = partner.post(add, "month", "2026-11", "kind", "action", "title", "Send  the brief", "owner", "p-1", "due", "2026-12-10")
	if code != 303 {
		t.Fatalf("add: %d, want 303", code)
	}
	code, _ = partner.post(add, "month", "2026-11", "kind", "decision", "title", "Reviews on Tuesdays", "owner", "Bo Chen", "due", "2026-11-20")
	if code != 303 {
		t.Fatalf("add a decision: %d, want 303", code)
	}
	_, body = partner.do("GET", reportPage, nil)
	// today in New York is 3 Dec 2026: the decision due 20 Nov is overdue,
	// the action due 10 Dec is not
	for _, want := range []string{"Send the brief", "Ana Silva", "10 Dec 2026", "Reviews on Tuesdays", "Bo Chen",
		`20 Nov 2026 <strong class="bad">overdue</strong>`} {
		if !strings.Contains(body, want) {
			t.Errorf("after adding, the page lacks %q", want)
		}
	}
	if strings.Count(body, "overdue</strong>") != 1 {
		t.Errorf("%d rows marked overdue, want 1", strings.Count(body, "overdue</strong>"))
	}
	buttons := closeRE.FindAllStringSubmatch(body, -1)
	if len(buttons) != 4 {
		t.Fatalf("%d close/remove buttons, want 4 (close and remove of each)", len(buttons))
	}
	closeURL := html.UnescapeString(buttons[0][1])
	if code, _ := partner.post(closeURL); code != 303 {
		t.Fatalf("close: %d", code)
	}
	_, body = partner.do("GET", reportPage, nil)
	if !strings.Contains(body, "closed 3 Dec 2026 by partner@example.com") || strings.Count(body, "overdue</strong>") != 0 {
		t.Errorf("after closing the overdue decision (first, by due date): no closed status, or still overdue\n%s", body)
	}
	reopen := closeRE.FindAllStringSubmatch(body, -1)
	var reopenURL string
	for _, b := range reopen {
		if b[2] == "reopen" {
			reopenURL = html.UnescapeString(b[1])
		}
	}
	if reopenURL == "" {
		t.Fatal("no reopen button on the closed action")
	}
	if code, _ := partner.post(reopenURL); code != 303 {
		t.Fatalf("reopen: %d", code)
	}
	_, body = partner.do("GET", reportPage, nil)
	if strings.Contains(body, "closed 3 Dec") || strings.Count(body, "overdue</strong>") != 1 {
		t.Errorf("after reopening: still closed, or not overdue again")
	}

	for _, tc := range []struct {
		name     string
		kv       []string
		want     []string // in the 422 page, HTML-escaped as the page has it
		badField string
	}{
		{"unknown owner", []string{"kind", "action", "title", "Call the CFO", "owner", "p-404", "due", "2026-12-11"},
			[]string{`owner: person &#34;p-404&#34; not found`, `value="Call the CFO"`, `value="2026-12-11"`, `<option value="p-404" selected>`}, "action-owner"},
		{"empty title", []string{"kind", "decision", "title", "  ", "owner", "p-2", "due", "2026-12-11"},
			[]string{"title: empty", `<option value="p-2" selected>Bo Chen</option>`, `<option value="decision" selected>`}, "action-title"},
		{"bad due date", []string{"kind", "action", "title", "Call the CFO", "owner", "p-1", "due", "31/12/2026"},
			[]string{`due &#34;31/12/2026&#34;: not a date as YYYY-MM-DD`, `value="31/12/2026"`, `value="Call the CFO"`}, "action-due"},
	} {
		code, body := partner.post(add, append([]string{"month", "2026-11"}, tc.kv...)...)
		if code != 422 {
			t.Errorf("%s: %d, want 422", tc.name, code)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: the page lacks %s", tc.name, w)
			}
		}
		if !regexp.MustCompile(`id="` + tc.badField + `"[^>]*aria-invalid="true"`).MatchString(body) {
			t.Errorf("%s: %s not marked invalid", tc.name, tc.badField)
		}
		if !strings.Contains(body, "Send the brief") {
			t.Errorf("%s: the 422 page is not the report with its actions", tc.name)
		}
	}
	if code, _ := partner.post("/clients/c-1/report/actions/ac_000000000000/close?month=2026-11"); code != 404 {
		t.Errorf("close an unknown action: %d, want 404", code)
	}

	for _, role := range []string{auth.RoleViewer, auth.RoleSales} {
		c := newSTClient(t, srv.URL, role)
		code, body := c.do("GET", reportPage, nil)
		if code != 200 || strings.Contains(body, "<textarea") || strings.Contains(body, `name="title"`) || strings.Contains(body, ">Close</button>") ||
			!strings.Contains(body, "admins, partners and ops leads write the commentary and actions") || !strings.Contains(body, "Send the brief") {
			t.Errorf("%s: %d, want the report read-only, saying who writes it", role, code)
		}
		if code, _ := c.post(add, "month", "2026-11", "kind", "action", "title", "x", "owner", "p-1", "due", "2026-12-11"); code != 403 {
			t.Errorf("%s adds an action: %d, want 403", role, code)
		}
		if code, _ := c.post("/clients/c-1/report/notes?month=2026-11", "month", "2026-11", "field", "commentary", "body", "x"); code != 403 {
			t.Errorf("%s saves commentary: %d, want 403", role, code)
		}
	}
	// without the CSRF token (400), or with another one (403): refused
	if code, _ := partner.do("POST", add, url.Values{"month": {"2026-11"}, "title": {"x"}, "owner": {"p-1"}, "due": {"2026-12-11"}}); code != 400 {
		t.Errorf("a post without the CSRF token: %d, want 400", code)
	}
	if code, _ := partner.do("POST", add, url.Values{"_csrf": {"forged"}, "month": {"2026-11"}, "title": {"x"}, "owner": {"p-1"}, "due": {"2026-12-11"}}); code != 403 {
		t.Errorf("a post with a forged CSRF token: %d, want 403", code)
	}
	_, body = partner.do("GET", reportPage, nil)
	// the actions' rows only (the report's own tables have rows of class sub)
	if n := len(regexp.MustCompile(`<tr class="(open|closed)`).FindAllString(body, -1)); n != 2 {
		t.Errorf("refused posts added actions: %d rows, want 2", n)
	}

	// the client's view: the actions with owner and due, no buttons, no overdue mark
	_, body = partner.do("GET", reportPage+"&view=client", nil)
	if !strings.Contains(body, "Send the brief") || !strings.Contains(body, "Ana Silva") || strings.Contains(body, ">Close</button>") || strings.Contains(body, ">Remove</button>") ||
		strings.Contains(body, "overdue</strong>") || strings.Contains(body, "partner@example.com") {
		t.Errorf("client view of the actions: want them with owners, no buttons, marks or authors\n%s", body)
	}
}

// TestReportReadOnlyServer: without Config.Reports the report is read-only
// and says so, and a post is refused (403) even for an admin.
func TestReportReadOnlyServer(t *testing.T) {
	srv := reportEditServer(t, "rp-readonly", time.Date(2026, 12, 3, 15, 0, 0, 0, time.UTC), true)
	admin := newSTClient(t, srv.URL, auth.RoleAdmin)
	code, body := admin.do("GET", reportPage, nil)
	if code != 200 || strings.Contains(body, "<textarea") || !strings.Contains(body, "not available on this server") {
		t.Fatalf("read-only server: %d, want no form and why\n%s", code, body)
	}
	if code, _ := admin.post("/clients/c-1/report/notes?month=2026-11", "month", "2026-11", "field", "commentary", "body", "x"); code != 403 {
		t.Errorf("save on a read-only server: %d, want 403", code)
	}
}

func TestDefaultDue(t *testing.T) {
	const monToFri = 0b0011111
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	for _, tc := range []struct{ month, today, want string }{
		{"2026-11-01", "2026-12-03", "2026-12-15"}, // Tuesday the 15th
		{"2026-10-01", "2026-12-03", "2026-12-10"}, // the 15th Nov has passed: a week from today, a Thursday
		{"2026-07-01", "2026-08-01", "2026-08-17"}, // Saturday 15 Aug: on to Monday 17th
	} {
		if got := defaultDue(d(tc.month), d(tc.today), monToFri).Format(time.DateOnly); got != tc.want {
			t.Errorf("defaultDue(%s, today %s) = %s, want %s", tc.month, tc.today, got, tc.want)
		}
	}
}
