package metrics

import (
	"cmp"
	"context"
	"encoding/csv"
	"io"
	"slices"
	"time"

	"github.com/shopspring/decimal"
)

// CapacityRequest asks for the forward capacity grid of one org (spec
// kpis.md §8): hours per person, role or team and ISO week.
type CapacityRequest struct {
	Org      string
	From, To time.Time // From is moved back to its Monday; To is exclusive and moved forward to a Monday
	By       string    // "person", "role" or "team"
	// IncludeTentative subtracts tentative allocations × their probability
	// from free hours; without it they are reported but not subtracted.
	IncludeTentative bool
	// Derate multiplies each person's confirmed allocations by their actual ÷
	// scheduled hours over the trailing 12 weeks before Now.
	Derate bool
	Now    time.Time // zero means time.Now
	// Names are the org's names when the caller has read them already;
	// nil: read when the grid needs them (by person, or people on an
	// assumed week).
	Names *Names
}

// CapacityCell is one key (a person id, a role or a team) in one week.
type CapacityCell struct {
	Key       string          `json:"key"`
	Name      string          `json:"name"`      // the person's name (the id when no record names it); a role or a team is its own
	Week      time.Time       `json:"week"`      // the Monday
	Available decimal.Decimal `json:"available"` // contracted − time off − holidays, floored at 0 per day
	Booked    decimal.Decimal `json:"booked"`    // confirmed allocations (derated when asked)
	Tentative decimal.Decimal `json:"tentative"` // Σ tentative hours × probability
	Free      decimal.Decimal `json:"free"`      // available − booked (− tentative when included); negative when overbooked
	// Assumed is the part of Available that rests on an assumed 40-hour
	// week: the hours of people an import created on first sight
	// (FlagCapacityAssumed), AssumedPeople their ids, sorted.
	Assumed       decimal.Decimal `json:"assumed_hours"`
	AssumedPeople []string        `json:"assumed_people"`
	AssumedNames  []string        `json:"assumed_people_names"` // AssumedPeople's names, in their order
}

// CapacityAssumed reports whether some of c's available hours rest on an
// assumed week.
func (c CapacityCell) CapacityAssumed() bool { return c.Assumed.IsPositive() }

// CapacityGrid is the answer: every key × every week, weeks ascending.
type CapacityGrid struct {
	Org              string         `json:"org"`
	By               string         `json:"by"`
	Weeks            []time.Time    `json:"weeks"`
	IncludeTentative bool           `json:"include_tentative"`
	Derate           bool           `json:"derate"`
	Cells            []CapacityCell `json:"cells"`
}

// Capacity computes the grid. Errors: ErrBadRequest (wrapped) for a bad
// request; the store's typed errors otherwise.
func Capacity(ctx context.Context, q Querier, r CapacityRequest) (*CapacityGrid, error) {
	g, err := capacity(ctx, q, r)
	if err != nil {
		return nil, err
	}
	n := r.Names
	if n == nil || n.Org != r.Org {
		n = nil
		if g.By == "person" || slices.ContainsFunc(g.Cells, func(c CapacityCell) bool { return len(c.AssumedPeople) > 0 }) {
			if n, err = LoadNames(ctx, q, r.Org); err != nil {
				return nil, err
			}
		}
	}
	g.name(n)
	return g, nil
}

// name sets each cell's Name and AssumedNames from n (which may be nil
// for a grid of roles or teams with no one on an assumed week).
func (g *CapacityGrid) name(n *Names) {
	for i := range g.Cells {
		c := &g.Cells[i]
		name, _ := n.Name(g.By, c.Key)
		c.Name = cmp.Or(name, c.Key)
		c.AssumedNames = make([]string, len(c.AssumedPeople))
		for j, p := range c.AssumedPeople {
			name, _ := n.Name("person", p)
			c.AssumedNames[j] = cmp.Or(name, p)
		}
	}
}

// WriteCSV writes the grid as key, name (beside the key, as every CSV
// has a name beside an id), week, available, booked, tentative, free and
// assumed_hours (of available).
func (g *CapacityGrid) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{g.By, "name", "week", "available", "booked", "tentative", "free", "assumed_hours"})
	for _, c := range g.Cells {
		cw.Write([]string{c.Key, c.Name, day(c.Week), c.Available.String(), c.Booked.String(), c.Tentative.String(), c.Free.String(),
			c.Assumed.String()})
	}
	cw.Flush()
	return cw.Error()
}
