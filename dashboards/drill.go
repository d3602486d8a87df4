package dashboards

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// A client, a project and a person each have a page of their own (client.go,
// project.go, person.go) that every page links to where it names one: table
// cells, bars and heatmap rows. The links keep the view's range and filters,
// and say which page they came from (back), so the drill page's breadcrumb
// leads back to the same view.

// drillPaths are the drill pages' paths by kind.
var drillPaths = map[string]string{"client": "/clients", "project": "/projects", "person": "/people"}

// drillLink is the URL of the page of kind's id with v's range and filters,
// coming from the page back; "" for no id (a group of entries without a
// client has no page).
func drillLink(v View, back, kind, id string) string {
	path, ok := drillPaths[kind]
	if id == "" || !ok {
		return ""
	}
	return v.Link(path+"/"+url.PathEscape(id), "back", back)
}

// drillRows are the clients, projects or people a chart shows: by category
// index (bars, heatmap rows) and by row of its table.
type drillRows struct {
	kind       string
	cats, rows []string // ids; "" for a category or row with no page
	series     []string // ids by series, for a chart of one series per client, project or person
}

// withDrill records what c's categories and table rows name, in their order;
// one list serves both when the table has a row per category.
func withDrill(c Chart, kind string, cats, rows []string) Chart {
	if rows == nil {
		rows = cats
	}
	c.drill = drillRows{kind: kind, cats: cats, rows: rows}
	return c
}

// linkCharts makes the clients, projects and people of the charts lead to
// their pages (from page back, with v's range): each data item of a chart
// carries the URL a click on it opens (assets/app.js), and each table row's
// first cell links to it.
func linkCharts(v View, back string, cs ...*Chart) error {
	for _, c := range cs {
		if c.drill.kind == "" || c.Empty != "" {
			continue
		}
		urls := func(ids []string) []string {
			out := make([]string, len(ids))
			for i, id := range ids {
				out[i] = drillLink(v, back, c.drill.kind, id)
			}
			return out
		}
		cats := urls(c.drill.cats)
		c.Table.Links = urls(c.drill.rows)
		var err error
		series := urls(c.drill.series)
		*c, err = clickable(*c, func(s, i int, value any) string {
			if s < len(series) {
				return series[s]
			}
			// A heatmap's item is [x, y, value]: its row is y.
			if xs, ok := value.([]any); ok && len(xs) == 3 {
				if y, err := xs[1].(json.Number).Int64(); err == nil {
					i = int(y)
				}
			}
			if i >= 0 && i < len(cats) {
				return cats[i]
			}
			return ""
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// clickable puts on every data item of c's option the URL a click on it
// opens, urlOf(its series' index, its index in the series, its value) ("" for none): a plain
// value becomes {"value": v, "url": u}. The option stays JSON with <, > and
// & escaped, read by assets/app.js as data.
func clickable(c Chart, urlOf func(s, i int, value any) string) (Chart, error) {
	dec := json.NewDecoder(strings.NewReader(c.Option))
	dec.UseNumber() // numbers pass through as written
	var opt map[string]any
	if err := dec.Decode(&opt); err != nil {
		return c, fmt.Errorf("chart %s: %w", c.ID, err)
	}
	series, _ := opt["series"].([]any)
	for si, s := range series {
		sm, ok := s.(map[string]any)
		if !ok {
			continue
		}
		data, _ := sm["data"].([]any)
		for i, item := range data {
			m, ok := item.(map[string]any)
			if !ok {
				m = map[string]any{"value": item}
			}
			if u := urlOf(si, i, m["value"]); u != "" {
				m["url"] = u
			}
			data[i] = m
		}
	}
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(opt); err != nil {
		return c, fmt.Errorf("chart %s: %w", c.ID, err)
	}
	c.Option = strings.TrimSpace(buf.String())
	return c, nil
}

// Crumb is one step of a drill page's breadcrumb; the last has no link.
type Crumb struct{ Name, Link string }

// drillTarget is a drill page's view, the org's names and the id the path
// names (kind's). A name, or an id in other capitals, redirects to the id's
// page (done true: the response is written); one the org does not have is a
// 404 naming it.
func (d *server) drillTarget(c echo.Context, kind string) (v View, all *metrics.Names, id string, done bool, err error) {
	if v, err = d.view(c); err != nil {
		return v, nil, "", false, err
	}
	raw, err := url.PathUnescape(c.Param("id"))
	if err != nil || raw == "" {
		return v, nil, "", false, echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("%s %q: not a %s id", kind, c.Param("id"), kind))
	}
	ctx := c.Request().Context()
	if all = v.names; all == nil {
		if all, err = metrics.LoadNames(ctx, d.cfg.Store, v.Org); err != nil {
			return v, nil, "", false, err
		}
		v.names = all
	}
	id, err = all.Resolve(ctx, kind, raw)
	var fe *metrics.FilterError
	if errors.As(err, &fe) {
		return v, all, "", false, echo.NewHTTPError(http.StatusNotFound, fe.Error())
	} else if err != nil {
		return v, all, "", false, err
	}
	if id != raw {
		u := drillPaths[kind] + "/" + url.PathEscape(id)
		if q := c.Request().URL.RawQuery; q != "" {
			u += "?" + q
		}
		return v, all, id, true, c.Redirect(http.StatusFound, u)
	}
	return v, all, id, false, nil
}

// backPage is the page a drill page leads back to: the one its link came
// from (the "back" parameter, one of Pages), else def.
func backPage(c echo.Context, def string) Page {
	want := c.QueryParam("back")
	for _, p := range Pages {
		if p.Path == want {
			return p
		}
	}
	for _, p := range Pages {
		if p.Path == def {
			return p
		}
	}
	return Pages[0]
}

// drillRequest is a KPI request over v's range for one client, project or
// person (dim = id) alone: a drill page's numbers do not take the view's
// client and team filters, which its links back carry.
func drillRequest(v View, all *metrics.Names, dim, id, kpi string, kv ...string) metrics.Request {
	r := v.request(kpi, kv...)
	r.Filters = map[string]string{dim: id}
	r.Names = all
	return r
}

// drillRender renders a drill page: its title is title, its breadcrumb
// leads back to back (with the view) through crumbs to name.
func (d *server) drillRender(c echo.Context, tmpl string, v View, n *names, back Page, title, name, question string, crumbs []Crumb, body any, notes []string) error {
	all := append([]Crumb{{back.Name, v.Link(back.Path)}}, crumbs...)
	all = append(all, Crumb{Name: name})
	return d.render(c, tmpl, pageData{View: v, Names: n, Body: body, Notes: notes, Crumbs: all, Back: back.Path,
		Page: Page{Path: c.Request().URL.Path, Name: title, Question: question}})
}

// Fact is one number of a drill page's summary.
type Fact struct {
	Label, Value string
	Bad          bool // shown as a warning (a loss, a stuck review)
}

// moneyRow is one line of a drill page's money table: a project's (on a
// client page) or the total.
type moneyRow struct {
	Name, Link                             string
	Revenue, LabourCost, Margin, MarginPct string
	Hours, Rate, Uncosted                  string
	Loss                                   bool
}

// moneyRows sums margin_pct's rows (grouped by dim, or not grouped) per
// group and over all, as the margin page's client table does: revenue, labour
// cost known, margin, margin % (Σ margin ÷ Σ revenue), hours, effective rate.
// A labour cost resting on hours without a cost rate is marked, and unknown
// when none has one. Pure.
func moneyRows(v View, back string, n *names, res *metrics.Result, dim string) (rows []moneyRow, total moneyRow) {
	t := tableOf(res)
	row := func(name, link string, keep func(int) bool) moneyRow {
		rv, ok := t.sum("revenue", keep)
		lc, _ := t.sum("labour_cost", keep)
		h, _ := t.sum("hours", keep)
		unc := coverageOf(t, "uncosted_hours", "hours", keep)
		known := !unc.all()
		p, pok := ratio(rv-lc, rv, ok && known)
		rate, rok := ratio(rv, h, ok)
		r := moneyRow{Name: name, Link: link, Revenue: marginMoney(rv, ok), LabourCost: costText(lc, known, unc),
			Margin: costText(rv-lc, ok && known, unc), MarginPct: pctText(p, pok, unc), Hours: fmtNum(h, true, "hours"),
			Rate: marginMoney(rate, rok), Uncosted: uncostedText(unc), Loss: ok && known && rv-lc < 0}
		if !known {
			r.MarginPct = "unknown"
		}
		return r
	}
	if dim != "" {
		type g struct {
			id  string
			rev float64
		}
		var gs []g
		for _, id := range t.groups(dim) {
			rv, _ := t.sum("revenue", func(r int) bool { return t.Str(r, dim) == id })
			gs = append(gs, g{id, rv})
		}
		sort.SliceStable(gs, func(i, j int) bool { return gs[i].rev > gs[j].rev })
		for _, x := range gs {
			rows = append(rows, row(n.of(dim, x.id), drillLink(v, back, dim, x.id), func(r int) bool { return t.Str(r, dim) == x.id }))
		}
	}
	return rows, row("all", "", nil)
}

// moneyFacts are the money table's total as the summary's numbers.
func moneyFacts(total moneyRow, cur string) []Fact {
	return []Fact{{"Revenue (" + cur + ")", total.Revenue, false}, {"Labour cost (" + cur + ")", total.LabourCost, false},
		{"Margin (" + cur + ")", total.Margin, total.Loss}, {"Margin %", total.MarginPct, total.Loss},
		{"Effective rate (" + cur + "/h)", total.Rate, false}}
}

// buildHoursBy charts logged_hours grouped by dim (client, project or
// person): billable and non-billable hours stacked, the most first, each bar
// and table row leading to its page. Pure.
func buildHoursBy(id, title string, n *names, res *metrics.Result, dim, missing string) (Chart, error) {
	t := tableOf(res)
	type row struct {
		id, name       string
		all, bill, non float64
	}
	var rs []row
	for r := range t.Len() {
		g := t.Str(r, dim)
		x := row{id: g, name: n.of(dim, g), all: t.Num0(r, "value"), bill: t.Num0(r, "billable_hours"), non: t.Num0(r, "non_billable_hours")}
		if x.all != 0 {
			rs = append(rs, x)
		}
	}
	if len(rs) == 0 {
		return emptyChart(id, title, missing), nil
	}
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].all != rs[j].all {
			return rs[i].all > rs[j].all
		}
		return rs[i].name < rs[j].name
	})
	tab := Table{Columns: []string{dim, "hours", "billable hours", "non-billable hours", "billable share"},
		Numeric: []bool{false, true, true, true, true}}
	var names, ids []string
	var bill, non []opts.BarData
	for _, x := range rs {
		names, ids = append(names, x.name), append(ids, x.id)
		bill = append(bill, opts.BarData{Value: round2(x.bill)})
		non = append(non, opts.BarData{Value: round2(x.non)})
		share, ok := ratio(x.bill, x.all, true)
		tab.Rows = append(tab.Rows, []string{x.name, fmtNum(x.all, true, "hours"), fmtNum(x.bill, true, "hours"),
			fmtNum(x.non, true, "hours"), fmtNum(share, ok, "ratio")})
	}
	c, err := hBars(id, title, opts.XAxis{Name: "hours", NameLocation: "middle", NameGap: 28}, "hours", names, tab,
		barSeries{"billable hours", colorOf("billable hours"), bill}, barSeries{"non-billable hours", colorOf("non-billable hours"), non})
	return withDrill(c, dim, ids, nil), err
}

// drillDelivery is a drill page's deliverables: the on-time rate's parts and
// the late and overdue ones.
type drillDelivery struct {
	Facts   []Fact
	Late    []LateRow
	LateCut string
	Empty   string // nothing due in the range
}

// buildDrillDelivery reads on_time_rate (not grouped) and the late list of
// one client, project or person. Pure.
func buildDrillDelivery(v View, n *names, onTime, late *metrics.Result) drillDelivery {
	t := tableOf(onTime)
	on, _ := t.sum("on_time", nil)
	del, _ := t.sum("delivered", nil)
	over, _ := t.sum("open_overdue", nil)
	rate, ok := ratio(on, del+over, true)
	out := drillDelivery{Facts: []Fact{{"On-time rate", fmtNum(rate, ok, "ratio"), false},
		{"Delivered", fmtNum(del, true, "count"), false}, {"Delivered on time", fmtNum(on, true, "count"), false},
		{"Late", fmtNum(del-on, true, "count"), del-on > 0}, {"Overdue, not delivered", fmtNum(over, true, "count"), over > 0}}}
	out.Late, out.LateCut = buildLateList(v, late, n)
	if !ok {
		out.Empty = deliveryMissing
	}
	return out
}

// drillApprovals is a drill page's client reviews: approval times, rounds
// and what is waiting.
type drillApprovals struct {
	Facts      []Fact
	Stuck      []stuckRow
	More       int
	Cutoff     string
	StuckHours int
	Empty      string // no decision and nothing waiting
}

// buildDrillApprovals reads approval_time_p50 (its p90 column is
// approval_time_p90's value) and revision_rounds (neither grouped) and the
// waiting list of one client or project, whose waiting and stuck columns
// are pending_reviews' value and stuck. Pure.
func buildDrillApprovals(v View, n *names, now time.Time, loc *time.Location, stuckHours int, p50, rounds, stuck *metrics.Result) drillApprovals {
	first := func(res *metrics.Result, col string) (float64, bool) {
		t := tableOf(res)
		if t.Len() == 0 {
			return 0, false
		}
		return t.Num(0, col)
	}
	x50, ok50 := first(p50, "value")
	x90, ok90 := first(p50, "p90")
	cyc, _ := tableOf(p50).sum("cycles", nil)
	mean, mok := first(rounds, "value")
	waiting, _ := first(stuck, "waiting")
	stuckN, _ := first(stuck, "stuck")
	out := drillApprovals{Cutoff: approvalCutoff(now, loc), StuckHours: stuckHours, Facts: []Fact{
		{"Approval time p50 (hours)", fmtNum(x50, ok50, "hours"), false}, {"Approval time p90 (hours)", fmtNum(x90, ok90, "hours"), false},
		{"Client decisions", fmtNum(cyc, true, "count"), false}, {"Revision rounds (mean)", fmtNum(mean, mok, "rounds"), false},
		{"Waiting", fmtNum(waiting, true, "count"), false},
		{fmt.Sprintf("Stuck (over %d hours)", stuckHours), fmtNum(stuckN, true, "count"), stuckN > 0}}}
	out.Stuck, out.More = buildStuck(v, n, loc, stuck, int(waiting), stuckHours)
	if cyc == 0 && waiting == 0 {
		out.Empty = approvalsMissing
	}
	return out
}

// budgetRow is one budgeted project's current budget period.
type budgetRow struct {
	Project, Link           string
	Period                  string
	Budget, Used, UsedPct   string
	Exhaustion              string
	BudgetAmount, UsedValue string // only for those who see money
	Over                    bool   // used over the budget
}

// buildBudgets joins budget_used and projected_exhaustion_date, each
// grouped by project, into one row per budgeted project. Pure.
func buildBudgets(v View, back string, n *names, used, exhaustion *metrics.Result) []budgetRow {
	u, e := tableOf(used), tableOf(exhaustion)
	find := func(t table, id string) int {
		for r := range t.Len() {
			if t.Str(r, "project") == id {
				return r
			}
		}
		return -1
	}
	var out []budgetRow
	for r := range u.Len() {
		id := u.Str(r, "project")
		b, bok := u.Num(r, "budget_hours")
		h, _ := u.Num(r, "used_hours")
		row := budgetRow{Project: n.of("project", id), Link: drillLink(v, back, "project", id), Budget: fmtNum(b, bok, "hours"),
			Used: fmtNum(h, true, "hours"), Exhaustion: "–"}
		ratioV, rok := u.Num(r, "used_ratio")
		row.UsedPct = fmtNum(ratioV, rok, "ratio")
		row.Over = bok && h > b
		start, end := u.Date(r, "period_start"), u.Date(r, "period_end")
		row.Period = start.Format("2 Jan 2006") + " – "
		if end.IsZero() {
			row.Period += "open"
		} else {
			row.Period += end.AddDate(0, 0, -1).Format("2 Jan 2006")
		}
		a, aok := u.Num(r, "budget_amount")
		val, vok := u.Num(r, "used_value")
		row.BudgetAmount, row.UsedValue = marginMoney(a, aok), marginMoney(val, vok)
		if i := find(e, id); i >= 0 {
			if d := e.Date(i, "value"); !d.IsZero() {
				row.Exhaustion = d.Format("2 Jan 2006")
			}
		}
		out = append(out, row)
	}
	return out
}

// buildRetainerUse charts each retainer's billable hours against its
// monthly hours, by closed month (over_service_hours by project and month),
// one line per retainer, leading to its page. Pure.
func buildRetainerUse(v View, n *names, res *metrics.Result) (Chart, error) {
	t := tableOf(res)
	id, title := "retainer-use", "Retainer use by month (billable ÷ retainer hours, %)"
	projects := t.groups("project")
	if t.Len() == 0 || len(projects) == 0 {
		return emptyChart(id, title, "No retainer month closed in this range: a retainer is a project with monthly retainer hours (Settings › Clients and projects, or an import: docs/import.md); a month counts once it has ended."), nil
	}
	months := marginMonths(v)
	tab := Table{Columns: []string{"project", "month", "retainer hours", "billable hours", "use", "over-service hours"},
		Numeric: []bool{false, false, true, true, true, true}}
	var rowIDs []string
	xs := make([]string, len(months))
	for i, m := range months {
		xs[i] = m.Format("Jan 2006")
	}
	l := charts.NewLine()
	l.SetGlobalOptions(append(base(title, len(projects) > 1, "axis"),
		charts.WithXAxisOpts(opts.XAxis{Name: "month", NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Name: "use (%)", Min: 0}),
	)...)
	l.SetXAxis(xs)
	var names []string
	for _, p := range projects {
		names = append(names, n.of("project", p))
	}
	colors := seriesColors(names)
	for pi, p := range projects {
		var ys []opts.LineData
		for i, m := range months {
			row := -1
			for r := range t.Len() {
				if t.Str(r, "project") == p && t.Date(r, "period").Equal(m) {
					row = r
				}
			}
			if row < 0 {
				ys = append(ys, opts.LineData{Value: "-"})
				continue
			}
			ret, rok := t.Num(row, "retainer_hours")
			b, _ := t.Num(row, "billable_hours")
			over, ook := t.Num(row, "value")
			use, uok := ratio(b, ret, rok)
			ys = append(ys, opts.LineData{Value: value(pct1(use), uok)})
			tab.Rows = append(tab.Rows, []string{names[pi], xs[i], fmtNum(ret, rok, "hours"), fmtNum(b, true, "hours"),
				fmtNum(use, uok, "ratio"), fmtNum(over, ook, "hours")})
			rowIDs = append(rowIDs, p)
		}
		l.AddSeries(names[pi], ys, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true)}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: colors[names[pi]]}), charts.WithLineStyleOpts(opts.LineStyle{Color: colors[names[pi]]}))
	}
	c, err := newChart(id, title, l, 300, tab)
	c = withDrill(c, "project", nil, rowIDs)
	c.drill.series = projects
	return c, err
}

// drillQueries runs a client's or project's page queries (dim is "client"
// or "project"), filtered by it: logged_hours grouped by each of hoursBy
// ("" asks nothing: res holds nil there),
// on_time_rate, approval_time_p50 (with its p90 column, one query for
// both), revision_rounds,
// pending_reviews (as of now, whatever the range), budget_used and
// projected_exhaustion_date by project, over_service_hours by project and
// month, and for a principal who may see money margin_pct with marginKV;
// beside them the late deliverables and the waiting reviews.
func (d *server) drillQueries(ctx context.Context, v View, all *metrics.Names, dim, id string, now time.Time, money bool,
	hoursBy [2]string, marginKV ...string) (res []*metrics.Result, late, stuck *metrics.Result, err error) {
	req := func(kpi string, kv ...string) metrics.Request {
		r := drillRequest(v, all, dim, id, kpi, kv...)
		r.Now = now
		return r
	}
	reqs := []metrics.Request{
		req("logged_hours", "group_by", hoursBy[0]),
		req("logged_hours", "group_by", cmp.Or(hoursBy[1], hoursBy[0])), // dropped below when ""
		req("on_time_rate"),
		req("approval_time_p50"),
		req("revision_rounds"),
		req("budget_used", "group_by", "project"),
		req("projected_exhaustion_date", "group_by", "project"),
		req("over_service_hours", "group_by", "project", "interval", "month"),
	}
	if money {
		reqs = append(reqs, req("margin_pct", marginKV...))
	}
	// What waits is counted now, as on the approvals page: the list's
	// waiting and stuck columns are pending_reviews' for this request.
	onTime, pending := reqs[2], metrics.AsOfNow(req("pending_reviews"), orgLocation(v.Settings))
	if hoursBy[1] == "" {
		reqs = slices.Delete(reqs, 1, 2)
	}
	res, err = d.kpisBeside(ctx, func() error {
		var lerr, serr error
		late, lerr = metrics.LateDeliverables(ctx, d.cfg.Store, onTime, deliveryLateLimit)
		stuck, serr = metrics.StuckReviews(ctx, d.cfg.Store, pending, stuckLimit)
		return errors.Join(lerr, serr)
	}, reqs...)
	if err == nil && hoursBy[1] == "" {
		res = slices.Insert(res, 1, (*metrics.Result)(nil))
	}
	return res, late, stuck, err
}
