// Package org owns an org's settings: what is stored (Settings), their
// defaults, reading them (Load), the form people see (Shown), changing them
// (Patch, checked before anything is written) and the one Cache that every
// reader in a process goes through (the KPI API, the pages, the Prometheus
// collector and the importer), which a write in this process keeps current.
//
// It sits below ingest and metrics and imports neither: both read an org's
// time zone, workdays and currency here.
package org

import (
	"context"

	"github.com/shopspring/decimal"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// Querier is the part of the store settings are read through.
type Querier interface {
	Query(ctx context.Context, query string, params store.Params) (*store.Rows, error)
}

// Settings are a tenant's settings as stored (see Patch for what each
// means). The zero values of Workdays, DayStart with DayEnd, TimeZone and
// StuckReviewHours stand for the defaults: Monday to Friday, 09:00–17:00,
// UTC, 48 hours.
type Settings struct {
	ID              string
	Name            string
	TimeZone        string
	Currency        string
	OverheadPerHour decimal.Decimal
	Workdays        uint8  // bit 0 = Monday
	DayStart        uint16 // business hours, minutes after midnight
	DayEnd          uint16
	GraceDays       uint16
	// StuckReviewHours is how long a client review may wait before it
	// counts as stuck; 0 stands for DefaultStuckReviewHours.
	StuckReviewHours uint16
}

// Defaults of an org's settings.
const (
	DefaultWorkdays = 0b0011111 // Monday to Friday
	DefaultDayStart = 9 * 60    // 09:00
	DefaultDayEnd   = 17 * 60   // 17:00
	MaxGraceDays    = 60

	DefaultStuckReviewHours = 48
	MaxStuckReviewHours     = 30 * 24
)

// New returns the settings of an org that has none stored yet: named by
// its id, in UTC, with the default working week and business hours, and no
// currency until the first amount or an admin sets one.
func New(id string) Settings {
	return Settings{ID: id, Name: id}.WithDefaults()
}

// WithDefaults fills the zero values that stand for defaults.
func (s Settings) WithDefaults() Settings {
	if s.TimeZone == "" {
		s.TimeZone = "UTC"
	}
	if s.Workdays == 0 {
		s.Workdays = DefaultWorkdays
	}
	if s.DayStart == 0 && s.DayEnd == 0 {
		s.DayStart, s.DayEnd = DefaultDayStart, DefaultDayEnd
	}
	if s.StuckReviewHours == 0 {
		s.StuckReviewHours = DefaultStuckReviewHours
	}
	return s
}

// Load reads an org's settings from the store, bypassing any cache. found
// is false for an org with no settings stored, which gets New's.
func Load(ctx context.Context, q Querier, id string) (s Settings, found bool, err error) {
	rows, err := q.Query(ctx, store.QueryText("org_settings"), store.Params{"org": id})
	if err != nil || rows.Len() == 0 {
		return New(id), false, err
	}
	s.ID = id
	var workdays, start, end, grace, stuck uint64
	err = rows.Scan(0, &s.Name, &s.TimeZone, &s.Currency, &workdays, &start, &end, &grace, &s.OverheadPerHour, &stuck)
	s.Workdays, s.DayStart, s.DayEnd, s.GraceDays = uint8(workdays), uint16(start), uint16(end), uint16(grace)
	s.StuckReviewHours = uint16(stuck)
	return s.WithDefaults(), true, err
}

// Shown is an org's settings as the API and the CLI show them.
type Shown struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	TimeZone         string `json:"time_zone"`
	Currency         string `json:"currency"`
	Workdays         string `json:"workdays"`
	BusinessHours    string `json:"business_hours"`
	GraceDays        int    `json:"grace_days"`
	OverheadPerHour  string `json:"overhead_per_hour"`
	StuckReviewHours int    `json:"stuck_review_hours"`
}

// Show returns s as shown to people.
func (s Settings) Show() Shown {
	s = s.WithDefaults()
	return Shown{ID: s.ID, Name: s.Name, TimeZone: s.TimeZone, Currency: s.Currency,
		Workdays: FormatWorkdays(s.Workdays), BusinessHours: clock(s.DayStart) + "-" + clock(s.DayEnd),
		GraceDays: int(s.GraceDays), OverheadPerHour: s.OverheadPerHour.String(), StuckReviewHours: int(s.StuckReviewHours)}
}
