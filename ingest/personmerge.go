package ingest

import (
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// PersonSource is what one source says of one of the org's people: its
// version of the person's fields from its ValidFrom (sql/schema/0013).
// Person.Source and Person.ExternalID are the source's own; PersonID is the
// org's person it is.
type PersonSource struct {
	Person
	PersonID string
}

// Which source has the last word on a field (issue 15). A source that does
// not give a field never blanks it: the next source in the order gives it.
//
//   - the org's own word (a people file, the API's people intake: any
//     source that is no tool) wins over every tool, for every field;
//   - cost and bill rates: the time tracker's (Harvest, Toggl, Clockify) over
//     a booking tool's, since they are what the agency bills and pays by;
//   - weekly capacity and work days, together: a real capacity over an
//     assumed one, then the booking tool's (Float, Runn, Forecast) over the
//     tracker's, since bookings are planned against it;
//   - name, email, role, team and the rest: the first non-empty, in the
//     order org, tracker, booking tool, a person created on first sight.
//
// Within one rank, the source's name and then its id decide, so the merge
// never depends on the order in which sources arrived.
const (
	rankOrg = iota
	rankTracker
	rankBooking
	rankResolved
)

// trackers and bookers are the collectors' kinds (ingest/collect); their
// CSV exports create people of source resolved, whose rates travel on
// their entries.
var (
	trackers = []string{"harvest", "toggl", "clockify"}
	bookers  = []string{"float", "runn", "forecast"}
)

// OrgWord reports whether a person's row of source is the org's own word
// (a people file, the API, the app), not a tool's or a person created on
// first sight: such a source's row is what the org says, and outranks the
// tools' in the merge.
func OrgWord(source string) bool { return rankOf(source) == rankOrg }

func rankOf(source string) int {
	switch {
	case source == ResolvedSource:
		return rankResolved
	case slices.Contains(trackers, source):
		return rankTracker
	case slices.Contains(bookers, source):
		return rankBooking
	}
	return rankOrg
}

// MergePerson returns the org's versions of one person from what its sources
// say, words, one version from each date on which some source's version
// starts, in date order. On each date, each source's version in force (its
// latest that starts on or before the date) gives the fields it has
// authority over. A source's version from a date changes only the versions
// from that date on: earlier months keep the numbers they had. The versions
// carry the Meta of owner (the org's person id and the source whose row it
// is). Deleted words are no word. The result does not depend on the order
// of words.
func MergePerson(owner Meta, words []PersonSource) []Person {
	var live []PersonSource
	for _, w := range words {
		if !w.Deleted {
			live = append(live, w)
		}
	}
	// Tool order, then date: a source's versions are contiguous, ascending.
	slices.SortFunc(live, func(a, b PersonSource) int {
		if c := compareWord(&a, &b, rankOf(a.Source), rankOf(b.Source)); c != 0 {
			return c
		}
		return a.ValidFrom.Compare(b.ValidFrom)
	})
	var dates []time.Time
	for _, w := range live {
		if !slices.ContainsFunc(dates, w.ValidFrom.Equal) {
			dates = append(dates, w.ValidFrom)
		}
	}
	slices.SortFunc(dates, time.Time.Compare)
	out := make([]Person, 0, len(dates))
	for _, d := range dates {
		// The version of each source in force on d, in rank order.
		var inForce []*Person
		for i := range live {
			w := &live[i]
			next := i+1 < len(live) && sameSource(&live[i+1], w) && !live[i+1].ValidFrom.After(d)
			if !w.ValidFrom.After(d) && !next {
				inForce = append(inForce, &w.Person)
			}
		}
		out = append(out, merged(owner, d, inForce))
	}
	return out
}

func sameSource(a, b *PersonSource) bool { return a.Source == b.Source && a.ExternalID == b.ExternalID }

// compareWord orders two words by the given ranks, then source and id.
func compareWord(a, b *PersonSource, ra, rb int) int {
	if ra != rb {
		return ra - rb
	}
	if c := strings.Compare(a.Source, b.Source); c != 0 {
		return c
	}
	return strings.Compare(a.ExternalID, b.ExternalID)
}

// merged is the version from d of the versions in force, ps, in the order
// org, tracker, booking tool, resolved.
func merged(owner Meta, d time.Time, ps []*Person) Person {
	m := Person{Meta: owner, ValidFrom: d}
	m.Deleted = false
	first := func(get func(p *Person) string) string {
		for _, p := range ps {
			if v := get(p); strings.TrimSpace(v) != "" {
				return v
			}
		}
		return ""
	}
	m.Name = first(func(p *Person) string { return p.Name })
	m.Email = first(func(p *Person) string { return p.Email })
	m.Role = first(func(p *Person) string { return p.Role })
	m.Team = first(func(p *Person) string { return p.Team })
	m.HolidayCalendar = first(func(p *Person) string { return p.HolidayCalendar })
	firstDec := func(get func(p *Person) *decimal.Decimal) *decimal.Decimal {
		for _, p := range ps {
			if v := get(p); v != nil {
				return v
			}
		}
		return nil
	}
	m.CostRate = firstDec(func(p *Person) *decimal.Decimal { return p.CostRate })
	m.BillRate = firstDec(func(p *Person) *decimal.Decimal { return p.BillRate })
	m.UtilizationTarget = firstDec(func(p *Person) *decimal.Decimal { return p.UtilizationTarget })
	for _, p := range ps {
		if m.StartDate == nil {
			m.StartDate = p.StartDate
		}
		if m.EndDate == nil {
			m.EndDate = p.EndDate
		}
	}
	// Capacity: the first real one in the order org, booking tool, tracker;
	// an assumed one only when no source knows it.
	capRank := func(p *Person) int {
		r := rankOf(p.Source)
		switch r {
		case rankTracker:
			r = rankBooking
		case rankBooking:
			r = rankTracker
		}
		if p.CapacityAssumed {
			r += rankResolved + 1
		}
		return r
	}
	var best *Person
	for _, p := range ps {
		if best == nil || capRank(p) < capRank(best) {
			best = p // ps is in source order within a rank: the first of a rank stays
		}
	}
	if best != nil {
		m.WeeklyCapacityHours, m.Workdays, m.CapacityAssumed = best.WeeklyCapacityHours, workdaysOf(best.Workdays), best.CapacityAssumed
	}
	return m
}

// workdaysOf is w with 0, Monday to Friday, spelled out as the writer
// stores it.
func workdaysOf(w uint8) uint8 {
	if w == 0 {
		return 0b0011111
	}
	return w
}

// sameWord reports whether a and b say the same of a person.
func sameWord(a, b *Person) bool {
	decEq := func(x, y *decimal.Decimal) bool { return x == nil && y == nil || x != nil && y != nil && x.Equal(*y) }
	dateEq := func(x, y *time.Time) bool { return x == nil && y == nil || x != nil && y != nil && x.Equal(*y) }
	return a.Deleted == b.Deleted && a.ValidFrom.Equal(b.ValidFrom) && a.Name == b.Name && a.Email == b.Email &&
		a.Role == b.Role && a.Team == b.Team && a.WeeklyCapacityHours.Equal(b.WeeklyCapacityHours) &&
		workdaysOf(a.Workdays) == workdaysOf(b.Workdays) && decEq(a.CostRate, b.CostRate) && decEq(a.BillRate, b.BillRate) &&
		decEq(a.UtilizationTarget, b.UtilizationTarget) && dateEq(a.StartDate, b.StartDate) && dateEq(a.EndDate, b.EndDate) &&
		a.HolidayCalendar == b.HolidayCalendar && a.CapacityAssumed == b.CapacityAssumed
}
