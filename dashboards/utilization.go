package dashboards

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// utilizationMissing says what to import when a range has no capacity.
const utilizationMissing = "No capacity in this range: import people with their weekly capacity hours, and time entries (opsmetrics import FILE, docs/import.md)."

// utilizationBody is the utilization page's own part.
type utilizationBody struct {
	Heatmap, Teams, Roles, Untracked Chart
	People                           []PersonRow
	Assumed                          bool // some person's available hours are an assumed week
}

// PersonRow is one person of the utilization page's people table.
type PersonRow struct {
	Name, Link, Team, TeamLink                               string
	Utilization, Target, Gap, Billable, Available, Untracked string
	Trend                                                    string // "good" at or above target, "bad" below, "" with no target
	Assumed                                                  string // what the available hours assume, "" when nothing
}

// utilization answers "who is busy, who is idle, and is time being
// tracked?": four KPI requests (utilization by person, team and role, and
// untracked hours by person), and beside them the names and each person's
// team.
func (d *server) utilization(c echo.Context) error {
	// The utilization KPIs take team filters, not client ones.
	v, q, notes, err := d.viewWithout(c, "client", "Utilization is per person, not per client: the client filter does not apply to this page, which counts all of each person's work.")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	grid, gridMonthly := heatmapInterval(v)
	trend, monthly := weeksOrMonths(v)
	// The two small lookups run beside the KPIs.
	var n *names
	var teams map[string]string
	res, err := d.kpisBeside(ctx, func() error {
		var nerr, terr error
		n, nerr = d.loadNames(ctx, v.Org)
		teams, terr = metrics.PersonTeams(ctx, d.cfg.Store, metrics.Request{Org: v.Org, From: v.From, To: v.To, Settings: &v.Settings})
		return errors.Join(nerr, terr)
	},
		q.request("billable_utilization", "group_by", "person", "interval", grid),
		q.request("billable_utilization", "group_by", "team", "interval", trend),
		q.request("billable_utilization", "group_by", "role", "interval", trend),
		q.request("untracked_hours", "group_by", "person"))
	if err != nil {
		return err
	}
	if note := untrackedNote(res[3]); note != "" {
		notes = append(notes, note)
	}
	var body utilizationBody
	order := personOrder(res[0], n)
	if body.Heatmap, err = buildUtilizationHeatmap(v, res[0], order, n, gridMonthly); err != nil {
		return err
	}
	if body.Teams, err = buildUtilizationTrend(v, "util-team", "team", res[1], n, monthly); err != nil {
		return err
	}
	if body.Roles, err = buildUtilizationTrend(v, "util-role", "role", res[2], n, monthly); err != nil {
		return err
	}
	if body.Untracked, err = buildUntracked(res[3], n); err != nil {
		return err
	}
	body.People = buildPeople(v, order, res[0], res[3], teams, n)
	for _, p := range body.People {
		body.Assumed = body.Assumed || p.Assumed != ""
	}
	if err := linkCharts(v, "/utilization", &body.Heatmap, &body.Untracked); err != nil {
		return err
	}
	return d.render(c, "utilization", pageData{View: v, Names: n, Body: body, Notes: notes})
}

// heatmapInterval is the heatmap's column: a week, or a month when weeks
// would be too many to read (more than a year).
func heatmapInterval(v View) (string, bool) {
	if v.Days() > 371 {
		return "month", true
	}
	return "week", false
}

// periodText labels a week (by its Monday) or a month.
func periodText(p time.Time, monthly bool) string {
	if monthly {
		return p.Format("Jan 2006")
	}
	return p.Format("2 Jan 2006")
}

// periodColumn names a table's period column.
func periodColumn(monthly bool) string {
	if monthly {
		return "month"
	}
	return "week of"
}

// pct is a ratio as a percentage with one decimal, rounded as fmtNum
// rounds it, so a chart and its table show the same number.
func pct(v float64) float64 {
	p, _ := strconv.ParseFloat(strconv.FormatFloat(v*100, 'f', 1, 64), 64)
	return p
}

// hours rounds hours to two decimals for a chart.
func hours(v float64) float64 { return math.Round(v*100) / 100 }

// utilizationOf is Σbillable ÷ Σavailable and Σtarget hours ÷ Σ available
// hours that have a target, over the rows keep accepts: a ratio over several
// rows is the ratio of the sums, as the KPI computes it for one row. tok is
// false when no hour has a target, or the target is 0: an unset target is
// not 0%, and nobody is "+17.7 pts" above a target of nothing.
func utilizationOf(t table, keep func(int) bool) (value, target float64, ok, tok bool) {
	b, _ := t.sum("billable_hours", keep)
	a, aok := t.sum("available_hours", keep)
	th, _ := t.sum("target_hours", keep)
	un, _ := t.sum("untargeted_hours", keep)
	value, ok = ratio(b, a, aok)
	target, tok = ratio(th, a-un, aok)
	return value, target, ok, tok && target > 0
}

// targetText is a target for a table or tooltip: "–" with no capacity (no
// data), "no target set" when capacity has no target.
func targetText(target float64, tok, capacity bool) string {
	switch {
	case !capacity:
		return "–"
	case !tok:
		return noTargetText
	}
	return fmtNum(target, true, "ratio")
}

// personOrder lists the people of a utilization-by-person result, busiest
// over the whole range first (people without capacity last), then by name:
// the heatmap and the table then read from busy to idle. Pure.
func personOrder(res *metrics.Result, n *names) []string {
	t := tableOf(res)
	type person struct {
		id, name string
		value    float64
		ok       bool
	}
	var ps []person
	for _, id := range t.groups("person") {
		v, _, ok, _ := utilizationOf(t, func(r int) bool { return t.Str(r, "person") == id })
		ps = append(ps, person{id, n.of("person", id), v, ok})
	}
	slices.SortStableFunc(ps, func(a, b person) int {
		if a.ok != b.ok {
			if a.ok {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(b.value, a.value); c != 0 {
			return c
		}
		return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.id, b.id))
	})
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.id
	}
	return out
}

// buildUtilizationHeatmap charts billable utilization by person (rows, in
// order) and week or month (columns), coloured by value. A cell with no
// capacity is left blank, and so is a week with no workday inside the
// view's range; a week its start or end cuts is marked (View.periodMark).
// Pure.
func buildUtilizationHeatmap(v View, res *metrics.Result, order []string, n *names, monthly bool) (Chart, error) {
	title := "Billable utilization by person and " + map[bool]string{true: "month", false: "week"}[monthly]
	t := tableOf(res)
	periods := t.periods()
	if t.Len() == 0 || len(order) == 0 {
		return emptyChart("util-heatmap", title, utilizationMissing), nil
	}
	xs := make([]string, len(periods))
	partial := make([]string, len(periods))
	shown := make([]bool, len(periods))
	col := map[time.Time]int{}
	for i, p := range periods {
		xs[i], partial[i], shown[i] = v.periodMark(p, monthly)
		col[p] = i
	}
	ys := make([]string, len(order))
	row := map[string]int{}
	for i, id := range order {
		ys[i] = n.of("person", id)
		row[id] = i
	}
	tab := Table{Columns: []string{"person", periodColumn(monthly), "billable utilization", "target", "billable h", "available h"},
		Numeric: []bool{false, false, true, true, true, true}}
	var cells []opts.HeatMapData
	// The table follows the chart's order: person by person, then by period.
	type cell struct{ r, c, i int }
	var cs []cell
	for i := range t.Len() {
		r, ok := row[t.Str(i, "person")]
		if !ok {
			continue
		}
		cs = append(cs, cell{r, col[t.Date(i, "period")], i})
	}
	slices.SortFunc(cs, func(a, b cell) int { return cmp.Or(cmp.Compare(a.r, b.r), cmp.Compare(a.c, b.c)) })
	drawn := false
	var rowIDs []string // the table's person by row
	for _, c := range cs {
		rowIDs = append(rowIDs, order[c.r])
		val, ok := t.Num(c.i, "value")
		target, tok := t.Num(c.i, "target")
		tok = tok && target > 0 // a 0% target is no target (utilizationOf)
		b, bok := t.Num(c.i, "billable_hours")
		a, aok := t.Num(c.i, "available_hours")
		avail := fmtNum(a, aok, "hours")
		if coverageOf(t, "assumed_hours", "available_hours", func(r int) bool { return r == c.i }).some() {
			avail += " (" + assumedWeek + ")"
		}
		tab.Rows = append(tab.Rows, []string{ys[c.r], xs[c.c], markPartial(fmtNum(val, ok, "ratio"), partial[c.c], shown[c.c]),
			targetText(target, tok, ok), fmtNum(b, bok, "hours"), avail})
		if !ok || !shown[c.c] {
			continue // no capacity that week, or no workday of it in the range: a gap, not a zero
		}
		drawn = true
		tgt := "target " + targetText(target, tok, ok)
		if !tok {
			tgt = noTargetText
		}
		label := fmt.Sprintf("%s, %s: %s billable (%s), %s of %s h", ys[c.r], xs[c.c],
			fmtNum(val, ok, "ratio"), tgt, fmtNum(b, bok, "hours"), avail)
		cells = append(cells, opts.HeatMapData{Name: label, Value: []any{c.c, c.r, pct(val)}})
	}
	if !drawn {
		return emptyChart("util-heatmap", title, utilizationMissing), nil
	}
	h := charts.NewHeatMap()
	h.SetGlobalOptions(append(base(title, false, "item"),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item", Formatter: "{b}"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: periodColumn(monthly), NameLocation: "middle", NameGap: 28, Data: xs,
			SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
		// An inverse axis's start is its top: the name sits above the first row.
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Name: "person", NameLocation: "start", Data: ys, Inverse: opts.Bool(true),
			SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
		// 0 to 100% of available hours: idle cream and amber, busy blue
		// (apart for colour-blind readers too); above 100% keeps the
		// darkest blue.
		charts.WithVisualMapOpts(opts.VisualMap{Type: "continuous", Calculable: opts.Bool(true), Min: 0, Max: 100,
			Orient: "horizontal", Right: "16", Top: "0", Text: []string{"100%", "0%"},
			InRange: &opts.VisualMapInRange{Color: []string{"#fdf0d5", "#f6c667", "#8fbbd9", "#2f6fb3", "#173c66"}}}),
	)...)
	// HeatMap.Validate does not copy SetXAxis data: the axis carries it.
	h.AddSeries("billable utilization %", cells)
	ch, err := newChart("util-heatmap", title, h, max(200, 120+26*len(ys)), tab)
	return withDrill(ch, "person", order, rowIDs), err
}

// buildUtilizationTrend charts billable utilization by team or role (dim)
// over weeks or months, one line per group, with the target of all of them
// (Σ target hours ÷ Σ available hours) dashed. A week the view's range cuts
// is marked, and one with no workday inside it is not drawn
// (View.periodMark). Pure.
func buildUtilizationTrend(v View, id, dim string, res *metrics.Result, n *names, monthly bool) (Chart, error) {
	title := "Billable utilization by " + dim + " and " + map[bool]string{true: "month", false: "week"}[monthly]
	t := tableOf(res)
	periods := t.periods()
	groups := t.groups(dim)
	slices.SortStableFunc(groups, func(a, b string) int { return cmp.Compare(n.of(dim, a), n.of(dim, b)) })
	xs := make([]string, len(periods))
	partial := make([]string, len(periods))
	drawnAt := make([]bool, len(periods))
	for i, p := range periods {
		xs[i], partial[i], drawnAt[i] = v.periodMark(p, monthly)
	}
	tab := Table{Columns: []string{periodColumn(monthly), dim, "billable utilization", "target", "billable h", "available h"},
		Numeric: []bool{false, false, true, true, true, true}}
	shown := make([]string, len(groups))
	for i, g := range groups {
		shown[i] = n.of(dim, g)
	}
	colors := seriesColors(shown, colorOf("target"))
	l := charts.NewLine()
	drawn := false
	for _, g := range groups {
		name := n.of(dim, g)
		ys := make([]opts.LineData, len(periods))
		for i, p := range periods {
			in := func(r int) bool { return t.Str(r, dim) == g && t.Date(r, "period").Equal(p) }
			val, target, ok, tok := utilizationOf(t, in)
			b, bok := t.sum("billable_hours", in)
			a, aok := t.sum("available_hours", in)
			ys[i] = partialSymbol(opts.LineData{Value: value(pct(val), ok && drawnAt[i])}, partial[i])
			drawn = drawn || ok && drawnAt[i]
			avail := fmtNum(a, aok, "hours")
			if c := coverageOf(t, "assumed_hours", "available_hours", in); c.some() {
				avail += " (" + c.share() + " assumed)"
			}
			tab.Rows = append(tab.Rows, []string{xs[i], name, markPartial(fmtNum(val, ok, "ratio"), partial[i], drawnAt[i]),
				targetText(target, tok, ok), fmtNum(b, bok, "hours"), avail})
		}
		l.AddSeries(name, ys, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true)}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: colors[name]}))
	}
	if !drawn {
		return emptyChart(id, title, utilizationMissing), nil
	}
	targets := make([]opts.LineData, len(periods))
	for i, p := range periods {
		_, target, ok, tok := utilizationOf(t, func(r int) bool { return t.Date(r, "period").Equal(p) })
		targets[i] = opts.LineData{Value: value(pct(target), ok && tok && drawnAt[i])}
	}
	l.AddSeries("target", targets, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(false)}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: colorOf("target")}),
		charts.WithLineStyleOpts(opts.LineStyle{Type: "dashed", Color: colorOf("target")}))
	l.SetGlobalOptions(append(base(title, true, "axis"),
		// A category axis: a phone cuts its labels ("9 Nov 2026 (partial)")
		// to their slots rather than leaving some out (assets/app.js).
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: periodColumn(monthly), NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Name: "billable utilization (%)", Min: 0}),
	)...)
	l.SetXAxis(xs)
	return newChart(id, title, l, 320, tab)
}

// buildUntracked charts each person's untracked hours, most first. Pure.
func buildUntracked(res *metrics.Result, n *names) (Chart, error) {
	title := "Untracked hours by person"
	t := tableOf(res)
	if t.Len() == 0 {
		return emptyChart("util-untracked", title, utilizationMissing), nil
	}
	rows := make([]int, t.Len())
	for i := range rows {
		rows[i] = i
	}
	slices.SortStableFunc(rows, func(a, b int) int {
		va, _ := t.Num(a, "value")
		vb, _ := t.Num(b, "value")
		return cmp.Or(cmp.Compare(vb, va), cmp.Compare(n.of("person", t.Str(a, "person")), n.of("person", t.Str(b, "person"))))
	})
	tab := Table{Columns: []string{"person", "untracked h", "available h", "logged h"}, Numeric: []bool{false, true, true, true}}
	var ys, ids []string
	var bars []opts.BarData
	for _, r := range rows {
		ids = append(ids, t.Str(r, "person"))
		name := n.of("person", t.Str(r, "person"))
		if coverageOf(t, "assumed_hours", "available_hours", func(x int) bool { return x == r }).some() {
			// On the bar's label, so its tooltip says it too.
			name += " (" + assumedWeek + ")"
		}
		u, uok := t.Num(r, "value")
		a, aok := t.Num(r, "available_hours")
		lg, lok := t.Num(r, "logged_hours")
		ys = append(ys, name)
		bars = append(bars, opts.BarData{Value: value(hours(u), uok)})
		tab.Rows = append(tab.Rows, []string{name, fmtNum(u, uok, "hours"), fmtNum(a, aok, "hours"), fmtNum(lg, lok, "hours")})
	}
	b := charts.NewBar()
	b.SetGlobalOptions(append(base(title, false, "item"),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item", Formatter: "{b}: {c} h untracked"}),
		charts.WithXAxisOpts(opts.XAxis{Type: "value", Name: "untracked hours (h)", NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Name: "person", NameLocation: "start", Inverse: opts.Bool(true)}),
	)...)
	b.SetXAxis(ys).AddSeries("untracked hours", bars, charts.WithItemStyleOpts(opts.ItemStyle{Color: colorOf("untracked hours")}))
	b.XYReversal()
	ch, err := newChart("util-untracked", title, b, max(160, 100+22*len(ys)), tab)
	return withDrill(ch, "person", ids, nil), err
}

// untrackedNote says when people had capacity but nobody logged any time:
// then every chart reads 0% because the time entries are missing. Pure.
func untrackedNote(res *metrics.Result) string {
	t := tableOf(res)
	avail, _ := t.sum("available_hours", nil)
	logged, _ := t.sum("logged_hours", nil)
	if avail > 0 && logged == 0 {
		return "No time was logged in this range although people had available hours: import time entries, such as a Harvest, Toggl or Clockify export (opsmetrics import FILE, docs/import.md)."
	}
	return ""
}

// buildPeople is the people table: each person's utilization and target
// over the whole range, untracked hours, and a link to their team's view
// (people are not a filter; teams are). Rows follow order. Pure.
func buildPeople(v View, order []string, util, untracked *metrics.Result, teams map[string]string, n *names) []PersonRow {
	u, un := tableOf(util), tableOf(untracked)
	var out []PersonRow
	for _, id := range order {
		mine := func(r int) bool { return u.Str(r, "person") == id }
		val, target, ok, tok := utilizationOf(u, mine)
		b, bok := u.sum("billable_hours", mine)
		a, aok := u.sum("available_hours", mine)
		p := PersonRow{Name: n.of("person", id), Link: drillLink(v, "/utilization", "person", id), Utilization: fmtNum(val, ok, "ratio"), Target: fmtNum(target, ok && tok, "ratio"),
			Gap: "–", Billable: fmtNum(b, bok, "hours"), Available: fmtNum(a, aok, "hours"), Untracked: "–"}
		if c := coverageOf(u, "assumed_hours", "available_hours", mine); c.some() {
			p.Assumed = assumedWeek
			if !c.all() {
				p.Assumed = c.share() + " " + assumedWeek
			}
		}
		if ok && !tok {
			// No target was set: nothing to be above or below, so no colour.
			p.Target, p.Gap = noTargetText, noTargetText
		}
		if ok && tok {
			// Compared as shown, so 80.0% against 80.0% is on target.
			gap := math.Round((val-target)*1000) / 10
			if gap == 0 {
				gap = 0 // not -0
			}
			p.Gap, p.Trend = fmt.Sprintf("%+.1f pts", gap), "good"
			if gap < 0 {
				p.Trend = "bad"
			}
		}
		if team, known := teams[id]; known && team != "" {
			p.Team, p.TeamLink = n.of("team", team), v.Link("/utilization", "team", team)
		}
		for r := range un.Len() {
			if un.Str(r, "person") == id {
				x, xok := un.Num(r, "value")
				p.Untracked = fmtNum(x, xok, "hours")
			}
		}
		out = append(out, p)
	}
	return out
}
