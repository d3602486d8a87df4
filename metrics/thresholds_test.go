package metrics_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// TestThresholdValues: a value is read in its KPI's unit, and a ratio
// given as a percentage without its % sign is refused with the fix.
func TestThresholdValues(t *testing.T) {
	for _, c := range []struct {
		kpi, in, want, err string
	}{
		{"write_off_rate", "0.08", "0.08", ""},
		{"write_off_rate", "8%", "0.08", ""},
		{"write_off_rate", " 12.5 % ", "0.125", ""},
		{"write_off_ratio", "8%", "0.08", ""}, // the old name
		{"write_off_rate", "60", "", "value 60: write_off_rate is a ratio from 0 to 1; for 60% write 60% (or 0.6)"},
		{"write_off_rate", "160%", "", "value 160%: write_off_rate is a ratio; want 0 to 1"},
		{"write_off_rate", "-0.1", "", "is a ratio from 0 to 1"},
		{"write_off_rate", "lots", "", `value "lots": write_off_rate is a ratio; write it as 0.08 or 8%`},
		{"billable_utilization", "110%", "1.1", ""},
		{"margin_pct", "-20%", "-0.2", ""},
		{"margin_pct", "30", "", "for 30% write 30%"},
		{"approval_time_p90", "36", "36", ""},
		{"approval_time_p90", "36h", "36", ""},
		{"approval_time_p90", "90m", "1.5", ""},
		{"approval_time_p90", "2d", "48", ""},
		{"approval_time_p90", "8%", "", `value "8%": approval_time_p90 is in hours; write it as 36 or 36h`},
		{"stuck_reviews", "3", "3", ""},
		{"stuck_reviews", "2.5", "", "stuck_reviews is a count; want a whole number"},
		{"revenue", "1", "", "thresholds can watch approval_time_p90, billable_utilization, margin_pct, on_time_rate, overdue_deliverables, stuck_reviews, write_off_rate"},
	} {
		v, err := metrics.ParseThresholdValue(c.kpi, c.in)
		switch {
		case c.err == "" && (err != nil || !v.Equal(dec(c.want))):
			t.Errorf("%s %q: %s %v, want %s", c.kpi, c.in, v, err, c.want)
		case c.err != "" && (err == nil || !errors.Is(err, metrics.ErrBadRequest) || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s %q: %v, want an error saying %q", c.kpi, c.in, err, c.err)
		}
	}
}

// TestThresholdFor: one parser reads the for-durations of the CLI, the API
// and the exported series, and refuses one no rule waits for.
func TestThresholdFor(t *testing.T) {
	for in, want := range map[string]time.Duration{"0s": 0, "5m": 5 * time.Minute, "15m": 15 * time.Minute, "1h": time.Hour,
		"60m": time.Hour, "6h": 6 * time.Hour, "1d": 24 * time.Hour, "24h": 24 * time.Hour} {
		if d, err := metrics.ParseFor(in); err != nil || d != want {
			t.Errorf("%q: %s %v, want %s", in, d, err, want)
		}
	}
	for in, says := range map[string]string{
		"2h":      "for 2h: an alert can wait 0s, 5m, 15m, 1h, 6h, 1d (Prometheus has one rule per wait); 2h would wait 6h",
		"10m":     "10m would wait 15m",
		"2d":      "for 2d: want one of 0s, 5m, 15m, 1h, 6h, 1d",
		"2 hours": `for "2 hours": want a duration such as "15m", "1h" or "1d"`,
		"1.5d":    "want a duration",
	} {
		if _, err := metrics.ParseFor(in); err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("%q: %v, want an error saying %q", in, err, says)
		}
	}
	for _, b := range metrics.ForBuckets {
		if d, err := metrics.ParseFor(metrics.ForLabel(b)); err != nil || d != b {
			t.Errorf("bucket %s: its label %q reads as %s %v", b, metrics.ForLabel(b), d, err)
		}
	}
}

// TestThresholdsStoredListedExported: what is set is what is listed, in
// JSON numbers, and what is exported; rows stored under the gauges' names
// and with a for that is no bucket read as they are exported; a scope must
// exist, and a client may be given by name.
func TestThresholdsStoredListedExported(t *testing.T) {
	const org = "thresholds-test"
	s := testStore(t)
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: org, Source: "api", ExternalID: id} }
	write(t, []settings.Settings{{ID: org, Name: "Thresholds", TimeZone: "UTC", Currency: "EUR"}},
		[]ingest.Client{{Meta: meta("c-0003"), Name: "Nordlicht GmbH"}},
		[]ingest.Person{{Meta: meta("p1"), ValidFrom: d("2025-01-01"), Name: "Ana", Role: "Designer", Team: "Brand",
			WeeklyCapacityHours: dec("40")}})

	var in metrics.Threshold
	if err := json.Unmarshal([]byte(`{"id":"wo","kpi":"write_off_rate","scope":"client","scope_value":"nordlicht gmbh",
		"comparator":"gt","value":"8%","for":"1d","severity":"critical"}`), &in); err != nil {
		t.Fatal(err)
	}
	put, err := metrics.PutThreshold(t.Context(), s, org, in, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if put.ScopeValue != "c-0003" || !put.Value.Equal(dec("0.08")) || put.For.Duration != 24*time.Hour {
		t.Errorf("stored %+v, want client c-0003, 0.08, 1d", put)
	}
	if _, err := metrics.PutThreshold(t.Context(), s, org, metrics.Threshold{ID: "ap", KPI: "approval_time_p90", Comparator: "gt",
		Value: dec("36"), For: metrics.Duration{Duration: time.Hour}}, testNow); err != nil {
		t.Fatal(err)
	}
	// A row stored before: the gauge's name, seconds, and a for of 2 h (exported, and so acting, as 6 h).
	if err := s.Insert(t.Context(), &store.Batch{Table: "ops.alert_thresholds",
		Columns: []string{"org_id", "threshold_id", "kpi", "scope_kind", "scope_value", "comparator", "value", "for_seconds",
			"severity", "created_at", "version", "deleted"},
		Values: []any{[]string{org}, []string{"old"}, []string{"approval_time_p90_seconds"}, []string{"org"}, []string{""},
			[]string{"gt"}, []decimal.Decimal{dec("129600")}, []uint32{7200}, []string{"warning"}, []time.Time{testNow},
			[]uint64{1}, []uint8{0}}}); err != nil {
		t.Fatal(err)
	}

	list, err := metrics.ListThresholds(t.Context(), s, org)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(list)
	var got []map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := []map[string]any{
		{"id": "ap", "kpi": "approval_time_p90", "scope": "org", "value": 36.0, "for": "1h"},
		// 129,600 s = 36 h; 2 h waits 6 h.
		{"id": "old", "kpi": "approval_time_p90", "scope": "org", "value": 36.0, "for": "6h"},
		{"id": "wo", "kpi": "write_off_rate", "scope": "client", "scope_value": "c-0003", "value": 0.08, "for": "1d"},
	}
	if len(got) != len(want) {
		t.Fatalf("listed %s, want %d thresholds", b, len(want))
	}
	for i, w := range want {
		for k, v := range w {
			if got[i][k] != v {
				t.Errorf("threshold %s: %s = %#v, want %#v (JSON %s)", w["id"], k, got[i][k], v, b)
			}
		}
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
	// The same thresholds as exported: approval in seconds (36 h = 129,600 s).
	wantSeries := []string{
		`opsmetrics_alert_threshold{client="",comparator="gt",for="1h",kpi="approval_time_p90",org="thresholds-test",severity="warning",team="",threshold_id="ap"} 129600`,
		`opsmetrics_alert_threshold{client="",comparator="gt",for="6h",kpi="approval_time_p90",org="thresholds-test",severity="warning",team="",threshold_id="old"} 129600`,
		`opsmetrics_alert_threshold{client="c-0003",comparator="gt",for="1d",kpi="write_off_rate",org="thresholds-test",severity="critical",team="",threshold_id="wo"} 0.08`,
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var ours []string
	for _, f := range families {
		if f.GetName() != "opsmetrics_alert_threshold" {
			continue
		}
		for _, m := range f.GetMetric() {
			var labels []string
			org := ""
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
				if l.GetName() == "org" {
					org = l.GetValue()
				}
			}
			if org == "thresholds-test" {
				ours = append(ours, fmt.Sprintf("%s{%s} %v", f.GetName(), strings.Join(labels, ","), m.GetGauge().GetValue()))
			}
		}
	}
	if strings.Join(ours, "\n") != strings.Join(wantSeries, "\n") {
		t.Errorf("exported\n%s\nwant\n%s", strings.Join(ours, "\n"), strings.Join(wantSeries, "\n"))
	}

	for _, c := range []struct {
		th   metrics.Threshold
		says string
	}{
		{metrics.Threshold{KPI: "write_off_rate", Scope: "client", ScopeValue: "c-9999", Comparator: "gt", Value: dec("0.1")}, `client "c-9999" not found in org thresholds-test`},
		{metrics.Threshold{KPI: "billable_utilization", Scope: "team", ScopeValue: "Brnad", Comparator: "lt", Value: dec("0.6")}, `team "Brnad" not found in org thresholds-test; close matches: Brand`},
		{metrics.Threshold{KPI: "write_off_rate", Comparator: "gt", Value: dec("60")}, "for 60% write 60%"},
		{metrics.Threshold{KPI: "write_off_rate", Comparator: "gt", Value: dec("0.1"), For: metrics.Duration{Duration: 2 * time.Hour}}, "2h would wait 6h"},
	} {
		if _, err := metrics.PutThreshold(t.Context(), s, org, c.th, testNow); !errors.Is(err, metrics.ErrBadRequest) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%+v: %v, want a bad request saying %q", c.th, err, c.says)
		}
	}
	// A team by any capitals is the team.
	th, err := metrics.PutThreshold(t.Context(), s, org, metrics.Threshold{KPI: "billable_utilization", Scope: "team", ScopeValue: "brand",
		Comparator: "lt", Value: dec("0.6")}, testNow)
	if err != nil || th.ScopeValue != "Brand" {
		t.Errorf("team brand: %+v %v, want team Brand", th, err)
	}
}

// countingQuerier counts the queries it passes on.
type countingQuerier struct {
	metrics.Querier
	mu sync.Mutex
	n  int
}

func (c *countingQuerier) Query(ctx context.Context, query string, params store.Params) (*store.Rows, error) {
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return c.Querier.Query(ctx, query, params)
}

// TestThresholdsNowShareQueries: thresholds of one KPI and scope kind
// (three clients' write-off) cost the queries of one, and each gets its own
// client's value, as ThresholdNow gives it alone.
func TestThresholdsNowShareQueries(t *testing.T) {
	const org = "thresholds-now"
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: org, Source: "test", ExternalID: id} }
	entry := func(id, client, status string) ingest.TimeEntry {
		return ingest.TimeEntry{Meta: meta(id), PersonID: "p1", ClientID: client, Date: d("2026-03-02"), Hours: dec("4"),
			Billable: true, BillingStatus: status}
	}
	write(t, []settings.Settings{{ID: org, Name: "Thresholds now", TimeZone: "UTC", Currency: "USD"}},
		[]ingest.Person{{Meta: meta("p1"), ValidFrom: d("2025-01-01"), Name: "Pia", WeeklyCapacityHours: dec("40"), BillRate: pdec("100")}},
		[]ingest.Client{{Meta: meta("c1"), Name: "One"}, {Meta: meta("c2"), Name: "Two"}, {Meta: meta("c3"), Name: "Three"}},
		[]ingest.TimeEntry{entry("e1", "c1", "written_off"), entry("e2", "c2", "unbilled"), entry("e3", "c3", "written_off"),
			entry("e4", "c3", "unbilled")})
	th := func(client string) metrics.Threshold {
		return metrics.Threshold{KPI: "write_off_rate", Scope: "client", ScopeValue: client, Comparator: "gt", Value: dec("0.1")}
	}
	from, to := metrics.AlertWindow(testNow)
	one := &countingQuerier{Querier: testStore(t)}
	if _, _, err := metrics.ThresholdNow(t.Context(), one, testFacts(t), nil, org, th("c1"), from, to, testNow); err != nil {
		t.Fatal(err)
	}
	three := &countingQuerier{Querier: testStore(t)}
	vs, oks, err := metrics.ThresholdsNow(t.Context(), three, testFacts(t), nil, org, []metrics.Threshold{th("c1"), th("c2"), th("c3")}, from, to, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if one.n == 0 {
		t.Fatal("ThresholdNow ran no query through its Querier")
	}
	if three.n != one.n {
		t.Errorf("three clients' thresholds ran %d queries, one ran %d: want the same", three.n, one.n)
	}
	for i, want := range []string{"1", "0", "0.5"} {
		if !oks[i] || !vs[i].Equal(dec(want)) {
			t.Errorf("threshold %d: %v (%v), want %s", i, vs[i], oks[i], want)
		}
	}
}
