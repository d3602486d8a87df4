package dashboards

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"
	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// The capacity page looks forward, unlike the others: its weeks run from the
// current week on, whatever the view's (past) date range.
const (
	defaultCapacityWeeks = 26
	// demandRows is how many role rows the earliest-start form shows.
	demandRows = 5
)

// capacityMissing is the empty state of the capacity charts.
const capacityMissing = "No capacity in these weeks: import people with their role, team and weekly capacity hours, and their allocations (bookings), with opsmetrics import FILE (docs/import.md, sections person and allocation)."

// capacityBody is the capacity page's own part.
type capacityBody struct {
	Scope      []string // what the page covers, in words
	Weeks      int
	WeekLinks  []weekLink
	Roles      Chart // free hours by role and week
	Teams      Chart // free hours by team and week
	TeamLinks  []teamLink
	Form       startForm
	RoleChoice []Option
	Hidden     []Option // the view's parameters, kept by the form (ID = name)
	Answer     *startAnswer
}

// teamLink links a team to the page that shows who in it is busy.
type teamLink struct{ Name, Link string }

// weekLink is a choice of how many weeks the grid shows.
type weekLink struct {
	Weeks   int
	Link    string
	Current bool
}

func (d *server) capacity(c echo.Context) error {
	v, err := d.view(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	q := c.QueryParams()
	now := d.cfg.Now()
	today := metrics.Today(now)

	var notes []string
	weeks, msg := parseGridWeeks(q.Get("weeks"))
	if msg != "" {
		notes = append(notes, msg)
	}
	tentative := tentativeOf(q)
	from, to := today, weekStart(today).AddDate(0, 0, 7*weeks)
	form := parseStartForm(q, today)

	// One by-role grid serves the heatmap and the earliest start: it runs
	// on to the end of the search (its horizon plus twice the job, for the
	// stretched alternative) when that fits in one grid, and the search is
	// then metrics.Plan over it, as metrics.EarliestStart would run it on
	// the same weeks. The query, not the plan, is the cost.
	req := form.Request
	req.Org, req.Now = v.Org, now
	var first time.Time
	shared := false
	if form.ok() {
		if err := req.Validate(); err != nil {
			form.Errors = append(form.Errors, metrics.Message(err))
		} else {
			first = firstWeekOn(req.NotBefore)
			end := first.AddDate(0, 0, 7*(req.HorizonWeeks+2*req.Weeks))
			if weeksFrom(weekStart(from), end) <= metrics.MaxCapacityWeeks {
				shared = true
				to = laterOf(to, end)
			}
		}
	}
	pageTo := weekStart(today).AddDate(0, 0, 7*weeks)

	var roles, teams *metrics.CapacityGrid
	var n *names
	var answer *metrics.EarliestStartAnswer
	jobs := []func(context.Context) error{
		func(ctx context.Context) (err error) {
			roles, err = metrics.Capacity(ctx, d.cfg.Store, metrics.CapacityRequest{Org: v.Org, From: from, To: to, By: "role",
				IncludeTentative: tentative, Now: now})
			return err
		},
		func(ctx context.Context) (err error) {
			teams, err = metrics.Capacity(ctx, d.cfg.Store, metrics.CapacityRequest{Org: v.Org, From: from, To: pageTo, By: "team",
				IncludeTentative: tentative, Now: now})
			return err
		},
		func(ctx context.Context) (err error) {
			n, err = d.loadNames(ctx, v.Org)
			return err
		},
	}
	var refused error
	if form.ok() && !shared {
		jobs = append(jobs, func(ctx context.Context) (err error) {
			answer, err = metrics.EarliestStart(ctx, d.cfg.Store, req)
			if errors.Is(err, metrics.ErrBadRequest) {
				refused, answer = err, nil
				return nil
			}
			return err
		})
	}
	if err := metrics.RunQueries(ctx, jobs...); err != nil {
		return err
	}
	if refused != nil {
		// The form checks what the search checks; should they differ,
		// the reader still gets the message by the form.
		form.Errors = append(form.Errors, metrics.Message(refused))
	}
	choice := roleChoice(roles, n)
	form.checkRoles(choice)
	req.Demand = form.Request.Demand // the roles as the org spells them
	if !form.ok() {
		answer = nil
	} else if shared && roles != nil {
		answer = metrics.Plan(roles, req, first)
	}
	roles = trimGrid(roles, pageTo)
	if roles != nil {
		var cov coverage
		for _, c := range roles.Cells {
			cov.part += c.Assumed.InexactFloat64()
			cov.whole += c.Available.InexactFloat64()
		}
		if note := capacityNote(cov); note != "" {
			notes = append(notes, note)
		}
	}

	body := capacityBody{Weeks: weeks, Form: form, RoleChoice: choice}
	body.Scope = capacityScope(v, from, pageTo, weeks, tentative)
	if v.Client != "" {
		notes = append(notes, fmt.Sprintf("The client filter (%s) does not apply to this page: capacity belongs to people, not to clients. Every number below is for the whole org.", n.of("client", v.Client)))
	}
	for _, w := range []int{13, 26, 52, 104} {
		body.WeekLinks = append(body.WeekLinks, weekLink{w, v.Link("/capacity", "weeks", strconv.Itoa(w)), w == weeks})
	}
	for _, k := range []string{"org", "from", "to", "client", "team"} {
		if s := v.Query().Get(k); s != "" {
			body.Hidden = append(body.Hidden, Option{k, s})
		}
	}
	body.Hidden = append(body.Hidden, Option{"weeks", strconv.Itoa(weeks)})

	name := func(kind string) func(string) string { return func(id string) string { return n.of(kind, id) } }
	if body.Roles, err = freeHeatmap("capacity-roles", "Free hours by role and week", "role", roles, name("role"), nil); err != nil {
		return err
	}
	var keepTeam func(string) bool
	teamTitle := "Free hours by team and week"
	if v.Team != "" {
		keepTeam = func(t string) bool { return t == v.Team }
		teamTitle = "Free hours of team " + n.of("team", v.Team) + " by week"
	}
	if body.Teams, err = freeHeatmap("capacity-teams", teamTitle, "team", teams, name("team"), keepTeam); err != nil {
		return err
	}
	if body.Teams.Empty != "" && v.Team != "" && len(gridKeys(teams, nil)) > 0 {
		body.Teams.Empty = fmt.Sprintf("Team %s has no capacity in these weeks: no one is in it, or its people have no weekly capacity hours. Import people with this team (docs/import.md, section person), or clear the team filter.", n.of("team", v.Team))
	}
	for _, t := range gridKeys(teams, keepTeam) {
		if t != "" {
			body.TeamLinks = append(body.TeamLinks, teamLink{n.of("team", t), v.Link("/utilization", "team", t)})
		}
	}
	if answer != nil {
		body.Answer = describeStart(answer, name("role"), name("person"))
	}
	return d.render(c, "capacity", pageData{View: v, Names: n, Body: body, Notes: notes})
}

// trimGrid is g without its weeks from to on. Pure; g is not changed.
func trimGrid(g *metrics.CapacityGrid, to time.Time) *metrics.CapacityGrid {
	if g == nil {
		return nil
	}
	t := *g
	t.Weeks, t.Cells = nil, nil
	for _, w := range g.Weeks {
		if w.Before(to) {
			t.Weeks = append(t.Weeks, w)
		}
	}
	for _, c := range g.Cells {
		if c.Week.Before(to) {
			t.Cells = append(t.Cells, c)
		}
	}
	return &t
}

// firstWeekOn is the first Monday on or after d, where an earliest-start
// search begins.
func firstWeekOn(d time.Time) time.Time {
	d = metrics.Today(d)
	if m := weekStart(d); !m.Equal(d) {
		return m.AddDate(0, 0, 7)
	}
	return d
}

// weeksFrom is the number of weeks from the Monday from to the Monday to.
func weeksFrom(from, to time.Time) int { return int(to.Sub(from).Hours()/24) / 7 }

func laterOf(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// capacityScope says in words what the page covers.
func capacityScope(v View, from, to time.Time, weeks int, tentative bool) []string {
	last := to.AddDate(0, 0, -7)
	s := []string{fmt.Sprintf("This page looks forward: the %d weeks from this week (Monday %s; this week counts from today, %s) to the week of Monday %s. The date range of the filters does not apply here, nor does the client filter: capacity belongs to people, not to clients.",
		weeks, weekStart(from).Format("2 January 2006"), from.Format("Monday 2 January"), last.Format("2 January 2006"))}
	if tentative {
		s = append(s, "Free hours = available (contracted − time off − holidays) − confirmed bookings − tentative bookings × their probability. Negative free hours mean the role or team is overbooked.")
	} else {
		s = append(s, "Free hours = available (contracted − time off − holidays) − confirmed bookings; tentative bookings are shown but not subtracted. Negative free hours mean the role or team is overbooked.")
	}
	if v.Team != "" {
		s = append(s, "The team filter narrows the by-team chart; the by-role chart and the earliest start cover every team, as capacity by role is not split by team.")
	} else {
		s = append(s, "By role for the whole org; by team below (the team filter narrows it to one team).")
	}
	return s
}

// parseGridWeeks reads the grid's number of weeks: 26 unless given, 1 to
// metrics.MaxCapacityWeeks. A bad value is a message, and the default.
func parseGridWeeks(s string) (int, string) {
	if s == "" {
		return defaultCapacityWeeks, ""
	}
	w, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || w < 1 || w > metrics.MaxCapacityWeeks {
		return defaultCapacityWeeks, fmt.Sprintf("weeks %q: want a whole number of weeks from 1 to %d; showing %d.", s, metrics.MaxCapacityWeeks, defaultCapacityWeeks)
	}
	return w, ""
}

// startFormKeys are the earliest-start form's parameters: any of them means
// the form was sent.
var startFormKeys = []string{"need", "role", "hours", "job_weeks", "not_before"}

// tentativeOf reads whether tentative bookings count. They do unless said:
// a link says include_tentative=false, and the page's form (the only sender
// of role and hours fields) says it by its checkbox, as an unticked box
// sends nothing.
func tentativeOf(q url.Values) bool {
	if q.Has("role") || q.Has("hours") {
		return q.Get("include_tentative") == "true"
	}
	return q.Get("include_tentative") != "false"
}

// demandRow is one row of the form as typed.
type demandRow struct {
	N           int // 1, 2, ... as shown
	Role, Hours string
}

// startForm is the earliest-start form: what was typed (to show it again),
// what is wrong with it, and the request when nothing is.
type startForm struct {
	Submitted bool
	Rows      []demandRow
	JobWeeks  string
	NotBefore string
	Tentative bool
	Errors    []string
	Request   metrics.EarliestStartRequest // Org and Now are the caller's to set
}

// parseStartForm reads the earliest-start form from the query. Demand comes
// as need=designer=20 (for links; designer:20 too, as the first links were
// written: metrics.SplitNeed) or as the form's role and hours fields, one
// pair per row in order; each row's hours are read by metrics.ParseNeedHours,
// as the CLI and the API read them. Whether the roles exist is checkRoles'
// to say, once the grid is read. Pure: every mistake is a message in Errors,
// never an error.
func parseStartForm(q url.Values, today time.Time) startForm {
	f := startForm{Tentative: tentativeOf(q), JobWeeks: q.Get("job_weeks"), NotBefore: q.Get("not_before")}
	for _, k := range startFormKeys {
		f.Submitted = f.Submitted || q.Has(k)
	}
	for _, s := range q["need"] {
		role, hours, _ := metrics.SplitNeed(s) // no hours: the row says to give them
		f.Rows = append(f.Rows, demandRow{Role: role, Hours: hours})
	}
	rs, hs := q["role"], q["hours"]
	for i := range max(len(rs), len(hs)) {
		var r demandRow
		if i < len(rs) {
			r.Role = strings.TrimSpace(rs[i])
		}
		if i < len(hs) {
			r.Hours = strings.TrimSpace(hs[i])
		}
		if r != (demandRow{}) {
			f.Rows = append(f.Rows, r)
		}
	}
	if !f.Submitted {
		f.NotBefore = today.Format(time.DateOnly)
		f.Rows = padRows(f.Rows)
		return f
	}
	bad := func(format string, args ...any) { f.Errors = append(f.Errors, fmt.Sprintf(format, args...)) }

	demand := map[string]decimal.Decimal{}
	asked := map[string]bool{}
	if len(f.Rows) > demandRows {
		bad("%d roles asked: the form takes at most %d.", len(f.Rows), demandRows)
	}
	for i, r := range f.Rows {
		switch {
		case r.Role == "":
			bad("Row %d: choose a role for its %s hours per week.", i+1, r.Hours)
			continue
		case asked[r.Role]:
			bad("Role %q is asked twice: give its hours per week once.", r.Role)
			continue
		}
		asked[r.Role] = true
		if h, err := metrics.ParseNeedHours(r.Role, r.Hours); err != nil {
			bad("%s.", sentence(err.Error()))
		} else {
			demand[r.Role] = h
		}
	}
	if len(f.Rows) == 0 {
		bad("Give hours per week for at least one role.")
	}

	weeks, err := strconv.Atoi(strings.TrimSpace(f.JobWeeks))
	switch {
	case f.JobWeeks == "":
		bad("Give the number of weeks the job runs (1 to %d).", metrics.MaxJobWeeks)
	case err != nil || weeks < 1 || weeks > metrics.MaxJobWeeks:
		bad("Weeks %q: want a whole number from 1 to %d.", f.JobWeeks, metrics.MaxJobWeeks)
	}

	notBefore := today
	if f.NotBefore != "" {
		t, why := metrics.ParseDay(strings.TrimSpace(f.NotBefore))
		switch {
		case why != "":
			bad("Not before %q: %s.", f.NotBefore, why)
		case t.Before(today):
			bad("Not before %s is in the past: give today (%s) or a later date.", f.NotBefore, today.Format(time.DateOnly))
		case t.After(today.AddDate(0, 0, 7*metrics.MaxHorizonWeeks)):
			bad("Not before %s is more than %d weeks ahead: the capacity plan does not reach that far.", f.NotBefore, metrics.MaxHorizonWeeks)
		default:
			notBefore = t
		}
	} else {
		f.NotBefore = today.Format(time.DateOnly)
	}
	f.Rows = padRows(f.Rows)
	if len(f.Errors) == 0 {
		f.Request = metrics.EarliestStartRequest{Demand: demand, Weeks: weeks, NotBefore: notBefore, IncludeTentative: f.Tentative}
	}
	return f
}

// sentence is s with a capital first letter, as the page writes messages.
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// ok reports whether the form was sent and can be answered.
func (f *startForm) ok() bool { return f.Submitted && len(f.Errors) == 0 }

// checkRoles refuses the roles asked for that are not among roles (the
// grid's and the people's), and spells the others as the org does
// ("designer" is "Designer"), with metrics.ResolveRole as the CLI and the
// API match them.
func (f *startForm) checkRoles(roles []Option) {
	if !f.Submitted {
		return
	}
	ids := make([]string, 0, len(roles))
	names := make([]string, 0, len(roles))
	for _, o := range roles {
		ids = append(ids, o.ID)
		names = append(names, o.Name)
	}
	seen := map[string]string{} // role -> as asked
	for i, r := range f.Rows {
		if r.Role == "" {
			continue
		}
		role, err := metrics.ResolveRole("", r.Role, ids)
		switch {
		case err != nil && len(ids) == 0:
			f.Errors = append(f.Errors, fmt.Sprintf("Role %q: this org has no roles yet (import people with a role first).", r.Role))
		case err != nil:
			f.Errors = append(f.Errors, fmt.Sprintf("Role %q is not a role of this org: choose one of %s.", r.Role, strings.Join(names, ", ")))
		case seen[role] != "" && seen[role] != r.Role: // the same spelling twice: parseStartForm said so
			f.Errors = append(f.Errors, fmt.Sprintf("Role %q is asked twice, as %q and %q: give its hours per week once.", role, seen[role], r.Role))
		default:
			seen[role] = r.Role
			if d := f.Request.Demand; d != nil && role != r.Role {
				d[role] = d[r.Role]
				delete(d, r.Role)
			}
			f.Rows[i].Role = role
		}
	}
	if len(f.Errors) > 0 {
		f.Request = metrics.EarliestStartRequest{}
	}
}

// padRows adds empty rows up to the form's number of rows, and numbers
// them.
func padRows(rows []demandRow) []demandRow {
	for len(rows) < demandRows {
		rows = append(rows, demandRow{})
	}
	for i := range rows {
		rows[i].N = i + 1
	}
	return rows
}

// roleChoice is the roles the form offers: those in the grid (placeholder
// bookings can name a role no one holds yet) and those people hold, by name.
func roleChoice(g *metrics.CapacityGrid, n *names) []Option {
	seen := map[string]bool{}
	var out []Option
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			out = append(out, Option{id, n.of("role", id)})
		}
	}
	for _, k := range gridKeys(g, nil) {
		add(k)
	}
	if n != nil {
		for id := range n.byKind["role"] {
			add(id)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Name < out[j].Name || out[i].Name == out[j].Name && out[i].ID < out[j].ID
	})
	return out
}

// gridKeys are the grid's keys that keep accepts (nil: all), in order.
func gridKeys(g *metrics.CapacityGrid, keep func(string) bool) []string {
	if g == nil {
		return nil
	}
	var keys []string
	seen := map[string]bool{}
	for _, c := range g.Cells {
		if !seen[c.Key] && (keep == nil || keep(c.Key)) {
			seen[c.Key] = true
			keys = append(keys, c.Key)
		}
	}
	return keys
}

// freeHeatmap charts a grid's free hours: keys (roles or teams) down, weeks
// across, colour = free hours on a diverging scale where red is overbooked.
// keep selects keys (nil: all); name gives a key's display name. Pure.
func freeHeatmap(id, title, kind string, g *metrics.CapacityGrid, name func(string) string, keep func(string) bool) (Chart, error) {
	keys := gridKeys(g, keep)
	if len(keys) == 0 || len(g.Weeks) == 0 {
		return emptyChart(id, title, capacityMissing), nil
	}
	row := map[string]int{}
	ys := make([]string, len(keys))
	for i, k := range keys {
		row[k] = i
		ys[i] = name(k)
		if k == "" {
			ys[i] = "(no " + kind + ")"
		}
	}
	col := map[time.Time]int{}
	xs := make([]string, len(g.Weeks))
	for i, w := range g.Weeks {
		col[w] = i
		// The year on the first week and on each new year's first week.
		xs[i] = w.Format("2 Jan")
		if i == 0 || w.Year() != g.Weeks[i-1].Year() {
			xs[i] = w.Format("2 Jan 2006")
		}
	}
	tab := Table{Columns: []string{kind, "week of", "available h", "booked h", "tentative h", "free h"},
		Numeric: []bool{false, false, true, true, true, true}}
	// Beside available, the hours of it that rest on an assumed week, when
	// some do (metrics.FlagCapacityAssumed).
	assumed := slices.ContainsFunc(g.Cells, func(c metrics.CapacityCell) bool {
		_, ok := row[c.Key]
		return ok && c.CapacityAssumed()
	})
	if assumed {
		tab.Columns = slices.Insert(tab.Columns, 3, "of which assumed h")
		tab.Numeric = slices.Insert(tab.Numeric, 3, true)
	}
	var data []opts.HeatMapData
	lo, hi := 0.0, 0.0
	for _, c := range g.Cells {
		r, ok := row[c.Key]
		x, okw := col[c.Week]
		if !ok || !okw {
			continue
		}
		free := c.Free.InexactFloat64()
		shown := math.Round(free*10) / 10
		lo, hi = math.Min(lo, shown), math.Max(hi, shown)
		tentative := " − " + c.Tentative.StringFixed(1) + " tentative"
		if !g.IncludeTentative {
			tentative = " (tentative " + c.Tentative.StringFixed(1) + ", not subtracted)"
		}
		label := fmt.Sprintf("%s, week of %s: %s h free = %s available − %s booked%s", ys[r], c.Week.Format("2 Jan 2006"),
			c.Free.StringFixed(1), c.Available.StringFixed(1), c.Booked.StringFixed(1), tentative)
		if c.CapacityAssumed() {
			label += fmt.Sprintf("; %s of the %s available h are a %s (people created on first sight)",
				c.Assumed.StringFixed(1), c.Available.StringFixed(1), assumedWeek)
		}
		data = append(data, opts.HeatMapData{Name: label, Value: [3]any{x, r, shown}})
		cells := []string{ys[r], c.Week.Format(time.DateOnly),
			fmtNum(c.Available.InexactFloat64(), true, "hours"), fmtNum(c.Booked.InexactFloat64(), true, "hours"),
			fmtNum(c.Tentative.InexactFloat64(), true, "hours"), fmtNum(free, true, "hours")}
		if assumed {
			cells = slices.Insert(cells, 3, fmtNum(c.Assumed.InexactFloat64(), true, "hours"))
		}
		tab.Rows = append(tab.Rows, cells)
	}
	// The scale always reaches 1 h up: a zero max would be left out of the
	// option (omitempty) and read by ECharts as 100.
	hi = math.Max(hi, 1)
	low := "0 h free"
	if lo < 0 {
		low = "overbooked h"
	}
	hm := charts.NewHeatMap()
	hm.SetGlobalOptions(append(base(title, false, "item"),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item", Formatter: "{b}"}),
		// The weeks go in the axis options: go-echarts' HeatMap.Validate,
		// unlike the other charts', drops what SetXAxis gave.
		charts.WithXAxisOpts(opts.XAxis{Type: "category", Data: xs, Name: "week of (Monday)", NameLocation: "middle", NameGap: 30,
			SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
		charts.WithYAxisOpts(opts.YAxis{Type: "category", Name: kind, NameLocation: "start", Data: ys, Inverse: opts.Bool(true),
			SplitArea: &opts.SplitArea{Show: opts.Bool(true)}}),
		charts.WithVisualMapOpts(opts.VisualMap{Type: "continuous", Calculable: opts.Bool(true), Orient: "horizontal",
			Right: "16", Top: "0", Min: float32(lo), Max: float32(hi),
			Text:    []string{"free h", low},
			InRange: &opts.VisualMapInRange{Color: divergingColors(lo, hi)}}),
	)...)
	hm.AddSeries("free hours", data, charts.WithItemStyleOpts(opts.ItemStyle{BorderColor: "#ffffff", BorderWidth: 1}))
	return newChart(id, title, hm, 150+26*len(keys), tab)
}

// The diverging scale: overbooked red, nothing free white, free blue.
var (
	overbookedRGB = [3]float64{0xb4, 0x23, 0x18}
	noneFreeRGB   = [3]float64{0xf7, 0xf7, 0xf7}
	freeRGB       = [3]float64{0x2f, 0x6f, 0xb3}
)

// colourStops is how many colours the scale has: enough that 0 h falls
// within a few percent of the white stop whatever the range.
const colourStops = 41

// divergingColors is a visualMap colour list for values from lo ≤ 0 to
// hi ≥ 0 whose white lands on 0 h. ECharts spreads a list's colours evenly
// over [min, max], so a plain red-white-blue list would put white in the
// middle of the range and make a few overbooked hours look like free ones
// when the range is lopsided (−5 to 200): each stop here is coloured by
// its own value, the red side scaled to lo and the blue side to hi.
func divergingColors(lo, hi float64) []string {
	out := make([]string, colourStops)
	for i := range out {
		x := lo + (hi-lo)*float64(i)/float64(colourStops-1)
		to, t := freeRGB, 0.0
		switch {
		case x < 0 && lo < 0:
			to, t = overbookedRGB, x/lo
		case x > 0 && hi > 0:
			t = x / hi
		}
		var c [3]int
		for k := range c {
			c[k] = int(math.Round(noneFreeRGB[k] + (to[k]-noneFreeRGB[k])*t))
		}
		out[i] = fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2])
	}
	return out
}

// startAnswer is the earliest-start answer in words and tables.
type startAnswer struct {
	Feasible   bool
	Headline   string
	Reasons    []string
	Fits       Table // per role: tightest week and hours to spare
	Shortfalls Table // per role and week, when the first possible week does not fit
	Loads      Table // per role: scheduled utilization without and with the job
}

// describeStart words an earliest-start answer for a salesperson, as the
// CLI does (opsmetrics capacity earliest-start), with dates as people say
// them, and roles and people by name. Pure.
func describeStart(a *metrics.EarliestStartAnswer, role, person func(string) string) *startAnswer {
	long := func(t time.Time) string { return t.Format("Monday 2 January 2006") }
	short := func(t time.Time) string { return t.Format("2 January 2006") }
	out := &startAnswer{Feasible: a.Feasible}
	if a.Feasible {
		out.Headline = "Earliest start: the week of " + long(*a.Start) + "."
		if a.Start.Equal(a.FirstWeek) {
			out.Reasons = append(out.Reasons, fmt.Sprintf("It can start the first week on or after %s: every role has the hours it needs in each of the %s.",
				short(a.NotBefore), plural(a.Weeks, "week")))
		} else {
			gap := int(a.Start.Sub(a.FirstWeek).Hours() / (24 * 7))
			out.Reasons = append(out.Reasons, fmt.Sprintf("That is %s after the first possible week (%s): every earlier start hits a week in which a role has fewer free hours than the job needs.",
				plural(gap, "week"), long(a.FirstWeek)))
		}
		for _, f := range a.Roles {
			spare := "with " + f.Slack.StringFixed(1) + " h to spare"
			if !f.Slack.IsPositive() {
				spare = "with no hours to spare"
			}
			out.Reasons = append(out.Reasons, fmt.Sprintf("%s: the tightest week is the week of %s, %s after the job's %s h.",
				role(f.Role), short(f.TightestWeek), spare, f.Demand.String()))
		}
	} else {
		out.Headline = fmt.Sprintf("No start fits within %d weeks of %s.", a.HorizonWeeks, long(a.FirstWeek))
		out.Reasons = append(out.Reasons, fmt.Sprintf("No start in those %d weeks gives every role the hours it needs in each of the job's %s.",
			a.HorizonWeeks, plural(a.Weeks, "week")))
	}
	if len(a.Shortfall) > 0 {
		worst := a.Shortfall[0]
		for _, s := range a.Shortfall {
			if s.Short.GreaterThan(worst.Short) {
				worst = s
			}
		}
		fall := "fall"
		if len(a.Shortfall) == 1 {
			fall = "falls"
		}
		out.Reasons = append(out.Reasons, fmt.Sprintf("Starting the week of %s (the first possible week) does not fit: %s %s short. The worst is %s in the week of %s: %s h free of the %s h needed, %s h short.",
			short(a.FirstWeek), plural(len(a.Shortfall), "role-week"), fall, role(worst.Role), short(worst.Week),
			worst.Free.StringFixed(1), worst.Demand.String(), worst.Short.StringFixed(1)))
	}
	if st := a.Stretched; st != nil {
		var hours []string
		for _, r := range sortedKeys(st.Demand) {
			hours = append(hours, fmt.Sprintf("%s %s h", role(r), st.Demand[r].StringFixed(1)))
		}
		out.Reasons = append(out.Reasons, fmt.Sprintf("Spread over %d weeks instead of %d (%s a week), the same hours could start the week of %s.",
			st.Weeks, a.Weeks, strings.Join(hours, ", "), short(st.Start)))
	} else if !a.Feasible || !a.Start.Equal(a.FirstWeek) {
		out.Reasons = append(out.Reasons, fmt.Sprintf("Spreading the same hours over up to %d weeks would not start it earlier.", 2*a.Weeks))
	}
	for _, l := range a.WhatIf {
		if l.Before == nil || l.After == nil {
			out.Reasons = append(out.Reasons, fmt.Sprintf("%s has no available hours in the job's weeks.", role(l.Role)))
			continue
		}
		out.Reasons = append(out.Reasons, fmt.Sprintf("%s would go from %s to %s scheduled utilization over the job's weeks (%s h booked of %s h available, before the job).",
			role(l.Role), fmtNum(*l.Before, true, "ratio"), fmtNum(*l.After, true, "ratio"), l.Booked.StringFixed(1), l.Available.StringFixed(1)))
	}
	for _, c := range a.CapacityAssumed {
		var who []string
		for _, p := range c.People {
			who = append(who, person(p.ID))
		}
		out.Reasons = append(out.Reasons, fmt.Sprintf("%s: %s of the %s available hours in the job's %s rest on an assumed 40 h week (people created on first sight: %s); import their real capacity (docs/import.md).",
			role(c.Role), c.Assumed.StringFixed(1), c.Available.StringFixed(1), plural(c.Weeks, "week"), strings.Join(who, ", ")))
	}

	if len(a.Roles) > 0 {
		out.Fits = Table{Columns: []string{"role", "needs h/week", "tightest week", "h to spare there"}, Numeric: []bool{false, true, false, true}}
		for _, f := range a.Roles {
			out.Fits.Rows = append(out.Fits.Rows, []string{role(f.Role), f.Demand.String(), f.TightestWeek.Format(time.DateOnly), f.Slack.StringFixed(2)})
		}
	}
	if len(a.Shortfall) > 0 {
		out.Shortfalls = Table{Columns: []string{"role", "week of", "free h", "needed h", "short h"}, Numeric: []bool{false, false, true, true, true}}
		for _, s := range a.Shortfall {
			out.Shortfalls.Rows = append(out.Shortfalls.Rows, []string{role(s.Role), s.Week.Format(time.DateOnly),
				s.Free.StringFixed(2), s.Demand.String(), s.Short.StringFixed(2)})
		}
	}
	if len(a.WhatIf) > 0 {
		out.Loads = Table{Columns: []string{"role", "available h", "booked h", "utilization without the job", "with the job"},
			Numeric: []bool{false, true, true, true, true}}
		for _, l := range a.WhatIf {
			b, af := ptrNum(l.Before), ptrNum(l.After)
			out.Loads.Rows = append(out.Loads.Rows, []string{role(l.Role), l.Available.StringFixed(2), l.Booked.StringFixed(2),
				fmtNum(b, l.Before != nil, "ratio"), fmtNum(af, l.After != nil, "ratio")})
		}
	}
	return out
}

func ptrNum(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// plural is "1 week" or "3 weeks".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func sortedKeys(m map[string]decimal.Decimal) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// weekStart is the Monday on or before d.
func weekStart(d time.Time) time.Time { return bucket(d, false) }
