package dashboards

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestBuildTileRatio(t *testing.T) {
	spec := overviewTiles[0] // billable utilization: Σbillable ÷ Σavailable, higher is better
	// Wednesday 4 to Friday 6 March; the previous range is Monday 2 to 4 March,
	// and one query gives the day rows of both.
	v := View{Org: "o", From: day("2026-03-04"), To: day("2026-03-06")}
	days := mtResult([]string{"period", "value", "billable_hours", "available_hours"},
		[]any{day("2026-03-02"), mtF(0.75), mtDec("6"), mtDec("8")},
		[]any{day("2026-03-03"), mtF(0.75), mtDec("6"), mtDec("8")},
		[]any{day("2026-03-04"), mtF(0.75), mtDec("6"), mtDec("8")},
		[]any{day("2026-03-05"), mtF(0.5), mtDec("2"), mtDec("4")})
	tile, err := buildTile(spec, v, days, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	// This range: (6 + 2) ÷ (8 + 4) = 0.6667, not the mean of the days' ratios
	// ((0.75 + 0.5) ÷ 2 = 0.625); before: (6 + 6) ÷ (8 + 8) = 0.75; change
	// 0.6667 − 0.75 = −8.3 points, bad for utilization.
	if tile.Value != "66.7%" || tile.Change != "-8.3 pts" || tile.Trend != "bad" || tile.Empty != "" {
		t.Errorf("tile = %+v", tile)
	}
	series, xs := mtSeries(t, tile.Spark)
	// All four days are in the week of Monday 2 March, but the sparkline shows
	// this range only: one point, 66.7 (%), not (12 + 8) ÷ (16 + 12) = 71.4.
	// 4 and 5 March are 2 of the week's 5 workdays: a partial week, marked.
	if len(xs) != 1 || xs[0] != "2 Mar (partial)" || len(series[spec.name]) != 1 || series[spec.name][0] != 66.7 {
		t.Errorf("sparkline %v %v", series, xs)
	}
	if got := tile.Spark.Table.Rows[0][1]; got != "66.7% (partial week: 2 of 5 workdays)" {
		t.Errorf("sparkline row %q", got)
	}
	if !strings.Contains(tile.Link, "/utilization?") {
		t.Errorf("link %q", tile.Link)
	}
}

// TestTileArrowAndColour: the arrow is the direction and the colour is good
// or bad, so a write-off rate that fell is ▼ and green, not "▲ -4.6 pts".
func TestTileArrowAndColour(t *testing.T) {
	spec := overviewTiles[2] // write-off rate: lower is better
	v := View{Org: "o", From: day("2026-03-04"), To: day("2026-03-06")}
	days := mtResult([]string{"period", "value", "write_off_value", "standard_value"},
		[]any{day("2026-03-02"), mtF(0.1), mtDec("100"), mtDec("1000")},
		[]any{day("2026-03-03"), mtF(0.1), mtDec("100"), mtDec("1000")},
		[]any{day("2026-03-04"), mtF(0.05), mtDec("50"), mtDec("1000")},
		[]any{day("2026-03-05"), mtF(0.05), mtDec("50"), mtDec("1000")})
	tile, err := buildTile(spec, v, days, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tile.Change != "-5.0 pts" || tile.Dir != "down" || tile.Trend != "good" {
		t.Errorf("a fall in write-off rate: %+v", tile)
	}
	var buf strings.Builder
	if err := templates.ExecuteTemplate(&buf, "overview", pageData{View: v, Names: &names{}, Body: overviewBody{Tiles: []Tile{tile}, PrevText: "2–3 Mar"}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `<p class="change down good">-5.0 pts <span>vs 2–3 Mar</span>`) {
		t.Errorf("the tile's change is not marked down and good:\n%s", buf.String())
	}
	css, err := assetFS.ReadFile("assets/app.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range []string{`.change.up::before { content: "▲ "; }`, `.change.down::before { content: "▼ "; }`} {
		if !strings.Contains(string(css), rule) {
			t.Errorf("app.css has no %s", rule)
		}
	}
	if strings.Contains(string(css), ".change.good::before") || strings.Contains(string(css), ".change.bad::before") {
		t.Error("app.css still draws the arrow from good or bad")
	}
	// A change that rounds to 0.0 has no arrow and no colour.
	flat := mtResult([]string{"period", "value", "write_off_value", "standard_value"},
		[]any{day("2026-03-02"), mtF(0.1), mtDec("100"), mtDec("1000")},
		[]any{day("2026-03-04"), mtF(0.1), mtDec("100.1"), mtDec("1000")})
	if tile, err = buildTile(spec, v, flat, nil, nil); err != nil || tile.Change != "+0.0 pts" || tile.Dir != "" || tile.Trend != "" {
		t.Errorf("no change: %+v %v", tile, err)
	}
}

// TestTileNoPreviousData: a previous range without data is not a
// comparison: no gain from 0% or from a fee-only 100% margin, but "no data
// for ...". And the previous range of a month to date is the same days of
// the month before, not the whole month.
func TestTileNoPreviousData(t *testing.T) {
	spec := overviewTiles[0] // billable utilization
	v := View{Org: "o", From: day("2026-12-01"), To: day("2026-12-08"), today: day("2026-12-07")}
	// November had capacity and no time logged.
	days := mtResult([]string{"period", "value", "billable_hours", "available_hours"},
		[]any{day("2026-11-02"), mtF(0), mtDec("0"), mtDec("8")},
		[]any{day("2026-11-03"), mtF(0), mtDec("0"), mtDec("8")},
		[]any{day("2026-12-02"), mtF(0.75), mtDec("6"), mtDec("8")})
	tile, err := buildTile(spec, v, days, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tile.Value != "75.0%" || tile.Change != "" || tile.Dir != "" || tile.NoPrev != "no data for 1–7 Nov: no change to show" {
		t.Errorf("no data in November: %+v", tile)
	}
	// 1–7 November against 1–7 December; 20 November (outside it) is not
	// counted: (4) ÷ (8) = 50%, +25.0 pts.
	days = mtResult([]string{"period", "value", "billable_hours", "available_hours"},
		[]any{day("2026-11-02"), mtF(0.5), mtDec("4"), mtDec("8")},
		[]any{day("2026-11-20"), mtF(1), mtDec("8"), mtDec("8")},
		[]any{day("2026-12-02"), mtF(0.75), mtDec("6"), mtDec("8")})
	if tile, err = buildTile(spec, v, days, nil, nil); err != nil || tile.Change != "+25.0 pts" || tile.Dir != "up" || tile.Trend != "good" {
		t.Errorf("1–7 November: %+v %v", tile, err)
	}
	// Margin: November had a fee and no hours, so its 100% is no data.
	margin := overviewTiles[4]
	days = mtResult([]string{"period", "value", "revenue", "labour_cost", "hours", "uncosted_hours"},
		[]any{day("2026-11-02"), mtF(1), mtDec("1000"), mtDec("0"), mtDec("0"), mtDec("0")},
		[]any{day("2026-12-02"), mtF(0.4), mtDec("1000"), mtDec("600"), mtDec("10"), mtDec("0")})
	if tile, err = buildTile(margin, v, days, nil, nil); err != nil || tile.Value != "40.0%" || tile.Change != "" || tile.NoPrev == "" {
		t.Errorf("margin with a fee-only November: %+v %v", tile, err)
	}
}

// TestSparklinePartialWeeks: the weeks a month to date's start and end cut
// are marked partial, with their workdays inside the range, and a week
// with none inside (Sunday 1 November's) is not drawn as a spike.
func TestSparklinePartialWeeks(t *testing.T) {
	spec := overviewTiles[4] // margin %
	v := View{Org: "o", From: day("2026-11-01"), To: day("2026-11-11"), today: day("2026-11-10")}
	cols := []string{"period", "value", "revenue", "labour_cost", "hours", "uncosted_hours"}
	days := mtResult(cols,
		[]any{day("2026-11-01"), mtF(1), mtDec("500"), mtDec("0"), mtDec("0"), mtDec("0")}, // a Sunday's fee
		[]any{day("2026-11-02"), mtF(0.5), mtDec("1000"), mtDec("500"), mtDec("10"), mtDec("0")},
		[]any{day("2026-11-09"), mtF(0.4), mtDec("1000"), mtDec("600"), mtDec("10"), mtDec("0")},
		[]any{day("2026-11-10"), mtF(0.4), mtDec("1000"), mtDec("600"), mtDec("10"), mtDec("0")})
	tile, err := buildTile(spec, v, days, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	series, xs := mtSeries(t, tile.Spark)
	mtEqual(t, "weeks", xs, []any{"26 Oct (partial)", "2 Nov", "9 Nov (partial)"})
	mtEqual(t, "values", series[spec.name], []any{"-", 50.0, 40.0})
	mtEqual(t, "rows", tile.Spark.Table.Rows, [][]string{
		{"26 Oct (partial)", "not drawn: 100.0% (partial week: 0 of 5 workdays)"},
		{"2 Nov", "50.0%"},
		{"9 Nov (partial)", "40.0% (partial week: 2 of 5 workdays)"},
	})
	if !strings.Contains(tile.Spark.Option, `"symbol":"emptyTriangle"`) {
		t.Error("the partial weeks' points are not marked")
	}
}

func TestBuildTilePercentileAndEmpty(t *testing.T) {
	spec := overviewTiles[3] // approval p50: lower is better, asked for the whole range
	v := View{Org: "o", From: day("2026-03-01"), To: day("2026-04-01")}
	weeks := mtResult([]string{"period", "value"}, []any{day("2026-03-02"), 20.0}, []any{day("2026-03-09"), 50.0})
	whole := mtResult([]string{"value"}, []any{30.0})
	prev := mtResult([]string{"value"}, []any{40.0})
	tile, err := buildTile(spec, v, weeks, prev, whole)
	if err != nil {
		t.Fatal(err)
	}
	// The range's own median (30 h), not a mean of weekly medians; 30 − 40 = −10 h, good.
	if tile.Value != "30.0 h" || tile.Change != "-10.0 h" || tile.Trend != "good" {
		t.Errorf("tile = %+v", tile)
	}
	series, _ := mtSeries(t, tile.Spark)
	if got := series[spec.name]; len(got) != 2 || got[0] != 20.0 || got[1] != 50.0 {
		t.Errorf("weekly medians %v", got)
	}

	empty, err := buildTile(spec, v, mtResult([]string{"period", "value"}), mtResult([]string{"value"}), mtResult([]string{"value"}))
	if err != nil {
		t.Fatal(err)
	}
	if empty.Value != "–" || empty.Empty != spec.missing || empty.Spark.Empty == "" || empty.Change != "" {
		t.Errorf("empty tile = %+v", empty)
	}
}

func TestBuildMaturity(t *testing.T) {
	res := mtResult([]string{"value", "l2_due_and_intake", "l3_canonical_loop", "l4_fresh_data", "l4_alert_thresholds",
		"l5_quarterly_retros", "l5_retro_actions_closed", "l5_kpis_improved"}, []any{uint8(2), uint8(1), uint8(0), uint8(1), uint8(0), uint8(0), uint8(0), uint8(1)})
	m := buildMaturity(res)
	if m.Level != "2 of 5" || m.Next != maturityConditions[1].name || len(m.Conditions) != 7 || !m.Conditions[0].Held || m.Conditions[1].Held {
		t.Errorf("maturity = %+v", m)
	}
	if got := buildMaturity(mtResult([]string{"value"})); got.Level != "–" || got.Conditions != nil {
		t.Errorf("no data: %+v", got)
	}
}

func TestBuildQuality(t *testing.T) {
	res := mtResult([]string{"value", "logged_ratio", "known_client_project_ratio", "due_date_ratio", "bill_rate_ratio", "cost_rate_ratio"},
		[]any{mtF(0.8), mtF(0.9), mtF(1.0), nil, mtF(0.5), mtF(0.6)})
	q, err := buildQuality(res)
	if err != nil {
		t.Fatal(err)
	}
	if q.Score != "80.0%" {
		t.Errorf("score %q", q.Score)
	}
	// The table lists the parts in order; an unknown part (no deliverables) is "–".
	want := [][]string{{"hours logged vs capacity", "90.0%"}, {"entries with a known client and project", "100.0%"},
		{"deliverables with a due date", "–"}, {"billable entries with a bill rate", "50.0%"}, {"people with a cost rate", "60.0%"}}
	for i, row := range want {
		if q.Chart.Table.Rows[i][0] != row[0] || q.Chart.Table.Rows[i][1] != row[1] {
			t.Errorf("row %d = %v, want %v", i, q.Chart.Table.Rows[i], row)
		}
	}
}

func TestParseView(t *testing.T) {
	now := time.Date(2026, 3, 15, 10, 0, 0, 0, time.UTC)
	get := func(query string) (View, error) {
		c := echo.New().NewContext(httptest.NewRequest("GET", "/?"+query, nil), httptest.NewRecorder())
		return parseView(c, "acme", now)
	}
	v, err := get("")
	if err != nil || !v.From.Equal(day("2026-03-01")) || !v.To.Equal(day("2026-03-16")) || v.RangeText() != "March 2026 to date" {
		t.Errorf("default view %+v %v", v, err)
	}
	if pf, pt := v.Prev(); !pf.Equal(day("2026-02-01")) || !pt.Equal(day("2026-02-16")) {
		t.Errorf("previous of 1–15 March: %v %v", pf, pt)
	}
	if v, err = get("from=2026-02-01&to=2026-03-01"); err != nil || v.RangeText() != "February 2026" {
		t.Errorf("February: %+v %v", v, err)
	}
	if pf, pt := v.Prev(); !pf.Equal(day("2026-01-01")) || !pt.Equal(day("2026-02-01")) {
		t.Errorf("previous of February: %v %v", pf, pt)
	}
	v, err = get("from=2026-03-05&to=2026-03-15&client=c1&team=Design")
	if err != nil || v.Client != "c1" || v.Team != "Design" || v.Days() != 10 {
		t.Errorf("view %+v %v", v, err)
	}
	// Ten days before 5 March: 23 February to 5 March.
	if pf, pt := v.Prev(); !pf.Equal(day("2026-02-23")) || !pt.Equal(day("2026-03-05")) {
		t.Errorf("previous of 10 days: %v %v", pf, pt)
	}
	if l := v.Link("/margin", "client", ""); strings.Contains(l, "client=") || !strings.Contains(l, "team=Design") {
		t.Errorf("link %q", l)
	}
	for _, bad := range []string{"org=globex", "from=2026-13-01", "from=2026-03-10&to=2026-03-01", "from=2020-01-01&to=2026-01-01"} {
		if _, err := get(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}
