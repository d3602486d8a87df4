package metrics_test

import (
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
)

// The collector's gauges on a small org, worked out by hand; thresholds
// become threshold series; names pass Prometheus' lint; the cardinality cap
// keeps org-level series and counts what it drops.
func TestCollector(t *testing.T) {
	const org = "collector-test"
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: org, Source: "test", ExternalID: id} }
	entry := func(id, client, day, hours, status string) ingest.TimeEntry {
		return ingest.TimeEntry{Meta: meta(id), PersonID: "p1", ClientID: client, Date: d(day), Hours: dec(hours),
			Billable: true, BillingStatus: status}
	}
	write(t, []settings.Settings{{ID: org, Name: "Collector", TimeZone: "UTC", Currency: "USD"}},
		[]ingest.Person{{Meta: meta("p1"), ValidFrom: d("2025-01-01"), Name: "Pia", Role: "designer", Team: "Studio",
			WeeklyCapacityHours: dec("40"), BillRate: pdec("100"), StartDate: pd("2025-01-01")}},
		[]ingest.Client{{Meta: meta("c1"), Name: "One"}, {Meta: meta("c2"), Name: "Two"}},
		[]ingest.TimeEntry{entry("e1", "c1", "2026-03-02", "4", "written_off"), entry("e2", "c1", "2026-03-03", "4", "unbilled"),
			entry("e3", "c2", "2026-03-04", "8", "unbilled")},
		// Reviews waiting at testNow (10 March 12:00): c1's since 7 March 12:00 (72 h,
		// stuck), c2's since 11:00 (1 h, not yet).
		[]ingest.TaskEvent{
			{Meta: meta("r1"), OccurredAt: utc("2026-03-07 12:00"), Type: ingest.EventClientReviewRequested, DeliverableID: "d1", ClientID: "c1"},
			{Meta: meta("r2"), OccurredAt: utc("2026-03-10 11:00"), Type: ingest.EventClientReviewRequested, DeliverableID: "d2", ClientID: "c2"},
		})
	s := testStore(t)
	// Set under the gauge's name, as thresholds were: exported under the KPI's.
	if _, err := metrics.PutThreshold(t.Context(), s, org, metrics.Threshold{ID: "wo", KPI: "write_off_ratio", Comparator: "gt",
		Value: dec("0.2"), For: metrics.Duration{Duration: 15 * time.Minute}, Severity: "critical"}, testNow); err != nil {
		t.Fatal(err)
	}

	reg := prometheus.NewRegistry()
	c, err := metrics.NewCollector(metrics.CollectorConfig{Store: s, Facts: testFacts(t), Logger: slog.New(slog.DiscardHandler), Registerer: reg,
		Orgs: []string{org}, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	// Written off: e1, 4 h × 100 = 400; standard value: (4 + 4 + 8) h × 100 = 1,600.
	// c1: 400 ÷ 800 = 0.5; c2: 0 ÷ 800 = 0; the org: 400 ÷ 1,600 = 0.25. All of it is in
	// March, so the month (1–10 March) and the trailing 30 days agree.
	// Utilization of team Studio, billable 16 h: the month has 7 workdays to 10 March
	// (2–6, 9, 10) × 8 h = 56 h: 16 ÷ 56 = 0.285714; the 30 days from 9 February have 22
	// workdays (9–13, 16–20, 23–27 February, 2–6 and 9–10 March) × 8 h = 176 h: 16 ÷ 176 = 0.090909.
	want := `
# HELP opsmetrics_kpi_write_off_ratio Write-off value ÷ standard value of billable work (spec kpis.md §4).
# TYPE opsmetrics_kpi_write_off_ratio gauge
opsmetrics_kpi_write_off_ratio{client="",org="collector-test",window="30d"} 0.25
opsmetrics_kpi_write_off_ratio{client="",org="collector-test",window="month"} 0.25
opsmetrics_kpi_write_off_ratio{client="c1",org="collector-test",window="30d"} 0.5
opsmetrics_kpi_write_off_ratio{client="c1",org="collector-test",window="month"} 0.5
opsmetrics_kpi_write_off_ratio{client="c2",org="collector-test",window="30d"} 0
opsmetrics_kpi_write_off_ratio{client="c2",org="collector-test",window="month"} 0
# HELP opsmetrics_alert_threshold An alert threshold set through the API; the generic rules compare each KPI gauge with it.
# TYPE opsmetrics_alert_threshold gauge
opsmetrics_alert_threshold{client="",comparator="gt",for="15m",kpi="write_off_rate",org="collector-test",severity="critical",team="",threshold_id="wo"} 0.2
`
	// The names of the org and of the clients its series carry, for alert texts.
	want += `
# HELP opsmetrics_name_info The display name of an id that KPI series carry as a label (kind org, client or project), for alert texts; always 1.
# TYPE opsmetrics_name_info gauge
opsmetrics_name_info{id="c1",kind="client",name="One",org="collector-test"} 1
opsmetrics_name_info{id="c2",kind="client",name="Two",org="collector-test"} 1
opsmetrics_name_info{id="collector-test",kind="org",name="Collector",org="collector-test"} 1
`
	want += `
# HELP opsmetrics_kpi_stuck_reviews Client review requests waiting for a decision longer than the org's stuck-review limit (48 hours unless set), now (spec kpis.md §5).
# TYPE opsmetrics_kpi_stuck_reviews gauge
opsmetrics_kpi_stuck_reviews{client="",org="collector-test"} 1
opsmetrics_kpi_stuck_reviews{client="c1",org="collector-test"} 1
opsmetrics_kpi_stuck_reviews{client="c2",org="collector-test"} 0
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "opsmetrics_kpi_write_off_ratio", "opsmetrics_alert_threshold",
		"opsmetrics_name_info", "opsmetrics_kpi_stuck_reviews"); err != nil {
		t.Error(err)
	}
	util := gathered(t, reg, "opsmetrics_kpi_billable_utilization_ratio")
	near(t, "Studio, month", util[`org="collector-test",role="",team="Studio",window="month"`], 16.0/56)
	near(t, "Studio, 30 days", util[`org="collector-test",role="",team="Studio",window="30d"`], 16.0/176)
	near(t, "designer, month", util[`org="collector-test",role="designer",team="",window="month"`], 16.0/56)
	near(t, "org, month", util[`org="collector-test",role="",team="",window="month"`], 16.0/56)
	// Pia has no cost rate: no client's margin is known, so there is no margin series
	// (it was 1.0, 100%, for both clients and the org while missing cost read as 0).
	if m := gathered(t, reg, "opsmetrics_kpi_margin_ratio"); len(m) != 0 {
		t.Errorf("margin ratio series without any cost rate: %v", m)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}

	// A cap of 3 series keeps org-level ones and counts the rest as dropped.
	reg2 := prometheus.NewRegistry()
	c2, err := metrics.NewCollector(metrics.CollectorConfig{Store: s, Facts: testFacts(t), Logger: slog.New(slog.DiscardHandler), Registerer: reg2,
		Orgs: []string{org}, MaxSeries: 3, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	kpis := 0
	for name, series := range gatheredAll(t, reg2) {
		if strings.HasPrefix(name, "opsmetrics_kpi_") && !ownMetric(name) {
			for labels := range series {
				kpis++
				if strings.Contains(labels, `client="c`) || strings.Contains(labels, `team="Studio"`) {
					t.Errorf("a scoped series %s{%s} was kept over org-level ones", name, labels)
				}
			}
		}
	}
	dropped := testutil.ToFloat64(counterOf(t, reg2, "opsmetrics_kpi_series_dropped_total"))
	if kpis != 3 || dropped == 0 {
		t.Errorf("kept %d KPI series, dropped %v", kpis, dropped)
	}
	// The org that lost them is named, with as many as the counter says.
	if byOrg := gathered(t, reg2, "opsmetrics_kpi_dropped_series"); len(byOrg) != 1 || byOrg[`org="collector-test"`] != strconv.FormatFloat(dropped, 'g', -1, 64) {
		t.Errorf("dropped series by org: %v, want collector-test's %v", byOrg, dropped)
	}
	// Names only of what the kept series carry: the org's.
	if names := gatheredAll(t, reg2)["opsmetrics_name_info"]; len(names) != 1 || names[`id="collector-test",kind="org",name="Collector",org="collector-test"`] != "1" {
		t.Errorf("names with the cap: %v", names)
	}
}

// ownMetric reports whether an opsmetrics_kpi_ family is the collector's
// own (its refresh, lag and cap) rather than a KPI gauge.
func ownMetric(name string) bool {
	for _, p := range []string{"opsmetrics_kpi_refresh_", "opsmetrics_kpi_series", "opsmetrics_kpi_dropped_series", "opsmetrics_kpi_orgs_refreshed_total"} {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// gatheredAll reads every family of reg as name -> labels -> value, labels
// as `k="v"` joined by commas in name order.
func gatheredAll(t *testing.T, reg *prometheus.Registry) map[string]map[string]string {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]string{}
	for _, f := range fams {
		m := map[string]string{}
		for _, s := range f.GetMetric() {
			var parts []string
			for _, l := range s.GetLabel() {
				parts = append(parts, l.GetName()+`="`+l.GetValue()+`"`)
			}
			v := s.GetGauge().GetValue() + s.GetCounter().GetValue()
			m[strings.Join(parts, ",")] = strconv.FormatFloat(v, 'g', -1, 64)
		}
		out[f.GetName()] = m
	}
	return out
}

func gathered(t *testing.T, reg *prometheus.Registry, name string) map[string]string {
	t.Helper()
	return gatheredAll(t, reg)[name]
}

// counterOf finds a registered counter by name.
func counterOf(t *testing.T, reg *prometheus.Registry, name string) prometheus.Collector {
	t.Helper()
	v, err := strconv.ParseFloat(gathered(t, reg, name)[""], 64)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "x"}, func() float64 { return v })
}
