package metrics

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shopspring/decimal"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// MaxCapacityWeeks bounds a capacity grid (after From is moved back and To
// forward to a Monday): four years of ISO weeks, room for an earliest-start
// search over its longest horizon plus twice its longest job.
const MaxCapacityWeeks = 208

// deratingWeeks is the trailing window of derated capacity (spec §8).
const deratingWeeks = 12

// capacityBy are the keys a grid can have.
var capacityBy = []string{"person", "role", "team"}

// capacity computes the grid with sql/queries/capacity_grid.sql. The first
// week starts on From's Monday but counts only the days from From on (the
// days before are usually the past); To is moved forward to a Monday and the
// days up to it count, so the last week is whole. Dates are the calendar
// dates of From and To in their own location.
func capacity(ctx context.Context, q Querier, r CapacityRequest) (*CapacityGrid, error) {
	from, to, weeks, err := r.weeks()
	if err != nil {
		return nil, err
	}
	org, err := settingsFor(ctx, q, Request{Org: r.Org})
	if err != nil {
		return nil, fmt.Errorf("capacity of org %s: %w", r.Org, err)
	}
	now := r.Now
	if now.IsZero() {
		now = time.Now()
	}
	// The trailing window is the 12 ISO weeks before now's week in the org's
	// time zone; without derating it is empty, so no ratio applies.
	histFrom, histTo := from, from
	if r.Derate {
		loc, err := time.LoadLocation(org.tz)
		if err != nil {
			loc = time.UTC
		}
		histTo = monday(dateOf(now.In(loc)))
		histFrom = histTo.AddDate(0, 0, -7*deratingWeeks)
	}
	params := store.Params{
		"org": r.Org, "by": r.By,
		"from": minTime(from, histFrom), "to": maxTime(to, histTo),
		"grid_from": from, "grid_to": to, "hist_from": histFrom, "hist_to": histTo,
		"org_workdays": org.workdays, "group_by": "", "interval": "", "person": "", "role": "", "team": "",
	}
	rows, err := q.Query(ctx, store.QueryText("capacity_grid"), params)
	if err != nil {
		return nil, fmt.Errorf("capacity of org %s: %w", r.Org, err)
	}

	type cellKey struct {
		key  string
		week time.Time
	}
	type derating struct{ scheduled, actual decimal.Decimal }
	cells := map[cellKey]*CapacityCell{}
	confirmed := map[cellKey]map[string]decimal.Decimal{} // cell -> person -> confirmed hours
	ratios := map[string]*derating{}
	for i := range rows.Len() {
		var person, key string
		var week time.Time
		var available, booked, tentative, scheduled, actual, assumed decimal.Decimal
		var assumedPeople []string
		if err := rows.Scan(i, &person, &key, &week, &available, &booked, &tentative, &scheduled, &actual, &assumed, &assumedPeople); err != nil {
			return nil, fmt.Errorf("capacity of org %s: %w", r.Org, err)
		}
		if person != "" {
			d := ratios[person]
			if d == nil {
				d = &derating{actual: actual}
				ratios[person] = d
			}
			d.scheduled = d.scheduled.Add(scheduled)
		}
		week = dateOf(week)
		if week.Before(weeks[0]) || !week.Before(to) {
			continue // a row of the trailing window only
		}
		k := cellKey{key, week}
		c := cells[k]
		if c == nil {
			c = &CapacityCell{Key: key, Week: week}
			cells[k] = c
		}
		c.Available = c.Available.Add(available)
		c.Tentative = c.Tentative.Add(tentative)
		c.Assumed = c.Assumed.Add(assumed)
		for _, p := range assumedPeople {
			if !slices.Contains(c.AssumedPeople, p) {
				c.AssumedPeople = append(c.AssumedPeople, p)
			}
		}
		if person == "" {
			c.Booked = c.Booked.Add(booked) // a placeholder, or no derating asked
			continue
		}
		if confirmed[k] == nil {
			confirmed[k] = map[string]decimal.Decimal{}
		}
		confirmed[k][person] = confirmed[k][person].Add(booked)
	}
	// Derating: confirmed × actual ÷ scheduled, per person, when the person
	// had confirmed hours in the trailing window.
	for k, people := range confirmed {
		for person, h := range people {
			if d := ratios[person]; r.Derate && d.scheduled.IsPositive() {
				h = h.Mul(d.actual).Div(d.scheduled)
			}
			cells[k].Booked = cells[k].Booked.Add(h)
		}
	}

	keys := make([]string, 0, len(cells)/max(len(weeks), 1))
	for k := range cells {
		keys = append(keys, k.key)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	g := &CapacityGrid{Org: r.Org, By: r.By, Weeks: weeks, IncludeTentative: r.IncludeTentative, Derate: r.Derate,
		Cells: make([]CapacityCell, 0, len(keys)*len(weeks))}
	for _, k := range keys {
		for _, w := range weeks {
			c := CapacityCell{Key: k, Week: w}
			if found := cells[cellKey{k, w}]; found != nil {
				c = *found
			}
			// Hours are kept to 6 decimals, as time entries store them: a
			// weekly booking spread over days (20 h × 6.4 ÷ 32) leaves tails
			// like 226.9999999991 that no one booked.
			c.Available, c.Booked, c.Tentative = c.Available.Round(6), c.Booked.Round(6), c.Tentative.Round(6)
			c.Assumed = c.Assumed.Round(6)
			slices.Sort(c.AssumedPeople)
			c.Free = c.Available.Sub(c.Booked)
			if r.IncludeTentative {
				c.Free = c.Free.Sub(c.Tentative)
			}
			g.Cells = append(g.Cells, c)
		}
	}
	return g, nil
}

// weeks validates r and returns the days [from, to) the grid counts and the
// Mondays of its weeks.
func (r *CapacityRequest) weeks() (from, to time.Time, weeks []time.Time, err error) {
	switch {
	case r.Org == "":
		return from, to, nil, badf("no org")
	case !slices.Contains(capacityBy, r.By):
		return from, to, nil, badf("capacity by %q: want person, role or team", r.By)
	case r.From.IsZero() || r.To.IsZero():
		return from, to, nil, badf("from and to are required dates (YYYY-MM-DD)")
	}
	from, to = dateOf(r.From), dateOf(r.To)
	if !from.Before(to) {
		return from, to, nil, badf("from %s is not before to %s: the range is [from, to)", day(from), day(to))
	}
	if m := monday(to); !m.Equal(to) {
		to = m.AddDate(0, 0, 7)
	}
	n := int(to.Sub(monday(from)).Hours()/24) / 7
	if n > MaxCapacityWeeks {
		return from, to, nil, badf("%s to %s spans %d weeks; the most is %d", day(r.From), day(r.To), n, MaxCapacityWeeks)
	}
	weeks = make([]time.Time, n)
	for i := range weeks {
		weeks[i] = monday(from).AddDate(0, 0, 7*i)
	}
	return from, to, weeks, nil
}

// dateOf is t's calendar date as midnight UTC.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// monday is the Monday on or before the date d (midnight UTC).
func monday(d time.Time) time.Time {
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
