package dashboards

import (
	"errors"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// personAheadWeeks is how far ahead a person's page shows booked capacity.
const personAheadWeeks = 12

// personBody is a person's page: hours by client and project, billable
// utilization against target, capacity booked ahead and the deliverables
// they own.
type personBody struct {
	Team        string
	TeamLink    string
	Facts       []Fact
	ByClient    Chart
	ByProject   Chart
	Utilization Chart
	Ahead       Chart
	Delivery    drillDelivery
}

// person answers "what is this person working on, and how busy are they?"
// for /people/{id}: logged_hours by client and by project, billable
// utilization by week or month, scheduled utilization for the weeks ahead
// (from this week, whatever the range) and on_time_rate of the deliverables
// they own, each filtered by the person, with their late deliverables and
// their team beside them.
func (d *server) person(c echo.Context) error {
	v, all, id, done, err := d.drillTarget(c, "person")
	if err != nil || done {
		return err
	}
	back := backPage(c, "/utilization")
	ctx := c.Request().Context()
	now := d.cfg.Now()
	n := namesOf(all)
	req := func(kpi string, kv ...string) metrics.Request {
		r := drillRequest(v, all, "person", id, kpi, kv...)
		r.Now = now
		return r
	}
	interval, monthly := weeksOrMonths(v)
	ahead := req("scheduled_utilization", "interval", "week")
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	ahead.From = bucket(today, false)
	ahead.To = ahead.From.AddDate(0, 0, 7*personAheadWeeks)
	reqs := []metrics.Request{
		req("logged_hours", "group_by", "client"),
		req("logged_hours", "group_by", "project"),
		req("billable_utilization", "interval", interval),
		ahead,
		req("on_time_rate"),
	}
	var late *metrics.Result
	var teams map[string]string
	res, err := d.kpisBeside(ctx, func() error {
		var lerr, terr error
		late, lerr = metrics.LateDeliverables(ctx, d.cfg.Store, reqs[4], deliveryLateLimit)
		r := v.request("logged_hours")
		r.Filters = nil
		teams, terr = metrics.PersonTeams(ctx, d.cfg.Store, r)
		return errors.Join(lerr, terr)
	}, reqs...)
	if err != nil {
		return err
	}
	name := n.of("person", id)
	body := personBody{}
	if team := teams[id]; team != "" {
		body.Team, body.TeamLink = n.of("team", team), v.Link("/utilization", "team", team)
	}
	if body.ByClient, err = buildHoursBy("person-clients", "Hours by client", n, res[0], "client", drillHoursMissing); err != nil {
		return err
	}
	if body.ByProject, err = buildHoursBy("person-projects", "Hours by project", n, res[1], "project", drillHoursMissing); err != nil {
		return err
	}
	u := tableOf(res[2])
	val, target, ok, tok := utilizationOf(u, nil)
	logged, _ := tableOf(res[0]).sum("value", nil)
	b, _ := u.sum("billable_hours", nil)
	a, aok := u.sum("available_hours", nil)
	body.Facts = []Fact{{"Billable utilization", fmtNum(val, ok, "ratio"), ok && tok && val < target},
		{"Target", targetText(target, tok, ok), false}, {"Billable hours", fmtNum(b, true, "hours"), false},
		{"Available hours", fmtNum(a, aok, "hours"), false}, {"Logged hours", fmtNum(logged, true, "hours"), false}}
	if body.Utilization, err = buildPersonUtilization(v, res[2], monthly); err != nil {
		return err
	}
	if body.Ahead, err = buildBookedAhead(res[3]); err != nil {
		return err
	}
	body.Delivery = buildDrillDelivery(v, n, res[4], late)
	if err := linkCharts(v, back.Path, &body.ByClient, &body.ByProject); err != nil {
		return err
	}
	return d.drillRender(c, "person", v, n, back, name, name, "Person: where their hours go, how busy they are and what they owe", nil, body, nil)
}

// buildPersonUtilization charts one person's billable utilization by week
// or month against their target. A week the view's range cuts is marked,
// and one with no workday inside it is not drawn (View.periodMark). Pure.
func buildPersonUtilization(v View, res *metrics.Result, monthly bool) (Chart, error) {
	t := tableOf(res)
	id := "person-utilization"
	title := "Billable utilization by " + map[bool]string{true: "month", false: "week"}[monthly]
	tab := Table{Columns: []string{periodColumn(monthly), "billable utilization", "target", "billable h", "available h"},
		Numeric: []bool{false, true, true, true, true}}
	var xs []string
	var ys, ts []opts.LineData
	drawn := false
	for _, p := range t.periods() {
		in := func(r int) bool { return t.Date(r, "period").Equal(p) }
		val, target, ok, tok := utilizationOf(t, in)
		b, bok := t.sum("billable_hours", in)
		a, aok := t.sum("available_hours", in)
		label, partial, shown := v.periodMark(p, monthly)
		xs = append(xs, label)
		ys = append(ys, partialSymbol(opts.LineData{Value: value(pct(val), ok && shown)}, partial))
		ts = append(ts, opts.LineData{Value: value(pct(target), ok && tok && shown)})
		drawn = drawn || ok && shown
		tab.Rows = append(tab.Rows, []string{label, markPartial(fmtNum(val, ok, "ratio"), partial, shown), targetText(target, tok, ok), fmtNum(b, bok, "hours"), fmtNum(a, aok, "hours")})
	}
	if !drawn {
		return emptyChart(id, title, "No available hours in this range: import the person with their weekly capacity and employment dates, and their time entries (docs/import.md)."), nil
	}
	l := charts.NewLine()
	l.SetGlobalOptions(append(base(title, true, "axis"),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: periodColumn(monthly), NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Name: "% of available hours", Min: 0}),
	)...)
	l.SetXAxis(xs).
		AddSeries("billable utilization", ys, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true)}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: colorOf("billable utilization")}), charts.WithLineStyleOpts(opts.LineStyle{Color: colorOf("billable utilization")})).
		AddSeries("target", ts, charts.WithItemStyleOpts(opts.ItemStyle{Color: colorOf("target")}),
			charts.WithLineStyleOpts(opts.LineStyle{Color: colorOf("target"), Type: "dashed"}))
	return newChart(id, title, l, 300, tab)
}

// buildBookedAhead charts the hours booked on a person for the weeks ahead
// (scheduled_utilization by week): confirmed and tentative (weighted by
// probability) hours stacked against the hours available. Pure.
func buildBookedAhead(res *metrics.Result) (Chart, error) {
	t := tableOf(res)
	id, title := "person-ahead", "Booked ahead, next "+fmtNum(personAheadWeeks, true, "count")+" weeks (hours)"
	tab := Table{Columns: []string{"week", "available h", "confirmed h", "tentative h (× probability)", "scheduled utilization"},
		Numeric: []bool{false, true, true, true, true}}
	var xs []string
	var conf, tent []opts.BarData
	var avail []opts.LineData
	any := false
	for _, p := range t.periods() {
		in := func(r int) bool { return t.Date(r, "period").Equal(p) }
		c, _ := t.sum("confirmed_hours", in)
		tn, _ := t.sum("tentative_hours", in)
		a, aok := t.sum("available_hours", in)
		s, _ := t.sum("scheduled_hours", in)
		u, uok := ratio(s, a, aok)
		label := periodText(p, false)
		xs = append(xs, label)
		conf = append(conf, opts.BarData{Value: round2(c)})
		tent = append(tent, opts.BarData{Value: round2(tn)})
		avail = append(avail, opts.LineData{Value: value(round2(a), aok)})
		any = any || s > 0 || a > 0
		tab.Rows = append(tab.Rows, []string{label, fmtNum(a, aok, "hours"), fmtNum(c, true, "hours"), fmtNum(tn, true, "hours"), fmtNum(u, uok, "ratio")})
	}
	if !any {
		return emptyChart(id, title, "Nothing booked and no capacity in the weeks ahead: import allocations (bookings) from Float, Runn or Forecast, or as a file (docs/import.md)."), nil
	}
	b := charts.NewBar()
	b.SetGlobalOptions(append(base(title, true, "axis"),
		charts.WithXAxisOpts(opts.XAxis{Name: "week", NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Name: "hours"}),
	)...)
	b.SetXAxis(xs).
		AddSeries("confirmed", conf, charts.WithBarChartOpts(opts.BarChart{Stack: "booked"}), charts.WithItemStyleOpts(opts.ItemStyle{Color: colorOf("booked")})).
		AddSeries("tentative", tent, charts.WithBarChartOpts(opts.BarChart{Stack: "booked"}), charts.WithItemStyleOpts(opts.ItemStyle{Color: "#f2c48d"}))
	l := charts.NewLine()
	l.SetXAxis(xs).AddSeries("available", avail, charts.WithItemStyleOpts(opts.ItemStyle{Color: colorOf("free")}),
		charts.WithLineStyleOpts(opts.LineStyle{Color: colorOf("free")}))
	b.Overlap(l)
	return newChart(id, title, b, 300, tab)
}
