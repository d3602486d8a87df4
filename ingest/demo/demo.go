// Package demo generates a deterministic, realistic agency dataset in the
// canonical ingest records: people with effective-dated rates and capacity,
// clients, retainer, fixed-fee, T&M and internal projects, holidays, time
// off, allocations, deliverables with client review cycles, time entries in
// every billing state, write-offs and invoice lines. `opsmetrics demo` loads
// it (Load, one batch through the importer) so a fresh install has dashboards
// worth looking at, and benchmarks use it to produce tens of millions of time
// entries in bounded memory.
//
// The same Seed and End always give the same records, byte for byte: all
// randomness comes from PCG sources derived from Seed, and Generate never
// reads the clock.
package demo

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	settings "github.com/opsmetrics/opsmetrics/org"
)

// ChunkSize is the most records Generate passes to one emit call.
const ChunkSize = 50_000

// Source is the source of every generated record.
const Source = "demo"

// Limits that Validate enforces; beyond them the dataset stops being a demo.
const (
	maxOrgs         = 1000
	maxPeople       = 5000
	maxTotalPeople  = 100_000
	maxMonths       = 120
	maxEntries      = 1_000_000_000
	maxForwardWeeks = 104
	minYear         = 1980
	maxYear         = 3000
)

// Config describes the dataset. The zero value of a count means its default.
type Config struct {
	Seed    int64     // same Seed and End give byte-identical records
	Orgs    int       // orgs (tenants); default 1
	People  int       // people per org; default 18
	Months  int       // months of history before End; default 12
	Entries int       // total time entries across all orgs; 0 means natural volume (2-4 per person-workday)
	End     time.Time // exclusive end of history, a date in every org's calendar; the CLI passes EndToday
	// ForwardWeeks is how far allocations and booked time off reach past End,
	// for capacity forecasts; default 26.
	ForwardWeeks int
}

// Validate fills in defaults, truncates End to its UTC date, and rejects
// negative or absurd values with an error naming the field.
func (c *Config) Validate() error {
	if c.End.IsZero() {
		return errors.New("demo config: End is required (the exclusive end of history)")
	}
	y, m, d := c.End.UTC().Date()
	c.End = date(y, m, d)
	if y < minYear || y > maxYear {
		return fmt.Errorf("demo config: End %s is outside the years %d to %d", c.End.Format(time.DateOnly), minYear, maxYear)
	}
	fields := []struct {
		name       string
		v          *int
		def, limit int
	}{
		{"Orgs", &c.Orgs, 1, maxOrgs},
		{"People", &c.People, 18, maxPeople},
		{"Months", &c.Months, 12, maxMonths},
		{"Entries", &c.Entries, 0, maxEntries},
		{"ForwardWeeks", &c.ForwardWeeks, 26, maxForwardWeeks},
	}
	for _, f := range fields {
		switch {
		case *f.v < 0:
			return fmt.Errorf("demo config: %s is %d, it cannot be negative", f.name, *f.v)
		case *f.v > f.limit:
			return fmt.Errorf("demo config: %s is %d, above the limit of %d", f.name, *f.v, f.limit)
		case *f.v == 0:
			*f.v = f.def
		}
	}
	if c.Orgs*c.People > maxTotalPeople {
		return fmt.Errorf("demo config: %d orgs of %d people is %d people, above the limit of %d",
			c.Orgs, c.People, c.Orgs*c.People, maxTotalPeople)
	}
	return nil
}

// Counts holds how many records Generate emitted, by the plural of their
// entity (ingest.Entity.Plural: "people", "time_entries", ...) and as
// "orgs" and "roles". Effective-dated rows count one each.
type Counts map[string]int

// The Counts keys of the records that are no entity; an entity's is its
// plural (countKey).
const (
	nameOrgs  = "orgs"
	nameRoles = "roles"
)

// countKey is the Counts key of records of type T.
func countKey[T any]() string {
	switch any(*new(T)).(type) {
	case settings.Settings:
		return nameOrgs
	case ingest.Role:
		return nameRoles
	}
	e, ok := ingest.EntityOf(reflect.TypeFor[T]())
	if !ok {
		panic(fmt.Sprintf("demo: %v is no record the writer takes", reflect.TypeFor[T]())) // a generator added without its entity
	}
	return e.Plural
}

// Generate validates cfg and emits the dataset in this order: orgs, roles,
// then the entities in write order (ingest.Entities): people, clients,
// projects, holidays, time off, allocations, deliverables, task events, time
// entries, adjustments, invoice lines. Each emit call gets a non-empty slice
// of one record type ([]settings.Settings, []ingest.Person, ...) of at most
// ChunkSize records.
//
// The slice belongs to Generate and is reused once emit returns: emit must
// copy what it keeps. Decimal and tag values may be shared between records
// and must not be modified.
//
// Generate stops at the first emit error and returns it wrapped, along with
// the counts emitted so far. It also stops when ctx is done.
func Generate(ctx context.Context, cfg Config, emit func(records any) error) (Counts, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	orgs := make([]*org, cfg.Orgs)
	var slots int64
	for i := range orgs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		orgs[i] = newOrg(cfg, i)
		slots += orgs[i].slots
	}
	if cfg.Entries > 0 && slots == 0 {
		return nil, fmt.Errorf("demo: no person-workday to place %d time entries on", cfg.Entries)
	}

	out := &emitter{ctx: ctx, emit: emit, counts: Counts{}}
	spread := &spreader{entries: int64(cfg.Entries), slots: slots}
	steps := []func() error{
		func() error {
			return emitEach(out, orgs, func(o *org) []settings.Settings { return []settings.Settings{o.rec} })
		},
		func() error { return emitEach(out, orgs, func(o *org) []ingest.Role { return o.roles }) },
		func() error { return emitEach(out, orgs, (*org).personRecords) },
		func() error { return emitEach(out, orgs, (*org).clientRecords) },
		func() error { return emitEach(out, orgs, (*org).projectRecords) },
		func() error {
			return emitEach(out, orgs, func(o *org) []ingest.Holiday { return o.holidays })
		},
		func() error {
			return emitEach(out, orgs, func(o *org) []ingest.TimeOff { return o.timeOff })
		},
		func() error {
			return emitEach(out, orgs, func(o *org) []ingest.Allocation { return o.allocations })
		},
		func() error { return emitEach(out, orgs, (*org).deliverableRecords) },
		func() error { return emitEach(out, orgs, (*org).eventRecords) },
		func() error { return emitEntries(out, orgs, spread) },
		func() error { return emitEach(out, orgs, (*org).adjustmentRecords) },
		func() error { return emitEach(out, orgs, (*org).invoiceLineRecords) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return out.counts, err
		}
	}
	return out.counts, nil
}

// emitter forwards chunks to the caller's emit and counts them.
type emitter struct {
	ctx    context.Context
	emit   func(records any) error
	counts Counts
}

// batch collects records of one type across orgs into chunks of ChunkSize.
type batch[T any] struct {
	out  *emitter
	name string // its Counts key
	buf  []T
}

func newBatch[T any](out *emitter, capacity int) *batch[T] {
	name := countKey[T]()
	out.counts[name] += 0 // every entity appears in Counts, even when empty
	return &batch[T]{out: out, name: name, buf: make([]T, 0, min(capacity, ChunkSize))}
}

// next returns the slot for one more record, which the caller overwrites
// whole; call flushIfFull after filling it.
func (b *batch[T]) next() *T {
	if len(b.buf) < cap(b.buf) {
		b.buf = b.buf[:len(b.buf)+1]
	} else {
		var zero T
		b.buf = append(b.buf, zero)
	}
	return &b.buf[len(b.buf)-1]
}

func (b *batch[T]) add(recs ...T) error {
	for len(recs) > 0 {
		n := min(len(recs), ChunkSize-len(b.buf))
		b.buf = append(b.buf, recs[:n]...)
		recs = recs[n:]
		if err := b.flushIfFull(); err != nil {
			return err
		}
	}
	return nil
}

func (b *batch[T]) flushIfFull() error {
	if len(b.buf) < ChunkSize {
		return nil
	}
	return b.flush()
}

func (b *batch[T]) flush() error {
	if len(b.buf) == 0 {
		return nil
	}
	if err := b.out.ctx.Err(); err != nil {
		return err
	}
	if err := b.out.emit(b.buf); err != nil {
		return fmt.Errorf("demo: emit %d %s: %w", len(b.buf), b.name, err)
	}
	b.out.counts[b.name] += len(b.buf)
	b.buf = b.buf[:0]
	return nil
}

// emitEach emits the records recs returns for every org, in chunks.
func emitEach[T any](out *emitter, orgs []*org, recs func(*org) []T) error {
	b := newBatch[T](out, 1024)
	for _, o := range orgs {
		if err := b.add(recs(o)...); err != nil {
			return err
		}
	}
	return b.flush()
}

// spreader deals Entries over all logged person-days as evenly as integers
// allow (Bresenham), so the total comes out exact.
type spreader struct {
	entries, slots, acc int64
}

// next returns how many entries the next person-day gets.
func (s *spreader) next() int {
	s.acc += s.entries
	n := s.acc / s.slots
	s.acc -= n * s.slots
	return int(n)
}

// EndToday returns the End at which the history of a dataset of orgs orgs
// (Config.Orgs; 0 means its default, 1) ends today at now: the day after
// the earliest of the orgs' local dates. Time entries, task events,
// deliveries, write-offs and invoices then lie before tomorrow where each
// org is, and only bookings (allocations, time off) and due dates lie
// ahead. Days are placed at each org's standard UTC offset; summer time
// puts a zone ahead of that, never behind, so today there is no earlier.
func EndToday(now time.Time, orgs int) time.Time {
	west := 0
	for i := range min(max(orgs, 1), len(orgProfiles)) { // orgs past the list reuse its profiles
		west = min(west, orgProfiles[i].offset)
	}
	y, m, d := now.UTC().Add(time.Duration(west) * time.Hour).Date()
	return date(y, m, d+1)
}
