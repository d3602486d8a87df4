package dashboards

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
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

// The report page over a small scenario of its own, org "report-page"
// (UTC, EUR), with distinctive money so the client view can be searched
// for it: client c-page "Pelican Press", a time-and-materials project
// tm-page (bill rate 123.45, budget 40 h and 5,000), person p-page (cost
// rate 37.25). November 2026: Nov 10 10 h billable, Nov 11 2 h not
// billable; a write_off adjustment of 1 h (goodwill) on Nov 10; one
// deliverable "Autumn catalogue" due Nov 20, delivered Nov 19. The
// internal note of November reads "Pelican margin is thin".
//
// As the page formats them (a partner's internal view):
//
//	revenue      10 × 123.45 − 1 × 123.45 (written off)  = 1,111.05
//	labour cost  12 × 37.25                             = 447.00
//	margin       1,111.05 − 447.00                       = 664.05
//	margin %     664.05 ÷ 1,111.05 = 0.59768             = 59.8%
//	eff. rate    1,111.05 ÷ 12 = 92.5875                 = 92.59
//	write-off    1 h × 123.45                            = 123.45
//	used value   10 × 123.45 (the money budget's use)     = 1,234.50
const reportPageOrg = "report-page"

var (
	reportPageOnce sync.Once
	reportPageErr  error
	reportNow      = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
)

func reportServer(t *testing.T) *echo.Echo {
	t.Helper()
	s := chdbtest.Shared(t)
	drillServer(t) // the shared facts (drillFacts), which TestMain waits for
	reportPageOnce.Do(func() {
		var w *ingest.Writer
		if w, reportPageErr = ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: slog.New(slog.DiscardHandler), Changed: drillFacts.Changed}); reportPageErr != nil {
			return
		}
		meta := func(id string) ingest.Meta { return ingest.Meta{Org: reportPageOrg, Source: "api", ExternalID: id} }
		day := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
		pday := func(s string) *time.Time { v := day(s); return &v }
		dec := func(s string) *decimal.Decimal { v := decimal.RequireFromString(s); return &v }
		delivered := time.Date(2026, 11, 19, 15, 0, 0, 0, time.UTC)
		for _, recs := range []any{
			[]org.Settings{{ID: reportPageOrg, Name: "Kestrel Studio", TimeZone: "UTC", Currency: "EUR"}},
			[]ingest.Person{{Meta: meta("p-page"), ValidFrom: day("2025-01-01"), Name: "Rui Costa", Role: "designer",
				WeeklyCapacityHours: decimal.RequireFromString("40"), CostRate: dec("37.25")}},
			[]ingest.Client{{Meta: meta("c-page"), Name: "Pelican Press"}},
			[]ingest.Project{{Meta: meta("tm-page"), Name: "Pelican catalogue", ClientID: "c-page", Kind: ingest.KindTM, BillableDefault: true,
				BillRate: dec("123.45"), BudgetHours: dec("40"), BudgetAmount: dec("5000"), StartDate: pday("2026-10-01")}},
			[]ingest.TimeEntry{
				{Meta: meta("te-1"), PersonID: "p-page", Date: day("2026-11-10"), Hours: decimal.RequireFromString("10"), ProjectID: "tm-page", Billable: true},
				{Meta: meta("te-2"), PersonID: "p-page", Date: day("2026-11-11"), Hours: decimal.RequireFromString("2"), ProjectID: "tm-page", Billable: false},
			},
			[]ingest.Adjustment{{Meta: meta("adj-1"), Kind: "write_off", ClientID: "c-page", ProjectID: "tm-page", Date: day("2026-11-10"),
				Hours: dec("1"), Reason: "goodwill"}},
			[]ingest.Deliverable{{Meta: meta("dl-1"), Name: "Autumn catalogue", ClientID: "c-page", ProjectID: "tm-page",
				DueDate: pday("2026-11-20"), DeliveredAt: &delivered, InScope: true}},
		} {
			if _, reportPageErr = w.Write(t.Context(), "report-test", recs); reportPageErr != nil {
				return
			}
		}
		_, reportPageErr = metrics.SaveNote(t.Context(), s, reportPageOrg, metrics.Note{Client: "c-page", Period: day("2026-11-01"),
			Field: metrics.NoteInternal, Body: "Pelican margin is thin; watch the senior hours", Author: "ann@kestrel.example"}, reportNow)
	})
	if reportPageErr != nil {
		t.Fatal(reportPageErr)
	}
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		t.Logf("%s %s: %v", c.Request().Method, c.Request().URL, err)
		e.DefaultHTTPErrorHandler(err, c)
	}
	role := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if r := c.Request().Header.Get("X-Test-Role"); r != "" {
				auth.WithPrincipal(c, auth.Principal{Org: reportPageOrg, UserID: "u-" + r, Email: r + "@kestrel.example", Role: r})
			}
			return next(c)
		}
	}
	if err := Register(e.Group(""), Config{Store: s, Facts: drillFacts, Logger: slog.New(slog.DiscardHandler), Reports: s,
		Org: func(echo.Context) (string, bool) { return reportPageOrg, true }, Now: func() time.Time { return reportNow }}, role); err != nil {
		t.Fatal(err)
	}
	return e
}

// reportPageMoney are the internal view's money as the page writes them.
var reportPageMoney = map[string]string{"revenue": "1,111.05", "labour cost": "447.00", "margin": "664.05", "margin %": "59.8%",
	"write-off value": "123.45", "used value": "1,234.50", "internal note": "Pelican margin is thin"}

func TestReportViews(t *testing.T) {
	e := reportServer(t)
	// The default month is the last complete one: November at 7 December.
	in := drillGet(t, e, auth.RolePartner, "/clients/c-page/report")
	if in.Code != http.StatusOK {
		t.Fatalf("internal view: %d %s", in.Code, in.Body.String())
	}
	body := in.Body.String()
	for _, want := range []string{"Pelican Press: monthly report, November 2026", "Kestrel Studio", "Compared with October 2026",
		"Budget burn", "Deliverables", "Approvals", "Write-offs", "Autumn catalogue", "19 Nov 2026", "20 Nov 2026", "amounts in EUR"} {
		if !strings.Contains(body, want) {
			t.Errorf("internal view lacks %q", want)
		}
	}
	for what, v := range reportPageMoney {
		if !strings.Contains(body, v) {
			t.Errorf("a partner's internal view lacks the %s %s", what, v)
		}
	}
	// On-time: 1 ÷ 1 = 100.0%; hours used 12.00 of 40.00, 28.00 remaining.
	for _, want := range []string{"100.0%", "12.00", "28.00", "40.00"} {
		if !strings.Contains(body, want) {
			t.Errorf("internal view lacks %q", want)
		}
	}

	cv := drillGet(t, e, auth.RolePartner, "/clients/c-page/report?month=2026-11&view=client")
	if cv.Code != http.StatusOK {
		t.Fatalf("client view: %d %s", cv.Code, cv.Body.String())
	}
	cbody := cv.Body.String()
	for what, v := range reportPageMoney {
		if strings.Contains(cbody, v) {
			t.Errorf("the client view holds the %s %s", what, v)
		}
	}
	// Nor the rates themselves, nor the words of money.
	for _, v := range []string{"37.25", "123.45", "Labour cost", "Margin (", "Margin %", "Revenue", "Effective rate", "internal view", "5,000.00"} {
		if strings.Contains(cbody, v) {
			t.Errorf("the client view holds %q", v)
		}
	}
	for _, want := range []string{"Pelican Press: monthly report, November 2026", "Autumn catalogue", "12.00"} {
		if !strings.Contains(cbody, want) {
			t.Errorf("client view lacks %q", want)
		}
	}

	// An ops lead's internal view has the numbers and the internal note, but no money.
	ops := drillGet(t, e, auth.RoleOps, "/clients/c-page/report?month=2026-11").Body.String()
	if !strings.Contains(ops, "Pelican margin is thin") || strings.Contains(ops, "447.00") || strings.Contains(ops, "664.05") {
		t.Errorf("ops view: note shown %v, labour cost shown %v", strings.Contains(ops, "Pelican margin is thin"), strings.Contains(ops, "447.00"))
	}
}

func TestReportErrors(t *testing.T) {
	e := reportServer(t)
	if rec := drillGet(t, e, auth.RolePartner, "/clients/no-such-client/report"); rec.Code != http.StatusNotFound || !strings.Contains(rec.Body.String(), "no-such-client") {
		t.Errorf("unknown client: %d %s", rec.Code, rec.Body.String())
	}
	if rec := drillGet(t, e, auth.RolePartner, "/clients/c-page/report?month=2026-13"); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "2026-13") {
		t.Errorf("bad month: %d %s", rec.Code, rec.Body.String())
	}
	if rec := drillGet(t, e, auth.RolePartner, "/clients/c-page/report?month=2027-02"); rec.Code != http.StatusBadRequest || !strings.Contains(rec.Body.String(), "2027-02") {
		t.Errorf("a month not begun: %d %s", rec.Code, rec.Body.String())
	}
}

func TestReportSettingsForm(t *testing.T) {
	e := reportServer(t)
	post := func(role string, form url.Values) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodPost, "/clients/c-page/report/settings?month=2026-11", strings.NewReader(form.Encode()))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
		req.Header.Set("X-Test-Role", role)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		return rec
	}
	// Only who may change settings sees and sends the form.
	if body := drillGet(t, e, auth.RoleViewer, "/clients/c-page/report?month=2026-11").Body.String(); strings.Contains(body, "report/settings") {
		t.Error("a viewer sees the contract form")
	}
	if rec := post(auth.RoleViewer, url.Values{"kpi_deliverables": {"1"}}); rec.Code != http.StatusForbidden {
		t.Errorf("a viewer posting the contract: %d %s", rec.Code, rec.Body.String())
	}
	// A refused target: 422, the value typed shown again, the field and value named.
	rec := post(auth.RoleAdmin, url.Values{"kpi_deliverables": {"1"}, "target_deliverables": {"1.5"}, "recipients": {"pm@pelican.example"}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "target of deliverables 1.5") ||
		!strings.Contains(rec.Body.String(), `value="1.5"`) || !strings.Contains(rec.Body.String(), "pm@pelican.example") {
		t.Errorf("bad target: %d %s", rec.Code, rec.Body.String())
	}
	rec = post(auth.RoleAdmin, url.Values{"kpi_deliverables": {"1"}, "recipients": {"not an address"}})
	if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "not an address") {
		t.Errorf("bad recipient: %d", rec.Code)
	}
	// Saved: deliverables with a target of 0.95 and approvals; the report then carries those two only.
	rec = post(auth.RoleAdmin, url.Values{"kpi_deliverables": {"1"}, "target_deliverables": {"0.95"}, "kpi_approvals": {"1"},
		"recipients": {"pm@pelican.example"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/clients/c-page/report?month=2026-11" {
		t.Fatalf("save: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	body := drillGet(t, e, auth.RoleAdmin, "/clients/c-page/report?month=2026-11").Body.String()
	if !strings.Contains(body, `id="sec-deliverables"`) || !strings.Contains(body, `id="sec-approvals"`) ||
		strings.Contains(body, `id="sec-budget_burn"`) || strings.Contains(body, `id="sec-write_offs"`) {
		t.Error("the saved contract is not what the report carries")
	}
	// On-time 100.0% against ≥ 95.0%: met.
	if !strings.Contains(body, "Met: on-time rate 100.0% against a target of at least 95.0%") {
		t.Errorf("no verdict against the target in %s", body)
	}
}

// TestReportClientViewLeavesOutEmptySections: a section with nothing to
// show tells the agency how to fill it, in the internal view only; the
// client's document leaves it out.
func TestReportClientViewLeavesOutEmptySections(t *testing.T) {
	rep := &metrics.Report{Client: "c1", ClientName: "Acme", Month: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
		Prev: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Closed: true, Budgets: &metrics.BudgetSection{}}
	today := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	if in := buildReport(rep, false, today); len(in.Sections) != 1 || !strings.Contains(in.Sections[0].Empty, "Settings") {
		t.Errorf("internal view: %+v, want the budget section saying what to set", in.Sections)
	}
	if out := buildReport(rep, true, today); len(out.Sections) != 0 {
		t.Errorf("client view: %+v, want no empty section", out.Sections)
	}
}
