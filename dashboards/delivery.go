package dashboards

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// deliveryMissing says what to import when a range has no deliverables.
const deliveryMissing = "No deliverables due in this range: import deliverables with due dates, or connect Jira, Asana, ClickUp, Trello or GitHub webhooks (docs/import.md)."

// deliveryLateLimit bounds the late list; past it the page says how many
// there are in all.
const deliveryLateLimit = 200

// deliveryBody is the delivery page's own part.
type deliveryBody struct {
	OnTime, Slips, Drift Chart
	SlipText             string // the slip_days KPI in words
	GraceText            string // what "late" means with the org's grace days
	Late                 []LateRow
	LateCut              string // set when the list is cut at deliveryLateLimit
	LateEmpty            string // why the list is empty
	Unmapped             []UnmappedRow
	UnmappedEmpty        string // what an empty list means

	// Overdue are the deliverables overdue now, whatever the range
	// (metrics.OverdueNow), as of AsOf.
	Overdue    []LateRow
	OverdueCut string // set when the list is cut at deliveryLateLimit
	AsOf       string // now in the org's time zone, in words
}

// UnmappedRow is a status task events moved to that maps to no phase.
type UnmappedRow struct {
	Source, Status, Events, LastSeen string
	Fix                              string // the command that maps it, or what to change in the import
}

// LateRow is one late or overdue deliverable.
type LateRow struct {
	Name, Client, ClientLink, Due, Delivered, DaysLate string
	Open                                               bool
}

// delivery answers "do we deliver on the dates we promise?": three KPI
// requests (on-time rate by week or month, promise drift by month, slip days
// over the range) run while the slip distribution, the late list and the
// names are read.
func (d *server) delivery(c echo.Context) error {
	// The delivery KPIs take client filters, not team ones.
	v, q, notes, err := d.viewWithout(c, "team", "Deliverables belong to clients and owners, not teams: the team filter does not apply to this page, which shows every team's deliverables.")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	trend, monthly := weeksOrMonths(v)
	now := d.cfg.Now()
	reqs := []metrics.Request{
		q.request("on_time_rate", "interval", trend),
		q.request("promise_drift", "interval", "month"),
		q.request("slip_days"),
	}
	for i := range reqs {
		reqs[i].Now = now // the same "now" as the late list's
	}
	var slips, late, overdue *metrics.Result
	var unmapped []metrics.UnmappedStatus
	var n *names
	loc := orgLocation(v.Settings)
	res, err := d.kpisBeside(ctx, func() error {
		var serr, lerr, oerr, uerr, nerr error
		slips, serr = metrics.Slips(ctx, d.cfg.Store, reqs[2])
		late, lerr = metrics.LateDeliverables(ctx, d.cfg.Store, reqs[2], deliveryLateLimit)
		// What is overdue is counted now, whatever the range.
		overdue, oerr = metrics.OverdueNow(ctx, d.cfg.Store, metrics.AsOfNow(reqs[2], loc), deliveryLateLimit)
		unmapped, uerr = metrics.UnmappedStatuses(ctx, d.cfg.Store, reqs[2])
		n, nerr = d.loadNames(ctx, v.Org)
		return errors.Join(serr, lerr, oerr, uerr, nerr)
	}, reqs...)
	if err != nil {
		return err
	}
	grace := uint64(v.Settings.GraceDays)
	body := deliveryBody{SlipText: slipSummary(res[2]), GraceText: graceText(grace)}
	if body.OnTime, err = buildOnTime(v, res[0], monthly); err != nil {
		return err
	}
	if body.Slips, err = buildSlips(slips, grace); err != nil {
		return err
	}
	if body.Drift, err = buildDrift(res[1]); err != nil {
		return err
	}
	body.Late, body.LateCut = buildLateList(v, late, n)
	if len(body.Late) == 0 {
		body.LateEmpty = deliveryMissing
		if t := tableOf(res[0]); t.Len() > 0 {
			body.LateEmpty = "Nothing due in this range was late or is overdue."
		}
	}
	body.AsOf = fmtTime(now, loc)
	body.Overdue, body.OverdueCut = buildLateList(v, overdue, n)
	if body.OverdueCut != "" {
		body.OverdueCut = fmt.Sprintf("Showing the %d most overdue of %s. Pick a client to see the rest.", len(body.Overdue), overdueTotal(overdue))
	}
	body.Unmapped, body.UnmappedEmpty = buildUnmapped(unmapped)
	sayOnce("", &body.OnTime, &body.Slips, &body.Drift)
	if body.LateEmpty == body.OnTime.Empty {
		body.LateEmpty = "Nothing was due in this range (see above)."
	}
	return d.render(c, "delivery", pageData{View: v, Names: n, Body: body, Notes: notes})
}

// buildUnmapped turns the unmapped statuses into the page's table, with
// what an empty one means. Pure.
func buildUnmapped(list []metrics.UnmappedStatus) ([]UnmappedRow, string) {
	if len(list) == 0 {
		return nil, "Every status your task events moved to in this range maps to a phase of the loop."
	}
	out := make([]UnmappedRow, len(list))
	for i, u := range list {
		out[i] = UnmappedRow{Source: u.Source, Status: u.Status, Events: fmtNum(float64(u.Events), true, "count"),
			LastSeen: fmtDay(u.LastSeen), Fix: u.Fix}
	}
	return out, ""
}

// graceText says what late means for the org.
func graceText(grace uint64) string {
	switch grace {
	case 0:
		return "On time means delivered by the end of the due date (in the org's time zone)."
	case 1:
		return "On time means delivered by the end of the day after the due date (the org allows 1 grace day)."
	}
	return fmt.Sprintf("On time means delivered within %d days after the due date (the org allows %d grace days).", grace, grace)
}

// slipSummary puts the slip_days KPI (over the whole range) in words. Pure.
func slipSummary(res *metrics.Result) string {
	t := tableOf(res)
	if t.Len() == 0 {
		return ""
	}
	late, _ := t.Num(0, "late")
	if late == 0 {
		return ""
	}
	p50, ok := t.Num(0, "value")
	p90, ok90 := t.Num(0, "p90")
	s := fmt.Sprintf("%.0f late deliveries in this range, a median of %s days late", late, fmtNum(p50, ok, "days"))
	if late == 1 {
		s = fmt.Sprintf("1 late delivery in this range, %s days late", fmtNum(p50, ok, "days"))
		ok90 = false
	}
	if ok90 {
		s += fmt.Sprintf("; 90th percentile %s days", fmtNum(p90, true, "days"))
	}
	return s + " (slip days, docs/kpis.md)."
}

// buildOnTime charts the on-time rate by week or month. A week the view's
// range cuts is marked, and one with no workday inside it is not drawn
// (View.periodMark). Pure.
func buildOnTime(v View, res *metrics.Result, monthly bool) (Chart, error) {
	title := "On-time rate by " + map[bool]string{true: "month", false: "week"}[monthly] + " of due date"
	t := tableOf(res)
	periods := t.periods()
	tab := Table{Columns: []string{periodColumn(monthly), "on-time rate", "on time", "delivered", "open overdue"},
		Numeric: []bool{false, true, true, true, true}}
	var xs []string
	var ys []opts.LineData
	drawn := false
	for _, p := range periods {
		in := func(r int) bool { return t.Date(r, "period").Equal(p) }
		on, _ := t.sum("on_time", in)
		del, _ := t.sum("delivered", in)
		over, _ := t.sum("open_overdue", in)
		rate, ok := ratio(on, del+over, true)
		label, partial, shown := v.periodMark(p, monthly)
		drawn = drawn || ok && shown
		xs = append(xs, label)
		ys = append(ys, partialSymbol(opts.LineData{Value: value(pct(rate), ok && shown)}, partial))
		tab.Rows = append(tab.Rows, []string{label, markPartial(fmtNum(rate, ok, "ratio"), partial, shown), fmtNum(on, true, "count"),
			fmtNum(del, true, "count"), fmtNum(over, true, "count")})
	}
	if !drawn {
		return emptyChart("delivery-ontime", title, deliveryMissing), nil
	}
	l := charts.NewLine()
	l.SetGlobalOptions(append(base(title, false, "axis"),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: periodColumn(monthly) + " (due date)", NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Name: "on-time rate (%)", Min: 0, Max: 100}),
	)...)
	l.SetXAxis(xs).AddSeries("on-time rate", ys, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true)}),
		charts.WithItemStyleOpts(opts.ItemStyle{Color: colorOf("on-time rate")}))
	return newChart("delivery-ontime", title, l, 300, tab)
}

// slipBuckets are the histogram's bars of days late (hi inclusive): single
// days first, where most slips are, then weeks and months.
var slipBuckets = []struct{ lo, hi int64 }{{1, 1}, {2, 2}, {3, 3}, {4, 7}, {8, 14}, {15, 30}, {31, math.MaxInt64}}

// slipLabel names a bucket in days, short enough that every label of the
// axis shows.
func slipLabel(lo, hi int64) string {
	switch {
	case hi == math.MaxInt64:
		return strconv.FormatInt(lo, 10) + "+"
	case lo == hi:
		return strconv.FormatInt(lo, 10)
	}
	return strconv.FormatInt(lo, 10) + "–" + strconv.FormatInt(hi, 10)
}

// buildSlips is the histogram of days late of the late deliveries delivered
// in the range, from the per-day counts of metrics.Slips. Days
// within the grace days are not late, so buckets start after them. Pure.
func buildSlips(res *metrics.Result, grace uint64) (Chart, error) {
	title := "Days late of late deliveries"
	t := tableOf(res)
	counts := make([]float64, len(slipBuckets))
	var labels []string
	var total float64
	for r := range t.Len() {
		slip, ok := t.Num(r, "slip")
		n, nok := t.Num(r, "deliveries")
		if !ok || !nok {
			continue
		}
		for i, b := range slipBuckets {
			if int64(slip) >= b.lo && int64(slip) <= b.hi {
				counts[i] += n
				total += n
			}
		}
	}
	if total == 0 {
		return emptyChart("delivery-slips", title, "No late deliveries were delivered in this range. "+
			"If you expected some, check that deliverables have due dates and delivery times (docs/import.md)."), nil
	}
	tab := Table{Columns: []string{"days late", "late deliveries"}, Numeric: []bool{false, true}}
	var bars []opts.BarData
	first := int64(grace) + 1
	for i, b := range slipBuckets {
		if b.hi < first {
			continue // inside the grace days: on time
		}
		label := slipLabel(max(b.lo, first), b.hi)
		labels = append(labels, label)
		bars = append(bars, opts.BarData{Value: counts[i]})
		tab.Rows = append(tab.Rows, []string{label, fmtNum(counts[i], true, "count")})
	}
	tab.Rows = append(tab.Rows, []string{"all", fmtNum(total, true, "count")})
	b := charts.NewBar()
	b.SetGlobalOptions(append(base(title, false, "item"),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item", Formatter: "{b} days late: {c} deliveries"}),
		charts.WithXAxisOpts(opts.XAxis{Name: "days late", NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Name: "late deliveries (count)", MinInterval: 1}),
	)...)
	b.SetXAxis(labels).AddSeries("late deliveries", bars, charts.WithItemStyleOpts(opts.ItemStyle{Color: colorOf("late deliveries")}),
		barMaxWidth)
	return newChart("delivery-slips", title, b, 300, tab)
}

// barMaxWidth keeps a bar of a chart with few categories (one month, say)
// from filling the whole width.
var barMaxWidth = charts.WithSeriesOpts(func(s *charts.SingleSeries) { s.BarMaxWidth = "56" })

// buildDrift charts promise drift by month of due date: how many due-date
// changes there were and how many deliverables moved. Pure.
func buildDrift(res *metrics.Result) (Chart, error) {
	title := "Promise drift by month of due date"
	t := tableOf(res)
	periods := t.periods()
	if len(periods) == 0 {
		return emptyChart("delivery-drift", title, deliveryMissing), nil
	}
	tab := Table{Columns: []string{"month", "deliverables due", "moved", "due-date changes", "days moved"},
		Numeric: []bool{false, true, true, true, true}}
	var xs []string
	var changes, moved []opts.BarData
	for _, p := range periods {
		in := func(r int) bool { return t.Date(r, "period").Equal(p) }
		ch, _ := t.sum("value", in)
		days, _ := t.sum("days_moved", in)
		due, _ := t.sum("deliverables", in)
		dr, _ := t.sum("drifted", in)
		label := periodText(p, true)
		xs = append(xs, label)
		changes = append(changes, opts.BarData{Value: ch})
		moved = append(moved, opts.BarData{Value: dr})
		tab.Rows = append(tab.Rows, []string{label, fmtNum(due, true, "count"), fmtNum(dr, true, "count"),
			fmtNum(ch, true, "count"), fmtNum(days, true, "count")})
	}
	b := charts.NewBar()
	b.SetGlobalOptions(append(base(title, true, "axis"),
		charts.WithXAxisOpts(opts.XAxis{Name: "month of due date", NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Name: "count", MinInterval: 1}),
	)...)
	b.SetXAxis(xs).
		AddSeries("deliverables moved", moved, charts.WithItemStyleOpts(opts.ItemStyle{Color: colorOf("deliverables moved")}), barMaxWidth).
		AddSeries("due-date changes", changes, charts.WithItemStyleOpts(opts.ItemStyle{Color: colorOf("due-date changes")}), barMaxWidth)
	return newChart("delivery-drift", title, b, 300, tab)
}

// buildLateList turns the late list's rows into the page's table, with a
// note when the query cut it. Pure.
func buildLateList(v View, res *metrics.Result, n *names) ([]LateRow, string) {
	t := tableOf(res)
	var out []LateRow
	for r := range t.Len() {
		client := t.Str(r, "client_id")
		row := LateRow{Name: t.Str(r, "name"), Client: n.of("client", client), Due: fmtDay(t.Date(r, "due_date")),
			Delivered: "open", Open: true}
		if row.Name == "" {
			row.Name = t.Str(r, "deliverable_id")
		}
		row.ClientLink = drillLink(v, "/delivery", "client", client)
		if day := t.Date(r, "delivered_day"); !day.IsZero() {
			row.Delivered, row.Open = fmtDay(day), false
		}
		days, ok := t.Num(r, "days_late")
		row.DaysLate = fmtNum(days, ok, "count")
		out = append(out, row)
	}
	var cut string
	if len(out) > 0 {
		if total, ok := t.Num(0, "total"); ok && int(total) > len(out) {
			cut = fmt.Sprintf("Showing %d of %.0f late or overdue deliverables (open ones first, then the most days late). Pick a client or a shorter range to see the rest.", len(out), total)
		}
	}
	return out, cut
}

// overdueTotal is how many deliverables OverdueNow counted in all. Pure.
func overdueTotal(res *metrics.Result) string {
	t := tableOf(res)
	if t.Len() == 0 {
		return "0"
	}
	total, ok := t.Num(0, "total")
	return fmtNum(total, ok, "count")
}
