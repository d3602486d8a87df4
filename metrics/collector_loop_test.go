package metrics_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	settings "github.com/opsmetrics/opsmetrics/org"
)

// TestCollectorActions: the loop's gauges count the open actions and
// those past their due day in the org's own calendar, per client and for
// the org, and follow a close at the next refresh.
func TestCollectorActions(t *testing.T) {
	const org = "collector-loop"
	ctx := t.Context()
	s := testStore(t)
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: org, Source: "test", ExternalID: id} }
	// testNow is 10 March 12:00 UTC: 11 March 01:00 in Auckland (UTC+13 in
	// March), so the org's today is 11 March, while UTC's is still the 10th.
	write(t, []settings.Settings{{ID: org, Name: "Loop Agency", TimeZone: "Pacific/Auckland", Currency: "NZD"}},
		[]ingest.Person{{Meta: meta("p1"), Name: "Ada Lovelace"}},
		[]ingest.Client{{Meta: meta("c1"), Name: "Kauri Ltd"}, {Meta: meta("c2"), Name: "Rimu Co"}})
	feb, q1 := d("2026-02-01"), d("2026-01-01")
	add := func(a metrics.Action) metrics.Action {
		t.Helper()
		a.Owner = "p1"
		got, err := metrics.AddAction(ctx, s, org, "ann@example.com", a, testNow)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// Due 10 March: before the org's today (11 March), so overdue, though
	// not by UTC's day.
	late := add(metrics.Action{Client: "c1", Period: feb, Title: "Send the brief", Due: d("2026-03-10")})
	// A retro's action due 20 March: open, not overdue; it counts in the
	// org's series only.
	add(metrics.Action{Origin: metrics.OriginRetro, Period: q1, Title: "Time-box internal reviews", Due: d("2026-03-20")})
	// Client c2's, due 1 March and closed: counted nowhere.
	done := add(metrics.Action{Client: "c2", Period: feb, Title: "Book the shoot", Due: d("2026-03-01")})
	if _, _, err := metrics.SetActionStatus(ctx, s, org, "ann@example.com", done.ID, true, testNow); err != nil {
		t.Fatal(err)
	}

	reg := prometheus.NewRegistry()
	c, err := metrics.NewCollector(metrics.CollectorConfig{Store: s, Facts: testFacts(t), Logger: slog.New(slog.DiscardHandler), Registerer: reg,
		Orgs: []string{org}, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	// Open: the org 2 (c1's and the retro's), c1 1; c2 has none open, so no
	// series. Overdue: c1's, due 10 March < 11 March: the org 1, c1 1.
	want := func(open, overdue string, c1 bool) string {
		out := `
# HELP opsmetrics_report_actions_open Next month's actions and decisions of the monthly reports and retros that are open now, per org and client (a retro's count in the org's only).
# TYPE opsmetrics_report_actions_open gauge
opsmetrics_report_actions_open{client="",org="collector-loop"} ` + open + `
`
		if c1 {
			out += `opsmetrics_report_actions_open{client="c1",org="collector-loop"} 1
`
		}
		out += `# HELP opsmetrics_report_actions_overdue Open actions and decisions whose due day is before the org's today (its time zone), per org and client (a retro's count in the org's only).
# TYPE opsmetrics_report_actions_overdue gauge
opsmetrics_report_actions_overdue{client="",org="collector-loop"} ` + overdue + `
`
		if c1 {
			out += `opsmetrics_report_actions_overdue{client="c1",org="collector-loop"} 1
`
		}
		return out
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want("2", "1", true)),
		"opsmetrics_report_actions_open", "opsmetrics_report_actions_overdue"); err != nil {
		t.Error(err)
	}
	// The alert texts name the client the series carry.
	if n := gathered(t, reg, "opsmetrics_name_info"); n[`id="c1",kind="client",name="Kauri Ltd",org="collector-loop"`] != "1" ||
		n[`id="collector-loop",kind="org",name="Loop Agency",org="collector-loop"`] != "1" {
		t.Errorf("names: %v", n)
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}

	// c1's closed: the org keeps the retro's (open 1, overdue 0), and c1's
	// series go.
	if _, _, err := metrics.SetActionStatus(ctx, s, org, "ann@example.com", late.ID, true, testNow.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := c.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want("1", "0", false)),
		"opsmetrics_report_actions_open", "opsmetrics_report_actions_overdue"); err != nil {
		t.Error(err)
	}
}
