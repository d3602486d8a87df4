package dashboards

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// tileSpec is one headline number of the overview. A ratio's value over a
// range is Σnum ÷ Σden of its day rows, so the tile, its sparkline and the
// KPI API agree; a percentile (den "") is asked for the whole range.
type tileSpec struct {
	kpi, name, unit string
	num, den        []string // columns summed for the ratio's parts; "-col" subtracts col
	// rests are the parts of the number that can be missing or assumed:
	// the tile says how much of it they touch.
	rests          []rest
	higherIsBetter bool
	asOfEnd        bool // the value depends on the range's end (open-overdue work): ask for the previous range apart
	page           string
	missing        string // what to import when there is no value
	// data are columns of which a period must have some (> 0) to be
	// compared with: a month before any time was logged has a billable
	// utilization of 0% and a fee-only margin of 100%, and a change from
	// those is no change at all. nil: the value's own null says it.
	data []string
}

// rest is a part of a tile's number that can be missing or assumed: part
// hours of whole hours (columns of the KPI's rows), and what the tile says.
type rest struct {
	part, whole string
	unknown     bool                    // the number is unknown when the part is all of the whole
	note        func(c coverage) string // "" when nothing to say
}

var (
	restCost     = rest{"uncosted_hours", "hours", true, costNote}
	restCapacity = rest{"assumed_hours", "available_hours", false, capacityNote}
)

var overviewTiles = []tileSpec{
	// Margin is revenue − labour cost, not Σ margin: a day whose hours have no
	// cost rate has no margin, and its revenue must not count against none.
	{"billable_utilization", "billable utilization", "ratio", []string{"billable_hours"}, []string{"available_hours"}, []rest{restCapacity}, true, false, "/utilization",
		"No capacity in this range: import people with their weekly capacity hours, and time entries (opsmetrics import FILE, docs/import.md).", []string{"billable_hours"}},
	{"on_time_rate", "on-time rate", "ratio", []string{"on_time"}, []string{"delivered", "open_overdue"}, nil, true, true, "/delivery",
		"No deliverables due in this range: import deliverables with due dates, or connect Jira, Asana, ClickUp, Trello or GitHub webhooks.", nil},
	{"write_off_rate", "write-off rate", "ratio", []string{"write_off_value"}, []string{"standard_value"}, nil, false, false, "/margin",
		"No billable work with a bill rate in this range: import billable time entries, and bill rates on people, roles or projects.", nil},
	{"approval_time_p50", "approval p50", "hours", nil, nil, nil, false, false, "/approvals",
		"No client approvals decided in this range: send review requests and approvals from your task tool (its webhooks, or task events in an import: docs/import.md).", nil},
	{"margin_pct", "margin %", "ratio", []string{"revenue", "-labour_cost"}, []string{"revenue"}, []rest{restCost}, true, false, "/margin",
		"No revenue in this range: import projects with fees or billable time entries with bill rates, and cost rates for labour cost.", []string{"hours"}},
}

// Tile is a headline number with its change against the previous period.
// The arrow says which way the number went (Dir) and the colour whether
// that is good or bad (Trend): a write-off rate that fell is ▼ and green.
type Tile struct {
	Name, Value, Change string
	Dir                 string // "up", "down" or "" (no change, or none to show)
	Trend               string // "good", "bad" or "" (no change, or the data changed)
	NoPrev              string // why there is no change to show, when there is none
	Link                string
	Empty               string
	Rests               []string // what the number rests on that is missing or assumed
	Spark               Chart
}

// overviewBody is the overview's own part of the page.
type overviewBody struct {
	Tiles    []Tile
	Quality  Quality
	Maturity Maturity
	Data     sourcesPanel // data freshness and the connected sources
	PrevText string
	Loop     loopPanel // next month's open actions, overdue first
}

// Quality is the data-quality score and its parts.
type Quality struct {
	Score string
	Chart Chart
}

// Maturity is the maturity level with its conditions.
type Maturity struct {
	Level      string
	Conditions []Condition
	Next       string // the first condition to fix, "" at level 5
}

// Condition is one maturity condition.
type Condition struct {
	Level int
	Name  string
	Held  bool
	Note  string
}

func (d *server) overview(c echo.Context) error {
	v, err := d.view(c)
	if err != nil {
		return err
	}
	prev := v.PrevView()
	// The two longest queries first (RunQueries runs two at a time, in
	// order): started last, they were the page's tail.
	dq, _ := requestWithin(v, "data_quality")
	dq.RowsOnly = true // the score and its parts: the unmapped statuses are the delivery page's
	mat, _ := requestWithin(v, "maturity_level")
	reqs := []metrics.Request{mat, dq}
	trend, _ := weeksOrMonths(v)
	var notes []string
	tiles := tilesFor(c)
	// The percentile tile (approval time) is one query of its own, run
	// beside the others: by week or month, the previous range and the
	// whole range (metrics.ApprovalSplit).
	var percentile struct{ days, before, whole *metrics.Result }
	split := func(context.Context) error { return nil }
	for _, t := range tiles {
		cur, dropped := requestWithin(v, t.kpi, "interval", "day")
		before, _ := requestWithin(prev, t.kpi)
		switch {
		case t.den == nil:
			cur.Interval = trend
			r := d.complete(cur)
			split = func(ctx context.Context) (err error) {
				percentile.days, percentile.before, percentile.whole, err = metrics.ApprovalSplit(ctx, d.cfg.Store, r,
					prev.From, prev.To)
				return err
			}
		case t.asOfEnd: // the previous range's value as of its own end
			reqs = append(reqs, cur, before)
		default: // one query: the day rows of both ranges
			cur.From = prev.From
			reqs = append(reqs, cur)
		}
		for _, f := range dropped {
			notes = append(notes, fmt.Sprintf("The %s filter does not narrow %s: it counts every %s.", f, t.name, f))
		}
	}
	// The freshness panel's two small queries run beside the KPIs', so the
	// page waits for them no longer than for its slowest KPI.
	ctx := c.Request().Context()
	fresh := make(chan freshness, 1)
	go func() {
		var f freshness
		if f.states, f.err = metrics.Sources(ctx, d.cfg.Store, v.Org); f.err == nil {
			f.last, f.imported, f.err = metrics.LastIngest(ctx, d.cfg.Store, v.Org)
		}
		fresh <- f
	}()
	// The open actions are one small query too, and the names the page's
	// frame shows another: read beside the KPIs.
	var loop loopPanel
	var n *names
	res, err := d.kpisBeside(ctx, func() (err error) {
		if err = split(ctx); err != nil {
			return err
		}
		if loop, err = d.loopActions(ctx, v, "", v.today); err == nil {
			n, err = d.loadNames(ctx, v.Org)
		}
		return err
	}, reqs...)
	if err != nil {
		return err
	}
	body := overviewBody{PrevText: v.PrevText(), Loop: loop}
	i := 2
	for _, t := range tiles {
		var days, before, whole *metrics.Result
		switch {
		case t.den == nil:
			days, before, whole = percentile.days, percentile.before, percentile.whole
		case t.asOfEnd:
			days, before = res[i], res[i+1]
			i += 2
		default:
			days = res[i]
			i++
		}
		tile, err := buildTile(t, v, days, before, whole)
		if err != nil {
			return err
		}
		body.Tiles = append(body.Tiles, tile)
	}
	if body.Quality, err = buildQuality(res[1]); err != nil {
		return err
	}
	body.Maturity = buildMaturity(res[0])
	f := <-fresh
	if f.err != nil {
		return f.err
	}
	// Times are shown in the org's time zone, as on the approvals page.
	loc, err := time.LoadLocation(v.Settings.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	body.Data = buildSources(v.Org, d.cfg.Now(), loc, f.last, f.imported, f.states)
	return d.render(c, "overview", pageData{View: v, Names: n, Body: body, Notes: notes})
}

// freshness is what the overview's data freshness panel reads: the org's
// connected sources and when its data was last imported.
type freshness struct {
	states   []metrics.SourceState
	last     time.Time
	imported bool
	err      error
}

// tileValue is a tile's value over a whole result: the ratio of the sums of
// its parts, or the single value of a percentile.
func tileValue(t tileSpec, tb table, keep func(int) bool) (float64, bool) {
	if t.den == nil {
		if tb.Len() == 0 {
			return 0, false
		}
		return tb.Num(0, "value")
	}
	var n, den float64
	any := false
	for _, c := range t.num {
		if col, minus := strings.CutPrefix(c, "-"); minus {
			s, _ := tb.sum(col, keep)
			n -= s
			continue
		}
		s, ok := tb.sum(c, keep)
		n, any = n+s, any || ok
	}
	for _, c := range t.den {
		s, _ := tb.sum(c, keep)
		den += s
	}
	return ratio(n, den, any)
}

// buildTile makes a tile from the view's rows (by day; a percentile's by
// week or month), the previous period's (nil: days holds the previous
// period's day rows too) and, for a percentile, the view as a whole. Pure.
func buildTile(t tileSpec, v View, days, before, whole *metrics.Result) (Tile, error) {
	tile := Tile{Name: t.name, Link: v.Link(t.page)}
	day := tableOf(days)
	inView := func(r int) bool { return !day.Date(r, "period").Before(v.From) }
	cur, ok := tileValue(t, day, inView)
	if t.den == nil {
		cur, ok = tileValue(t, tableOf(whole), nil)
	}
	prevRows, prevKeep := tableOf(before), func(int) bool { return true }
	if before == nil {
		// Only the previous range's days: the rows asked for start with it,
		// but a month to date's previous range ends before the view starts
		// (1–7 November for 1–7 December).
		pf, pt := v.Prev()
		prevRows, prevKeep = day, func(r int) bool {
			p := day.Date(r, "period")
			return !p.Before(pf) && p.Before(pt)
		}
	}
	prevValue := func() (float64, bool) {
		for _, col := range t.data {
			if s, _ := prevRows.sum(col, prevKeep); s <= 0 {
				return 0, false // no data then: nothing to compare with
			}
		}
		return tileValue(t, prevRows, prevKeep)
	}
	// A number that rests on missing or assumed data says so, and its change
	// is neither good nor bad: it may be the data that changed.
	flagged := false
	for _, rs := range t.rests {
		c, pc := coverageOf(day, rs.part, rs.whole, inView), coverageOf(prevRows, rs.part, rs.whole, prevKeep)
		flagged = flagged || c.some() || pc.some()
		if rs.unknown && c.all() {
			ok = false
		}
		if rs.unknown && pc.all() {
			prevValue = func() (float64, bool) { return 0, false }
		}
		if note := rs.note(c); note != "" {
			tile.Rests = append(tile.Rests, note)
		}
	}
	if !ok && len(tile.Rests) > 0 {
		tile.Value = "unknown"
	} else if !ok {
		tile.Empty = t.missing
		tile.Value = "–"
	} else if t.unit == "hours" {
		tile.Value = fmt.Sprintf("%.1f h", cur)
	} else {
		tile.Value = fmtNum(cur, true, t.unit)
	}
	if p, pok := prevValue(); ok && pok {
		// The change as shown (one decimal), so "+0.0 pts" has no arrow.
		delta := math.Round((cur-p)*10) / 10
		if t.unit == "ratio" {
			delta = math.Round((cur-p)*1000) / 10
		}
		if delta == 0 {
			delta = 0 // not -0
		}
		switch t.unit {
		case "ratio":
			tile.Change = fmt.Sprintf("%+.1f pts", delta)
		default:
			tile.Change = fmt.Sprintf("%+.1f h", delta)
		}
		if delta != 0 {
			tile.Dir = map[bool]string{true: "up", false: "down"}[delta > 0]
			if !flagged {
				tile.Trend = map[bool]string{true: "good", false: "bad"}[(delta > 0) == t.higherIsBetter]
			}
		}
	} else if ok {
		tile.NoPrev = "no data for " + v.PrevText() + ": no change to show"
	}
	spark, err := sparkline(t, v, day)
	if err != nil {
		return tile, err
	}
	tile.Spark = spark
	return tile, nil
}

// sparkline is a tile's value by week (or month) over the view.
func sparkline(t tileSpec, v View, day table) (Chart, error) {
	_, monthly := weeksOrMonths(v)
	unitName := map[string]string{"ratio": "%", "hours": "hours"}[t.unit]
	id := "spark-" + t.kpi
	title := t.name + " by " + map[bool]string{true: "month", false: "week"}[monthly]
	var buckets []time.Time
	seen := map[time.Time]bool{}
	for _, p := range day.periods() {
		if p.Before(v.From) && t.den != nil { // the previous range's day rows
			continue
		}
		b := bucket(p, monthly)
		if !seen[b] {
			seen[b] = true
			buckets = append(buckets, b)
		}
	}
	if len(buckets) == 0 {
		return emptyChart(id, title, t.missing), nil
	}
	var xs []string
	var ys []opts.LineData
	tab := Table{Columns: []string{map[bool]string{true: "month", false: "week of"}[monthly], t.name}, Numeric: []bool{false, true}}
	for _, b := range buckets {
		in := func(r int) bool {
			p := day.Date(r, "period")
			return bucket(p, monthly).Equal(b) && (t.den == nil || !p.Before(v.From))
		}
		var val float64
		var ok bool
		if t.den == nil {
			// A percentile cannot be added up: its rows are already by
			// week or month, one per bucket.
			for r := range day.Len() {
				if in(r) {
					val, ok = day.Num(r, "value")
				}
			}
		} else {
			val, ok = tileValue(t, day, in)
		}
		// A week the range's start or end cuts is marked, in its label (the
		// tooltip's title), its point and its table row; its value is over
		// its days inside the range. One with no workday inside is not
		// drawn: a Sunday's fee with no hours is not a week's margin.
		_, partial, drawn := v.periodMark(b, monthly)
		label := b.Format("2 Jan") // a sparkline is small: no year
		if monthly {
			label = b.Format("Jan 2006")
		} else if partial != "" {
			label += " (partial)"
		}
		point := partialSymbol(opts.LineData{}, partial)
		xs = append(xs, label)
		shown := val
		if t.unit == "ratio" {
			shown = math.Round(val*1000) / 10
		}
		text := fmtNum(val, ok, t.unit)
		ok = ok && drawn
		for _, rs := range t.rests {
			c := coverageOf(day, rs.part, rs.whole, in)
			switch {
			case rs.unknown && c.all():
				ok, text = false, "unknown (no cost rate)"
			case c.some():
				text += " (" + c.share() + " of h " + map[bool]string{true: "without a cost rate", false: "assumed"}[rs.unknown] + ")"
			}
		}
		point.Value = value(shown, ok)
		ys = append(ys, point)
		text = markPartial(text, partial, drawn)
		tab.Rows = append(tab.Rows, []string{label, text})
	}
	l := charts.NewLine()
	l.SetGlobalOptions(append(baseGrid(title, false, "axis", opts.Grid{Left: "8", Right: "16", Top: "40", Bottom: "36", ContainLabel: opts.Bool(true)}),
		charts.WithXAxisOpts(opts.XAxis{Name: tab.Columns[0], NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Name: unitName}),
	)...)
	l.SetXAxis(xs).AddSeries(t.name, ys, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true)}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: colorOf(t.name)}))
	return newChart(id, title, l, 160, tab)
}

// qualityParts are the data-quality score's parts, in the order shown.
var qualityParts = []struct{ col, name string }{
	{"logged_ratio", "hours logged vs capacity"},
	{"known_client_project_ratio", "entries with a known client and project"},
	{"due_date_ratio", "deliverables with a due date"},
	{"bill_rate_ratio", "billable entries with a bill rate"},
	{"cost_rate_ratio", "people with a cost rate"},
}

// buildQuality charts the data-quality parts. Pure.
func buildQuality(res *metrics.Result) (Quality, error) {
	t := tableOf(res)
	q := Quality{Score: "–"}
	title := "Data quality: its parts"
	if t.Len() == 0 {
		q.Chart = emptyChart("quality", title, "No data in this range yet: import time entries, people and deliverables (docs/import.md).")
		return q, nil
	}
	if s, ok := t.Num(0, "value"); ok {
		q.Score = fmtNum(s, true, "ratio")
	}
	var names []string
	var bars []opts.BarData
	tab := Table{Columns: []string{"part", "share"}, Numeric: []bool{false, true}}
	for i := len(qualityParts) - 1; i >= 0; i-- { // top to bottom as listed
		p := qualityParts[i]
		x, ok := t.Num(0, p.col)
		names = append(names, p.name)
		bars = append(bars, opts.BarData{Value: value(math.Round(x*1000)/10, ok)})
	}
	for _, p := range qualityParts {
		x, ok := t.Num(0, p.col)
		tab.Rows = append(tab.Rows, []string{p.name, fmtNum(x, ok, "ratio")})
	}
	b := charts.NewBar()
	b.SetGlobalOptions(append(base(title, false, "axis"),
		charts.WithXAxisOpts(opts.XAxis{Name: "%", Max: 100}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category"}),
	)...)
	b.SetXAxis(names).AddSeries("share", bars, charts.WithItemStyleOpts(opts.ItemStyle{Color: "#2f6fb3"}))
	b.XYReversal()
	c, err := newChart("quality", title, b, 260, tab)
	q.Chart = c
	return q, err
}

// maturityConditions are the maturity conditions in level order.
var maturityConditions = []struct {
	col   string
	level int
	name  string
}{
	{"l2_due_and_intake", 2, "Most deliverables have a due date and an intake or brief step"},
	{"l3_canonical_loop", 3, "80% of delivered work followed the loop: intake, production, internal review, client review, delivered"},
	{"l4_fresh_data", 4, "Time entries arrived within the last 7 days"},
	{"l4_alert_thresholds", 4, "At least three alert thresholds are set"},
	{"l5_quarterly_retros", 5, "A retro was held in each of the last two quarters"},
	{"l5_retro_actions_closed", 5, "At least one action from those two retros was closed"},
	{"l5_kpis_improved", 5, "On-time rate did not fall and write-off hours rate did not rise over those quarters"},
}

// buildMaturity lists the maturity conditions and the next one to fix. Pure.
func buildMaturity(res *metrics.Result) Maturity {
	t := tableOf(res)
	m := Maturity{Level: "–"}
	if t.Len() == 0 {
		return m
	}
	if l, ok := t.Num(0, "value"); ok {
		m.Level = fmt.Sprintf("%.0f of 5", l)
	}
	for _, c := range maturityConditions {
		x, _ := t.Num(0, c.col)
		held := x == 1
		m.Conditions = append(m.Conditions, Condition{Level: c.level, Name: c.name, Held: held})
		if !held && m.Next == "" {
			m.Next = c.name
		}
	}
	return m
}
