package metrics

import (
	"context"
	"encoding/csv"
	"io"
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
}

// CapacityCell is one key (a person id, a role or a team) in one week.
type CapacityCell struct {
	Key       string          `json:"key"`
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
	return capacity(ctx, q, r)
}

// WriteCSV writes the grid as key, week, available, booked, tentative,
// free and assumed_hours (of available; last, so that scripts reading the
// first six columns by position still read them).
func (g *CapacityGrid) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{g.By, "week", "available", "booked", "tentative", "free", "assumed_hours"})
	for _, c := range g.Cells {
		cw.Write([]string{c.Key, day(c.Week), c.Available.String(), c.Booked.String(), c.Tentative.String(), c.Free.String(),
			c.Assumed.String()})
	}
	cw.Flush()
	return cw.Error()
}
