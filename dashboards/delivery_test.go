package dashboards

import (
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// dtOnTime is on_time_rate by week:
//
//	W1: 3 on time of 4 delivered, none overdue → 3/4 = 75%
//	W2: 1 on time of 1 delivered, 1 open overdue → 1/2 = 50%
//	W3: only deliverables not yet due → NULL, a gap
func dtOnTime() *metrics.Result {
	return utResult([]string{"period", "value", "on_time", "delivered", "open_overdue"},
		[]any{utW1, utF(0.75), uint64(3), uint64(4), uint64(0)},
		[]any{utW2, 0.5, uint64(1), uint64(1), uint64(1)},
		[]any{utDay("2026-10-19"), nil, uint64(0), uint64(0), uint64(0)},
	)
}

func TestBuildOnTime(t *testing.T) {
	c, err := buildOnTime(utView, dtOnTime(), false)
	if err != nil {
		t.Fatal(err)
	}
	o := utParse(t, c)
	utEqual(t, "weeks", o.XAxis[0].Data, []any{"5 Oct 2026", "12 Oct 2026", "19 Oct 2026"})
	utEqual(t, "rate", utValues(t, o, "on-time rate"), []any{75.0, 50.0, "-"})
	utEqual(t, "table", c.Table.Rows, [][]string{
		{"5 Oct 2026", "75.0%", "3", "4", "0"},
		{"12 Oct 2026", "50.0%", "1", "1", "1"},
		{"19 Oct 2026", "–", "0", "0", "0"},
	})
	if o.YAxis[0].Name != "on-time rate (%)" || o.XAxis[0].Name == "" {
		t.Errorf("axes %q, %q", o.XAxis[0].Name, o.YAxis[0].Name)
	}

	notYetDue := dtOnTime()
	notYetDue.Rows = notYetDue.Rows[2:]
	for name, res := range map[string]*metrics.Result{"no rows": nil, "nothing judged": notYetDue} {
		c, err := buildOnTime(utView, res, true)
		if err != nil {
			t.Fatal(err)
		}
		if c.Empty != deliveryMissing {
			t.Errorf("%s: empty state %q", name, c.Empty)
		}
	}
}

// dtSlips is metrics.Slips: late deliveries by days late.
//
//	1 day: 2, 3 days: 1, 5 days: 4, 9 days: 1, 40 days: 2 (10 in all)
func dtSlips() *metrics.Result {
	return utResult([]string{"slip", "deliveries"},
		[]any{int64(1), uint64(2)}, []any{int64(3), uint64(1)}, []any{int64(5), uint64(4)},
		[]any{int64(9), uint64(1)}, []any{int64(40), uint64(2)})
}

func TestBuildSlips(t *testing.T) {
	c, err := buildSlips(dtSlips(), 0)
	if err != nil {
		t.Fatal(err)
	}
	o := utParse(t, c)
	utEqual(t, "buckets", o.XAxis[0].Data, []any{"1", "2", "3", "4–7", "8–14", "15–30", "31+"})
	// 1 → 2; 2 → 0; 3 → 1; 5 in 4–7 → 4; 9 in 8–14 → 1; none in 15–30; 40 in 31+ → 2
	utEqual(t, "counts", utValues(t, o, "late deliveries"), []any{2.0, 0.0, 1.0, 4.0, 1.0, 0.0, 2.0})
	utEqual(t, "table", c.Table.Rows, [][]string{{"1", "2"}, {"2", "0"}, {"3", "1"}, {"4–7", "4"},
		{"8–14", "1"}, {"15–30", "0"}, {"31+", "2"}, {"all", "10"}})
	if o.XAxis[0].Name != "days late" || o.YAxis[0].Name == "" || o.Tooltip.Formatter == "" {
		t.Errorf("axes %q, %q, tooltip %q", o.XAxis[0].Name, o.YAxis[0].Name, o.Tooltip.Formatter)
	}

	// With 5 grace days a delivery is late from day 6: the buckets start there.
	graced := utResult([]string{"slip", "deliveries"}, []any{int64(6), uint64(3)}, []any{int64(12), uint64(1)})
	c, err = buildSlips(graced, 5)
	if err != nil {
		t.Fatal(err)
	}
	o = utParse(t, c)
	utEqual(t, "graced buckets", o.XAxis[0].Data, []any{"6–7", "8–14", "15–30", "31+"})
	utEqual(t, "graced counts", utValues(t, o, "late deliveries"), []any{3.0, 1.0, 0.0, 0.0})

	c, err = buildSlips(utResult([]string{"slip", "deliveries"}), 0)
	if err != nil || !strings.HasPrefix(c.Empty, "No late deliveries") {
		t.Errorf("empty: %q, %v", c.Empty, err)
	}
}

func TestSlipSummary(t *testing.T) {
	cols := []string{"value", "p90", "late", "slip_days_total"}
	for _, tc := range []struct {
		res  *metrics.Result
		want string
	}{
		{utResult(cols, []any{9.0, 11.8, uint64(5), int64(43)}),
			"5 late deliveries in this range, a median of 9.0 days late; 90th percentile 11.8 days (slip days, docs/kpis.md)."},
		{utResult(cols, []any{13.0, 13.0, uint64(1), int64(13)}), "1 late delivery in this range, 13.0 days late (slip days, docs/kpis.md)."},
		{utResult(cols), ""},
		{nil, ""},
	} {
		if got := slipSummary(tc.res); got != tc.want {
			t.Errorf("got %q\nwant %q", got, tc.want)
		}
	}
}

func TestBuildDrift(t *testing.T) {
	// Jan: 20 due, 5 moved, 5 changes, 23 days moved; Feb: 14 due, none moved.
	res := utResult([]string{"period", "value", "days_moved", "deliverables", "drifted"},
		[]any{utDay("2026-01-01"), uint64(5), uint64(23), uint64(20), uint64(5)},
		[]any{utDay("2026-02-01"), uint64(0), uint64(0), uint64(14), uint64(0)})
	c, err := buildDrift(res)
	if err != nil {
		t.Fatal(err)
	}
	o := utParse(t, c)
	utEqual(t, "months", o.XAxis[0].Data, []any{"Jan 2026", "Feb 2026"})
	utEqual(t, "moved", utValues(t, o, "deliverables moved"), []any{5.0, 0.0})
	utEqual(t, "changes", utValues(t, o, "due-date changes"), []any{5.0, 0.0})
	utEqual(t, "table", c.Table.Rows, [][]string{{"Jan 2026", "20", "5", "5", "23"}, {"Feb 2026", "14", "0", "0", "0"}})
	if o.YAxis[0].Name != "count" || o.XAxis[0].Name == "" {
		t.Errorf("axes %q, %q", o.XAxis[0].Name, o.YAxis[0].Name)
	}
	if c, _ := buildDrift(nil); c.Empty != deliveryMissing {
		t.Errorf("empty: %q", c.Empty)
	}
}

// dtLate is metrics.LateDeliverables cut at 2 of 3 rows:
//
//	d1: no name, client c1 (the script name), due 2 Oct, open, 55 days late to today
//	d2: "Logo", no client, due 9 Oct, delivered 20 Oct: 11 days late
func dtLate(total uint64) *metrics.Result {
	return utResult([]string{"deliverable_id", "name", "client_id", "due_date", "delivered_day", "days_late", "total"},
		[]any{"d1", "", "c1", utDay("2026-10-02"), nil, int64(55), total},
		[]any{"d2", "Logo", "", utDay("2026-10-09"), utDay("2026-10-20"), int64(11), total})
}

func TestBuildLateList(t *testing.T) {
	n := utNames("client", "c1", utScript)
	rows, cut := buildLateList(utView, dtLate(3), n)
	utEqual(t, "rows", rows, []LateRow{
		{Name: "d1", Client: utScript, ClientLink: "/clients/c1?back=%2Fdelivery&from=2026-10-01&org=o&to=2026-11-01",
			Due: "2 Oct 2026", Delivered: "open", DaysLate: "55", Open: true},
		{Name: "Logo", Client: "(none)", Due: "9 Oct 2026", Delivered: "20 Oct 2026", DaysLate: "11"},
	})
	if !strings.HasPrefix(cut, "Showing 2 of 3 late or overdue deliverables") {
		t.Errorf("cut: %q", cut)
	}
	if _, cut := buildLateList(utView, dtLate(2), n); cut != "" {
		t.Errorf("not cut, yet: %q", cut)
	}
	if rows, cut := buildLateList(utView, nil, n); rows != nil || cut != "" {
		t.Errorf("no rows: %v, %q", rows, cut)
	}
}

func TestGraceText(t *testing.T) {
	for grace, want := range map[uint64]string{0: "end of the due date", 1: "1 grace day", 3: "within 3 days"} {
		if got := graceText(grace); !strings.Contains(got, want) {
			t.Errorf("%d: %q lacks %q", grace, got, want)
		}
	}
}

func TestDeliveryPageEscapesNames(t *testing.T) {
	n := utNames("client", "c1", utScript)
	late := dtLate(3)
	late.Rows[1][1] = utScript // a deliverable named like a script, too
	rows, cut := buildLateList(utView, late, n)
	onTime, err := buildOnTime(utView, dtOnTime(), false)
	if err != nil {
		t.Fatal(err)
	}
	body := deliveryBody{OnTime: onTime, Slips: emptyChart("delivery-slips", "s", "x"), Drift: emptyChart("delivery-drift", "d", "y"),
		Late: rows, LateCut: cut, GraceText: graceText(0)}
	page := utRender(t, "delivery", utView, n, body)
	for _, want := range []string{
		"&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
		`<a href="/clients/c1?back=%2Fdelivery&amp;from=2026-10-01&amp;org=o&amp;to=2026-11-01">&lt;/script&gt;`,
		`<td class="bad">open</td>`,
		"Showing 2 of 3",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

// TestDeliveryPageUnmapped: the unmapped statuses show with their counts
// and the command that maps each, names as text; none says all are mapped.
func TestDeliveryPageUnmapped(t *testing.T) {
	seen := time.Date(2026, 10, 14, 9, 0, 0, 0, time.UTC)
	rows, empty := buildUnmapped([]metrics.UnmappedStatus{
		{Source: "jira", Status: utScript, Events: 1234, LastSeen: seen, Fix: "opsmetrics hook map --org o --tool jira --status '" + utScript + "' --phase PHASE"},
		{Source: "csv", Status: "Waiting", Events: 1, LastSeen: seen, Fix: "give its task events a phase in the import"},
	})
	if empty != "" || len(rows) != 2 || rows[0].Events != "1234" || rows[0].LastSeen != "14 Oct 2026" {
		t.Fatalf("rows %+v, empty %q", rows, empty)
	}
	onTime, err := buildOnTime(utView, dtOnTime(), false)
	if err != nil {
		t.Fatal(err)
	}
	body := deliveryBody{OnTime: onTime, Slips: emptyChart("delivery-slips", "s", "x"), Drift: emptyChart("delivery-drift", "d", "y"),
		GraceText: graceText(0), LateEmpty: "none late", Unmapped: rows}
	page := utRender(t, "delivery", utView, utNames("client", "c1", "Gamma"), body)
	for _, want := range []string{
		`<h2>Unmapped statuses</h2>`,
		`<td>jira</td><td>&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</td><td class="n">1234</td><td>14 Oct 2026</td></tr>
  <tr class="fix"><td colspan="4"><code>opsmetrics hook map --org o --tool jira --status &#39;&lt;/script&gt;`,
		`<td>csv</td><td>Waiting</td><td class="n">1</td><td>14 Oct 2026</td></tr>
  <tr class="fix"><td colspan="4"><code>give its task events a phase in the import</code></td></tr>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, "<script>alert(1)") {
		t.Error("a status is markup on the page")
	}
	rows, empty = buildUnmapped(nil)
	body.Unmapped, body.UnmappedEmpty = rows, empty
	page = utRender(t, "delivery", utView, utNames("client", "c1", "Gamma"), body)
	if !strings.Contains(page, `<p class="empty">Every status your task events moved to in this range maps to a phase of the loop.</p>`) {
		t.Error("no empty state for no unmapped statuses")
	}
}
