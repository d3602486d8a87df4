package metrics

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// Querier is the part of the store the KPI layer reads through.
type Querier interface {
	Query(ctx context.Context, query string, params store.Params) (*store.Rows, error)
}

// Request asks for one KPI of one org over [From, To) in the org's time zone.
type Request struct {
	KPI      string
	Org      string
	From, To time.Time         // dates; the time of day is ignored
	GroupBy  string            // "" or one of the KPI's GroupBy
	Interval string            // "", "day", "week" or "month"
	Filters  map[string]string // dimension -> id or name (Names.Resolve); only the KPI's Filters
	Now      time.Time         // "now" for open-overdue and ages; zero means time.Now
	// Settings are the org's settings when the caller has read them already
	// (a page asking for ten KPIs of one org reads them once); nil: read.
	Settings *org.Settings
	// Orgs is where the org's settings are read when Settings is nil,
	// and its currency when they name none; nil: from q, every time.
	Orgs *org.Cache
	// Names are the org's names when the caller has read them already;
	// nil: read when a filter is set.
	Names *Names
	// WithNames adds a "name" column beside the group column (its display
	// name; null when no record names the id; a team or a role is its own
	// name), and to a project its client: "client" (the id) and
	// "client_name", for people and scripts reading ids they do not know by
	// heart.
	WithNames bool
	// RowsOnly leaves out what an answer carries beside the KPI's rows for
	// those who show it: data_quality's unmapped statuses, and their note
	// (the overview shows the score and its parts alone).
	RowsOnly bool
}

// ErrBadRequest marks a request the caller must fix: an unknown KPI, bad
// dates, a grouping or filter the KPI does not allow.
var ErrBadRequest = errors.New("bad KPI request")

// BadRequestError is a request the caller must fix. Msg says what to fix,
// for the person who sent it as it is (the API's 400, the CLI's message);
// Error prefixes ErrBadRequest's text.
type BadRequestError struct{ Msg string }

func (e *BadRequestError) Error() string { return ErrBadRequest.Error() + ": " + e.Msg }

// Is makes errors.Is(err, ErrBadRequest) true.
func (e *BadRequestError) Is(target error) bool { return target == ErrBadRequest }

// Message is what the person who sent a request reads of err, an error
// that is ErrBadRequest: a BadRequestError's Msg, else err's text (a
// *FilterError or *RoleError says it all).
func Message(err error) string {
	if bad, ok := errors.AsType[*BadRequestError](err); ok {
		return bad.Msg
	}
	return err.Error()
}

func badf(format string, args ...any) error {
	return &BadRequestError{Msg: fmt.Sprintf(format, args...)}
}

// MaxRange bounds a request's date range, so one request cannot ask the
// engine for a century of person-days.
const MaxRange = 3 * 366 * 24 * time.Hour

// Validate checks r against the catalog and returns its KPI.
func (r *Request) Validate() (KPI, error) {
	k, ok := Lookup(r.KPI)
	if !ok {
		return k, badf("unknown KPI %q (GET /api/v1/kpis lists them)", r.KPI)
	}
	if err := r.validateRange(); err != nil {
		return k, err
	}
	switch {
	case r.GroupBy != "" && !slices.Contains(k.GroupBy, r.GroupBy):
		return k, badf("%s cannot be grouped by %q; it can be grouped by %v", k.Name, r.GroupBy, k.GroupBy)
	case r.Interval != "" && !slices.Contains(Intervals, r.Interval):
		return k, badf("interval %q: want day, week or month", r.Interval)
	}
	for dim, v := range r.Filters {
		if v != "" && !slices.Contains(k.Filters, dim) {
			return k, badf("%s cannot be filtered by %q; its filters are %v", k.Name, dim, k.Filters)
		}
	}
	return k, nil
}

// validateRange checks what every query of r needs: an org and a range.
func (r *Request) validateRange() error {
	switch {
	case r.Org == "":
		return badf("no org")
	case r.From.IsZero() || r.To.IsZero():
		return badf("from and to are required dates (YYYY-MM-DD)")
	case !r.From.Before(r.To):
		return badf("from %s is not before to %s: the range is [from, to)", day(r.From), day(r.To))
	case r.To.Sub(r.From) > MaxRange:
		return badf("the range %s to %s is longer than 3 years", day(r.From), day(r.To))
	}
	return nil
}

func day(t time.Time) string { return t.Format(time.DateOnly) }

// Result is a KPI's answer: one row per period and group.
type Result struct {
	KPI      string `json:"kpi"`
	Version  int    `json:"definition_version"`
	Unit     string `json:"unit"`
	Org      string `json:"org"`
	From     string `json:"from"`
	To       string `json:"to"`
	GroupBy  string `json:"group_by,omitempty"`
	Interval string `json:"interval,omitempty"`
	// Currency is the org's currency: its setting, else the one currency
	// its clients and time entries name; "" (JSON null) when neither says,
	// and Notes then says why.
	Currency string    `json:"currency"`
	Columns  []Column  `json:"columns"`
	Rows     [][]any   `json:"-"`
	Computed time.Time `json:"computed_at"`
	// Flags are, per row, what its numbers rest on that is missing or
	// assumed (FlagCostRateMissing, ...); nil or empty for a sound row.
	Flags [][]Flag `json:"-"`
	// Notes say in words what the flags and an unknown currency mean for
	// these numbers, one sentence each.
	Notes []string `json:"notes,omitempty"`
	// Unmapped are, on data_quality only, the statuses task events moved
	// to in the range that map to no phase ([] for none; nil, and absent
	// from JSON, on every other KPI).
	Unmapped *[]UnmappedStatus `json:"unmapped_statuses,omitempty"`
}

// Column is one result column. Value is the KPI itself; the others are its
// parts (numerator, denominator, targets), so a ratio can be checked.
type Column struct {
	Name string `json:"name"`
	Type string `json:"type"` // date, string, number
}

// orgSettings are the org facts the queries take as parameters.
type orgSettings struct {
	tz, currency     string
	currencyWhy      string // why currency is "", for the result's notes
	grace            uint64
	workdays         uint64
	dayStart, dayEnd uint64
	overhead         decimal.Decimal
	stuckHours       uint64
}

// orgCache is r.Orgs, or a cache for this request alone.
func orgCache(q Querier, r Request) (*org.Cache, error) {
	if r.Orgs != nil {
		return r.Orgs, nil
	}
	return org.NewCache(org.Config{Store: q})
}

// orgFor returns the settings of r's org: r.Settings when given, else read
// through orgs.
func orgFor(ctx context.Context, orgs *org.Cache, r Request) (org.Settings, error) {
	if r.Settings != nil && r.Settings.ID == r.Org {
		return *r.Settings, nil
	}
	return orgs.Get(ctx, r.Org)
}

// settingsFor returns the settings r's KPI runs with (orgFor), with the
// org's currency as org.Cache.Currency finds it.
func settingsFor(ctx context.Context, q Querier, r Request) (orgSettings, error) {
	orgs, err := orgCache(q, r)
	if err != nil {
		return orgSettings{}, err
	}
	o, err := orgFor(ctx, orgs, r)
	if err != nil {
		return orgSettings{}, err
	}
	s := settingsFrom(o)
	s.currency, s.currencyWhy, err = orgs.Currency(ctx, o)
	return s, err
}

// settingsFrom returns o's settings for the queries as o states them: its
// currency is "" when o names none (settingsFor then looks at the data).
func settingsFrom(o org.Settings) orgSettings {
	return orgSettings{tz: o.TimeZone, currency: o.Currency, grace: uint64(o.GraceDays), workdays: uint64(o.Workdays),
		dayStart: uint64(o.DayStart), dayEnd: uint64(o.DayEnd), overhead: o.OverheadPerHour, stuckHours: uint64(o.StuckReviewHours)}
}

// Compute runs one KPI, reading the money KPIs' entry facts through facts
// (which may be nil for a caller that never asks for one of those). An org
// with no data gives rows with null ratios or no rows, not an error.
// Errors: ErrBadRequest (wrapped) for the caller's mistakes; the store's
// typed errors otherwise.
func Compute(ctx context.Context, q Querier, facts *Facts, r Request) (*Result, error) {
	named := r.WithNames && r.GroupBy != ""
	if named && (r.Names == nil || r.Names.Org != r.Org) {
		// Read once: the filters resolve with the same names.
		n, err := LoadNames(ctx, q, r.Org)
		if err != nil {
			return nil, err
		}
		r.Names = n
	}
	p, err := prepare(ctx, q, facts, r)
	if err != nil {
		return nil, err
	}
	// A KPI's own query, and beside it (at once: the engine plans each on
	// a core of its own) what two KPIs add: data_quality's deliverables
	// (metrics/dataquality.go) and unmapped statuses, maturity_level's loop
	// evidence (metrics/maturity.go).
	var rows, beside *store.Rows
	var unmapped *Result
	jobs := []func(context.Context) error{func(ctx context.Context) (err error) {
		rows, err = q.Query(ctx, p.text, p.params)
		return err
	}}
	query := func(name string) func(context.Context) error {
		return func(ctx context.Context) error {
			text := store.QueryText(name)
			params, err := pick(p.all, store.Placeholders(text))
			if err == nil {
				beside, err = q.Query(ctx, text, params)
			}
			return err
		}
	}
	join := func(rows, beside *store.Rows) (*store.Rows, error) { return rows, nil }
	switch p.kpi.Name {
	case "data_quality":
		jobs = append(jobs, query("data_quality_deliverables"))
		if !r.RowsOnly {
			jobs = append(jobs, func(ctx context.Context) error {
				unmapped = &Result{}
				return unmapped.addUnmapped(ctx, q, r)
			})
		}
		join = joinDataQuality
	case "maturity_level":
		jobs = append(jobs, query("maturity_loop"))
		join = joinMaturity
	}
	if err := RunQueries(ctx, jobs...); err != nil {
		return nil, fmt.Errorf("kpi %s: %w", p.kpi.Name, err)
	}
	if rows, err = join(rows, beside); err != nil {
		return nil, fmt.Errorf("kpi %s: %w", p.kpi.Name, err)
	}
	res := p.result(r, rows)
	if unmapped != nil {
		res.Unmapped, res.Notes = unmapped.Unmapped, append(res.Notes, unmapped.Notes...)
	}
	if named {
		res.addNames(r.Names)
	}
	return res, nil
}

// addNames inserts a "name" column after the group column: each id's
// display name, nil (null) when no record names it (a team or a role is
// its own name). Grouped by project, "client" and "client_name" follow:
// the project's client, nil when it has none.
func (res *Result) addNames(n *Names) {
	g := slices.IndexFunc(res.Columns, func(c Column) bool { return c.Name == res.GroupBy })
	if g < 0 {
		return
	}
	text := func(s string, ok bool) any {
		if !ok || s == "" {
			return (*string)(nil)
		}
		return &s
	}
	cols := []Column{{Name: "name", Type: "string"}}
	project := res.GroupBy == "project"
	if project {
		cols = append(cols, Column{Name: "client", Type: "string"}, Column{Name: "client_name", Type: "string"})
	}
	res.Columns = slices.Insert(res.Columns, g+1, cols...)
	for i, row := range res.Rows {
		id := Cell(row[g])
		add := []any{text(n.Name(res.GroupBy, id))}
		if project {
			client := n.ClientOf(id)
			add = append(add, text(client, client != ""), text(n.Name("client", client)))
		}
		res.Rows[i] = slices.Insert(row, g+1, add...)
	}
}

// prepared is a KPI request turned into its SQL and bound parameters.
type prepared struct {
	kpi    KPI
	org    orgSettings
	now    time.Time
	text   string
	params store.Params
	all    store.Params // every value a query of the request can take (paramsOf)
}

func prepare(ctx context.Context, q Querier, facts *Facts, r Request) (*prepared, error) {
	k, err := r.Validate()
	if err != nil {
		return nil, err
	}
	org, err := settingsFor(ctx, q, r)
	if err != nil {
		return nil, err
	}
	now := r.now()
	all, err := paramsOf(ctx, q, r, org, now)
	if err != nil {
		return nil, err
	}
	p := &prepared{kpi: k, org: org, now: now, text: store.QueryText(k.query), all: all}
	placeholders := store.Placeholders(p.text)
	if _, ok := placeholders["facts"]; ok {
		if facts == nil {
			return nil, fmt.Errorf("kpi %s reads entry facts, and none were given", k.Name)
		}
		if all["facts"], err = facts.current(ctx, r.Org); err != nil {
			return nil, fmt.Errorf("kpi %s: %w", k.Name, err)
		}
	}
	if p.params, err = pick(all, placeholders); err != nil {
		return nil, fmt.Errorf("kpi %s: %w", k.Name, err)
	}
	return p, nil
}

// now is the request's "now": r.Now, or the clock's when unset.
func (r Request) now() time.Time {
	if r.Now.IsZero() {
		return time.Now()
	}
	return r.Now
}

// paramsOf is every value a query of r can take: the request's own (org,
// range, grouping, filters with names resolved to ids) and the org's
// settings. It is the one mapping from settings to query parameters, for
// the KPIs and the lists alike. Errors: *FilterError for a filter that
// names nothing or several things; the store's otherwise.
func paramsOf(ctx context.Context, q Querier, r Request, org orgSettings, now time.Time) (store.Params, error) {
	all := store.Params{
		"org": r.Org, "from": r.From, "to": r.To, "group_by": r.GroupBy, "interval": r.Interval,
		"tz": org.tz, "grace_days": org.grace, "org_workdays": org.workdays,
		"day_start": org.dayStart, "day_end": org.dayEnd, "overhead": org.overhead, "stuck_hours": org.stuckHours, "now": now.UTC(),
	}
	filters, err := resolveFilters(ctx, q, r)
	if err != nil {
		return nil, err
	}
	for _, d := range Dimensions {
		all[d] = filters[d]
	}
	return all, nil
}

// pick returns the values of all that placeholders name. Errors: a
// placeholder all has no value for (a query the code does not yet feed).
func pick(all store.Params, placeholders map[string]string) (store.Params, error) {
	out := store.Params{}
	for name := range placeholders {
		v, ok := all[name]
		if !ok {
			return nil, fmt.Errorf("query has a placeholder {%s} the KPI layer does not provide", name)
		}
		out[name] = v
	}
	return out, nil
}

// resolveFilters returns r's filters with every name resolved to its id;
// r's map is left as it is. Errors: *FilterError for a filter that names
// nothing or several things.
func resolveFilters(ctx context.Context, q Querier, r Request) (map[string]string, error) {
	f := map[string]string{}
	for d, v := range r.Filters {
		if v != "" {
			f[d] = v
		}
	}
	if len(f) == 0 {
		return f, nil
	}
	n := r.Names
	if n == nil || n.Org != r.Org {
		var err error
		if n, err = LoadNames(ctx, q, r.Org); err != nil {
			return nil, err
		}
	}
	return f, n.ResolveFilters(ctx, f)
}

func (p *prepared) result(r Request, rows *store.Rows) *Result {
	k, org, now := p.kpi, p.org, p.now
	res := &Result{KPI: k.Name, Version: k.Version, Unit: k.Unit, Org: r.Org, From: day(r.From), To: day(r.To),
		GroupBy: r.GroupBy, Interval: r.Interval, Currency: org.currency, Computed: now.UTC()}
	// period and grp are dropped when the request has no interval or grouping.
	keep := make([]bool, len(rows.Columns))
	for i, c := range rows.Columns {
		name := c.Name
		switch {
		case name == "period" && r.Interval == "", name == "grp" && r.GroupBy == "":
			continue
		case name == "grp":
			name = r.GroupBy
		}
		keep[i] = true
		res.Columns = append(res.Columns, Column{Name: name, Type: kind(c.Type)})
	}
	res.Rows = make([][]any, 0, rows.Len())
	for _, row := range rows.Data {
		out := make([]any, 0, len(res.Columns))
		for i, v := range row {
			if keep[i] {
				out = append(out, v)
			}
		}
		res.Rows = append(res.Rows, out)
	}
	if res.Currency == "" && k.money {
		res.Notes = append(res.Notes, CurrencyUnknown+": "+org.currencyWhy+" (or PUT /api/v1/org {\"currency\": \"EUR\"}).")
	}
	res.flag()
	return res
}

func kind(chType string) string {
	t := chType
	for _, wrap := range []string{"Nullable(", "LowCardinality("} {
		if len(t) > len(wrap) && t[:len(wrap)] == wrap {
			t = t[len(wrap) : len(t)-1]
		}
	}
	switch {
	case t == "Date" || t == "Date32":
		return "date"
	case len(t) >= 8 && t[:8] == "DateTime":
		return "time"
	case t == "String":
		return "string"
	default:
		return "number"
	}
}

// ParseRange reads from and to as YYYY-MM-DD (see ParseDay). now is the
// clock in the org's time zone (OrgNow). Empty from and to give the current
// month to date, as the pages do: from its first day to today included (to,
// excluded, is tomorrow), so what is waiting in the first week of a month is
// in it. An empty from alone is the first of this month; an empty to alone
// is from plus one month. An error (ErrBadRequest) starts with the name of
// the date it is about, "from" or "to".
func ParseRange(from, to string, now time.Time) (time.Time, time.Time, error) {
	var f, t time.Time
	var why string
	today := Today(now)
	if from == "" {
		f = today.AddDate(0, 0, 1-today.Day())
	} else if f, why = ParseDay(from); why != "" {
		return f, t, badf("from %q: %s", from, why)
	}
	switch {
	case to == "" && from == "":
		t = today.AddDate(0, 0, 1)
	case to == "":
		t = f.AddDate(0, 1, 0)
	default:
		if t, why = ParseDay(to); why != "" {
			return f, t, badf("to %q: %s", to, why)
		}
	}
	return f, t, nil
}

// OrgNow is now in the time zone of org id, whose settings are read
// through orgs (nil: from q), for ParseRange's default range. A time zone
// that does not load (settings are checked when written, so only a
// hand-edited store has one) is UTC. Errors are the store's.
func OrgNow(ctx context.Context, q Querier, orgs *org.Cache, id string, now time.Time) (time.Time, error) {
	cache, err := orgCache(q, Request{Org: id, Orgs: orgs})
	if err != nil {
		return now, err
	}
	s, err := cache.Get(ctx, id)
	if err != nil {
		return now, fmt.Errorf("settings of org %s: %w", id, err)
	}
	loc, err := time.LoadLocation(s.WithDefaults().TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return now.In(loc), nil
}

// ParseDay reads a date given as YYYY-MM-DD (a flag, a query parameter, a
// form field) as UTC midnight, or says why it cannot: a date of the right
// shape that is not on the calendar, such as 2026-11-31, is told apart from
// a malformed one, since its writer knows the format and needs to hear
// which part is wrong. Every date a user types goes through it.
func ParseDay(s string) (time.Time, string) {
	t, err := time.Parse(time.DateOnly, s)
	if err == nil {
		return t, ""
	}
	y, m, d, ok := dayParts(s)
	switch {
	case !ok:
		return t, "want a date as YYYY-MM-DD"
	case m < 1 || m > 12: // perhaps day and month swapped: say the format too
		return t, fmt.Sprintf("there is no month %d; want a date as YYYY-MM-DD", m)
	case d < 1:
		return t, fmt.Sprintf("there is no day %d", d)
	}
	last := time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC)
	return t, fmt.Sprintf("there is no such day: %s %d has %d days", last.Month(), y, last.Day())
}

// dayParts splits YYYY-MM-DD, all digits, into numbers without checking them.
func dayParts(s string) (y, m, d int, ok bool) {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return 0, 0, 0, false
	}
	num := func(p string) int {
		n := 0
		for _, c := range p {
			if c < '0' || c > '9' {
				ok = false
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	ok = true
	y, m, d = num(s[:4]), num(s[5:7]), num(s[8:])
	return y, m, d, ok
}
