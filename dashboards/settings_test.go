package dashboards

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
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

// fakeOrgs is an OrgWriter that keeps the patches it was given and
// applies them to New's settings, as org.Cache does (the same Apply).
type fakeOrgs struct {
	mu      sync.Mutex
	who     []string
	patches []org.Patch
}

func (f *fakeOrgs) UpdateBy(_ context.Context, who, id string, p org.Patch) (org.Settings, error) {
	s := org.New(id)
	if err := p.Apply(&s); err != nil {
		return s, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.who, f.patches = append(f.who, who), append(f.patches, p)
	return s, nil
}

// recordsFunc is a RecordWriter that is a function.
type recordsFunc func(ctx context.Context, org, entity string, rows []map[string]any) error

func (f recordsFunc) WriteRecords(ctx context.Context, org, entity string, rows []map[string]any) error {
	return f(ctx, org, entity, rows)
}

// stServer serves the settings sections of orgID to the role a request
// names in X-Role (a signed-in user of that role), with CSRF.
func stServer(t *testing.T, orgID string, orgs OrgWriter, records ...RecordWriter) *httptest.Server {
	t.Helper()
	return stServerAt(t, orgID, nil, orgs, records...)
}

// stServerAt is stServer with the clock now (nil: time.Now).
func stServerAt(t *testing.T, orgID string, now func() time.Time, orgs OrgWriter, records ...RecordWriter) *httptest.Server {
	t.Helper()
	if len(records) == 0 {
		records = []RecordWriter{nil}
	}
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
		Org: func(echo.Context) (string, bool) { return orgID, true }, OrgWriter: orgs, Changes: s, Records: records[0], Now: now},
		auth.CSRF(false), asRole); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv
}

// stClient is one signed-in role's browser: its cookies and the CSRF
// token of the last page.
type stClient struct {
	t          *testing.T
	base, role string
	c          *http.Client
	csrf       string
}

func newSTClient(t *testing.T, base, role string) *stClient {
	jar, _ := cookiejar.New(nil)
	return &stClient{t: t, base: base, role: role, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var stCSRF = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (s *stClient) do(method, path string, form url.Values) (int, string) {
	s.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, s.base+path, body)
	req.Header.Set("X-Role", s.role)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := stCSRF.FindSubmatch(b); m != nil {
		s.csrf = string(m[1])
	}
	return resp.StatusCode, string(b)
}

func stOrgForm(csrf string, kv ...string) url.Values {
	f := url.Values{"_csrf": {csrf}, "name": {"Roles Studio"}, "time_zone": {"UTC"}, "workdays": {"mon", "fri"},
		"business_hours": {"09:00-17:00"}, "grace_days": {"2"}, "stuck_review_hours": {"48"}, "overhead_per_hour": {"9.75"}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// TestSettingsRoles: a viewer sees the settings read-only without the
// overhead (hidden, not disabled), cannot save (403) nor open the Change
// log, and sees no margin value on the Alerts page; ops may save but its
// form carries no overhead even when sent one; a partner's carries it; who
// saved is the user's email. Without the CSRF token a save is 403.
func TestSettingsRoles(t *testing.T) {
	orgs := &fakeOrgs{}
	const orgID = "st-roles"
	srv := stServer(t, orgID, orgs)
	s := chdbtest.Shared(t)
	if _, err := metrics.PutThreshold(t.Context(), s, orgID, metrics.Threshold{ID: "margin-low", KPI: "margin_pct", Comparator: "lt",
		Value: decimal.RequireFromString("0.2")}, time.Now()); err != nil {
		t.Fatal(err)
	}

	viewer := newSTClient(t, srv.URL, auth.RoleViewer)
	code, body := viewer.do("GET", "/settings", nil)
	_, form, _ := strings.Cut(body, `<section class="settings-body">`) // below the top bar and its sign-out button
	if code != 200 || !strings.Contains(form, "<fieldset disabled>") || strings.Contains(body, "overhead") ||
		strings.Contains(form, `type="submit"`) || !strings.Contains(form, "Your role may look but not change these") {
		t.Errorf("a viewer's /settings: %d, want read-only without the overhead\n%s", code, body)
	}
	if code, _ := viewer.do("POST", "/settings", stOrgForm(viewer.csrf)); code != http.StatusForbidden {
		t.Errorf("a viewer saves the org: %d, want 403", code)
	}
	if code, _ := viewer.do("GET", "/settings/audit", nil); code != http.StatusForbidden {
		t.Errorf("a viewer opens the Change log: %d, want 403", code)
	}
	code, body = viewer.do("GET", "/settings/alerts", nil)
	if code != 200 || !strings.Contains(body, "for partners and admins") || strings.Contains(body, `action="/settings/alerts/remove"`) {
		t.Errorf("a viewer's /settings/alerts: %d, want the margin value hidden and no forms\n%s", code, body)
	}
	if code, _ := viewer.do("POST", "/settings/alerts/remove", url.Values{"_csrf": {viewer.csrf}, "id": {"margin-low"}}); code != http.StatusForbidden {
		t.Errorf("a viewer removes a threshold: %d, want 403", code)
	}

	ops := newSTClient(t, srv.URL, auth.RoleOps)
	if code, _ := ops.do("GET", "/settings", nil); code != 200 {
		t.Fatalf("ops' /settings: %d", code)
	}
	if code, _ := ops.do("POST", "/settings", stOrgForm("")); code != http.StatusForbidden {
		t.Errorf("a save without the CSRF token: %d, want 403", code)
	}
	if code, body := ops.do("POST", "/settings", stOrgForm(ops.csrf)); code != http.StatusSeeOther {
		t.Fatalf("ops saves: %d\n%s", code, body)
	}
	partner := newSTClient(t, srv.URL, auth.RolePartner)
	if code, body := partner.do("GET", "/settings", nil); code != 200 || !strings.Contains(body, `name="overhead_per_hour"`) {
		t.Fatalf("a partner's /settings has no overhead: %d", code)
	}
	if code, body := partner.do("POST", "/settings", stOrgForm(partner.csrf)); code != http.StatusSeeOther {
		t.Fatalf("a partner saves: %d\n%s", code, body)
	}
	if code, body := partner.do("GET", "/settings/alerts", nil); code != 200 || strings.Contains(body, "for partners and admins") {
		t.Errorf("a partner's /settings/alerts hides the margin value: %d", code)
	}
	if len(orgs.patches) != 2 {
		t.Fatalf("%d saves reached the writer, want 2 (ops, partner)", len(orgs.patches))
	}
	if orgs.patches[0].OverheadPerHour != nil || orgs.who[0] != "ops@example.com" {
		t.Errorf("ops' save: overhead %v by %s, want none by ops@example.com", orgs.patches[0].OverheadPerHour, orgs.who[0])
	}
	if p := orgs.patches[1]; p.OverheadPerHour == nil || *p.OverheadPerHour != "9.75" || *p.GraceDays != 2 || *p.Workdays != "mon,fri" {
		t.Errorf("the partner's save: %+v", p)
	}
}

// TestSettingsUnavailable: without an OrgWriter the section says changing
// is not available, and a save is 403.
func TestSettingsUnavailable(t *testing.T) {
	srv := stServer(t, "st-unavailable", nil)
	admin := newSTClient(t, srv.URL, auth.RoleAdmin)
	if code, body := admin.do("GET", "/settings", nil); code != 200 || !strings.Contains(body, "not available on this server") {
		t.Errorf("/settings without a writer: %d\n%s", code, body)
	}
	if code, _ := admin.do("POST", "/settings", stOrgForm(admin.csrf)); code != http.StatusForbidden {
		t.Errorf("a save without a writer: %d, want 403", code)
	}
}

// TestSettingsFlash: ?saved= shows one of the fixed messages, never the
// address's text.
func TestSettingsFlash(t *testing.T) {
	srv := stServer(t, "st-flash", &fakeOrgs{})
	c := newSTClient(t, srv.URL, auth.RoleAdmin)
	for q, want := range map[string]string{"1": "Saved.", "removed": "Removed.", "<b>you+were+hacked</b>": ""} {
		_, body := c.do("GET", "/settings?saved="+url.QueryEscape(q), nil)
		got := ""
		if m := regexp.MustCompile(`<p class="flash" role="status">([^<]*)</p>`).FindStringSubmatch(body); m != nil {
			got = m[1]
		}
		if got != want || strings.Contains(body, "hacked") {
			t.Errorf("?saved=%s: flash %q, want %q", q, got, want)
		}
	}
}

// TestDiff: a change lists the fields that differ, by name; a created or
// removed thing every field; hidden fields never.
func TestDiff(t *testing.T) {
	for _, c := range []struct {
		before, after string
		hide          []string
		want          []fieldChange
	}{
		{`{"grace_days":0,"name":"A","overhead_per_hour":"0"}`, `{"grace_days":3,"name":"A","overhead_per_hour":"12"}`, nil,
			[]fieldChange{{"grace_days", "0", "3"}, {"overhead_per_hour", "0", "12"}}},
		{`{"grace_days":0,"overhead_per_hour":"0"}`, `{"grace_days":3,"overhead_per_hour":"12"}`, moneyFields,
			[]fieldChange{{"grace_days", "0", "3"}}},
		{"", `{"kpi":"write_off_rate","value":"8%"}`, nil, []fieldChange{{"kpi", "", "write_off_rate"}, {"value", "", "8%"}}},
		{`{"value":"36h"}`, "", nil, []fieldChange{{"value", "36h", ""}}},
		{`"plain"`, `"other"`, nil, []fieldChange{{"value", `"plain"`, `"other"`}}},
	} {
		got := diff(c.before, c.after, c.hide)
		if len(got) != len(c.want) {
			t.Errorf("diff(%s, %s) = %v, want %v", c.before, c.after, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("diff(%s, %s)[%d] = %v, want %v", c.before, c.after, i, got[i], c.want[i])
			}
		}
	}
}

// TestShowValue: thresholds and KPI values as the pages show them.
func TestShowValue(t *testing.T) {
	for _, c := range []struct {
		unit, v, want string
	}{{"ratio", "0.08", "8 %"}, {"ratio", "0.12345", "12.3 %"}, {"hours", "36", "36 h"}, {"hours", "1.25", "1.3 h"}, {"count", "3", "3"}} {
		if got := showValue(c.unit, decimal.RequireFromString(c.v)); got != c.want {
			t.Errorf("showValue(%s, %s) = %q, want %q", c.unit, c.v, got, c.want)
		}
	}
}

// TestSettingsMoneyHidden: ops (settings, no money) sees people and
// projects without a rate, fee or budget amount, neither in the tables nor
// in the forms; a partner sees them.
func TestSettingsMoneyHidden(t *testing.T) {
	const orgID = "st-money"
	s := chdbtest.Shared(t)
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	rate, fee := decimal.RequireFromString("123.45"), decimal.RequireFromString("9876.5")
	from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, recs := range []any{
		[]ingest.Person{{Meta: ingest.Meta{Org: orgID, Source: "api", ExternalID: "p-1"}, ValidFrom: from, Name: "Ana Silva",
			WeeklyCapacityHours: decimal.NewFromInt(40), CostRate: &rate, BillRate: &rate}},
		[]ingest.Client{{Meta: ingest.Meta{Org: orgID, Source: "api", ExternalID: "c-1"}, Name: "Nordlicht GmbH"}},
		[]ingest.Project{{Meta: ingest.Meta{Org: orgID, Source: "api", ExternalID: "pr-1"}, Name: "Retainer", ClientID: "c-1",
			Kind: "retainer", BillRate: &rate, BudgetAmount: &fee, RetainerFeeMonthly: &fee}},
	} {
		if _, err := w.Write(t.Context(), "st-money", recs); err != nil {
			t.Fatal(err)
		}
	}
	srv := stServer(t, orgID, &fakeOrgs{}, recordsFunc(func(context.Context, string, string, []map[string]any) error { return nil }))
	people := []string{"123.45", `name="cost_rate"`, `name="bill_rate"`}
	clients := []string{"123.45", "9876.5", `name="bill_rate"`, `name="retainer_fee_monthly"`, `name="budget_amount"`}
	for role, shown := range map[string]bool{auth.RoleOps: false, auth.RolePartner: true} {
		c := newSTClient(t, srv.URL, role)
		for path, money := range map[string][]string{"/settings/people": people, "/settings/people?edit=p-1": people,
			"/settings/clients": clients, "/settings/clients?project=pr-1": clients} {
			code, body := c.do("GET", path, nil)
			if code != 200 || !strings.Contains(body, "Ana Silva") && !strings.Contains(body, "Nordlicht GmbH") {
				t.Fatalf("%s %s: %d\n%s", role, path, code, body)
			}
			for _, m := range money {
				if strings.Contains(body, m) != shown {
					t.Errorf("%s %s: shows %s = %v, want %v", role, path, m, !shown, shown)
				}
			}
		}
	}
}
