package dashboards

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// Helpers shared by utilization_test.go and delivery_test.go.

func utDec(s string) decimal.Decimal { return decimal.RequireFromString(s) }
func utF(x float64) *float64         { return &x }
func utDay(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// utResult is a KPI result as Compute returns it.
func utResult(cols []string, rows ...[]any) *metrics.Result {
	r := &metrics.Result{Rows: rows}
	for _, c := range cols {
		r.Columns = append(r.Columns, metrics.Column{Name: c})
	}
	return r
}

// utNames are display names by kind and id, as loadNames reads them.
func utNames(kindIDName ...string) *names {
	n := &names{byKind: map[string]map[string]string{}}
	for i := 0; i+2 < len(kindIDName); i += 3 {
		k := kindIDName[i]
		if n.byKind[k] == nil {
			n.byKind[k] = map[string]string{}
		}
		n.byKind[k][kindIDName[i+1]] = kindIDName[i+2]
	}
	return n
}

// utOption is the part of a chart's ECharts option the tests read.
type utOption struct {
	Series []struct {
		Name string
		Data []struct {
			Name  string
			Value any
		}
		ItemStyle struct{ Color string }
	}
	XAxis []struct {
		Name string
		Data []any
	}
	YAxis []struct {
		Name string
		Data []any
	}
	Tooltip struct{ Formatter string }
}

func utParse(t *testing.T, c Chart) utOption {
	t.Helper()
	if c.Empty != "" {
		t.Fatalf("chart %s is empty: %s", c.ID, c.Empty)
	}
	var o utOption
	if err := json.Unmarshal([]byte(c.Option), &o); err != nil {
		t.Fatalf("chart %s: %v", c.ID, err)
	}
	return o
}

// utValues are one series' values (numbers, arrays, or "-" for a gap).
func utValues(t *testing.T, o utOption, series string) []any {
	t.Helper()
	for _, s := range o.Series {
		if s.Name == series {
			var out []any
			for _, d := range s.Data {
				out = append(out, d.Value)
			}
			return out
		}
	}
	t.Fatalf("no series %q", series)
	return nil
}

func utEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}

// utScript and utFunc are names that must stay data: one closes a script
// element, the other is go-echarts' marker for live JavaScript.
const utScript, utFunc = "</script><script>alert(1)</script>", "__f__alert(1)__f__"

// utNoInjection checks that the evil names reach a chart only as escaped
// JSON strings.
func utNoInjection(t *testing.T, c Chart, wantFunc bool) {
	t.Helper()
	if !strings.Contains(c.Option, `\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e`) {
		t.Errorf("chart %s: the script name is not escaped JSON data: %s", c.ID, c.Option)
	}
	if strings.Contains(c.Option, "</script>") || strings.Contains(c.Option, "<script>") {
		t.Errorf("chart %s: an unescaped script tag is in the option", c.ID)
	}
	if wantFunc && !strings.Contains(c.Option, `"`+utFunc+`"`) {
		t.Errorf("chart %s: %s is not a plain JSON string: %s", c.ID, utFunc, c.Option)
	}
}

// utRender renders a page template as render does and checks that no evil
// name reached the HTML unescaped.
func utRender(t *testing.T, name string, v View, n *names, body any) string {
	t.Helper()
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, name, pageData{Pages: Pages, View: v, Names: n, Body: body}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	if strings.Contains(page, "<script>alert") || strings.Contains(page, "</script><script>") {
		t.Errorf("%s: an unescaped script reached the page", name)
	}
	return page
}

var (
	utW1, utW2 = utDay("2026-10-05"), utDay("2026-10-12")
	utView     = View{Org: "o", From: utDay("2026-10-01"), To: utDay("2026-11-01")}
	// p1 Ann, p2 the script name, p3 the function marker; t1 Brand, t2 the
	// script name.
	utPeople = utNames("person", "p1", "Ann", "person", "p2", utScript, "person", "p3", utFunc,
		"team", "t1", "Brand", "team", "t2", utScript)
)

// utByPerson is billable_utilization by person and week:
//
//	p1 W1: 30 of 40 h billable = 75%, target 32 h = 80%
//	p1 W2: 36 of 40 h = 90%, target 80%        → range 66/80 = 82.5%, target 64/80 = 80%
//	p2 W1: 10 of 40 h = 25%, target 20 h = 50%
//	p2 W2: no available hours: value NULL (a gap) → range 10/40 = 25%, target 20/40 = 50%
//	p3 W1: 4 h logged, no available hours: NULL → no range value
func utByPerson() *metrics.Result {
	cols := []string{"period", "person", "value", "billable_hours", "available_hours", "target_hours", "target", "utilization_gap"}
	return utResult(cols,
		[]any{utW1, "p1", utF(0.75), utDec("30"), utDec("40"), utDec("32"), utF(0.8), utF(-0.05)},
		[]any{utW2, "p1", utF(0.9), utDec("36"), utDec("40"), utDec("32"), utF(0.8), utF(0.1)},
		[]any{utW1, "p2", 0.25, utDec("10"), utDec("40"), utDec("20"), 0.5, -0.25}, // plain float64s, as the engine returns them
		[]any{utW2, "p2", nil, utDec("0"), utDec("0"), utDec("0"), nil, nil},
		[]any{utW1, "p3", nil, utDec("4"), utDec("0"), utDec("0"), (*float64)(nil), (*float64)(nil)},
	)
}

// utUntracked is untracked_hours by person:
//
//	p1: 40 available, 37.5 logged → 2.5 untracked
//	p2: 40 available, 30 logged   → 10 untracked
//	p3: 0 available, 4 logged     → 0 untracked
func utUntracked() *metrics.Result {
	return utResult([]string{"person", "value", "available_hours", "logged_hours"},
		[]any{"p1", utDec("2.5"), utDec("40"), utDec("37.5")},
		[]any{"p2", utDec("10"), utDec("40"), utDec("30")},
		[]any{"p3", utDec("0"), utDec("0"), utDec("4")},
	)
}

func TestPersonOrder(t *testing.T) {
	// p1 82.5% before p2 25%; p3 has no capacity and comes last.
	utEqual(t, "order", personOrder(utByPerson(), utPeople), []string{"p1", "p2", "p3"})
	if got := personOrder(nil, utPeople); len(got) != 0 {
		t.Errorf("no result: %v", got)
	}
}

func TestBuildUtilizationHeatmap(t *testing.T) {
	c, err := buildUtilizationHeatmap(utView, utByPerson(), []string{"p1", "p2", "p3"}, utPeople, false)
	if err != nil {
		t.Fatal(err)
	}
	o := utParse(t, c)
	utEqual(t, "weeks", o.XAxis[0].Data, []any{"5 Oct 2026", "12 Oct 2026"})
	utEqual(t, "people, busiest first", o.YAxis[0].Data, []any{"Ann", utScript, utFunc})
	// [week, person, %]: the NULL cells (p2 W2, p3 W1) are gaps, not zeros.
	utEqual(t, "cells", utValues(t, o, "billable utilization %"), []any{
		[]any{0.0, 0.0, 75.0}, []any{1.0, 0.0, 90.0}, []any{0.0, 1.0, 25.0}})
	utEqual(t, "tooltip", o.Tooltip.Formatter, "{b}")
	utEqual(t, "first cell's tooltip", o.Series[0].Data[0].Name, "Ann, 5 Oct 2026: 75.0% billable (target 80.0%), 30.00 of 40.00 h")
	utEqual(t, "table", c.Table.Rows, [][]string{
		{"Ann", "5 Oct 2026", "75.0%", "80.0%", "30.00", "40.00"},
		{"Ann", "12 Oct 2026", "90.0%", "80.0%", "36.00", "40.00"},
		{utScript, "5 Oct 2026", "25.0%", "50.0%", "10.00", "40.00"},
		{utScript, "12 Oct 2026", "–", "–", "0.00", "0.00"},
		{utFunc, "5 Oct 2026", "–", "–", "4.00", "0.00"},
	})
	if o.XAxis[0].Name == "" || o.YAxis[0].Name == "" {
		t.Error("axes need names")
	}
	utNoInjection(t, c, true)

	// Empty states: no rows, or rows without any capacity.
	noCapacity := utByPerson()
	noCapacity.Rows = noCapacity.Rows[3:] // p2 W2 and p3 W1, both NULL
	for name, res := range map[string]*metrics.Result{"no rows": nil, "no capacity": noCapacity} {
		c, err := buildUtilizationHeatmap(utView, res, personOrder(res, utPeople), utPeople, false)
		if err != nil {
			t.Fatal(err)
		}
		if c.Empty != utilizationMissing {
			t.Errorf("%s: empty state %q", name, c.Empty)
		}
	}
}

// utByTeam is billable_utilization by team and week:
//
//	t1 W1: 30 of 40 h = 75%, target 32 h; W2: 20 of 40 h = 50%, target 32 h
//	t2 W1: 10 of 20 h = 50%, target 10 h; W2: no row
//	target line: W1 (32+10)/(40+20) = 70%; W2 32/40 = 80%
func utByTeam() *metrics.Result {
	cols := []string{"period", "team", "value", "billable_hours", "available_hours", "target_hours", "target", "utilization_gap"}
	return utResult(cols,
		[]any{utW1, "t1", 0.75, utDec("30"), utDec("40"), utDec("32"), 0.8, -0.05},
		[]any{utW1, "t2", 0.5, utDec("10"), utDec("20"), utDec("10"), 0.5, 0.0},
		[]any{utW2, "t1", 0.5, utDec("20"), utDec("40"), utDec("32"), 0.8, -0.3},
	)
}

func TestBuildUtilizationTrend(t *testing.T) {
	c, err := buildUtilizationTrend(utView, "util-team", "team", utByTeam(), utPeople, false)
	if err != nil {
		t.Fatal(err)
	}
	o := utParse(t, c)
	utEqual(t, "weeks", o.XAxis[0].Data, []any{"5 Oct 2026", "12 Oct 2026"})
	utEqual(t, "Brand", utValues(t, o, "Brand"), []any{75.0, 50.0})
	utEqual(t, "t2, without a W2 row", utValues(t, o, utScript), []any{50.0, "-"})
	utEqual(t, "target", utValues(t, o, "target"), []any{70.0, 80.0})
	// The table lists groups by display name ("<" sorts before "B"), then weeks.
	utEqual(t, "table", c.Table.Rows, [][]string{
		{"5 Oct 2026", utScript, "50.0%", "50.0%", "10.00", "20.00"},
		{"12 Oct 2026", utScript, "–", "–", "–", "–"}, // no row: unknown, not zero
		{"5 Oct 2026", "Brand", "75.0%", "80.0%", "30.00", "40.00"},
		{"12 Oct 2026", "Brand", "50.0%", "80.0%", "20.00", "40.00"},
	})
	seen := map[string]string{}
	for _, s := range o.Series {
		if other, dup := seen[s.ItemStyle.Color]; dup {
			t.Errorf("%q and %q share colour %s", s.Name, other, s.ItemStyle.Color)
		}
		seen[s.ItemStyle.Color] = s.Name
	}
	if o.YAxis[0].Name == "" || o.XAxis[0].Name == "" {
		t.Error("axes need names")
	}
	utNoInjection(t, c, false)

	c, err = buildUtilizationTrend(utView, "util-role", "role", nil, utPeople, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Empty != utilizationMissing || c.Title != "Billable utilization by role and month" {
		t.Errorf("empty trend: %+v", c)
	}
}

func TestBuildUntracked(t *testing.T) {
	c, err := buildUntracked(utUntracked(), utPeople)
	if err != nil {
		t.Fatal(err)
	}
	o := utParse(t, c)
	// Most untracked first: p2 10 h, p1 2.5 h, p3 0 h.
	utEqual(t, "people", o.YAxis[0].Data, []any{utScript, "Ann", utFunc})
	utEqual(t, "hours", utValues(t, o, "untracked hours"), []any{10.0, 2.5, 0.0})
	utEqual(t, "table", c.Table.Rows, [][]string{
		{utScript, "10.00", "40.00", "30.00"},
		{"Ann", "2.50", "40.00", "37.50"},
		{utFunc, "0.00", "0.00", "4.00"},
	})
	if o.XAxis[0].Name != "untracked hours (h)" || o.Tooltip.Formatter == "" {
		t.Errorf("axis %q, tooltip %q", o.XAxis[0].Name, o.Tooltip.Formatter)
	}
	utNoInjection(t, c, true)

	c, err = buildUntracked(utResult([]string{"person", "value", "available_hours", "logged_hours"}), utPeople)
	if err != nil || c.Empty != utilizationMissing {
		t.Errorf("empty: %q, %v", c.Empty, err)
	}
}

func TestBuildPeople(t *testing.T) {
	teams := map[string]string{"p1": "t1", "p2": ""} // p2 has no team, p3 is unknown
	got := buildPeople(utView, []string{"p1", "p2", "p3"}, utByPerson(), utUntracked(), teams, utPeople)
	want := []PersonRow{
		// 66/80 = 82.5% against 64/80 = 80%: +2.5 pts
		{Name: "Ann", Link: "/people/p1?back=%2Futilization&from=2026-10-01&org=o&to=2026-11-01", Team: "Brand", TeamLink: "/utilization?from=2026-10-01&org=o&team=t1&to=2026-11-01",
			Utilization: "82.5%", Target: "80.0%", Gap: "+2.5 pts", Billable: "66.00", Available: "80.00", Untracked: "2.50", Trend: "good"},
		// 10/40 = 25% against 20/40 = 50%: -25 pts
		{Name: utScript, Link: "/people/p2?back=%2Futilization&from=2026-10-01&org=o&to=2026-11-01", Utilization: "25.0%", Target: "50.0%", Gap: "-25.0 pts", Billable: "10.00", Available: "40.00",
			Untracked: "10.00", Trend: "bad"},
		// no available hours: no ratio
		{Name: utFunc, Link: "/people/p3?back=%2Futilization&from=2026-10-01&org=o&to=2026-11-01", Utilization: "–", Target: "–", Gap: "–", Billable: "4.00", Available: "0.00", Untracked: "0.00"},
	}
	utEqual(t, "people", got, want)

	// Exactly on target, after rounding, is on target and not "-0.0 pts":
	// 79.99/100 = 79.99% shows as 80.0% against 80%.
	onTarget := utResult([]string{"period", "person", "value", "billable_hours", "available_hours", "target_hours"},
		[]any{utW1, "p1", 0.7999, utDec("79.99"), utDec("100"), utDec("80")})
	row := buildPeople(utView, []string{"p1"}, onTarget, nil, nil, utPeople)[0]
	if row.Gap != "+0.0 pts" || row.Trend != "good" || row.Untracked != "–" {
		t.Errorf("on target: %+v", row)
	}
}

func TestSeriesColors(t *testing.T) {
	// Find two names colorOf gives the same colour.
	var a, b string
	byColor := map[string]string{}
	for i := 0; a == ""; i++ {
		name := "team " + string(rune('a'+i%26)) + string(rune('a'+i/26))
		if other, ok := byColor[colorOf(name)]; ok {
			a, b = other, name
		}
		byColor[colorOf(name)] = name
	}
	got := seriesColors([]string{a, b}, colorOf("target"))
	if got[a] == got[b] || got[a] == colorOf("target") || got[b] == colorOf("target") {
		t.Errorf("colours %v share one, or the target's %s", got, colorOf("target"))
	}
	// Without a collision a series keeps its colour on every page.
	if got := seriesColors([]string{"Brand"}); got["Brand"] != colorOf("Brand") {
		t.Errorf("Brand: %s, want %s", got["Brand"], colorOf("Brand"))
	}
}

func TestUntrackedNote(t *testing.T) {
	if note := untrackedNote(utUntracked()); note != "" {
		t.Errorf("time was logged, yet: %q", note)
	}
	nothing := utResult([]string{"person", "value", "available_hours", "logged_hours"},
		[]any{"p1", utDec("40"), utDec("40"), nil})
	if note := untrackedNote(nothing); !strings.Contains(note, "import time entries") {
		t.Errorf("no time logged: %q", note)
	}
}

func TestUtilizationPageEscapesNames(t *testing.T) {
	heat, err := buildUtilizationHeatmap(utView, utByPerson(), []string{"p1", "p2", "p3"}, utPeople, false)
	if err != nil {
		t.Fatal(err)
	}
	body := utilizationBody{Heatmap: heat, Teams: emptyChart("util-team", "t", "x"), Roles: emptyChart("util-role", "r", "y"),
		Untracked: emptyChart("util-untracked", "u", "z"),
		People:    buildPeople(utView, []string{"p1", "p2"}, utByPerson(), utUntracked(), map[string]string{"p1": "t1"}, utPeople)}
	page := utRender(t, "utilization", utView, utPeople, body)
	for _, want := range []string{
		"&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;", // in the people table
		`<a href="/utilization?from=2026-10-01&amp;org=o&amp;team=t1&amp;to=2026-11-01">Brand</a>`,
		`data-option="{`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}
