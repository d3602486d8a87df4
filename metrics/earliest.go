package metrics

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// EarliestStartRequest asks when a job can start (spec kpis.md §8): the
// hours per week it needs of each role, for how many weeks, not before a
// date, within a horizon.
type EarliestStartRequest struct {
	Org              string                     `json:"-"`
	Demand           map[string]decimal.Decimal `json:"demand"` // role -> hours per week
	Weeks            int                        `json:"weeks"`
	NotBefore        time.Time                  `json:"not_before"`
	HorizonWeeks     int                        `json:"horizon_weeks"` // default DefaultHorizonWeeks
	IncludeTentative bool                       `json:"include_tentative"`
	Derate           bool                       `json:"derate"`
	Now              time.Time                  `json:"-"`
}

// MaxHorizonWeeks bounds how far ahead an earliest-start search looks, and
// MaxJobWeeks how long a job may run; the grid it reads spans the horizon
// plus twice the job (for the stretched alternative), at most
// MaxCapacityWeeks.
const (
	MaxHorizonWeeks = 104
	MaxJobWeeks     = 52
)

// Validate checks the request and fills the default horizon. The CLI, the
// API and the capacity page fill a missing NotBefore with Today.
func (r *EarliestStartRequest) Validate() error {
	switch {
	case r.Org == "":
		return badf("no org")
	case len(r.Demand) == 0:
		return badf("demand is empty: give hours per week for at least one role")
	case r.Weeks < 1 || r.Weeks > MaxJobWeeks:
		return badf("weeks %d: want 1 to %d", r.Weeks, MaxJobWeeks)
	case r.NotBefore.IsZero():
		return badf("not_before is required (YYYY-MM-DD)")
	case r.HorizonWeeks < 0 || r.HorizonWeeks > MaxHorizonWeeks:
		return badf("horizon_weeks %d: want 1 to %d", r.HorizonWeeks, MaxHorizonWeeks)
	}
	if r.HorizonWeeks == 0 {
		r.HorizonWeeks = DefaultHorizonWeeks
	}
	for role, h := range r.Demand {
		if strings.TrimSpace(role) == "" {
			return badf("demand %q: %s hours per week: want a role", role, h)
		}
		// The hours as the CLI's and the page's are read.
		if _, err := ParseNeedHours(role, h.String()); err != nil {
			return fmt.Errorf("demand: %w", err)
		}
	}
	return nil
}

// RoleFit is how one role fares over the job's weeks from the start found.
type RoleFit struct {
	Role         string          `json:"role"`
	Demand       decimal.Decimal `json:"demand"`        // hours per week
	TightestWeek time.Time       `json:"tightest_week"` // the week with the least slack
	Slack        decimal.Decimal `json:"slack"`         // free − demand in that week
}

// Shortfall is a role short of hours in a week.
type Shortfall struct {
	Role   string          `json:"role"`
	Week   time.Time       `json:"week"`
	Free   decimal.Decimal `json:"free"`
	Demand decimal.Decimal `json:"demand"`
	Short  decimal.Decimal `json:"short"` // demand − free
}

// Stretch is the same total demand spread over more weeks.
type Stretch struct {
	Weeks  int                        `json:"weeks"`
	Demand map[string]decimal.Decimal `json:"demand"` // hours per week, per role
	Start  time.Time                  `json:"start"`
}

// RoleLoad is a role's scheduled utilization over the job's weeks, without
// and with the job booked.
type RoleLoad struct {
	Role      string          `json:"role"`
	Available decimal.Decimal `json:"available"`
	Booked    decimal.Decimal `json:"booked"` // confirmed, plus tentative when included
	Before    *float64        `json:"scheduled_utilization_before"`
	After     *float64        `json:"scheduled_utilization_after"`
}

// EarliestStartAnswer is the answer with its reasons. No feasible start in
// the horizon is an answer (Feasible false), not an error.
type EarliestStartAnswer struct {
	Feasible     bool        `json:"feasible"`
	Start        *time.Time  `json:"start,omitempty"` // a Monday
	NotBefore    time.Time   `json:"not_before"`
	FirstWeek    time.Time   `json:"first_week"` // the first Monday on or after not_before
	Weeks        int         `json:"weeks"`
	HorizonWeeks int         `json:"horizon_weeks"`
	Roles        []RoleFit   `json:"roles,omitempty"`
	Shortfall    []Shortfall `json:"shortfall_at_not_before,omitempty"`
	Stretched    *Stretch    `json:"stretched,omitempty"`
	WhatIf       []RoleLoad  `json:"what_if,omitempty"`
	// CapacityAssumed: per role asked, the part of its available hours over
	// the job's weeks (from the start found, else from the first possible
	// week) that rests on an assumed 40-hour week; empty when none does.
	CapacityAssumed []AssumedCapacity `json:"capacity_assumed"`
	Reasons         []string          `json:"reasons"`
	// RoleNames: each role asked (by id, as in roles) with its display
	// name, which the reasons use.
	RoleNames map[string]string `json:"role_names"`
}

// RoleName is a role's display name in the answer, the role when unnamed.
func (a *EarliestStartAnswer) RoleName(role string) string { return cmp.Or(a.RoleNames[role], role) }

// AssumedCapacity is how much of a role's available hours over the job's
// weeks are of people an import created on first sight, whose 40-hour
// week is assumed (FlagCapacityAssumed), and who they are.
type AssumedCapacity struct {
	Role      string          `json:"role"`
	Weeks     int             `json:"weeks"`
	Available decimal.Decimal `json:"available_hours"` // over the weeks
	Assumed   decimal.Decimal `json:"assumed_hours"`   // of Available
	People    []Named         `json:"people"`          // by id; EarliestStart names them (Plan leaves the id as the name)
}

// EarliestStart finds the first week from which every role has the free
// hours the job needs in each of its weeks. Errors: ErrBadRequest (wrapped)
// for a bad request; the store's typed errors otherwise.
func EarliestStart(ctx context.Context, q Querier, r EarliestStartRequest) (*EarliestStartAnswer, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	first := mondayOnOrAfter(r.NotBefore)
	// Enough weeks for a start at the horizon's end, stretched to twice the length.
	span := r.HorizonWeeks + 2*r.Weeks
	n, err := LoadNames(ctx, q, r.Org)
	if err != nil {
		return nil, err
	}
	grid, err := Capacity(ctx, q, CapacityRequest{Org: r.Org, From: first, To: first.AddDate(0, 0, 7*span), By: "role",
		IncludeTentative: r.IncludeTentative, Derate: r.Derate, Now: r.Now, Names: n})
	if err != nil {
		return nil, err
	}
	if r.Demand, err = resolveDemand(n, r.Org, r.Demand, grid); err != nil {
		return nil, err
	}
	a := Plan(grid, r, first)
	a.nameAssumed(n)
	return a, nil
}

// nameAssumed names the people of a.CapacityAssumed and says, per role,
// how much of its hours rest on their assumed week.
func (a *EarliestStartAnswer) nameAssumed(n *Names) {
	names := map[string]string{}
	for _, x := range n.Of("person") {
		names[x.ID] = x.Name
	}
	for i, c := range a.CapacityAssumed {
		var who []string
		for j, p := range c.People {
			if name := names[p.ID]; name != "" {
				a.CapacityAssumed[i].People[j].Name = name
			}
			who = append(who, a.CapacityAssumed[i].People[j].Name)
		}
		a.Reasons = append(a.Reasons, fmt.Sprintf("%s: %s of %s available hours in the job's %d weeks from %s rest on an assumed 40 h week (people created on first sight: %s); import their real capacity (docs/import.md).",
			a.RoleName(c.Role), c.Assumed.StringFixed(1), c.Available.StringFixed(1), c.Weeks, day(a.assumedFrom()), strings.Join(who, ", ")))
	}
}

// assumedFrom is the first week CapacityAssumed counts: the start found,
// else the first possible week.
func (a *EarliestStartAnswer) assumedFrom() time.Time {
	if a.Start != nil {
		return *a.Start
	}
	return a.FirstWeek
}

// resolveDemand returns demand keyed by each role as the org spells it
// ("designer" asks for "Designer"): the roles of its people and of its
// by-role grid, which has the roles only bookings name. Errors:
// *RoleError for a role the org does not have; ErrBadRequest for a role
// asked twice in two spellings.
func resolveDemand(n *Names, org string, demand map[string]decimal.Decimal, g *CapacityGrid) (map[string]decimal.Decimal, error) {
	for _, c := range g.Cells {
		n.Add("role", c.Key)
	}
	var roles []string
	for _, x := range n.Of("role") {
		roles = append(roles, x.ID)
	}
	out := make(map[string]decimal.Decimal, len(demand))
	asked := map[string]string{}
	for _, as := range slices.Sorted(maps.Keys(demand)) {
		role, err := ResolveRole(org, as, roles)
		if err != nil {
			return nil, err
		}
		if prev, ok := asked[role]; ok {
			return nil, badf("role %s is asked twice, as %q and %q: give its hours per week once", role, prev, as)
		}
		asked[role] = as
		out[role] = demand[as]
	}
	return out, nil
}

func mondayOnOrAfter(t time.Time) time.Time {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// roleWeeks indexes a by-role grid: role -> week index -> cell.
type roleWeeks struct {
	first time.Time
	n     int
	cells map[string][]CapacityCell
}

func indexGrid(g *CapacityGrid, first time.Time, n int) roleWeeks {
	rw := roleWeeks{first: first, n: n, cells: map[string][]CapacityCell{}}
	for _, c := range g.Cells {
		i := int(c.Week.Sub(first).Hours() / (24 * 7))
		if i < 0 || i >= n {
			continue
		}
		if rw.cells[c.Key] == nil {
			rw.cells[c.Key] = make([]CapacityCell, n)
		}
		rw.cells[c.Key][i] = c
	}
	return rw
}

func (rw roleWeeks) free(role string, i int) decimal.Decimal {
	if cs := rw.cells[role]; cs != nil {
		return cs[i].Free
	}
	return decimal.Zero
}

func (rw roleWeeks) week(i int) time.Time { return rw.first.AddDate(0, 0, 7*i) }

// fits reports whether demand fits every role in weeks [s, s+weeks).
func (rw roleWeeks) fits(demand map[string]decimal.Decimal, s, weeks int) bool {
	for role, h := range demand {
		for i := s; i < s+weeks; i++ {
			if rw.free(role, i).LessThan(h) {
				return false
			}
		}
	}
	return true
}

// earliest returns the first start in [0, horizon) that fits, or -1.
func (rw roleWeeks) earliest(demand map[string]decimal.Decimal, weeks, horizon int) int {
	for s := 0; s < horizon && s+weeks <= rw.n; s++ {
		if rw.fits(demand, s, weeks) {
			return s
		}
	}
	return -1
}

// Plan answers an earliest-start request from a by-role grid whose weeks
// start at first. It is pure: the same grid gives the same answer.
func Plan(g *CapacityGrid, r EarliestStartRequest, first time.Time) *EarliestStartAnswer {
	span := r.HorizonWeeks + 2*r.Weeks
	rw := indexGrid(g, first, span)
	roles := make([]string, 0, len(r.Demand))
	for role := range r.Demand {
		roles = append(roles, role)
	}
	slices.Sort(roles)
	a := &EarliestStartAnswer{NotBefore: r.NotBefore, FirstWeek: first, Weeks: r.Weeks, HorizonWeeks: r.HorizonWeeks,
		RoleNames: map[string]string{}}
	for _, c := range g.Cells { // the names Capacity gave the grid's roles
		if _, asked := r.Demand[c.Key]; asked && c.Name != "" {
			a.RoleNames[c.Key] = c.Name
		}
	}
	for _, role := range roles {
		a.RoleNames[role] = a.RoleName(role)
		if rw.cells[role] == nil && r.Demand[role].IsPositive() {
			a.Reasons = append(a.Reasons, fmt.Sprintf("No one holds the role %q in the horizon, so its %s h/week cannot be met.", a.RoleName(role), r.Demand[role]))
		}
	}
	s := rw.earliest(r.Demand, r.Weeks, r.HorizonWeeks)
	if s >= 0 {
		start := rw.week(s)
		a.Feasible, a.Start = true, &start
		for _, role := range roles {
			fit := RoleFit{Role: role, Demand: r.Demand[role]}
			for i := s; i < s+r.Weeks; i++ {
				slack := rw.free(role, i).Sub(r.Demand[role])
				if i == s || slack.LessThan(fit.Slack) {
					fit.TightestWeek, fit.Slack = rw.week(i), slack
				}
			}
			a.Roles = append(a.Roles, fit)
		}
		a.WhatIf = whatIf(rw, r, roles, s)
		if s == 0 {
			a.Reasons = append(a.Reasons, fmt.Sprintf("It can start the week of %s, the first week on or after %s: every role has the hours in each of the %d weeks.",
				day(start), day(r.NotBefore), r.Weeks))
		} else {
			a.Reasons = append(a.Reasons, fmt.Sprintf("The earliest start is the week of %s, %d weeks after the first possible week (%s).",
				day(start), s, day(first)))
		}
		for _, f := range a.Roles {
			a.Reasons = append(a.Reasons, fmt.Sprintf("%s: the tightest week is %s, with %s h to spare after the job's %s h.",
				a.RoleName(f.Role), day(f.TightestWeek), f.Slack.StringFixed(1), f.Demand))
		}
	} else {
		a.Reasons = append(a.Reasons, fmt.Sprintf("No start within %d weeks of %s gives every role the hours in each of the %d weeks.",
			r.HorizonWeeks, day(first), r.Weeks))
	}
	a.CapacityAssumed = assumed(rw, r, roles, max(s, 0))
	if s != 0 {
		for _, role := range roles {
			for i := 0; i < r.Weeks && i < rw.n; i++ {
				free, need := rw.free(role, i), r.Demand[role]
				if free.LessThan(need) {
					a.Shortfall = append(a.Shortfall, Shortfall{Role: role, Week: rw.week(i), Free: free, Demand: need, Short: need.Sub(free)})
				}
			}
		}
		if len(a.Shortfall) > 0 {
			worst := a.Shortfall[0]
			for _, sf := range a.Shortfall {
				if sf.Short.GreaterThan(worst.Short) {
					worst = sf
				}
			}
			a.Reasons = append(a.Reasons, fmt.Sprintf("Starting the week of %s, %d role-weeks fall short; the worst is %s in the week of %s: %s h free of %s h needed.",
				day(first), len(a.Shortfall), a.RoleName(worst.Role), day(worst.Week), worst.Free.StringFixed(1), worst.Demand))
		}
		a.Stretched = stretch(rw, r, s)
		if a.Stretched != nil {
			a.Reasons = append(a.Reasons, fmt.Sprintf("Spread over %d weeks instead of %d, the same hours could start the week of %s.",
				a.Stretched.Weeks, r.Weeks, day(a.Stretched.Start)))
		}
	}
	return a
}

// stretch finds the shortest stretch of the same total hours over more
// weeks (up to twice as many) that starts earlier than s (or at all, when
// s is -1).
func stretch(rw roleWeeks, r EarliestStartRequest, s int) *Stretch {
	for weeks := r.Weeks + 1; weeks <= 2*r.Weeks; weeks++ {
		demand := map[string]decimal.Decimal{}
		for role, h := range r.Demand {
			demand[role] = h.Mul(decimal.NewFromInt(int64(r.Weeks))).Div(decimal.NewFromInt(int64(weeks)))
		}
		if t := rw.earliest(demand, weeks, r.HorizonWeeks); t >= 0 && (s < 0 || t < s) {
			return &Stretch{Weeks: weeks, Demand: demand, Start: rw.week(t)}
		}
	}
	return nil
}

// assumed sums, per role, the available hours over the job's weeks from s
// and the part of them that rests on an assumed week, with the people.
func assumed(rw roleWeeks, r EarliestStartRequest, roles []string, s int) []AssumedCapacity {
	out := []AssumedCapacity{}
	for _, role := range roles {
		c := AssumedCapacity{Role: role, Weeks: r.Weeks}
		cs := rw.cells[role]
		for i := s; i < s+r.Weeks && i < rw.n && cs != nil; i++ {
			c.Available = c.Available.Add(cs[i].Available)
			c.Assumed = c.Assumed.Add(cs[i].Assumed)
			for _, p := range cs[i].AssumedPeople {
				if !slices.ContainsFunc(c.People, func(x Named) bool { return x.ID == p }) {
					c.People = append(c.People, Named{p, p})
				}
			}
		}
		if c.Assumed.IsPositive() {
			out = append(out, c)
		}
	}
	return out
}

// whatIf gives each role's scheduled utilization over the job's weeks
// from s, without and with the job.
func whatIf(rw roleWeeks, r EarliestStartRequest, roles []string, s int) []RoleLoad {
	var out []RoleLoad
	for _, role := range roles {
		l := RoleLoad{Role: role}
		for i := s; i < s+r.Weeks; i++ {
			if cs := rw.cells[role]; cs != nil {
				l.Available = l.Available.Add(cs[i].Available)
				l.Booked = l.Booked.Add(cs[i].Booked)
				if r.IncludeTentative {
					l.Booked = l.Booked.Add(cs[i].Tentative)
				}
			}
		}
		if l.Available.IsPositive() {
			before := l.Booked.Div(l.Available).InexactFloat64()
			after := l.Booked.Add(r.Demand[role].Mul(decimal.NewFromInt(int64(r.Weeks)))).Div(l.Available).InexactFloat64()
			l.Before, l.After = &before, &after
		}
		out = append(out, l)
	}
	return out
}

// The JSON forms write weeks and dates as YYYY-MM-DD, and hours as JSON
// numbers in full precision, as the KPI API does.

func num(d decimal.Decimal) json.Number { return json.Number(d.String()) }

func (c CapacityCell) MarshalJSON() ([]byte, error) {
	people, names := c.AssumedPeople, c.AssumedNames
	if people == nil {
		people = []string{}
	}
	if len(names) != len(people) { // a cell Capacity did not name
		names = people
	}
	return json.Marshal(struct {
		Key             string      `json:"key"`
		Name            string      `json:"name"`
		Week            string      `json:"week"`
		Available       json.Number `json:"available"`
		Booked          json.Number `json:"booked"`
		Tentative       json.Number `json:"tentative"`
		Free            json.Number `json:"free"`
		CapacityAssumed bool        `json:"capacity_assumed"`
		Assumed         json.Number `json:"assumed_hours"`
		AssumedPeople   []string    `json:"assumed_people"`
		AssumedNames    []string    `json:"assumed_people_names"`
	}{c.Key, cmp.Or(c.Name, c.Key), day(c.Week), num(c.Available), num(c.Booked), num(c.Tentative), num(c.Free), c.CapacityAssumed(), num(c.Assumed), people, names})
}

func (f RoleFit) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Role         string      `json:"role"`
		Demand       json.Number `json:"demand"`
		TightestWeek string      `json:"tightest_week"`
		Slack        json.Number `json:"slack"`
	}{f.Role, num(f.Demand), day(f.TightestWeek), num(f.Slack)})
}

func (c AssumedCapacity) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Role      string      `json:"role"`
		Weeks     int         `json:"weeks"`
		Available json.Number `json:"available_hours"`
		Assumed   json.Number `json:"assumed_hours"`
		People    []Named     `json:"people"`
	}{c.Role, c.Weeks, num(c.Available), num(c.Assumed), c.People})
}

func (s Shortfall) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Role   string      `json:"role"`
		Week   string      `json:"week"`
		Free   json.Number `json:"free"`
		Demand json.Number `json:"demand"`
		Short  json.Number `json:"short"`
	}{s.Role, day(s.Week), num(s.Free), num(s.Demand), num(s.Short)})
}

func (s Stretch) MarshalJSON() ([]byte, error) {
	demand := map[string]json.Number{}
	for role, h := range s.Demand {
		demand[role] = num(h)
	}
	return json.Marshal(struct {
		Weeks  int                    `json:"weeks"`
		Demand map[string]json.Number `json:"demand"`
		Start  string                 `json:"start"`
	}{s.Weeks, demand, day(s.Start)})
}

func (l RoleLoad) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Role      string      `json:"role"`
		Available json.Number `json:"available"`
		Booked    json.Number `json:"booked"`
		Before    *float64    `json:"scheduled_utilization_before"`
		After     *float64    `json:"scheduled_utilization_after"`
	}{l.Role, num(l.Available), num(l.Booked), l.Before, l.After})
}

func (a EarliestStartAnswer) MarshalJSON() ([]byte, error) {
	type plain EarliestStartAnswer
	var start *string
	if a.Start != nil {
		s := day(*a.Start)
		start = &s
	}
	return json.Marshal(struct {
		plain
		Start     *string `json:"start"`
		NotBefore string  `json:"not_before"`
		FirstWeek string  `json:"first_week"`
	}{plain(a), start, day(a.NotBefore), day(a.FirstWeek)})
}

func (g CapacityGrid) MarshalJSON() ([]byte, error) {
	type plain CapacityGrid
	weeks := make([]string, len(g.Weeks))
	for i, w := range g.Weeks {
		weeks[i] = day(w)
	}
	return json.Marshal(struct {
		plain
		Weeks []string `json:"weeks"`
	}{plain(g), weeks})
}
