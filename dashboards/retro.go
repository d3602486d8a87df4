package dashboards

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
)

// The quarterly retro (/retros): the list of quarters, held or not, with
// their actions open and closed; and one quarter's page (/retros/2026-Q3)
// with its record (the day it was held, what worked, what broke and what
// slowed the loop, each with its edits) and its actions, beside the
// quarter's loop numbers against the quarter before. The maturity level
// reads these records (kpi_maturity_level.sql). Records are read and
// written through metrics.LoadRetroQuarter and metrics.RecordRetro, the
// code /api/v1/retros uses.

// retroData is what the retro pages' chrome needs (the top navigation) and
// Body, the page's own part. Error names the field and value refused;
// Fields holds the same per form field.
type retroData struct {
	Page      Page
	Pages     []Page
	View      View
	Org       org.Shown
	Principal auth.Principal
	CSRF      template.HTML
	Flash     string
	Error     string
	Fields    map[string]string
	Title     string
	Crumbs    []Crumb
	Body      any
	// From and To (excluded) are the days the page's numbers cover, for its
	// printed filters line and its CSV files' names.
	From, To time.Time
}

// FilterText is the printed line of what the page covers, as the
// dashboards print theirs: "Range 1 Jul 2026 – 30 Sep 2026 · Client: all ·
// Team: all" (retros are the org's, never a client's or a team's).
func (r retroData) FilterText() string {
	return "Range " + fmtDay(r.From) + " – " + fmtDay(r.To.AddDate(0, 0, -1)) + " · Client: all · Team: all"
}

// CSVRange names the covered days in the CSV downloads' file names.
func (r retroData) CSVRange() string {
	return r.From.Format(time.DateOnly) + "-to-" + r.To.AddDate(0, 0, -1).Format(time.DateOnly)
}

// retroListBody is /retros: the quarters, newest first.
type retroListBody struct {
	Quarters []retroListRow
	Trend    Chart // the loop's rates per listed quarter, oldest first
	Today    string
	AnyHeld  bool
	CanWrite bool
	ReadOnly string
}

// retroListRow is one quarter of the list.
type retroListRow struct {
	metrics.RetroSummary
	HeldText string // "held 2 Oct 2026" or "not held"
	Range    string // "1 Jul – 30 Sep 2026"
	Current  bool
}

// retroForm is the retro's form as typed.
type retroForm struct {
	HeldOn, Worked, Broke, Slowed string
}

// retroActionForm is the add-an-action form as typed.
type retroActionForm struct {
	Kind, Title, Owner, Due string
}

// retroText is one of the retro's texts with its edits.
type retroText struct {
	Field, Label, Hint, Value string
	Edits                     int
	LastBy, LastAt            string
	Earlier                   []retroVersion // older versions, newest first
}

// retroVersion is a saved version of a text.
type retroVersion struct {
	Body, By, At string
}

// retroActionRow is one of the retro's actions as listed.
type retroActionRow struct {
	metrics.Action
	DueText, ClosedText string
	Overdue             bool
}

// retroNumberRow is one of the quarter's loop numbers beside the quarter before.
type retroNumberRow struct {
	Group, Name, This, Prev string
}

// retroBody is one quarter's page.
type retroBody struct {
	Quarter, PrevQuarter, NextQuarter string
	Range, PrevRange                  string
	Held                              bool
	HeldText                          string
	Form                              retroForm
	Texts                             []retroText
	Actions                           []retroActionRow
	Open, Closed                      int
	ActionForm                        retroActionForm
	People                            []metrics.Named
	Loop                              []retroNumberRow
	LoopNote                          string
	ToolNote                          string // the quarter's retro-held events from tools, if any
	CanWrite                          bool
	ReadOnly                          string
	Max                               string // the latest held-on day the form takes (the org's today)
	Min                               string // the quarter's first day
}

// retroTextLabels are the retro's three questions, in order.
var retroTextLabels = []struct{ field, label, hint string }{
	{metrics.NoteWorked, "What worked", "What the team should keep doing next quarter."},
	{metrics.NoteBroke, "What broke", "Missed dates, rework, surprises clients felt before the numbers did."},
	{metrics.NoteSlowed, "What slowed the loop", "Waits between phases, reviews that sat, briefs that came late."},
}

// registerRetros adds the retro pages and their forms.
func (d *server) registerRetros(g *echo.Group, mw []echo.MiddlewareFunc) {
	g.GET("/retros", d.retros, mw...)
	g.GET("/retros/:quarter", d.retroQuarter, mw...)
	g.POST("/retros/:quarter", d.saveRetro, mw...)
	g.POST("/retros/:quarter/actions", d.addRetroAction, mw...)
	g.POST("/retros/:quarter/actions/:id", d.setRetroAction, mw...)
}

// retroPage reads the request's view and the chrome of the retro pages.
func (d *server) retroPage(c echo.Context) (retroData, *time.Location, time.Time, error) {
	v, err := d.view(c)
	if err != nil {
		return retroData{}, nil, time.Time{}, err
	}
	p, _ := auth.PrincipalOf(c)
	loc := orgLocation(v.Settings)
	data := retroData{View: v, Org: v.Settings.Show(), Principal: p, CSRF: auth.CSRFInput(c), Pages: visiblePages(p), Flash: flashOf(c)}
	if i := slices.IndexFunc(Pages, func(p Page) bool { return p.Path == "/retros" }); i >= 0 {
		data.Page = Pages[i]
	}
	return data, loc, metrics.Today(d.cfg.Now().In(loc)), nil
}

// retroWriteRefusal says why the principal may not write retros ("" when it may).
func (d *server) retroWriteRefusal(p auth.Principal) string {
	switch {
	case d.cfg.Reports == nil:
		return "Retros are read-only here: this server has no store to write them to."
	case !p.Can(auth.PermReports):
		return "Admins, partners and ops leads record retros and their actions; your role reads them."
	}
	return ""
}

// renderRetro writes a retro page with status (200, or 422 for a refused
// form shown again with its values and errors).
func (d *server) renderRetro(c echo.Context, status int, name string, data retroData) error {
	return writePage(c, status, name, data)
}

// retros is /retros, or one quarter's page with ?quarter=.
func (d *server) retros(c echo.Context) error {
	if q := c.QueryParam("quarter"); q != "" {
		start, err := metrics.ParseQuarter(q)
		if err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, metrics.Message(err))
		}
		return c.Redirect(http.StatusSeeOther, "/retros/"+metrics.QuarterLabel(start))
	}
	data, _, today, err := d.retroPage(c)
	if err != nil {
		return err
	}
	list, err := metrics.ListRetroQuarters(c.Request().Context(), d.cfg.Store, data.View.Org, data.View.Settings.WithDefaults().TimeZone, today)
	if err != nil {
		return err
	}
	body := retroListBody{Today: fmtDay(today), ReadOnly: d.retroWriteRefusal(data.Principal)}
	body.CanWrite = body.ReadOnly == ""
	for _, r := range list {
		row := retroListRow{RetroSummary: r, HeldText: retroHeldText(r), Range: quarterRange(r.Start), Current: r.Start.Equal(metrics.QuarterStart(today))}
		body.AnyHeld = body.AnyHeld || r.Held || r.ToolEvents > 0
		body.Quarters = append(body.Quarters, row)
	}
	if body.Trend, err = d.retroTrend(c.Request().Context(), data, today, list); err != nil {
		return err
	}
	cur := metrics.QuarterStart(today)
	data.From, data.To = cur, cur.AddDate(0, 3, 0)
	for _, r := range list {
		if r.Start.Before(data.From) {
			data.From = r.Start
		}
	}
	data.Title, data.Body = "Retros", body
	return d.renderRetro(c, http.StatusOK, "retros", data)
}

// retroTrendKPIs are the rates the list charts per quarter, each with the
// columns that sum to its numerator and denominator over months.
var retroTrendKPIs = []struct {
	kpi, name string
	num       []string
	den       []string
}{
	{"on_time_rate", "on-time rate", []string{"on_time"}, []string{"delivered", "open_overdue"}},
	{"qa_coverage", "QA coverage", []string{"covered"}, []string{"reached_client_review"}},
	{"write_off_hours_rate", "write-off rate (hours)", []string{"write_off_hours"}, []string{"billable_hours"}},
}

// retroTrend reads the trend rates by month over the listed quarters up to
// today's (three queries, not three per quarter) and charts them per
// quarter.
func (d *server) retroTrend(ctx context.Context, data retroData, today time.Time, list []metrics.RetroSummary) (Chart, error) {
	if len(list) == 0 {
		return emptyChart("retro-trend", retroTrendTitle, "No quarters to chart."), nil
	}
	cur := metrics.QuarterStart(today)
	var quarters []metrics.RetroSummary
	for _, r := range slices.Backward(list) {
		if !r.Start.After(cur) {
			quarters = append(quarters, r)
		}
	}
	settings := data.View.Settings
	var reqs []metrics.Request
	for _, k := range retroTrendKPIs {
		reqs = append(reqs, metrics.Request{KPI: k.kpi, Org: data.View.Org, From: quarters[0].Start, To: cur.AddDate(0, 3, 0),
			Interval: "month", Settings: &settings})
	}
	res, err := d.kpis(ctx, reqs...)
	if err != nil {
		return Chart{}, err
	}
	return buildRetroTrend(quarters, res)
}

const retroTrendTitle = "The loop by quarter"

// buildRetroTrend charts each trend rate per quarter (oldest first) from
// its monthly results (res, in retroTrendKPIs' order): the quarter's
// numerator ÷ denominator summed over its months, a gap where the
// denominator is 0. The table adds whether the quarter's retro was held.
// Pure.
func buildRetroTrend(quarters []metrics.RetroSummary, res []*metrics.Result) (Chart, error) {
	tab := Table{Columns: []string{"quarter", "retro"}, Numeric: []bool{false, false}}
	xs := make([]string, len(quarters))
	for i, q := range quarters {
		xs[i] = q.Quarter
		tab.Rows = append(tab.Rows, []string{q.Quarter, retroHeldText(q)})
	}
	l := charts.NewLine()
	l.SetGlobalOptions(append(base(retroTrendTitle, true, "axis"),
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Name: "quarter", NameLocation: "middle", NameGap: 28}),
		charts.WithYAxisOpts(opts.YAxis{Name: "rate (%)", Min: 0, Max: 100}),
	)...)
	l.SetXAxis(xs)
	drawn := false
	for j, k := range retroTrendKPIs {
		t := tableOf(res[j])
		tab.Columns, tab.Numeric = append(tab.Columns, k.name), append(tab.Numeric, true)
		var ys []opts.LineData
		for i, q := range quarters {
			in := func(r int) bool { return metrics.QuarterStart(t.Date(r, "period")).Equal(q.Start) }
			var num, den float64
			for _, c := range k.num {
				v, _ := t.sum(c, in)
				num += v
			}
			for _, c := range k.den {
				v, _ := t.sum(c, in)
				den += v
			}
			v, ok := ratio(num, den, den > 0)
			drawn = drawn || ok
			ys = append(ys, opts.LineData{Value: value(v*100, ok)})
			tab.Rows[i] = append(tab.Rows[i], fmtNum(v, ok, "ratio"))
		}
		l.AddSeries(k.name, ys, charts.WithLineChartOpts(opts.LineChart{ShowSymbol: opts.Bool(true)}),
			charts.WithItemStyleOpts(opts.ItemStyle{Color: colorOf(k.name)}))
	}
	if !drawn {
		return emptyChart("retro-trend", retroTrendTitle, "No deliverables were due, reached client review or had billable hours in these quarters. "+
			"Import deliverables with due dates and their task events, and time entries (docs/import.md)."), nil
	}
	return newChart("retro-trend", retroTrendTitle, l, 300, tab)
}

// retroHeldText says whether a quarter's retro was held: by its record,
// else by a task tool's retro-held event (which the maturity level counts
// too).
func retroHeldText(r metrics.RetroSummary) string {
	switch {
	case r.HeldOn != nil:
		return "held " + fmtDay(*r.HeldOn)
	case r.ToolLast != nil:
		return "held " + fmtDay(*r.ToolLast) + " (a task tool's event)"
	}
	return "not held"
}

// quarterRange writes a quarter as its days: "1 Jul – 30 Sep 2026".
func quarterRange(start time.Time) string {
	return start.Format("2 Jan") + " – " + start.AddDate(0, 3, -1).Format("2 Jan 2006")
}

// retroQuarter is /retros/{quarter}.
func (d *server) retroQuarter(c echo.Context) error {
	return d.showRetro(c, http.StatusOK, nil, nil)
}

// showRetro writes the quarter's page: with status and the forms as typed
// (form, act: nil for the stored values and an empty action) and data's
// Error for a refused form.
func (d *server) showRetro(c echo.Context, status int, form *retroForm, act *retroActionForm, errs ...string) error {
	data, loc, today, err := d.retroPage(c)
	if err != nil {
		return err
	}
	start, err := metrics.ParseQuarter(c.Param("quarter"))
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound, metrics.Message(err))
	}
	if len(errs) == 2 {
		data.Error, data.Fields = errs[1], map[string]string{errs[0]: errs[1]}
	}
	body, err := d.retroBody(c, data, loc, today, start, form, act)
	if err != nil {
		return err
	}
	data.Title, data.Body = "Retro "+body.Quarter, body
	data.From, data.To = start, start.AddDate(0, 3, 0)
	data.Crumbs = []Crumb{{"Retros", "/retros"}, {body.Quarter, ""}}
	return d.renderRetro(c, status, "retro", data)
}

// retroBody reads the quarter's retro, its actions, the org's people and
// the loop numbers of the quarter and the one before.
func (d *server) retroBody(c echo.Context, data retroData, loc *time.Location, today, start time.Time, form *retroForm, act *retroActionForm) (retroBody, error) {
	ctx := c.Request().Context()
	prev, end := start.AddDate(0, -3, 0), start.AddDate(0, 3, 0)
	b := retroBody{Quarter: metrics.QuarterLabel(start), PrevQuarter: metrics.QuarterLabel(prev), NextQuarter: metrics.QuarterLabel(end),
		Range: quarterRange(start), PrevRange: quarterRange(prev), ReadOnly: d.retroWriteRefusal(data.Principal),
		Max: today.Format(time.DateOnly), Min: start.Format(time.DateOnly)}
	b.CanWrite = b.ReadOnly == ""
	if end.After(today) {
		b.NextQuarter = "" // the next quarter has not begun: nothing to record yet
	}
	var (
		r    metrics.RetroQuarter
		ev   map[time.Time]metrics.RetroEvent
		all  *metrics.Names
		loop []retroNumberRow
	)
	err := metrics.RunQueries(ctx, func(ctx context.Context) (err error) {
		if r, err = metrics.LoadRetroQuarter(ctx, d.cfg.Store, data.View.Org, start); err != nil {
			return err
		}
		ev, err = metrics.RetroEvents(ctx, d.cfg.Store, data.View.Org, data.View.Settings.WithDefaults().TimeZone)
		return err
	}, func(ctx context.Context) (err error) {
		all, err = metrics.LoadNames(ctx, d.cfg.Store, data.View.Org)
		return err
	}, func(ctx context.Context) (err error) {
		loop, err = d.loopNumbers(ctx, data, prev, start, end)
		return err
	})
	if err != nil {
		return b, err
	}
	r = r.WithEvents(ev)
	b.Held, b.HeldText, b.Loop = r.Held, "not held yet", loop
	if r.HeldOn != nil {
		b.HeldText = "held " + fmtDay(*r.HeldOn)
		if r.Author != "" {
			b.HeldText += ", recorded by " + r.Author
		}
	}
	if r.ToolEvents > 0 {
		b.ToolNote = fmt.Sprintf("A task tool sent %d retro-held event%s dated in this quarter, the last on %s: the maturity level counts the quarter's retro as held from those too.",
			r.ToolEvents, map[bool]string{true: "s"}[r.ToolEvents != 1], fmtDay(*r.ToolLast))
		if r.HeldOn == nil {
			b.HeldText = "held " + fmtDay(*r.ToolLast) + " (a task tool's event), not recorded here yet"
		}
	}
	if today.Before(end) {
		b.LoopNote = "The quarter is not over: its numbers are to date (" + fmtDay(today) + ")."
	}
	b.People = all.Of("person")
	b.Form = retroForm{Worked: r.Worked, Broke: r.Broke, Slowed: r.Slowed}
	if r.HeldOn != nil {
		b.Form.HeldOn = r.HeldOn.Format(time.DateOnly)
	}
	if form != nil {
		b.Form = *form
	}
	typed := map[string]string{metrics.NoteWorked: b.Form.Worked, metrics.NoteBroke: b.Form.Broke, metrics.NoteSlowed: b.Form.Slowed}
	for _, l := range retroTextLabels {
		t := retroText{Field: l.field, Label: l.label, Hint: l.hint, Value: typed[l.field], Edits: r.Notes.Edits(l.field)}
		if n, ok := r.Notes.Latest[l.field]; ok {
			t.LastBy, t.LastAt = n.Author, fmtTime(n.At, loc)
		}
		// the versions before the one in force (the field's last), newest first
		seen := 0
		for i := len(r.Notes.History) - 1; i >= 0; i-- {
			if n := r.Notes.History[i]; n.Field == l.field {
				if seen++; seen > 1 {
					t.Earlier = append(t.Earlier, retroVersion{Body: n.Body, By: n.Author, At: fmtTime(n.At, loc)})
				}
			}
		}
		b.Texts = append(b.Texts, t)
	}
	for _, a := range r.Actions {
		row := retroActionRow{Action: a, DueText: fmtDay(a.Due), Overdue: a.Overdue(today)}
		if a.ClosedAt != nil {
			row.ClosedText = "closed " + fmtTime(*a.ClosedAt, loc) + " by " + a.ClosedBy
		}
		b.Actions = append(b.Actions, row)
	}
	b.Open, b.Closed = r.Open, r.Closed
	b.ActionForm = retroActionForm{Kind: metrics.ActionKind}
	if act != nil {
		b.ActionForm = *act
	}
	return b, nil
}

// loopNumbers are the quarter's loop KPIs over [start, end) beside the
// quarter before's [prev, start): time in each phase and the wait of each
// handoff (p50), QA coverage, on-time rate and write-off rate (in hours
// for a principal who may not see money).
func (d *server) loopNumbers(ctx context.Context, data retroData, prev, start, end time.Time) ([]retroNumberRow, error) {
	writeOff := "write_off_rate"
	if !data.Principal.Can(auth.PermMoney) {
		writeOff = "write_off_hours_rate"
	}
	kpis := []string{"phase_time", "handoff_wait", "qa_coverage", "on_time_rate", writeOff}
	settings := data.View.Settings
	var reqs []metrics.Request
	for _, k := range kpis {
		for _, from := range []time.Time{start, prev} {
			reqs = append(reqs, metrics.Request{KPI: k, Org: data.View.Org, From: from, To: from.AddDate(0, 3, 0), Settings: &settings})
		}
	}
	res, err := d.kpis(ctx, reqs...)
	if err != nil {
		return nil, err
	}
	var rows []retroNumberRow
	// keyed rows (a phase, a handoff) in the order first seen, this quarter first
	keyed := func(group string, this, before *metrics.Result, key func(t table, i int) string, name func(string) string, show func(float64) string) {
		var keys []string
		vals := [2]map[string]string{{}, {}}
		for j, r := range []*metrics.Result{this, before} {
			t := tableOf(r)
			for i := range t.Len() {
				k := key(t, i)
				if !slices.Contains(keys, k) {
					keys = append(keys, k)
				}
				if v, ok := t.Num(i, "value"); ok {
					vals[j][k] = show(v)
				}
			}
		}
		for _, k := range keys {
			if vals[0][k] == "" && vals[1][k] == "" {
				continue // a phase nobody left in either quarter (reported, usually)
			}
			rows = append(rows, retroNumberRow{Group: group, Name: name(k), This: cmp.Or(vals[0][k], "–"), Prev: cmp.Or(vals[1][k], "–")})
		}
	}
	hours := func(v float64) string { return fmt.Sprintf("%.1f h", v) }
	pct := func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }
	keyed("Time in phase (p50)", res[0], res[1], func(t table, i int) string { return t.Str(i, "phase") },
		func(k string) string { return strings.ReplaceAll(k, "_", " ") }, hours)
	keyed("Handoff wait (p50)", res[2], res[3], func(t table, i int) string { return t.Str(i, "from_phase") + "→" + t.Str(i, "to_phase") },
		func(k string) string { return strings.ReplaceAll(strings.ReplaceAll(k, "_", " "), "→", " → ") }, hours)
	single := func(name string, this, before *metrics.Result) {
		v := [2]string{"–", "–"}
		for j, r := range []*metrics.Result{this, before} {
			if t := tableOf(r); t.Len() > 0 {
				if x, ok := t.Num(0, "value"); ok {
					v[j] = pct(x)
				}
			}
		}
		rows = append(rows, retroNumberRow{Group: "Rates", Name: name, This: v[0], Prev: v[1]})
	}
	single("QA coverage", res[4], res[5])
	single("On-time rate", res[6], res[7])
	woName := "Write-off rate"
	if writeOff == "write_off_hours_rate" {
		woName = "Write-off rate (hours)"
	}
	single(woName, res[8], res[9])
	return rows, nil
}

// retroRefused is a refused form's field and message from err (an
// ErrBadRequest), or ok false for another error.
func retroRefused(err error) (field, msg string, ok bool) {
	if !errors.Is(err, metrics.ErrBadRequest) {
		return "", "", false
	}
	msg = metrics.Message(err)
	field, _, _ = strings.Cut(msg, " ")
	return strings.TrimSuffix(field, ":"), msg, true
}

// retroQuarterParam is the path's quarter, or a 404 naming it.
func retroQuarterParam(c echo.Context) (time.Time, error) {
	q, err := metrics.ParseQuarter(c.Param("quarter"))
	if err != nil {
		return q, echo.NewHTTPError(http.StatusNotFound, metrics.Message(err))
	}
	return q, nil
}

// retroWriter checks that the request may write retros (403 otherwise) and
// returns its principal and the org's today.
func (d *server) retroWriter(c echo.Context) (auth.Principal, time.Time, error) {
	data, _, today, err := d.retroPage(c)
	if err != nil {
		return auth.Principal{}, today, err
	}
	if why := d.retroWriteRefusal(data.Principal); why != "" {
		return data.Principal, today, echo.NewHTTPError(http.StatusForbidden, why)
	}
	return data.Principal, today, nil
}

// saveRetro records the day the retro was held and its texts
// (metrics.RecordRetro).
func (d *server) saveRetro(c echo.Context) error {
	p, today, err := d.retroWriter(c)
	if err != nil {
		return err
	}
	q, err := retroQuarterParam(c)
	if err != nil {
		return err
	}
	f := retroForm{HeldOn: strings.TrimSpace(c.FormValue("held_on")), Worked: c.FormValue("worked"), Broke: c.FormValue("broke"), Slowed: c.FormValue("slowed")}
	in := metrics.RetroInput{Quarter: q, Texts: map[string]string{metrics.NoteWorked: f.Worked, metrics.NoteBroke: f.Broke, metrics.NoteSlowed: f.Slowed}}
	if f.HeldOn == "" {
		err = &metrics.BadRequestError{Msg: "held_on: empty; give the day the " + metrics.QuarterLabel(q) + " retro was held as YYYY-MM-DD"}
	} else if day, why := metrics.ParseDay(f.HeldOn); why != "" {
		err = &metrics.BadRequestError{Msg: fmt.Sprintf("held_on %q: %s", f.HeldOn, why)}
	} else {
		in.HeldOn = day
		_, err = metrics.RecordRetro(c.Request().Context(), d.cfg.Reports, p.Org, p.Who(), in, today, d.cfg.Now())
	}
	if field, msg, ok := retroRefused(err); ok {
		return d.showRetro(c, http.StatusUnprocessableEntity, &f, nil, field, msg)
	}
	if err != nil {
		return err
	}
	return flashRedirect(c, "/retros/"+metrics.QuarterLabel(q), "Saved the "+metrics.QuarterLabel(q)+" retro.")
}

// addRetroAction adds an action or decision to the quarter's retro
// (metrics.AddAction, origin retro).
func (d *server) addRetroAction(c echo.Context) error {
	p, _, err := d.retroWriter(c)
	if err != nil {
		return err
	}
	q, err := retroQuarterParam(c)
	if err != nil {
		return err
	}
	f := retroActionForm{Kind: c.FormValue("kind"), Title: c.FormValue("title"), Owner: c.FormValue("owner"), Due: strings.TrimSpace(c.FormValue("due"))}
	a := metrics.Action{Origin: metrics.OriginRetro, Period: q, Kind: f.Kind, Title: f.Title, Owner: f.Owner}
	if f.Due != "" {
		var why string
		if a.Due, why = metrics.ParseDay(f.Due); why != "" {
			err = &metrics.BadRequestError{Msg: fmt.Sprintf("due %q: %s", f.Due, why)}
		}
	}
	if err == nil {
		a, err = metrics.AddAction(c.Request().Context(), d.cfg.Reports, p.Org, p.Who(), a, d.cfg.Now())
	}
	if fe, ok := errors.AsType[*metrics.FilterError](err); ok {
		return d.showRetro(c, http.StatusUnprocessableEntity, nil, &f, "owner", "owner "+fe.Error())
	}
	if field, msg, ok := retroRefused(err); ok {
		return d.showRetro(c, http.StatusUnprocessableEntity, nil, &f, field, msg)
	}
	if err != nil {
		return err
	}
	return flashRedirect(c, "/retros/"+metrics.QuarterLabel(q), fmt.Sprintf("Added %q, owned by %s.", a.Title, a.OwnerName))
}

// setRetroAction closes (status=closed) or reopens (status=open) one of
// the quarter's retro actions.
func (d *server) setRetroAction(c echo.Context) error {
	p, _, err := d.retroWriter(c)
	if err != nil {
		return err
	}
	q, err := retroQuarterParam(c)
	if err != nil {
		return err
	}
	status, id := c.FormValue("status"), c.Param("id")
	if status != metrics.ActionClosed && status != metrics.ActionOpen {
		return echo.NewHTTPError(http.StatusBadRequest, fmt.Sprintf("status %q: closed or open", status))
	}
	// only an action of this quarter's retro: a report's is closed on its report
	ours, err := metrics.ListActions(c.Request().Context(), d.cfg.Store, p.Org, metrics.ActionFilter{Origin: metrics.OriginRetro, Period: q})
	if err != nil {
		return err
	}
	notFound := echo.NewHTTPError(http.StatusNotFound, fmt.Sprintf("action %q: the %s retro has no such action", id, metrics.QuarterLabel(q)))
	if !slices.ContainsFunc(ours, func(a metrics.Action) bool { return a.ID == id }) {
		return notFound
	}
	a, found, err := metrics.SetActionStatus(c.Request().Context(), d.cfg.Reports, p.Org, p.Who(), id, status == metrics.ActionClosed, d.cfg.Now())
	if err != nil {
		return err
	}
	if !found {
		return notFound
	}
	verb := "Closed"
	if status == metrics.ActionOpen {
		verb = "Reopened"
	}
	return flashRedirect(c, "/retros/"+metrics.QuarterLabel(q), fmt.Sprintf("%s %q.", verb, a.Title))
}
