package importer

import (
	"context"
	"fmt"
	"hash/maphash"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// maxDayMicros is the most hours a person logs in one day, in millionths.
const maxDayMicros = 24 * 1_000_000

// dayRow is what the day limit needs of a buffered time entry.
type dayRow struct {
	key     uint64 // source and external_id, hashed
	person  string // interned
	day     int32  // days since 1970-01-01
	micros  int64  // hours in millionths
	line    int
	deleted bool
}

type personDay struct {
	person string
	day    int32
}

// dayEntries are the entries of one person-day that this input wrote.
type dayEntries struct {
	micros int64
	keys   map[uint64]int64 // their hours by key
}

// dayLimit rejects a time entry that would take its person past 24 hours in
// a day, counting the entries stored on that day and those this input wrote
// before it; an entry that replaces a stored one (same source and
// external_id) counts once.
//
// It remembers what this input wrote per person-day. An export read in
// date order forgets the days before each batch, as its keyer does; other
// inputs keep every day, and where each key went, so that a key given again
// on another day moves its hours there.
type dayLimit struct {
	seed   maphash.Seed
	people map[string]string // interned person ids: a record's strings hold its whole input line
	days   map[personDay]*dayEntries
	where  map[uint64]personDay // unless distinct: each key's person-day; the zero value for a tombstone
}

func newDayLimit(distinct bool) *dayLimit {
	d := &dayLimit{seed: maphash.MakeSeed(), people: map[string]string{}, days: map[personDay]*dayEntries{}}
	if !distinct {
		d.where = map[uint64]personDay{}
	}
	return d
}

func (d *dayLimit) key(source, id string) uint64 {
	var h maphash.Hash
	h.SetSeed(d.seed)
	h.WriteString(source)
	h.WriteByte(0)
	h.WriteString(id)
	return h.Sum64()
}

// row returns e as a dayRow.
func (d *dayLimit) row(e *ingest.TimeEntry, line int) dayRow {
	row := dayRow{key: d.key(e.Source, e.ExternalID), line: line, deleted: e.Deleted}
	if e.Deleted {
		return row
	}
	p, ok := d.people[e.PersonID]
	if !ok {
		p = strings.Clone(e.PersonID)
		d.people[p] = p
	}
	row.person, row.day, row.micros = p, int32(e.Date.Unix()/86400), micros(e.Hours)
	return row
}

// micros returns h, which has at most 6 decimals, in millionths.
func micros(h decimal.Decimal) int64 {
	c, exp := h.CoefficientInt64(), h.Exponent()
	for ; exp < -6; exp++ {
		c /= 10 // trailing zeros
	}
	for ; exp > -6; exp-- {
		c *= 10
	}
	return c
}

// bufferDay notes a time entry just added to p.
func (r *run) bufferDay(p *pending, e *ingest.TimeEntry, line int) {
	p.days = append(p.days, r.dayLimit.row(e, line))
}

// checkDays rejects the pending time entries that would pass 24 hours on
// their person-day, asking the store once for the batch's person-days.
func (r *run) checkDays(ctx context.Context) error {
	p := r.pending["time_entry"]
	if p == nil || p.n == p.deleted {
		return nil
	}
	d := r.dayLimit
	// The batch's person-days, and its keys, whose stored versions it replaces.
	var from, to int32
	asked := map[personDay]bool{}
	var days strings.Builder
	inBatch := make(map[uint64]bool, len(p.days))
	for _, row := range p.days {
		inBatch[row.key] = true
		if row.deleted {
			continue
		}
		pd := personDay{row.person, row.day}
		if asked[pd] {
			continue
		}
		if len(asked) == 0 || row.day < from {
			from = row.day
		}
		to = max(to, row.day)
		asked[pd] = true
		days.WriteString(pd.person)
		days.WriteByte('\t')
		days.WriteString(date(pd.day).Format(time.DateOnly))
		days.WriteByte('\n')
	}
	rows, err := r.im.cfg.Store.Query(ctx, store.QueryText("day_hours"), store.Params{"org": r.req.Org,
		"from": date(from), "to": date(to), "days": strings.TrimSuffix(days.String(), "\n")})
	if err != nil {
		return err
	}
	stored := make(map[personDay]int64, len(asked))
	for i := range rows.Len() {
		var source, id, person string
		var day time.Time
		var m int64
		if err := rows.Scan(i, &source, &id, &person, &day, &m); err != nil {
			return err
		}
		pd := personDay{person, int32(day.Unix() / 86400)}
		if k := d.key(source, id); !inBatch[k] && !d.wrote(k, pd) {
			stored[pd] += m
		}
	}

	var drop []int
	for i, row := range p.days {
		if row.deleted {
			d.move(row.key, personDay{}, 0)
			continue
		}
		pd := personDay{row.person, row.day}
		here := d.days[pd]
		var mine int64 // what this input wrote on the day, without an earlier row with this key
		if here != nil {
			mine = here.micros - here.keys[row.key]
		}
		if stored[pd]+mine+row.micros <= maxDayMicros {
			d.move(row.key, pd, row.micros)
			continue
		}
		drop = append(drop, i)
		r.rejectBuffered(&ingest.RowError{File: r.req.File, Line: row.line, Field: "hours", Value: hours(row.micros),
			Reason: fmt.Sprintf("more than 24 hours in one day: person %s already has %s hours on %s (%s stored, %s in earlier rows of this input); this entry's %s would make %s",
				pd.person, hours(stored[pd]+mine), date(pd.day).Format(time.DateOnly), hours(stored[pd]), hours(mine),
				hours(row.micros), hours(stored[pd]+mine+row.micros))})
	}
	r.dropPending(p, drop)
	if r.watchDates {
		// Sorted by date: no later batch comes back to a day before its last.
		for pd := range d.days {
			if pd.day < to {
				delete(d.days, pd)
			}
		}
	}
	return nil
}

// wrote reports whether this input wrote key, which the store has on pd:
// the hours this input gave it count instead.
func (d *dayLimit) wrote(key uint64, pd personDay) bool {
	if d.where != nil {
		_, ok := d.where[key]
		return ok
	}
	// An export's key names its person and day, so it is on pd if anywhere.
	here := d.days[pd]
	if here == nil {
		return false
	}
	_, ok := here.keys[key]
	return ok
}

// move counts key's hours on pd (none for a tombstone), and no longer where
// an earlier row of the input had put them.
func (d *dayLimit) move(key uint64, pd personDay, m int64) {
	if d.where != nil {
		if old, ok := d.where[key]; ok && old.person != "" {
			if e := d.days[old]; e != nil {
				e.micros -= e.keys[key]
				delete(e.keys, key)
			}
		}
		d.where[key] = pd
	}
	if pd.person == "" {
		return
	}
	e := d.days[pd]
	if e == nil {
		e = &dayEntries{keys: map[uint64]int64{}}
		d.days[pd] = e
	}
	e.micros += m - e.keys[key]
	e.keys[key] = m
}

func date(day int32) time.Time { return time.Unix(int64(day)*86400, 0).UTC() }

func hours(micros int64) string { return decimal.New(micros, -6).String() }

// rejectBuffered rejects a row that was counted as read when it was buffered.
func (r *run) rejectBuffered(e *ingest.RowError) {
	r.mu.Lock()
	r.sum.counts("time_entry").Read--
	r.mu.Unlock()
	r.reject("time_entry", e)
}

// dropPending removes rows (ascending indexes) from p before it is written.
func (r *run) dropPending(p *pending, drop []int) {
	if len(drop) == 0 {
		return
	}
	if p.enc != nil {
		p.enc.Drop(drop)
	} else {
		recs := p.records.(*records[ingest.TimeEntry])
		recs.s = deleteIndexes(recs.s, drop)
	}
	p.keys = deleteIndexes(p.keys, drop)
	p.rows = deleteIndexes(p.rows, drop)
	p.days = deleteIndexes(p.days, drop)
	p.n -= len(drop)
	r.buffered -= len(drop)
}

// deleteIndexes removes the elements at drop, ascending indexes, from s.
func deleteIndexes[T any](s []T, drop []int) []T {
	out := s[:drop[0]]
	for k, i := range drop {
		next := len(s)
		if k+1 < len(drop) {
			next = drop[k+1]
		}
		out = append(out, s[i+1:next]...)
	}
	clear(s[len(out):])
	return out
}
