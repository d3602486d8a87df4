package dashboards

import (
	"bytes"
	"encoding/json"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/metrics"
)

func ctDay(m time.Month, d int) time.Time { return time.Date(2026, m, d, 0, 0, 0, 0, time.UTC) }
func ctDec(s string) decimal.Decimal      { return decimal.RequireFromString(s) }

// ctEvil are role names that must stay data.
const ctScript, ctFunc = "</script><script>alert(1)</script>", "__f__alert(1)__f__"

// ctCell is a grid cell; free = available − booked − tentative, as
// metrics.Capacity computes it with tentative included.
func ctCell(key string, week time.Time, available, booked, tentative string) metrics.CapacityCell {
	c := metrics.CapacityCell{Key: key, Week: week, Available: ctDec(available), Booked: ctDec(booked), Tentative: ctDec(tentative)}
	c.Free = c.Available.Sub(c.Booked).Sub(c.Tentative)
	return c
}

// ctGrid: two roles (one of them the evil name) over two weeks.
//
//	designer  2 Nov: 80 − 50 − 10 = 20 h free     9 Nov: 40 − 45 − 0 = −5 h (overbooked)
//	evil      2 Nov: 40 − 0 − 0  = 40 h free      9 Nov: 40 − 40 − 2.5 = −2.5 h
func ctGrid() *metrics.CapacityGrid {
	w1, w2 := ctDay(11, 2), ctDay(11, 9)
	return &metrics.CapacityGrid{Org: "o", By: "role", Weeks: []time.Time{w1, w2}, IncludeTentative: true, Cells: []metrics.CapacityCell{
		ctCell("designer", w1, "80", "50", "10"), ctCell("designer", w2, "40", "45", "0"),
		ctCell(ctScript, w1, "40", "0", "0"), ctCell(ctScript, w2, "40", "40", "2.5"),
	}}
}

// ctOption is a chart's option, parsed.
func ctOption(t *testing.T, c Chart) map[string]any {
	t.Helper()
	var o map[string]any
	if err := json.Unmarshal([]byte(c.Option), &o); err != nil {
		t.Fatalf("chart %s: option is not JSON: %v", c.ID, err)
	}
	return o
}

func ctEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}

func ctSame(s string) string { return s }

func TestFreeHeatmap(t *testing.T) {
	c, err := freeHeatmap("capacity-roles", "Free hours by role and week", "role", ctGrid(), ctSame, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Empty != "" {
		t.Fatalf("empty: %s", c.Empty)
	}
	o := ctOption(t, c)
	series := o["series"].([]any)[0].(map[string]any)
	var values []any
	var labels []string
	for _, d := range series["data"].([]any) {
		values = append(values, d.(map[string]any)["value"])
		labels = append(labels, d.(map[string]any)["name"].(string))
	}
	// [week column, role row, free hours]: rows in the grid's key order.
	ctEqual(t, "cells", values, []any{
		[]any{0.0, 0.0, 20.0}, []any{1.0, 0.0, -5.0},
		[]any{0.0, 1.0, 40.0}, []any{1.0, 1.0, -2.5},
	})
	ctEqual(t, "tooltip of designer on 2 Nov", labels[0], "designer, week of 2 Nov 2026: 20.0 h free = 80.0 available − 50.0 booked − 10.0 tentative")
	ctEqual(t, "x axis", o["xAxis"].([]any)[0].(map[string]any)["data"], []any{"2 Nov 2026", "9 Nov"})
	ctEqual(t, "y axis", o["yAxis"].([]any)[0].(map[string]any)["data"], []any{"designer", ctScript})
	ctEqual(t, "tooltip", o["tooltip"].(map[string]any)["formatter"], "{b}")
	// The scale runs from the lowest free hours (−5) to the highest (40),
	// red at −5 and blue at 40.
	vm := o["visualMap"].([]any)[0].(map[string]any)
	ctEqual(t, "scale", []any{vm["min"], vm["max"], vm["text"]}, []any{-5.0, 40.0, []any{"free h", "overbooked h"}})
	colors := vm["inRange"].(map[string]any)["color"].([]any)
	ctEqual(t, "scale ends", []any{colors[0], colors[len(colors)-1]}, []any{"#b42318", "#2f6fb3"})

	ctEqual(t, "table columns", c.Table.Columns, []string{"role", "week of", "available h", "booked h", "tentative h", "free h"})
	ctEqual(t, "table", c.Table.Rows, [][]string{
		{"designer", "2026-11-02", "80.00", "50.00", "10.00", "20.00"},
		{"designer", "2026-11-09", "40.00", "45.00", "0.00", "-5.00"},
		{ctScript, "2026-11-02", "40.00", "0.00", "0.00", "40.00"},
		{ctScript, "2026-11-09", "40.00", "40.00", "2.50", "-2.50"},
	})

	// The evil name is escaped JSON data and never live markup or code.
	if !strings.Contains(c.Option, `\u003c/script\u003e\u003cscript\u003ealert(1)`) || strings.Contains(c.Option, "</script>") {
		t.Errorf("the role name is not escaped: %s", c.Option)
	}
	var page bytes.Buffer
	if err := templates.ExecuteTemplate(&page, "capacity", pageData{Pages: Pages, View: View{Org: "o", From: ctDay(10, 1), To: ctDay(11, 1)}, Names: &names{},
		Body: capacityBody{Roles: c, Teams: emptyChart("capacity-teams", "t", capacityMissing), Form: parseStartForm(url.Values{}, ctDay(11, 4))}}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(page.String(), "<script>alert") {
		t.Error("an unescaped </script><script> reached the page")
	}
}

func TestFreeHeatmapFunctionName(t *testing.T) {
	g := ctGrid()
	for i := range g.Cells {
		if g.Cells[i].Key == ctScript {
			g.Cells[i].Key = ctFunc
		}
	}
	c, err := freeHeatmap("r", "t", "role", g, ctSame, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A plain JSON string (the y axis datum), which app.js never evaluates.
	if !strings.Contains(c.Option, `"`+ctFunc+`"`) {
		t.Errorf("%s is not a plain string: %s", ctFunc, c.Option)
	}
}

func TestFreeHeatmapKeepAndEmpty(t *testing.T) {
	// The team filter: only the kept key, its two weeks.
	c, err := freeHeatmap("t", "t", "team", ctGrid(), ctSame, func(k string) bool { return k == "designer" })
	if err != nil {
		t.Fatal(err)
	}
	ctEqual(t, "kept rows", len(c.Table.Rows), 2)
	// Without tentative hours subtracted the tooltip says so.
	g := ctGrid()
	g.IncludeTentative = false
	c, _ = freeHeatmap("t", "t", "role", g, ctSame, nil)
	if name := ctOption(t, c)["series"].([]any)[0].(map[string]any)["data"].([]any)[0].(map[string]any)["name"]; !strings.Contains(name.(string), "(tentative 10.0, not subtracted)") {
		t.Errorf("tooltip %q", name)
	}
	for name, g := range map[string]*metrics.CapacityGrid{
		"nil grid": nil, "no cells": {By: "role", Weeks: []time.Time{ctDay(11, 2)}},
	} {
		c, err := freeHeatmap("x", "t", "role", g, ctSame, nil)
		if err != nil || c.Empty != capacityMissing || c.Option != "" {
			t.Errorf("%s: %+v %v, want the empty state", name, c, err)
		}
	}
	if c, _ := freeHeatmap("x", "t", "team", ctGrid(), ctSame, func(string) bool { return false }); c.Empty == "" {
		t.Error("a team filter that keeps nothing: want the empty state")
	}
}

func TestDivergingColors(t *testing.T) {
	// −10 to 30 h over 41 stops: stop i is at i − 10 h. Stop 10 is 0 h
	// (white), stop 0 is −10 h (full red), stop 40 is 30 h (full blue).
	// Stop 5, −5 h, is halfway from white (f7 f7 f7) to red (b4 23 18):
	// 247 − 67/2 = 213.5 → 214 = d6; 247 − 212/2 = 141 = 8d; 247 − 223/2 =
	// 135.5 → 136 = 88. Stop 25, 15 h, is halfway to blue (2f 6f b3):
	// 247 − 200/2 = 147 = 93; 247 − 136/2 = 179 = b3; 247 − 68/2 = 213 = d5.
	c := divergingColors(-10, 30)
	ctEqual(t, "stops", len(c), colourStops)
	ctEqual(t, "picks", []string{c[0], c[5], c[10], c[25], c[40]}, []string{"#b42318", "#d68d88", "#f7f7f7", "#93b3d5", "#2f6fb3"})
	// No overbooking: white to blue.
	c = divergingColors(0, 1)
	ctEqual(t, "ends", []string{c[0], c[40]}, []string{"#f7f7f7", "#2f6fb3"})
}

// ctAnswer is the kpis.md example: designers need 20 h/week for 3 weeks,
// not before Wednesday 2 December; the first possible week is 7 December,
// the start 4 January with 10 h to spare, 7 December is 10 h short, and
// 60 h over 4 weeks (15 h/week) could start on 14 December.
func ctAnswer() *metrics.EarliestStartAnswer {
	start := time.Date(2027, 1, 4, 0, 0, 0, 0, time.UTC)
	before, after := 0.75, 0.875 // 90 of 120 h booked; with 60 h more: 105 ÷ 120
	return &metrics.EarliestStartAnswer{
		Feasible: true, Start: &start, NotBefore: ctDay(12, 2), FirstWeek: ctDay(12, 7), Weeks: 3, HorizonWeeks: 52,
		Roles:     []metrics.RoleFit{{Role: "designer", Demand: ctDec("20"), TightestWeek: start, Slack: ctDec("10")}},
		Shortfall: []metrics.Shortfall{{Role: "designer", Week: ctDay(12, 7), Free: ctDec("10"), Demand: ctDec("20"), Short: ctDec("10")}},
		Stretched: &metrics.Stretch{Weeks: 4, Demand: map[string]decimal.Decimal{"designer": ctDec("15")}, Start: ctDay(12, 14)},
		WhatIf:    []metrics.RoleLoad{{Role: "designer", Available: ctDec("120"), Booked: ctDec("30"), Before: &before, After: &after}},
	}
}

func TestDescribeStart(t *testing.T) {
	name := func(r string) string { return map[string]string{"designer": "Designer"}[r] }
	a := describeStart(ctAnswer(), name, ctSame)
	ctEqual(t, "headline", a.Headline, "Earliest start: the week of Monday 4 January 2027.")
	ctEqual(t, "reasons", a.Reasons, []string{
		// 7 December to 4 January is 4 weeks.
		"That is 4 weeks after the first possible week (Monday 7 December 2026): every earlier start hits a week in which a role has fewer free hours than the job needs.",
		"Designer: the tightest week is the week of 4 January 2027, with 10.0 h to spare after the job's 20 h.",
		"Starting the week of 7 December 2026 (the first possible week) does not fit: 1 role-week falls short. The worst is Designer in the week of 7 December 2026: 10.0 h free of the 20 h needed, 10.0 h short.",
		"Spread over 4 weeks instead of 3 (Designer 15.0 h a week), the same hours could start the week of 14 December 2026.",
		"Designer would go from 75.0% to 87.5% scheduled utilization over the job's weeks (30.0 h booked of 120.0 h available, before the job).",
	})
	ctEqual(t, "fits", a.Fits.Rows, [][]string{{"Designer", "20", "2027-01-04", "10.00"}})
	ctEqual(t, "shortfalls", a.Shortfalls.Rows, [][]string{{"Designer", "2026-12-07", "10.00", "20", "10.00"}})
	ctEqual(t, "loads", a.Loads.Rows, [][]string{{"Designer", "120.00", "30.00", "75.0%", "87.5%"}})

	// Starting on the first possible week: no shortfall, no stretch, and a
	// role with no hours to spare and no available hours.
	ans := ctAnswer()
	ans.Start, ans.Shortfall, ans.Stretched = &ans.FirstWeek, nil, nil
	ans.Roles[0].Slack = decimal.Zero
	ans.WhatIf[0].Before, ans.WhatIf[0].After = nil, nil
	a = describeStart(ans, ctSame, ctSame)
	ctEqual(t, "first week", a.Reasons, []string{
		"It can start the first week on or after 2 December 2026: every role has the hours it needs in each of the 3 weeks.",
		"designer: the tightest week is the week of 4 January 2027, with no hours to spare after the job's 20 h.",
		"designer has no available hours in the job's weeks.",
	})
	ctEqual(t, "no shortfall table", a.Shortfalls.Rows, [][]string(nil))
	ctEqual(t, "unknown utilization", a.Loads.Rows, [][]string{{"designer", "120.00", "30.00", "–", "–"}})

	// No start in the horizon: the answer says so, with what falls short,
	// and that stretching does not help.
	ans = ctAnswer()
	ans.Feasible, ans.Start, ans.Roles, ans.WhatIf, ans.Stretched = false, nil, nil, nil, nil
	a = describeStart(ans, ctSame, ctSame)
	if a.Feasible || a.Headline != "No start fits within 52 weeks of Monday 7 December 2026." {
		t.Errorf("headline %q", a.Headline)
	}
	ctEqual(t, "no start", a.Reasons, []string{
		"No start in those 52 weeks gives every role the hours it needs in each of the job's 3 weeks.",
		"Starting the week of 7 December 2026 (the first possible week) does not fit: 1 role-week falls short. The worst is designer in the week of 7 December 2026: 10.0 h free of the 20 h needed, 10.0 h short.",
		"Spreading the same hours over up to 6 weeks would not start it earlier.",
	})
	if len(a.Fits.Rows) != 0 || len(a.Loads.Rows) != 0 {
		t.Errorf("tables of an answer without a start: %+v %+v", a.Fits, a.Loads)
	}
}

func TestParseStartForm(t *testing.T) {
	today := ctDay(11, 4) // a Wednesday
	// Not sent: five empty rows, today, tentative counted, nothing wrong.
	f := parseStartForm(url.Values{}, today)
	if f.Submitted || len(f.Errors) > 0 || len(f.Rows) != demandRows || f.Rows[4].N != 5 || f.NotBefore != "2026-11-04" || !f.Tentative {
		t.Errorf("not sent: %+v", f)
	}
	if f.ok() {
		t.Error("a form not sent is not ok")
	}

	// The form's fields: rows in order, empty ones skipped; the unticked
	// box (absent) leaves tentative out.
	q, _ := url.ParseQuery("role=designer&hours=20&role=&hours=&role=developer&hours=7.5&job_weeks=6&not_before=2026-11-10")
	f = parseStartForm(q, today)
	if !f.ok() {
		t.Fatalf("errors %v", f.Errors)
	}
	ctEqual(t, "rows", f.Rows[:3], []demandRow{{1, "designer", "20"}, {2, "developer", "7.5"}, {3, "", ""}})
	r := f.Request
	ctEqual(t, "request", []any{r.Demand["designer"].String(), r.Demand["developer"].String(), len(r.Demand), r.Weeks, r.NotBefore, r.IncludeTentative},
		[]any{"20", "7.5", 2, 6, ctDay(11, 10), false})

	// A link: need=ROLE:HOURS, tentative counted unless it says not, and
	// not before defaults to today.
	q, _ = url.ParseQuery("need=designer:20&need=developer:10&job_weeks=4")
	f = parseStartForm(q, today)
	if !f.ok() || !f.Request.IncludeTentative || !f.Request.NotBefore.Equal(today) || len(f.Request.Demand) != 2 {
		t.Errorf("link: %+v", f)
	}

	for _, c := range []struct{ query, want string }{
		{"role=designer&hours=0&job_weeks=4", `Role "designer": hours per week must be more than 0 (got 0).`},
		{"role=designer&hours=-3&job_weeks=4", `Role "designer": hours per week must be more than 0 (got -3).`},
		{"role=designer&hours=NaN&job_weeks=4", `Role "designer": hours per week must be more than 0 (got NaN).`},
		{"role=designer&hours=abc&job_weeks=4", `Role "designer": hours per week "abc" is not a number.`},
		{"role=designer&hours=1e400&job_weeks=4", `Role "designer": 1e400 hours per week is more than 10000.`},
		{"role=designer&hours=&job_weeks=4", `Role "designer": give its hours per week.`},
		{"role=&hours=5&job_weeks=4", `Row 1: choose a role for its 5 hours per week.`},
		{"need=designer:5&need=designer:6&job_weeks=4", `Role "designer" is asked twice: give its hours per week once.`},
		{"role=&hours=&job_weeks=4", `Give hours per week for at least one role.`},
		{"need=a:1&need=b:1&need=c:1&need=d:1&need=e:1&need=f:1&job_weeks=4", `6 roles asked: the form takes at most 5.`},
		{"need=designer:5", `Give the number of weeks the job runs (1 to 52).`},
		{"need=designer:5&job_weeks=0", `Weeks "0": want a whole number from 1 to 52.`},
		{"need=designer:5&job_weeks=53", `Weeks "53": want a whole number from 1 to 52.`},
		{"need=designer:5&job_weeks=two", `Weeks "two": want a whole number from 1 to 52.`},
		{"need=designer:5&job_weeks=4&not_before=2026-02-30", `Not before "2026-02-30": there is no such day: February 2026 has 28 days.`},
		{"need=designer:5&job_weeks=4&not_before=04/12/2026", `Not before "04/12/2026": want a date as YYYY-MM-DD.`},
		{"need=designer:5&job_weeks=4&not_before=2026-11-03", `Not before 2026-11-03 is in the past: give today (2026-11-04) or a later date.`},
		{"need=designer:5&job_weeks=4&not_before=2028-11-05", `Not before 2028-11-05 is more than 104 weeks ahead: the capacity plan does not reach that far.`},
	} {
		q, err := url.ParseQuery(c.query)
		if err != nil {
			t.Fatal(err)
		}
		f := parseStartForm(q, today)
		if f.ok() || !f.Submitted || !strings.Contains(strings.Join(f.Errors, "\n"), c.want) {
			t.Errorf("%s: errors %q, want %q", c.query, f.Errors, c.want)
		}
		if f.Request.Demand != nil {
			t.Errorf("%s: a request despite the errors", c.query)
		}
		if len(f.Rows) < demandRows {
			t.Errorf("%s: %d rows shown, want at least %d", c.query, len(f.Rows), demandRows)
		}
	}
}

func TestCheckRoles(t *testing.T) {
	roles := []Option{{"designer", "designer"}, {"developer", "developer"}}
	q, _ := url.ParseQuery("role=designer&hours=5&role=painter&hours=3&job_weeks=2")
	f := parseStartForm(q, ctDay(11, 4))
	f.checkRoles(roles)
	ctEqual(t, "errors", f.Errors, []string{`Role "painter" is not a role of this org: choose one of designer, developer.`})
	if f.ok() {
		t.Error("ok with an unknown role")
	}
	f = parseStartForm(q, ctDay(11, 4))
	f.checkRoles(nil)
	ctEqual(t, "no roles", f.Errors[0], `Role "designer": this org has no roles yet (import people with a role first).`)

	// Roles are matched as the CLI and the API match them: "designer " asks
	// for the org's "Designer", spelt so in the form and the request.
	q, _ = url.ParseQuery("role=designer+&hours=5&role=DEVELOPER&hours=3&job_weeks=2")
	f = parseStartForm(q, ctDay(11, 4))
	f.checkRoles([]Option{{"Designer", "Designer"}, {"Developer", "Developer"}})
	ctEqual(t, "case errors", f.Errors, []string(nil))
	ctEqual(t, "case rows", []string{f.Rows[0].Role, f.Rows[1].Role}, []string{"Designer", "Developer"})
	ctEqual(t, "case demand", f.Request.Demand, map[string]decimal.Decimal{"Designer": decimal.NewFromInt(5), "Developer": decimal.NewFromInt(3)})
	q, _ = url.ParseQuery("role=designer&hours=5&role=Designer&hours=3&job_weeks=2")
	f = parseStartForm(q, ctDay(11, 4))
	f.checkRoles([]Option{{"Designer", "Designer"}})
	ctEqual(t, "twice", f.Errors, []string{`Role "Designer" is asked twice, as "designer" and "Designer": give its hours per week once.`})
}

func TestTentativeOf(t *testing.T) {
	for query, want := range map[string]bool{
		"":                                  true,  // the page as opened
		"include_tentative=false":           false, // a link that says not
		"need=designer:5&job_weeks=2":       true,  // a link, silent
		"role=designer&hours=5&job_weeks=2": false, // the form, box unticked
		"role=designer&hours=5&include_tentative=true": true,
	} {
		q, _ := url.ParseQuery(query)
		if got := tentativeOf(q); got != want {
			t.Errorf("%q: %v, want %v", query, got, want)
		}
	}
}

func TestParseGridWeeks(t *testing.T) {
	for s, want := range map[string]int{"": 26, "13": 13, "208": 208, "209": 26, "0": 26, "x": 26, "-4": 26} {
		w, msg := parseGridWeeks(s)
		if w != want || (msg != "") != (s != "" && s != "13" && s != "208") {
			t.Errorf("%q: %d %q, want %d", s, w, msg, want)
		}
	}
}

func TestTrimGridAndWeeks(t *testing.T) {
	g := trimGrid(ctGrid(), ctDay(11, 9))
	ctEqual(t, "weeks", g.Weeks, []time.Time{ctDay(11, 2)})
	ctEqual(t, "cells", len(g.Cells), 2)
	ctEqual(t, "original untouched", len(ctGrid().Cells), 4)
	// Wednesday 4 November → Monday 9 November; a Monday is its own.
	ctEqual(t, "first week", []time.Time{firstWeekOn(ctDay(11, 4)), firstWeekOn(ctDay(11, 9))}, []time.Time{ctDay(11, 9), ctDay(11, 9)})
	ctEqual(t, "weeks from", weeksFrom(ctDay(11, 2), ctDay(12, 7)), 5)
}

func TestCapacityScope(t *testing.T) {
	// Thursday 26 November 2026, 26 weeks: from Monday 23 November to the
	// week of Monday 17 May 2027 (23 Nov + 25 × 7 days).
	s := capacityScope(View{Team: "Brand"}, ctDay(11, 26), ctDay(11, 23).AddDate(0, 0, 7*26), 26, true)
	if !strings.Contains(s[0], "the 26 weeks from this week (Monday 23 November 2026; this week counts from today, Thursday 26 November) to the week of Monday 17 May 2027") ||
		!strings.Contains(s[0], "nor does the client filter") || !strings.Contains(s[2], "team filter narrows the by-team chart") {
		t.Errorf("scope %q", s)
	}
}

func TestCapacityPageShowsFormErrorsAndAnswer(t *testing.T) {
	q, _ := url.ParseQuery("role=painter&hours=20&role=designer&hours=-1&job_weeks=4")
	f := parseStartForm(q, ctDay(11, 4))
	f.checkRoles([]Option{{"designer", "designer"}})
	body := capacityBody{Form: f, RoleChoice: []Option{{"designer", "designer"}}, Answer: describeStart(ctAnswer(), ctSame, ctSame),
		Roles: emptyChart("capacity-roles", "r", capacityMissing), Teams: emptyChart("capacity-teams", "t", capacityMissing)}
	var buf bytes.Buffer
	if err := templates.ExecuteTemplate(&buf, "capacity", pageData{Pages: Pages, View: View{Org: "o", From: ctDay(10, 1), To: ctDay(11, 1)}, Names: &names{}, Body: body}); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	for _, want := range []string{
		`<form class="filters" method="get" action="/capacity#earliest-start">`,
		`<option value="designer" selected>designer</option>`, // row 2 keeps its choice
		`value="-1"`,
		`Role &#34;designer&#34;: hours per week must be more than 0 (got -1).`,
		`Role &#34;painter&#34; is not a role of this org: choose one of designer.`,
		`<h3>Earliest start: the week of Monday 4 January 2027.</h3>`,
		`<td class="n">87.5%</td>`,
		capacityMissing,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Count(page, `name="hours"`) != demandRows {
		t.Errorf("want %d demand rows", demandRows)
	}
}

// TestCapacityAssumedShown: a cell whose available hours rest on an
// assumed 40 h week says so in its tooltip and in the table beside
// available, and the earliest-start answer says it of the role, naming the
// people.
func TestCapacityAssumedShown(t *testing.T) {
	g := ctGrid()
	// designer, 2 Nov: 40 of its 80 available h are Ana's assumed week.
	g.Cells[0].Assumed, g.Cells[0].AssumedPeople = ctDec("40"), []string{"p-ana"}
	c, err := freeHeatmap("capacity-roles", "Free hours by role and week", "role", g, ctSame, nil)
	if err != nil {
		t.Fatal(err)
	}
	series := ctOption(t, c)["series"].([]any)[0].(map[string]any)
	labels := series["data"].([]any)
	ctEqual(t, "tooltip of designer on 2 Nov", labels[0].(map[string]any)["name"],
		"designer, week of 2 Nov 2026: 20.0 h free = 80.0 available − 50.0 booked − 10.0 tentative; 40.0 of the 80.0 available h are a 40 h week assumed (people created on first sight)")
	ctEqual(t, "tooltip of designer on 9 Nov", labels[1].(map[string]any)["name"],
		"designer, week of 9 Nov 2026: -5.0 h free = 40.0 available − 45.0 booked − 0.0 tentative")
	ctEqual(t, "table columns", c.Table.Columns, []string{"role", "week of", "available h", "of which assumed h", "booked h", "tentative h", "free h"})
	ctEqual(t, "table rows", c.Table.Rows[:2], [][]string{
		{"designer", "2026-11-02", "80.00", "40.00", "50.00", "10.00", "20.00"},
		{"designer", "2026-11-09", "40.00", "0.00", "45.00", "0.00", "-5.00"},
	})

	a := ctAnswer()
	a.CapacityAssumed = []metrics.AssumedCapacity{{Role: "designer", Weeks: 3, Available: ctDec("120"), Assumed: ctDec("40"),
		People: []metrics.Named{{ID: "p-ana", Name: "p-ana"}}}}
	person := func(id string) string { return map[string]string{"p-ana": "Ana Ruiz"}[id] }
	d := describeStart(a, func(r string) string { return "Designer" }, person)
	want := "Designer: 40.0 of the 120.0 available hours in the job's 3 weeks rest on an assumed 40 h week (people created on first sight: Ana Ruiz); import their real capacity (docs/import.md)."
	if !slices.Contains(d.Reasons, want) {
		t.Errorf("reasons %q lack %q", d.Reasons, want)
	}
}
