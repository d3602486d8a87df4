package dashboards

import (
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// marginTopClients is how many clients get their own margin % line; the
// others share one "other clients" line, so the chart stays readable.
const marginTopClients = 5

// marginBody is the margin page's own part.
type marginBody struct {
	Currency  string
	Months    Chart // revenue and labour cost by month
	Pct       Chart // margin % by month, per client
	Clients   []marginRow
	Total     *marginRow // nil when nothing was earned or spent
	Rests     string     // how much of the range's labour cost rests on missing cost rates
	WriteOffs Chart
	WIP       Chart
	Overage   Chart
	// ClientsEmpty is what the clients table says when it has no row: the
	// reason, or that it is the one the charts above it give.
	ClientsEmpty string
}

// marginRow is one client's totals over the range.
type marginRow struct {
	Client, Link                           string
	Revenue, LabourCost, Margin, MarginPct string
	Hours, Rate                            string
	Uncosted                               string // share of the hours without a cost rate, "–" for none
	Loss                                   bool   // margin below zero
}

func (d *server) margin(c echo.Context) error {
	v, err := d.view(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	n, err := d.loadNames(ctx, v.Org)
	if err != nil {
		return err
	}
	// Revenue, cost and retainer budgets belong to clients and projects,
	// not teams: those KPIs take no team filter.
	byMonth, dropped := requestWithin(v, "margin_pct", "group_by", "client", "interval", "month")
	overage, _ := requestWithin(v, "overage_forecast", "group_by", "project")
	res, err := d.kpis(ctx, byMonth,
		v.request("write_off_by_reason", "interval", "month"),
		v.request("unbilled_wip", "group_by", "client"),
		overage)
	if err != nil {
		return err
	}
	var notes []string
	if res[0].Currency == "" {
		notes = append(notes, metrics.CurrencyUnknown+": amounts on this page are in the org's own currency, which its settings and data do not name.")
	}
	if slices.Contains(dropped, "team") {
		notes = append(notes, "Revenue, labour cost, margin and the retainer forecast belong to clients and projects, not teams: they are for every team. Write-offs and unbilled WIP are for team "+n.of("team", v.Team)+" only.")
	}
	body, err := buildMargin(v, n, res[0], res[1], res[2], res[3])
	if err != nil {
		return err
	}
	if err := linkCharts(v, "/margin", &body.WIP, &body.Overage); err != nil {
		return err
	}
	return d.render(c, "margin", pageData{View: v, Names: n, Body: body, Notes: notes})
}

// buildMargin assembles the page from the KPI results: margin_pct by client
// and month, write_off_by_reason by month, unbilled_wip by client and
// overage_forecast by project. An empty state is shown once, in page order
// (sayOnce): the clients table, between the margin charts and the others,
// does not repeat theirs. Pure.
func buildMargin(v View, n *names, byMonth, writeOffs, wip, overage *metrics.Result) (marginBody, error) {
	cur := marginCurrency(byMonth, writeOffs, wip)
	body := marginBody{Currency: cur}
	var err error
	if body.Months, err = buildMarginMonths(v, byMonth, cur); err != nil {
		return body, err
	}
	if body.Pct, err = buildMarginPct(v, n, byMonth); err != nil {
		return body, err
	}
	body.Clients, body.Total = buildMarginClients(v, n, byMonth)
	body.Rests = costNote(coverageOf(tableOf(byMonth), "uncosted_hours", "hours", nil))
	if body.WriteOffs, err = buildWriteOffs(v, writeOffs, cur); err != nil {
		return body, err
	}
	if body.WIP, err = buildWIP(n, wip, cur); err != nil {
		return body, err
	}
	if body.Overage, err = buildOverage(v, n, overage); err != nil {
		return body, err
	}
	if len(body.Clients) == 0 {
		body.ClientsEmpty = marginMissing
		if body.Months.Empty == marginMissing || body.Pct.Empty == marginMissing {
			body.ClientsEmpty = "No clients in this range (see above)."
		}
	}
	sayOnce("", &body.Months, &body.Pct, &body.WriteOffs, &body.WIP, &body.Overage)
	return body, nil
}

// marginCurrency is the org's currency, as the KPI layer reports it;
// "money" when it is unknown (the page's note says so), never a guess.
func marginCurrency(rs ...*metrics.Result) string {
	for _, r := range rs {
		if r != nil && r.Currency != "" {
			return r.Currency
		}
	}
	return "money"
}

// costText is a labour cost or margin for a table: unknown when no hour has
// a cost rate, "–" with no data, else the amount, marked when some hours are
// left out.
func costText(v float64, ok bool, unc coverage) string {
	switch {
	case unc.all():
		return "unknown"
	case !ok:
		return "–"
	case unc.some():
		return marginMoney(v, true) + "\u00a0*" // no break: the mark stays with its amount
	}
	return marginMoney(v, true)
}

// pctText is a margin % for a table, marked as its labour cost is when
// some hours are left out: it rests on the same partial cost.
func pctText(p float64, ok bool, unc coverage) string {
	if ok && unc.some() && !unc.all() {
		return fmtNum(p, true, "ratio") + "\u00a0*"
	}
	return fmtNum(p, ok, "ratio")
}

// costTip is a month's labour cost for the chart's tooltip, saying when it
// is partial or unknown.
func costTip(v float64, ok bool, unc coverage) string {
	switch {
	case unc.all():
		return "labour cost unknown (no hour has a cost rate)"
	case !ok:
		return "labour cost –"
	case unc.some():
		return "labour cost " + marginMoney(v, true) + " (partial: " + unc.share() + " of hours without a cost rate)"
	}
	return "labour cost " + marginMoney(v, true)
}

// uncostedText is the share of hours without a cost rate, "–" for none.
func uncostedText(unc coverage) string {
	if !unc.some() {
		return "–"
	}
	return unc.share()
}

// marginMonths are the first days of the months the view touches.
func marginMonths(v View) []time.Time {
	var out []time.Time
	for m := bucket(v.From, true); m.Before(v.To); m = m.AddDate(0, 1, 0) {
		out = append(out, m)
	}
	return out
}

// marginMoney formats money for tables: two decimals with thousands
// separators (1,234,567.89).
func marginMoney(v float64, ok bool) string {
	if !ok {
		return "–"
	}
	s := strconv.FormatFloat(math.Abs(v), 'f', 2, 64)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if v < 0 && s != "0.00" {
		b.WriteByte('-')
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String() + "." + frac
}

// round2 and pct1 are chart values: money to cents, ratios as percent to
// one decimal.
func round2(x float64) float64 { return math.Round(x*100) / 100 }
func pct1(x float64) float64   { return math.Round(x*1000) / 10 }

const marginMissing = "No revenue or hours in this range: import projects with their fees (a monthly retainer fee or a fixed budget) or billable time entries with bill rates, and cost rates on people for labour cost (docs/import.md)."

// buildMarginMonths charts revenue against labour cost per month, summed
// over the clients. Pure.
func buildMarginMonths(v View, res *metrics.Result, cur string) (Chart, error) {
	t := tableOf(res)
	id, title := "margin-months", "Revenue and labour cost by month ("+cur+")"
	if t.Len() == 0 {
		return emptyChart(id, title, marginMissing), nil
	}
	tab := Table{Columns: []string{"month", "revenue (" + cur + ")", "labour cost (" + cur + ")", "margin (" + cur + ")", "margin %", "hours without a cost rate"},
		Numeric: []bool{false, true, true, true, true, true}}
	var xs []string
	var rev, cost []opts.BarData
	for _, m := range marginMonths(v) {
		in := func(r int) bool { return t.Date(r, "period").Equal(m) }
		rv, rok := t.sum("revenue", in)
		lc, lok := t.sum("labour_cost", in)
		unc := coverageOf(t, "uncosted_hours", "hours", in)
		// Margin is revenue less the cost known; with no cost rate at all
		// both are unknown, not revenue and 100%.
		lok = lok && !unc.all()
		pct, pok := ratio(rv-lc, rv, rok && lok)
		label := m.Format("Jan 2006")
		xs = append(xs, label)
		// The bars' names are the tooltip's lines ({b0}, {b1}), so a
		// partial labour cost says so where it is read.
		rev = append(rev, opts.BarData{Name: label + ": revenue " + marginMoney(rv, rok), Value: value(round2(rv), rok)})
		cost = append(cost, opts.BarData{Name: costTip(lc, lok, unc), Value: value(round2(lc), lok)})
		tab.Rows = append(tab.Rows, []string{label, marginMoney(rv, rok), costText(lc, lok, unc), costText(rv-lc, rok && lok, unc),
			pctText(pct, pok, unc), uncostedText(unc)})
	}
	b := charts.NewBar()
	b.SetGlobalOptions(append(base(title, true, "axis"),
		charts.WithXAxisOpts(opts.XAxis{Name: "month", NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Name: cur}),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis", Formatter: "{b0}<br/>{b1}"}),
	)...)
	b.SetXAxis(xs).
		AddSeries("revenue", rev, charts.WithItemStyleOpts(opts.ItemStyle{Color: colorOf("revenue")})).
		AddSeries("labour cost", cost, charts.WithItemStyleOpts(opts.ItemStyle{Color: colorOf("labour cost")}))
	return newChart(id, title, b, 320, tab)
}

// marginClientTotals are the range totals of each client group, by revenue
// (largest first, then id).
type marginClientTotal struct {
	id                         string
	revenue, cost, margin, hrs float64
	uncosted                   coverage // hours without a cost rate, of hrs
	ok                         bool     // any revenue
}

func marginClientTotals(t table) []marginClientTotal {
	var out []marginClientTotal
	for _, g := range t.groups("client") {
		in := func(r int) bool { return t.Str(r, "client") == g }
		rv, ok := t.sum("revenue", in)
		lc, _ := t.sum("labour_cost", in)
		h, _ := t.sum("hours", in)
		out = append(out, marginClientTotal{id: g, revenue: rv, cost: lc, margin: rv - lc, hrs: h,
			uncosted: coverageOf(t, "uncosted_hours", "hours", in), ok: ok})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].revenue > out[j].revenue })
	return out
}

// buildMarginPct charts margin % by month for the largest clients by
// revenue, the others together, and all clients. A group's margin % is
// Σ margin ÷ Σ revenue of its rows (the KPI's rule), so "other clients"
// weighs each client by its revenue. Pure.
func buildMarginPct(v View, n *names, res *metrics.Result) (Chart, error) {
	t := tableOf(res)
	id, title := "margin-pct", "Margin % by month, largest clients by revenue"
	totals := marginClientTotals(t)
	anyRevenue := false
	for _, c := range totals {
		anyRevenue = anyRevenue || c.revenue != 0
	}
	if !anyRevenue {
		return emptyChart(id, title, marginMissing), nil
	}
	type series struct {
		name string
		in   func(row int) bool
	}
	var ss []series
	top := map[string]bool{}
	for i, c := range totals {
		if i >= marginTopClients || c.revenue == 0 {
			break
		}
		top[c.id] = true
		ss = append(ss, series{n.of("client", c.id), func(r int) bool { return t.Str(r, "client") == c.id }})
	}
	if len(top) < len(totals) {
		ss = append(ss, series{"other clients", func(r int) bool { return !top[t.Str(r, "client")] }})
	}
	if len(totals) > 1 {
		ss = append(ss, series{"all clients", nil})
	}
	tab := Table{Columns: []string{"month"}, Numeric: []bool{false}}
	for _, s := range ss {
		tab.Columns = append(tab.Columns, s.name)
		tab.Numeric = append(tab.Numeric, true)
	}
	months := marginMonths(v)
	var xs []string
	data := make([][]opts.LineData, len(ss))
	for _, m := range months {
		label := m.Format("Jan 2006")
		xs = append(xs, label)
		row := []string{label}
		for i, s := range ss {
			in := func(r int) bool { return t.Date(r, "period").Equal(m) && (s.in == nil || s.in(r)) }
			rv, rok := t.sum("revenue", in)
			lc, _ := t.sum("labour_cost", in)
			unc := coverageOf(t, "uncosted_hours", "hours", in)
			p, ok := ratio(rv-lc, rv, rok && !unc.all())
			data[i] = append(data[i], opts.LineData{Value: value(pct1(p), ok)})
			text := fmtNum(p, ok, "ratio")
			switch {
			case unc.all():
				text = "unknown"
			case unc.some():
				text += " (" + unc.share() + " of h without a cost rate)"
			}
			row = append(row, text)
		}
		tab.Rows = append(tab.Rows, row)
	}
	l := charts.NewLine()
	l.SetGlobalOptions(append(base(title, true, "axis"),
		charts.WithXAxisOpts(opts.XAxis{Name: "month", NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Name: "margin %"}),
	)...)
	l.SetXAxis(xs)
	var seriesNames []string
	for _, s := range ss {
		seriesNames = append(seriesNames, s.name)
	}
	colors := seriesColors(seriesNames)
	for i, s := range ss {
		l.AddSeries(s.name, data[i], charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true)}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: colors[s.name]}),
			charts.WithLineStyleOpts(opts.LineStyle{Color: colors[s.name]}))
	}
	return newChart(id, title, l, 320, tab)
}

// buildMarginClients is the per-client table of the range's totals, by
// revenue, with the total of all clients. Pure.
func buildMarginClients(v View, n *names, res *metrics.Result) ([]marginRow, *marginRow) {
	t := tableOf(res)
	if t.Len() == 0 {
		return nil, nil
	}
	row := func(name, link string, rv, lc, mg, h float64, unc coverage, ok bool) marginRow {
		known := !unc.all() // with no cost rate at all, cost and margin are unknown, not 0 and 100%
		p, pok := ratio(mg, rv, ok && known)
		rate, rok := ratio(rv, h, ok)
		r := marginRow{Client: name, Link: link, Revenue: marginMoney(rv, ok), LabourCost: costText(lc, known, unc),
			Margin: costText(mg, known, unc), MarginPct: pctText(p, pok, unc), Hours: fmtNum(h, true, "hours"),
			Rate: marginMoney(rate, rok), Uncosted: uncostedText(unc), Loss: known && mg < 0}
		if !known {
			r.MarginPct = "unknown"
		}
		return r
	}
	var rows []marginRow
	var total marginClientTotal
	for _, c := range marginClientTotals(t) {
		link := drillLink(v, "/margin", "client", c.id) // "no client" has no page
		rows = append(rows, row(n.of("client", c.id), link, c.revenue, c.cost, c.margin, c.hrs, c.uncosted, c.ok))
		total.revenue += c.revenue
		total.cost += c.cost
		total.margin += c.margin
		total.hrs += c.hrs
		total.uncosted.part += c.uncosted.part
		total.uncosted.whole += c.uncosted.whole
		total.ok = total.ok || c.ok
	}
	tr := row("all clients", "", total.revenue, total.cost, total.margin, total.hrs, total.uncosted, total.ok)
	return rows, &tr
}

// writeOffReasons are the reasons in the order stacked, with their names.
var writeOffReasons = []struct{ key, name string }{
	{"over_service", "over-service"},
	{"estimate_overrun", "estimate overrun"},
	{"internal_error", "internal error"},
	{"goodwill", "goodwill"},
	{"other", "other"},
}

// buildWriteOffs stacks the write-off value of each month by reason. Pure.
func buildWriteOffs(v View, res *metrics.Result, cur string) (Chart, error) {
	t := tableOf(res)
	id, title := "write-offs", "Write-offs by reason and month ("+cur+")"
	// The reasons present, known ones in order, then any other.
	present := map[string]bool{}
	for r := range t.Len() {
		if x, ok := t.Num(r, "value"); ok && x != 0 {
			present[t.Str(r, "reason")] = true
		}
	}
	if len(present) == 0 {
		return emptyChart(id, title, "No write-offs in this range. They come from billable time entries marked written off, write-off adjustments (with their reason) and invoice lines billed below standard value: import those to see them (docs/import.md)."), nil
	}
	type reason struct{ key, name string }
	var reasons []reason
	for _, r := range writeOffReasons {
		if present[r.key] {
			reasons = append(reasons, reason(r))
			delete(present, r.key)
		}
	}
	var rest []string
	for k := range present {
		rest = append(rest, k)
	}
	sort.Strings(rest)
	for _, k := range rest {
		reasons = append(reasons, reason{k, strings.ReplaceAll(k, "_", " ")})
	}
	tab := Table{Columns: []string{"month"}, Numeric: []bool{false}}
	for _, r := range reasons {
		tab.Columns = append(tab.Columns, r.name+" ("+cur+")")
		tab.Numeric = append(tab.Numeric, true)
	}
	tab.Columns = append(tab.Columns, "total ("+cur+")", "hours written off")
	tab.Numeric = append(tab.Numeric, true, true)
	var xs []string
	data := make([][]opts.BarData, len(reasons))
	for _, m := range marginMonths(v) {
		label := m.Format("Jan 2006")
		xs = append(xs, label)
		row := []string{label}
		inMonth := func(r int) bool { return t.Date(r, "period").Equal(m) }
		for i, rs := range reasons {
			x, ok := t.sum("value", func(r int) bool { return inMonth(r) && t.Str(r, "reason") == rs.key })
			data[i] = append(data[i], opts.BarData{Value: value(round2(x), ok)})
			row = append(row, marginMoney(x, ok))
		}
		tot, ok := t.sum("value", inMonth)
		h, hok := t.sum("write_off_hours", inMonth)
		row = append(row, marginMoney(tot, ok), fmtNum(h, hok, "hours"))
		tab.Rows = append(tab.Rows, row)
	}
	b := charts.NewBar()
	b.SetGlobalOptions(append(base(title, true, "axis"),
		charts.WithXAxisOpts(opts.XAxis{Name: "month", NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Name: cur}),
	)...)
	b.SetXAxis(xs)
	for i, r := range reasons {
		b.AddSeries(r.name, data[i], charts.WithBarChartOpts(opts.BarChart{Stack: "reason"}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: colorOf(r.name)}))
	}
	return newChart(id, title, b, 320, tab)
}

// clientBarsHeight is the height of a horizontal bar chart of n rows.
func clientBarsHeight(n int) int {
	return min(max(120+28*n, 220), 1400)
}

// buildWIP charts each client's unbilled work in progress, largest first.
// Pure.
func buildWIP(n *names, res *metrics.Result, cur string) (Chart, error) {
	t := tableOf(res)
	id, title := "wip", "Unbilled work in progress by client ("+cur+")"
	type wip struct {
		id, name            string
		value, hrs, tm, cnt float64
		ok, hok, tok, cntOK bool
	}
	var ws []wip
	for r := range t.Len() {
		w := wip{id: t.Str(r, "client"), name: n.of("client", t.Str(r, "client"))}
		w.value, w.ok = t.Num(r, "value")
		w.hrs, w.hok = t.Num(r, "unbilled_hours")
		w.tm, w.tok = t.Num(r, "tm_value")
		w.cnt, w.cntOK = t.Num(r, "entry_count")
		if w.ok && w.value != 0 || w.hok && w.hrs != 0 {
			ws = append(ws, w)
		}
	}
	if len(ws) == 0 {
		return emptyChart(id, title, "Nothing unbilled: no billable time entry dated in this range is still unbilled. Work in progress reads whether each billable time entry is billed: import entries marked billed once invoiced, written off when written off (docs/import.md)."), nil
	}
	sort.SliceStable(ws, func(i, j int) bool {
		if ws[i].value != ws[j].value {
			return ws[i].value > ws[j].value
		}
		return ws[i].name < ws[j].name
	})
	tab := Table{Columns: []string{"client", "unbilled (" + cur + ")", "unbilled hours", "of it billed by the hour (" + cur + ")", "entries"},
		Numeric: []bool{false, true, true, true, true}}
	var xs, ids []string
	var bars []opts.BarData
	for _, w := range ws {
		xs, ids = append(xs, w.name), append(ids, w.id)
		bars = append(bars, opts.BarData{Value: value(round2(w.value), w.ok)})
		tab.Rows = append(tab.Rows, []string{w.name, marginMoney(w.value, w.ok), fmtNum(w.hrs, w.hok, "hours"), marginMoney(w.tm, w.tok), fmtNum(w.cnt, w.cntOK, "count")})
	}
	c, err := hBars(id, title, opts.XAxis{Name: cur}, "", xs, tab, barSeries{"unbilled", colorOf("revenue"), bars})
	return withDrill(c, "client", ids, nil), err
}

// buildOverage charts the budgeted projects forecast over their hours in
// the budget period running on the view's last day (a retainer's month,
// another project's life), with their contracted and forecast hours. Pure.
func buildOverage(v View, n *names, res *metrics.Result) (Chart, error) {
	t := tableOf(res)
	asof := v.To.AddDate(0, 0, -1).Format("2 Jan 2006")
	id, title := "overage", "Projects forecast over their hours, budget periods running on "+asof
	type over struct {
		id, name                string
		budget, forecast, extra float64
		method                  string
	}
	var overs []over
	for r := range t.Len() {
		b, bok := t.Num(r, "budget_hours")
		f, fok := t.Num(r, "forecast_hours")
		if !bok || !fok || f <= b {
			continue
		}
		extra, ok := t.Num(r, "value")
		if !ok {
			extra = f - b
		}
		overs = append(overs, over{t.Str(r, "project"), n.of("project", t.Str(r, "project")), b, f, extra, t.Str(r, "method")})
	}
	if len(overs) == 0 {
		if t.Len() == 0 {
			return emptyChart(id, title, "No project with an hour budget runs on "+asof+": import projects with their monthly retainer hours (retainers) or budget hours, with their start and end dates (docs/import.md)."), nil
		}
		return emptyChart(id, title, "None of the "+strconv.Itoa(t.Len())+" budgeted projects running on "+asof+" is forecast over its hours (projects without a forecast have no end date, or no hours logged in the last 14 days and no allocations)."), nil
	}
	sort.SliceStable(overs, func(i, j int) bool {
		if overs[i].extra != overs[j].extra {
			return overs[i].extra > overs[j].extra
		}
		return overs[i].name < overs[j].name
	})
	tab := Table{Columns: []string{"project", "contracted hours", "forecast hours", "over by (hours)", "over by", "forecast from"},
		Numeric: []bool{false, true, true, true, true, false}}
	var xs, ids []string
	var budget, forecast []opts.BarData
	for _, o := range overs {
		xs, ids = append(xs, o.name), append(ids, o.id)
		budget = append(budget, opts.BarData{Value: round2(o.budget)})
		forecast = append(forecast, opts.BarData{Value: round2(o.forecast)})
		p, pok := ratio(o.extra, o.budget, true)
		tab.Rows = append(tab.Rows, []string{o.name, fmtNum(o.budget, true, "hours"), fmtNum(o.forecast, true, "hours"),
			fmtNum(o.extra, true, "hours"), fmtNum(p, pok, "ratio"), strings.ReplaceAll(o.method, "_", " ")})
	}
	c, err := hBars(id, title, opts.XAxis{Name: "hours"}, "", xs, tab,
		barSeries{"contracted hours", colorOf("contracted hours"), budget}, barSeries{"forecast hours", colorOf("forecast hours"), forecast})
	return withDrill(c, "project", ids, nil), err
}
