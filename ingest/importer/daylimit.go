package importer

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// maxDayMicros is the most hours a person logs in one day, in millionths.
const maxDayMicros = 24 * 1_000_000

// dayRow is what the day limit needs of a buffered time entry.
type dayRow struct {
	key     uint64 // entryKey of its source and external_id
	pd      personDay
	person  string // the person's id, for the reason of a reject; interned
	micros  int64  // hours in millionths
	line    int
	deleted bool
}

// personDay is a person, by personHash of the id, and a day (since
// 1970-01-01).
type personDay struct {
	person uint64
	day    int32
}

// The store hands the day limit hashes, not strings: decoding three strings
// a stored entry cost more than importing the entry. The hashes are
// ClickHouse's xxHash64, which the engine computes in day_hours.sql; two of
// the ids of one org share a hash with a probability of n²/2⁶⁵.
func entryKey(source, id string) uint64 {
	var d xxhash.Digest
	d.Reset()
	d.WriteString(source)
	d.Write([]byte{0})
	d.WriteString(id)
	return d.Sum64()
}

func personHash(id string) uint64 { return xxhash.Sum64String(id) }

// dayEntries are the entries of one person-day that this input wrote.
type dayEntries struct {
	micros  int64
	entries []keyHours     // a day holds a few: a map for each cost more than the rest of the check
	byKey   map[uint64]int // the index of each key in entries, once they are many
}

// get returns the hours of key on the day.
func (e *dayEntries) get(key uint64) (int64, bool) {
	if e == nil {
		return 0, false
	}
	if e.byKey != nil {
		i, ok := e.byKey[key]
		if !ok {
			return 0, false
		}
		return e.entries[i].micros, true
	}
	for _, x := range e.entries {
		if x.key == key {
			return x.micros, true
		}
	}
	return 0, false
}

// set makes key's hours on the day m.
func (e *dayEntries) set(key uint64, m int64) {
	old, ok := e.get(key)
	e.micros += m - old
	if !ok {
		e.entries = append(e.entries, keyHours{key, m})
		if e.byKey != nil || len(e.entries) > 16 {
			e.index()
		}
		return
	}
	e.entries[e.find(key)].micros = m
}

// remove takes key's hours off the day.
func (e *dayEntries) remove(key uint64) {
	old, ok := e.get(key)
	if !ok {
		return
	}
	e.micros -= old
	i, last := e.find(key), len(e.entries)-1
	e.entries[i] = e.entries[last]
	e.entries = e.entries[:last]
	if e.byKey != nil {
		e.index()
	}
}

func (e *dayEntries) find(key uint64) int {
	if e.byKey != nil {
		return e.byKey[key]
	}
	return slices.IndexFunc(e.entries, func(x keyHours) bool { return x.key == key })
}

type keyHours struct {
	key    uint64
	micros int64
}

func (e *dayEntries) index() {
	e.byKey = make(map[uint64]int, len(e.entries))
	for i, x := range e.entries {
		e.byKey[x.key] = i
	}
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
	people map[string]string // interned person ids: a record's strings hold its whole input line
	days   map[personDay]*dayEntries
	where  map[uint64]personDay // unless distinct: each key's person-day; the zero value for a tombstone
	window *storedEntries       // an export read in date order: the stored entries of the days ahead
	spans  int                  // the window's length in batches' spans of days
}

func newDayLimit(distinct bool) *dayLimit {
	d := &dayLimit{people: map[string]string{}, days: map[personDay]*dayEntries{}}
	if !distinct {
		d.where = map[uint64]personDay{}
	}
	return d
}

// row returns e as a dayRow.
func (d *dayLimit) row(e *ingest.TimeEntry, line int) dayRow {
	row := dayRow{key: entryKey(e.Source, e.ExternalID), line: line, deleted: e.Deleted}
	if e.Deleted {
		return row
	}
	p, ok := d.people[e.PersonID]
	if !ok {
		p = strings.Clone(e.PersonID)
		d.people[p] = p
	}
	row.person, row.pd, row.micros = p, personDay{personHash(p), int32(e.Date.Unix() / 86400)}, micros(e.Hours)
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
// their person-day, asking the store once for the batch's person-days; an
// export read in date order asks once for many batches (storedFor).
func (r *run) checkDays(ctx context.Context) error {
	p := r.pending["time_entry"]
	if p == nil || p.n == p.deleted {
		return nil
	}
	d := r.dayLimit
	// The batch's person-days, and its keys, whose stored versions it replaces.
	var from, to int32
	asked := map[personDay]bool{}
	inBatch := make(map[uint64]bool, len(p.days))
	for _, row := range p.days {
		inBatch[row.key] = true
		if row.deleted {
			continue
		}
		if len(asked) == 0 || row.pd.day < from {
			from = row.pd.day
		}
		to = max(to, row.pd.day)
		asked[row.pd] = true
	}
	st, err := r.storedFor(ctx, from, to, asked)
	if err != nil {
		return err
	}
	stored := make(map[personDay]int64, len(asked))
	for pd := range asked {
		for _, e := range st.on(pd) {
			if !inBatch[e.key] && !d.wrote(e.key, pd) {
				stored[pd] += e.micros
			}
		}
	}
	if st.keys != nil {
		// An export's new/updated split: its keys are distinct, so a stored
		// key was stored before this import.
		for i, row := range p.days {
			_, p.rows[i].stored = slices.BinarySearch(st.keys, row.key)
		}
		p.storedKnown = true
	}

	var drop []int
	for i, row := range p.days {
		if row.deleted {
			d.move(row.key, personDay{}, 0)
			continue
		}
		here := d.days[row.pd]
		var mine int64 // what this input wrote on the day, without an earlier row with this key
		if here != nil {
			old, _ := here.get(row.key)
			mine = here.micros - old
		}
		if stored[row.pd]+mine+row.micros <= maxDayMicros {
			d.move(row.key, row.pd, row.micros)
			continue
		}
		drop = append(drop, i)
		r.rejectBuffered(&ingest.RowError{File: r.req.File, Line: row.line, Field: "hours", Value: hours(row.micros),
			Reason: fmt.Sprintf("more than 24 hours in one day: person %s already has %s hours on %s (%s stored, %s in earlier rows of this input); this entry's %s would make %s",
				row.person, hours(stored[row.pd]+mine), date(row.pd.day).Format(time.DateOnly), hours(stored[row.pd]), hours(mine),
				hours(row.micros), hours(stored[row.pd]+mine+row.micros))})
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

// storedEntries are the live time entries stored in a range of days.
type storedEntries struct {
	from, to int32
	entries  []storedEntry // by person-day
	keys     []uint64      // for a window (storedFor): the keys of the entries, sorted
}

// storedEntry is 32 bytes: a window of windowRows entries takes 20 MB.
type storedEntry struct {
	pd     personDay
	key    uint64
	micros int64
}

func comparePD(a, b personDay) int {
	if c := cmp.Compare(a.person, b.person); c != 0 {
		return c
	}
	return cmp.Compare(a.day, b.day)
}

// on returns the entries stored on pd.
func (s *storedEntries) on(pd personDay) []storedEntry {
	i, found := slices.BinarySearchFunc(s.entries, pd, func(e storedEntry, pd personDay) int { return comparePD(e.pd, pd) })
	if !found {
		return nil
	}
	j := i + 1
	for j < len(s.entries) && s.entries[j].pd == pd {
		j++
	}
	return s.entries[i:j]
}

// windowRows is the number of stored entries a window aims at. Each read
// passes over the whole org (see storedFor), so fewer, larger windows are
// faster: with 200,000 a 1.5M-row re-import read 11 windows.
const windowRows = 500_000

// lastDay is the last date a record may have (docs/import.md).
var lastDay = int32(time.Date(2100, 12, 31, 0, 0, 0, 0, time.UTC).Unix() / 86400)

// storedFor returns the live entries stored on the person-days asked, days
// from to to. An export read in date order reads a window of the days
// ahead, and later batches use it while their days are in it: reading a
// range costs a pass over the org's dates wherever it lies, since entries
// are sorted by key, not date. The window grows while it finds few entries
// (a first import finds none ahead) and shrinks when it finds many.
// Entries that others store meanwhile are not seen; those this import
// writes are counted from its own rows.
func (r *run) storedFor(ctx context.Context, from, to int32, asked map[personDay]bool) (*storedEntries, error) {
	d := r.dayLimit
	if !r.watchDates {
		var days strings.Builder
		for pd := range asked {
			if days.Len() > 0 {
				days.WriteByte(',')
			}
			days.WriteString(strconv.FormatUint(pd.person^uint64(pd.day), 10))
		}
		return r.readStored(ctx, from, to, days.String())
	}
	if w := d.window; w != nil && from >= w.from && to <= w.to {
		return w, nil
	}
	if d.spans == 0 {
		d.spans = 8
	}
	end := min(int64(from)+int64(to-from+1)*int64(d.spans)-1, int64(lastDay))
	w, err := r.readStored(ctx, from, max(to, int32(end)), "")
	if err != nil {
		return nil, err
	}
	switch n := len(w.keys); {
	case n < windowRows/2 && d.spans < 1<<20:
		d.spans *= 2
	case n > windowRows && d.spans > 1:
		d.spans /= 2
	}
	d.window = w
	return w, nil
}

// readStored reads the live entries stored from from to to, on the
// person-days given as a list of person hash XOR day (all when it is "").
func (r *run) readStored(ctx context.Context, from, to int32, days string) (*storedEntries, error) {
	rows, err := r.im.cfg.Store.Query(ctx, store.QueryText("day_hours"), store.Params{"org": r.req.Org,
		"from": date(from), "to": date(to), "days": days})
	if err != nil {
		return nil, err
	}
	var packed string
	if err := rows.Scan(0, &packed); err != nil {
		return nil, err
	}
	if len(packed)%storedSize != 0 {
		return nil, fmt.Errorf("day_hours: %d bytes, not whole entries of %d", len(packed), storedSize)
	}
	n := len(packed) / storedSize
	st := &storedEntries{from: from, to: to, entries: make([]storedEntry, 0, n)}
	le := binary.LittleEndian
	for b := []byte(packed); len(b) > 0; b = b[storedSize:] {
		pd := personDay{le.Uint64(b[8:]), int32(le.Uint16(b[16:]))}
		st.entries = append(st.entries, storedEntry{pd, le.Uint64(b), int64(le.Uint64(b[18:]))})
	}
	slices.SortFunc(st.entries, func(a, b storedEntry) int { return comparePD(a.pd, b.pd) })
	if days == "" {
		st.keys = make([]uint64, len(st.entries))
		for i, e := range st.entries {
			st.keys[i] = e.key
		}
		slices.Sort(st.keys)
	}
	return st, nil
}

// storedSize is the size of an entry in day_hours' result.
const storedSize = 8 + 8 + 2 + 8

// wrote reports whether this input wrote key, which the store has on pd:
// the hours this input gave it count instead.
func (d *dayLimit) wrote(key uint64, pd personDay) bool {
	if d.where != nil {
		_, ok := d.where[key]
		return ok
	}
	// An export's key names its person and day, so it is on pd if anywhere.
	_, ok := d.days[pd].get(key)
	return ok
}

// move counts key's hours on pd (none for a tombstone), and no longer where
// an earlier row of the input had put them.
func (d *dayLimit) move(key uint64, pd personDay, m int64) {
	if d.where != nil {
		if old, ok := d.where[key]; ok && old != (personDay{}) {
			if e := d.days[old]; e != nil {
				e.remove(key)
			}
		}
		d.where[key] = pd
	}
	if pd == (personDay{}) {
		return
	}
	e := d.days[pd]
	if e == nil {
		e = &dayEntries{}
		d.days[pd] = e
	}
	e.set(key, m)
}

func date(day int32) time.Time { return time.Unix(int64(day)*86400, 0).UTC() }

func hours(micros int64) string { return decimal.New(micros, -6).String() }

// rejectBuffered rejects a row that was counted as read when it was buffered.
func (r *run) rejectBuffered(e *ingest.RowError) {
	r.mu.Lock()
	r.sum.counts("time_entry").Read-- // reject counts it again
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
