package dashboards

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// stuckLimit is how many waiting reviews the page lists, oldest first.
const stuckLimit = 50

// The colours of the waiting-reviews chart's two series, whose names carry
// the org's stuck-review limit.
const (
	stuckColor   = "#3a9fb8"
	waitingColor = "#b5892c"
)

// approvalsBody is the approvals page's own part.
type approvalsBody struct {
	Times      Chart // p50 and p90 per client
	Rounds     Chart // mean revision rounds per client
	FirstPass  Chart // first-pass approval rate per client
	Waiting    Chart // reviews waiting per client at the cutoff
	Clients    []approvalRow
	Stuck      []stuckRow
	More       int    // waiting reviews not listed
	Cutoff     string // when the waiting reviews are counted, in words: now, whatever the range
	StuckHours int    // the org's limit for a stuck review (pending_reviews' "stuck")
}

// approvalRow is one client's approval numbers over the range.
type approvalRow struct {
	Client, Link           string
	P50, P90, Cycles       string
	Rounds, FirstPass      string
	Waiting, Stuck, Oldest string
	Slow                   bool // has a stuck review
	p90                    float64
	p90OK                  bool
}

// stuckRow is one review waiting for a client decision.
type stuckRow struct {
	Deliverable, Client, Link, Project string
	ProjectLink                        string
	Requested, Waited                  string
	Stuck                              bool
}

const approvalsMissing = "No client decisions in this range: connect your task tool's webhooks, or import task events for review requests, approvals and requested changes (docs/import.md)."

func (d *server) approvals(c echo.Context) error {
	v, err := d.view(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	n, err := d.loadNames(ctx, v.Org)
	if err != nil {
		return err
	}
	now := d.cfg.Now()
	// Times are shown in the org's time zone.
	loc := orgLocation(v.Settings)
	var reqs []metrics.Request
	var dropped []string
	for _, k := range []string{"approval_time_p50", "approval_time_p90", "revision_rounds", "first_pass_approval_rate", "pending_reviews"} {
		r, dr := requestWithin(v, k, "group_by", "client")
		r.Now = now
		reqs = append(reqs, r)
		dropped = dr
	}
	// What waits is counted now, whatever the range: on 7 December a review
	// waiting since 1 December is stuck even on November's page.
	reqs[4] = metrics.AsOfNow(reqs[4], loc)
	// The list of waiting reviews (pending_reviews' filters, snapshot and
	// stuck limit) runs beside the KPIs.
	var stuck *metrics.Result
	res, err := d.kpisBeside(ctx, func() (err error) {
		stuck, err = metrics.StuckReviews(ctx, d.cfg.Store, reqs[4], stuckLimit)
		return err
	}, reqs...)
	if err != nil {
		return err
	}
	var notes []string
	if slices.Contains(dropped, "team") {
		notes = append(notes, "Client approvals belong to clients and projects, not teams: this page shows every team's.")
	}
	body, err := buildApprovals(v, n, now, loc, int(v.Settings.StuckReviewHours), res[0], res[1], res[2], res[3], res[4], stuck)
	if err != nil {
		return err
	}
	sayOnce("", &body.Times, &body.Waiting, &body.Rounds, &body.FirstPass)
	if err := linkCharts(v, "/approvals", &body.Times, &body.Rounds, &body.FirstPass, &body.Waiting); err != nil {
		return err
	}
	return d.render(c, "approvals", pageData{View: v, Names: n, Body: body, Notes: notes})
}

// buildApprovals assembles the page from the KPIs grouped by client and the
// list of waiting reviews; now and loc say when "waiting" is counted and in
// which time zone times are shown, stuckHours when a waiting review is stuck.
// Pure.
func buildApprovals(v View, n *names, now time.Time, loc *time.Location, stuckHours int, p50, p90, rounds, firstPass, pending, stuck *metrics.Result) (approvalsBody, error) {
	if loc == nil {
		loc = time.UTC
	}
	body := approvalsBody{Cutoff: approvalCutoff(now, loc), StuckHours: stuckHours}
	var err error
	if body.Times, err = buildApprovalTimes(n, p50, p90); err != nil {
		return body, err
	}
	if body.Rounds, err = buildRevisionRounds(n, rounds); err != nil {
		return body, err
	}
	if body.FirstPass, err = buildFirstPass(n, firstPass); err != nil {
		return body, err
	}
	if body.Waiting, err = buildWaiting(n, pending, body.Cutoff, stuckHours); err != nil {
		return body, err
	}
	body.Clients = buildApprovalClients(v, n, p50, p90, rounds, firstPass, pending)
	waiting, _ := tableOf(pending).sum("value", nil)
	body.Stuck, body.More = buildStuck(v, n, loc, stuck, int(waiting), stuckHours)
	return body, nil
}

// approvalCutoff is when the waiting reviews are counted, in words: now
// (metrics.AsOfNow), whatever the range.
func approvalCutoff(now time.Time, loc *time.Location) string {
	return fmtTime(now, loc) + " (now)"
}

// clientValue is a client group's value, for ordering and charting.
type clientValue struct {
	id, name string
	v        float64
	ok       bool
}

// sortClientValues orders client groups by their value (largest first when
// desc), those without one last, ties by name.
func sortClientValues(cs []clientValue, desc bool) {
	sort.SliceStable(cs, func(i, j int) bool {
		a, b := cs[i], cs[j]
		if a.ok != b.ok {
			return a.ok
		}
		if a.ok && a.v != b.v {
			return (a.v > b.v) == desc
		}
		return a.name < b.name
	})
}

// buildApprovalTimes charts the p50 and p90 of client approval time per
// client, the slowest (by p90) on top. Pure.
func buildApprovalTimes(n *names, p50, p90 *metrics.Result) (Chart, error) {
	t50, t90 := tableOf(p50), tableOf(p90)
	id, title := "approval-times", "Client approval time, p50 and p90 (hours)"
	if t50.Len() == 0 && t90.Len() == 0 {
		return emptyChart(id, title, approvalsMissing), nil
	}
	byClient := func(t table, g string) int {
		for r := range t.Len() {
			if t.Str(r, "client") == g {
				return r
			}
		}
		return -1
	}
	get := func(t table, g, col string) (float64, bool) {
		if r := byClient(t, g); r >= 0 {
			return t.Num(r, col)
		}
		return 0, false
	}
	var cs []clientValue
	for _, g := range approvalGroups(t50, t90) {
		x, ok := get(t90, g, "value")
		cs = append(cs, clientValue{g, n.of("client", g), x, ok})
	}
	sortClientValues(cs, true)
	tab := Table{Columns: []string{"client", "p50 (hours)", "p90 (hours)", "p50 (business hours)", "p90 (business hours)", "decisions"},
		Numeric: []bool{false, true, true, true, true, true}}
	var xs, ids []string
	var a, b []opts.BarData
	for _, c := range cs {
		ids = append(ids, c.id)
		x50, ok50 := get(t50, c.id, "value")
		x90, ok90 := get(t90, c.id, "value")
		b50, bok50 := get(t50, c.id, "business_hours")
		b90, bok90 := get(t90, c.id, "business_hours")
		cyc, cok := get(t50, c.id, "cycles")
		if !cok {
			cyc, cok = get(t90, c.id, "cycles")
		}
		xs = append(xs, c.name)
		a = append(a, opts.BarData{Value: value(round2(x50), ok50)})
		b = append(b, opts.BarData{Value: value(round2(x90), ok90)})
		tab.Rows = append(tab.Rows, []string{c.name, fmtNum(x50, ok50, "hours"), fmtNum(x90, ok90, "hours"),
			fmtNum(b50, bok50, "hours"), fmtNum(b90, bok90, "hours"), fmtNum(cyc, cok, "count")})
	}
	ch, err := hBars(id, title, opts.XAxis{Name: "hours"}, "", xs, tab,
		barSeries{"approval p50", colorOf("approval p50"), a}, barSeries{"approval p90", colorOf("approval p90"), b})
	return withDrill(ch, "client", ids, nil), err
}

// approvalGroups is the union of the client groups of some results.
func approvalGroups(ts ...table) []string {
	seen := map[string]bool{}
	var out []string
	for _, t := range ts {
		for _, g := range t.groups("client") {
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		}
	}
	sort.Strings(out)
	return out
}

// clientBars is a horizontal bar chart of one value per client, in the
// order given.
func clientBars(id, title, series, axis string, cs []clientValue, scale float64, tab Table) (Chart, error) {
	var xs, ids []string
	var bars []opts.BarData
	for _, c := range cs {
		xs, ids = append(xs, c.name), append(ids, c.id)
		bars = append(bars, opts.BarData{Value: value(round2(c.v*scale), c.ok)})
	}
	ch, err := hBars(id, title, opts.XAxis{Name: axis}, "", xs, tab, barSeries{series, colorOf(series), bars})
	return withDrill(ch, "client", ids, nil), err
}

// clientValues reads each row's client and value, and the row of each
// client. Pure.
func clientValues(t table, n *names) ([]clientValue, map[string]int) {
	var cs []clientValue
	rowOf := map[string]int{}
	for r := range t.Len() {
		g := t.Str(r, "client")
		x, ok := t.Num(r, "value")
		cs = append(cs, clientValue{g, n.of("client", g), x, ok})
		rowOf[g] = r
	}
	return cs, rowOf
}

// barSeries is one series of an hBars chart.
type barSeries struct {
	name, color string
	data        []opts.BarData
}

// hBars is a horizontal bar chart with one row per client (or project),
// the first on top, its series side by side or, with stack, stacked. Pure.
func hBars(id, title string, x opts.XAxis, stack string, rows []string, tab Table, series ...barSeries) (Chart, error) {
	b := charts.NewBar()
	b.SetGlobalOptions(append(base(title, len(series) > 1, "axis"),
		charts.WithXAxisOpts(x),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Inverse: opts.Bool(true)}),
	)...)
	b.SetXAxis(rows)
	for _, s := range series {
		o := []charts.SeriesOpts{charts.WithItemStyleOpts(opts.ItemStyle{Color: s.color})}
		if stack != "" {
			o = append(o, charts.WithBarChartOpts(opts.BarChart{Stack: stack}))
		}
		b.AddSeries(s.name, s.data, o...)
	}
	b.XYReversal()
	return newChart(id, title, b, clientBarsHeight(len(rows)), tab)
}

// buildRevisionRounds charts the mean rounds of changes per deliverable,
// per client, the most first; the table has the distribution. Pure.
func buildRevisionRounds(n *names, res *metrics.Result) (Chart, error) {
	t := tableOf(res)
	id, title := "revision-rounds", "Revision rounds per deliverable, by client (mean)"
	if t.Len() == 0 {
		return emptyChart(id, title, approvalsMissing), nil
	}
	cs, rowOf := clientValues(t, n)
	sortClientValues(cs, true)
	tab := Table{Columns: []string{"client", "mean rounds", "rounds", "deliverables", "0 rounds", "1 round", "2 rounds", "3 or more"},
		Numeric: []bool{false, true, true, true, true, true, true, true}}
	for _, c := range cs {
		r := rowOf[c.id]
		row := []string{c.name, fmtNum(c.v, c.ok, "rounds")}
		for _, col := range []string{"rounds", "deliverables", "zero_rounds", "one_round", "two_rounds", "three_plus_rounds"} {
			x, ok := t.Num(r, col)
			row = append(row, fmtNum(x, ok, "count"))
		}
		tab.Rows = append(tab.Rows, row)
	}
	return clientBars(id, title, "revision rounds", "rounds per deliverable", cs, 1, tab)
}

// buildFirstPass charts the share of approved deliverables each client
// approved at the first review, the lowest first. Pure.
func buildFirstPass(n *names, res *metrics.Result) (Chart, error) {
	t := tableOf(res)
	id, title := "first-pass", "First-pass approval rate by client (%)"
	if t.Len() == 0 {
		return emptyChart(id, title, "No deliverables approved in this range: connect your task tool's webhooks, or import task events for review requests and approvals (docs/import.md)."), nil
	}
	cs, rowOf := clientValues(t, n)
	sortClientValues(cs, false)
	tab := Table{Columns: []string{"client", "first-pass rate", "approved at the first review", "approved"},
		Numeric: []bool{false, true, true, true}}
	for _, c := range cs {
		r := rowOf[c.id]
		fp, fok := t.Num(r, "first_pass")
		ap, aok := t.Num(r, "approved")
		tab.Rows = append(tab.Rows, []string{c.name, fmtNum(c.v, c.ok, "ratio"), fmtNum(fp, fok, "count"), fmtNum(ap, aok, "count")})
	}
	return clientBars(id, title, "first-pass approval rate", "%", cs, 100, tab)
}

// buildWaiting stacks, per client, the reviews waiting at the cutoff:
// stuck (more than stuckHours) and the rest, the most stuck on top. Pure.
func buildWaiting(n *names, res *metrics.Result, cutoff string, stuckHours int) (Chart, error) {
	t := tableOf(res)
	id, title := "waiting", "Reviews waiting for the client as of "+cutoff
	type waiting struct {
		clientValue
		total, stuck, oldest float64
		oldOK                bool
	}
	var ws []waiting
	for r := range t.Len() {
		total, _ := t.Num(r, "value")
		if total == 0 {
			continue
		}
		g := t.Str(r, "client")
		w := waiting{clientValue: clientValue{id: g, name: n.of("client", g)}, total: total}
		w.stuck, _ = t.Num(r, "stuck")
		w.oldest, w.oldOK = t.Num(r, "oldest_age_hours")
		w.v, w.ok = w.oldest, w.oldOK
		ws = append(ws, w)
	}
	if len(ws) == 0 {
		return emptyChart(id, title, "Nothing is waiting for a client decision as of "+cutoff+". A review waits from the client's review request (from your task tool's webhooks, or task events in an import: docs/import.md) until the client approves or asks for changes."), nil
	}
	sort.SliceStable(ws, func(i, j int) bool {
		if ws[i].stuck != ws[j].stuck {
			return ws[i].stuck > ws[j].stuck
		}
		if ws[i].oldest != ws[j].oldest {
			return ws[i].oldest > ws[j].oldest
		}
		return ws[i].name < ws[j].name
	})
	tab := Table{Columns: []string{"client", "waiting", fmt.Sprintf("stuck (over %d hours)", stuckHours), "oldest (hours)"}, Numeric: []bool{false, true, true, true}}
	var xs, ids []string
	var stuck, fresh []opts.BarData
	for _, w := range ws {
		xs, ids = append(xs, w.name), append(ids, w.id)
		stuck = append(stuck, opts.BarData{Value: w.stuck})
		fresh = append(fresh, opts.BarData{Value: w.total - w.stuck})
		tab.Rows = append(tab.Rows, []string{w.name, fmtNum(w.total, true, "count"), fmtNum(w.stuck, true, "count"), fmtNum(w.oldest, w.oldOK, "hours")})
	}
	ch, err := hBars(id, title, opts.XAxis{Name: "reviews", MinInterval: 1}, "waiting", xs, tab,
		barSeries{fmt.Sprintf("stuck over %d h", stuckHours), stuckColor, stuck},
		barSeries{fmt.Sprintf("waiting up to %d h", stuckHours), waitingColor, fresh})
	return withDrill(ch, "client", ids, nil), err
}

// buildApprovalClients is the per-client table of every approval number,
// the slowest (by p90) first; each client links to this page filtered by
// it. Pure.
func buildApprovalClients(v View, n *names, p50, p90, rounds, firstPass, pending *metrics.Result) []approvalRow {
	ts := []table{tableOf(p50), tableOf(p90), tableOf(rounds), tableOf(firstPass), tableOf(pending)}
	cell := func(t table, g, col string) (float64, bool) {
		for r := range t.Len() {
			if t.Str(r, "client") == g {
				return t.Num(r, col)
			}
		}
		return 0, false
	}
	var rows []approvalRow
	for _, g := range approvalGroups(ts...) {
		row := approvalRow{Client: n.of("client", g), Link: drillLink(v, "/approvals", "client", g)}
		x, ok := cell(ts[0], g, "value")
		row.P50 = fmtNum(x, ok, "hours")
		row.p90, row.p90OK = cell(ts[1], g, "value")
		row.P90 = fmtNum(row.p90, row.p90OK, "hours")
		x, ok = cell(ts[0], g, "cycles")
		row.Cycles = fmtNum(x, ok, "count")
		x, ok = cell(ts[2], g, "value")
		row.Rounds = fmtNum(x, ok, "rounds")
		x, ok = cell(ts[3], g, "value")
		row.FirstPass = fmtNum(x, ok, "ratio")
		// pending_reviews lists only the clients with a review waiting: the
		// others have none.
		w, _ := cell(ts[4], g, "value")
		s, _ := cell(ts[4], g, "stuck")
		o, ook := cell(ts[4], g, "oldest_age_hours")
		has := pending != nil
		row.Waiting, row.Stuck, row.Oldest = fmtNum(w, has, "count"), fmtNum(s, has, "count"), fmtNum(o, ook, "hours")
		row.Slow = s > 0
		rows = append(rows, row)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.p90OK != b.p90OK {
			return a.p90OK
		}
		if a.p90OK && a.p90 != b.p90 {
			return a.p90 > b.p90
		}
		return a.Client < b.Client
	})
	return rows
}

// buildStuck lists the waiting reviews (metrics.StuckReviews' rows),
// oldest first, and how many more pending_reviews counts than were listed.
// Pure.
func buildStuck(v View, n *names, loc *time.Location, stuck *metrics.Result, waiting, stuckHours int) ([]stuckRow, int) {
	t := tableOf(stuck)
	var rows []stuckRow
	for r := range t.Len() {
		g := t.Str(r, "client_id")
		name := t.Str(r, "deliverable")
		if name == "" {
			name = t.Str(r, "deliverable_id")
		}
		age, ok := t.Num(r, "age_hours")
		row := stuckRow{Deliverable: name, Client: n.of("client", g), Project: n.of("project", t.Str(r, "project_id")),
			Requested: fmtTime(t.Date(r, "requested_at"), loc),
			Waited:    fmtNum(age, ok, "hours") + " h (" + fmtNum(age/24, ok, "days") + " days)",
			Stuck:     ok && age > float64(stuckHours)}
		row.Link = drillLink(v, "/approvals", "client", g)
		row.ProjectLink = drillLink(v, "/approvals", "project", t.Str(r, "project_id"))
		rows = append(rows, row)
	}
	return rows, max(waiting-len(rows), 0)
}
