package dashboards

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// TestAlertsNowIsTheAlertsWindow: the Alerts section's "now" and "fires
// now" are of the window the alert compares (the collector's 30-day
// gauge), not the month to date. On 10 March, 4 h written off on 20
// February and 4 h unbilled on 2 March are a write-off of 50 % over the
// last 30 days (0 % in March): a threshold above 20 % fires, as the
// collector's gauge says.
func TestAlertsNowIsTheAlertsWindow(t *testing.T) {
	const orgID = "st-alerts-window"
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	s := chdbtest.Shared(t)
	facts, err := metrics.NewFacts(metrics.FactsConfig{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: slog.New(slog.DiscardHandler), Changed: facts.Changed})
	if err != nil {
		t.Fatal(err)
	}
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: orgID, Source: "api", ExternalID: id} }
	rate := decimal.NewFromInt(100)
	entry := func(id, day, status string) ingest.TimeEntry {
		d, _ := time.Parse(time.DateOnly, day)
		return ingest.TimeEntry{Meta: meta(id), PersonID: "p-1", ClientID: "c-1", Date: d, Hours: decimal.NewFromInt(4),
			Billable: true, BillingStatus: status}
	}
	for _, recs := range []any{
		[]org.Settings{{ID: orgID, Name: "Alerts Window", TimeZone: "UTC", Currency: "EUR"}},
		[]ingest.Person{{Meta: meta("p-1"), ValidFrom: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Name: "Ana Silva",
			WeeklyCapacityHours: decimal.NewFromInt(40), BillRate: &rate}},
		[]ingest.Client{{Meta: meta("c-1"), Name: "Nordlicht GmbH"}},
		[]ingest.TimeEntry{entry("e-1", "2026-02-20", "written_off"), entry("e-2", "2026-03-02", "unbilled")},
	} {
		if _, err := w.Write(t.Context(), "test", recs); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := metrics.PutThreshold(t.Context(), s, orgID, metrics.Threshold{ID: "wo", KPI: "write_off_rate", Scope: "org", Comparator: "gt",
		Value: decimal.RequireFromString("0.2"), Severity: "warning"}, now); err != nil {
		t.Fatal(err)
	}

	// The collector's gauge, which the rule compares with the threshold.
	facts.Wait()
	reg := prometheus.NewRegistry()
	c, err := metrics.NewCollector(metrics.CollectorConfig{Store: s, Facts: facts, Logger: slog.New(slog.DiscardHandler), Registerer: reg,
		Orgs: []string{orgID}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP opsmetrics_kpi_write_off_ratio Write-off value ÷ standard value of billable work (spec kpis.md §4).
# TYPE opsmetrics_kpi_write_off_ratio gauge
opsmetrics_kpi_write_off_ratio{client="",org="st-alerts-window",window="30d"} 0.5
opsmetrics_kpi_write_off_ratio{client="",org="st-alerts-window",window="month"} 0
opsmetrics_kpi_write_off_ratio{client="c-1",org="st-alerts-window",window="30d"} 0.5
opsmetrics_kpi_write_off_ratio{client="c-1",org="st-alerts-window",window="month"} 0
`), "opsmetrics_kpi_write_off_ratio"); err != nil {
		t.Fatalf("the collector's write-off gauges: %v", err)
	}
	const gauge = "50 %" // the 30d gauge, 0.5, as the page shows a ratio

	srv := stServerAt(t, orgID, func() time.Time { return now }, &fakeOrgs{})
	code, body := newSTClient(t, srv.URL, auth.RoleAdmin).do("GET", "/settings/alerts", nil)
	if code != 200 {
		t.Fatalf("GET /settings/alerts: %d\n%s", code, body)
	}
	row := `<td class="n">` + gauge + `</td>
<td><span class="fires">yes</span></td>`
	if !strings.Contains(body, row) {
		t.Errorf("the threshold's row does not show the collector's 30-day %s and fires now\n%s", gauge, body)
	}
	if !strings.Contains(body, "the last 30 (9 February 2026 to 10 March 2026, UTC days") {
		t.Errorf("the page does not say which days its values are of\n%s", body)
	}
}
