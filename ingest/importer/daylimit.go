package importer

import (
	"cmp"
	"context"
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

// written is where this input put a key's hours.
type written struct {
	pd     personDay // the zero value for a tombstone
	micros int64
}

// dayLimit rejects a time entry that would take its person past 24 hours in
// a day, counting the entries stored on that day and those this input wrote
// before it; an entry that replaces a stored one (same source and
// external_id) counts once.
//
// It remembers what this input wrote: the hours per person-day, and where
// each key's hours went, so that a key given again replaces them. An export
// read in date order forgets the days before each batch, as its keyer does;
// other inputs keep every day, and keep where each key's hours went in the
// store (spill): keys holds the keys of the batch being checked alone, and
// of the stored entries on its person-days.
type dayLimit struct {
	people map[string]string   // interned person ids: a record's strings hold its whole input line
	days   map[personDay]int64 // hours in millionths
	keys   map[uint64]written
	spill  *spill          // nil for an export read in date order, whose keys forget past days
	window *storedEntries  // an export read in date order: the stored entries of the days ahead
	length int32           // the next window's length in days
	next   chan windowRead // the window after, being read

	stored  map[personDay]int64 // checkDays' maps, kept for the next batch
	inBatch map[uint64]bool
	persons map[string]bool // the batch's people, when it asks for its own person-days
	hashes  []uint64        // load's and save's buffers, one batch's worth
	states  []spillRow
}

func newDayLimit() *dayLimit {
	return &dayLimit{people: map[string]string{}, days: map[personDay]int64{}, keys: map[uint64]written{},
		stored: map[personDay]int64{}, inBatch: map[uint64]bool{}, persons: map[string]bool{}}
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
	if p == nil {
		return nil
	}
	d := r.dayLimit
	// The batch's person-days, and its keys, whose stored versions it
	// replaces. The maps serve every batch: allocating them again cost more
	// than using them.
	var from, to int32
	stored, inBatch, persons := d.stored, d.inBatch, d.persons // the hours stored on each person-day the batch has
	clear(stored)
	clear(inBatch)
	clear(persons)
	for _, row := range p.days {
		inBatch[row.key] = true
		if row.deleted {
			continue
		}
		if len(stored) == 0 || row.pd.day < from {
			from = row.pd.day
		}
		to = max(to, row.pd.day)
		stored[row.pd] = 0
		if !r.watchDates {
			persons[row.person] = true
		}
	}
	var st *storedEntries
	if len(stored) > 0 { // else the batch holds tombstones alone
		var err error
		if st, err = r.storedFor(ctx, from, to, stored, persons); err != nil {
			return err
		}
	}
	if err := d.load(ctx, p.days, st, stored); err != nil {
		return err
	}
	if st != nil {
		for pd := range stored {
			for _, e := range st.on(pd) {
				if !inBatch[e.key] && !d.wrote(e.key) {
					stored[pd] += e.micros
				}
			}
		}
		if st.keys != nil {
			// An export's new/updated split: its keys are distinct, so a
			// stored key was stored before this import.
			for i, row := range p.days {
				_, p.rows[i].stored = slices.BinarySearch(st.keys, row.key)
			}
			p.storedKnown = true
		}
	}

	var drop []int
	for i, row := range p.days {
		if row.deleted {
			d.move(row.key, personDay{}, 0)
			continue
		}
		mine := d.days[row.pd] // what this input wrote on the day, without an earlier row with this key
		if old, ok := d.keys[row.key]; ok && old.pd == row.pd {
			mine -= old.micros
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
	if d.spill != nil && !r.final {
		return d.save(ctx)
	}
	if r.watchDates {
		// Sorted by date: no later batch comes back to a day before its last.
		for pd := range d.days {
			if pd.day < to {
				delete(d.days, pd)
			}
		}
		for k, w := range d.keys {
			if w.pd.day < to {
				delete(d.keys, k)
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
// faster; a window takes 32 bytes an entry here, plus its keys, and about
// 100 MB in the engine while it is read (docs/benchmarks.md). A variable
// so that tests can read in many small windows.
var windowRows int64 = 500_000

// lastDay is the last date a record may have (docs/import.md).
var lastDay = int32(time.Date(2100, 12, 31, 0, 0, 0, 0, time.UTC).Unix() / 86400)

// storedFor returns the live entries stored on the person-days asked, days
// from to to. An export read in date order reads a window of the days
// ahead, and later batches use it while their days are in it: reading a
// range costs a pass over the org's dates wherever it lies, since entries
// are sorted by key, not date. As soon as a window is in use, the next one
// is read in the background (read from the middle on, the reads kept the
// importer waiting: they take 0.2-1.4 s while the inserts compete for the
// cores). A window grows while it
// finds few entries (a first import finds none ahead) and shrinks when it
// finds many. Entries that others store meanwhile are not seen; those this
// import writes are counted from its own rows.
func (r *run) storedFor(ctx context.Context, from, to int32, asked map[personDay]int64, persons map[string]bool) (*storedEntries, error) {
	d := r.dayLimit
	if !r.watchDates {
		var days, people strings.Builder
		for pd := range asked {
			if days.Len() > 0 {
				days.WriteByte(',')
			}
			days.WriteString(strconv.FormatUint(pd.person^uint64(pd.day), 10))
		}
		for p := range persons {
			if strings.Contains(p, "\n") {
				people.Reset() // an id the list cannot hold: the person-days alone select
				break
			}
			if people.Len() > 0 {
				people.WriteByte('\n')
			}
			people.WriteString(p)
		}
		return r.readStored(ctx, from, to, days.String(), people.String())
	}
	if w := d.window; w != nil && from >= w.from && to <= w.to {
		if d.next == nil && w.to < lastDay {
			// The next window starts where the first batch this one does not
			// cover may start: later batches start on this batch's last day
			// or after, and one that runs past this window starts within
			// about a batch's span of its end (else it is read then).
			start := max(to, w.to-2*(to-from+1)+1)
			next, end := make(chan windowRead, 1), d.windowEnd(start)
			go func() {
				w, err := r.readStored(ctx, start, end, "", "")
				next <- windowRead{w, err}
			}()
			d.next = next
		}
		return w, nil
	}
	if d.next != nil {
		read := <-d.next
		d.next = nil
		if read.err != nil {
			return nil, read.err
		}
		d.resize(read.w)
		if from >= read.w.from && to <= read.w.to {
			d.window = read.w
			return read.w, nil
		}
	}
	if d.length == 0 {
		if err := r.firstWindow(ctx, from, to); err != nil {
			return nil, err
		}
	}
	w, err := r.readStored(ctx, from, max(to, d.windowEnd(from)), "", "")
	if err != nil {
		return nil, err
	}
	d.resize(w)
	d.window = w
	return w, nil
}

// windowRead is the outcome of reading a window in the background.
type windowRead struct {
	w   *storedEntries
	err error
}

// windowEnd is the last day of a window from from.
func (d *dayLimit) windowEnd(from int32) int32 {
	return int32(min(int64(from)+int64(d.length)-1, int64(lastDay)))
}

// firstWindow sizes the first window from how many entries the org stores
// from the batch's first day on: about windowRows entries if they are spread
// evenly over their days, all of them when there are fewer, and everything
// ahead when there are none (a first import then reads once).
func (r *run) firstWindow(ctx context.Context, from, to int32) error {
	rows, err := r.im.cfg.Store.Query(ctx, store.QueryText("day_hours_ahead"), store.Params{"org": r.req.Org, "from": date(from)})
	if err != nil {
		return err
	}
	var n uint64
	var last time.Time
	if err := rows.Scan(0, &n, &last); err != nil {
		return err
	}
	days := int64(max(int32(last.Unix()/86400), to) - from + 1)
	d := r.dayLimit
	if int64(n) <= windowRows {
		d.length = lastDay - from + 1
	} else {
		d.length = int32(max(days*windowRows/int64(n), int64(to-from+1)))
	}
	return nil
}

// resize makes the next window as long as would hold about windowRows of
// the entries w found, were they spread alike (all the days ahead when it
// found none).
func (d *dayLimit) resize(w *storedEntries) {
	days, n := int64(w.to-w.from+1), int64(len(w.keys))
	d.length = int32(min(max(days*windowRows/max(n, 1), 1), int64(lastDay)))
}

// drain waits for a window being read in the background: nothing may use
// the store after the import returns.
func (d *dayLimit) drain() {
	if d.next != nil {
		<-d.next
		d.next = nil
	}
}

// readStored reads the live entries stored from from to to, on the
// person-days given as a list of person hash XOR day, of the people given
// one a line (all when both are "").
func (r *run) readStored(ctx context.Context, from, to int32, days, persons string) (*storedEntries, error) {
	rows, err := r.im.cfg.Store.Query(ctx, store.QueryText("day_hours"), store.Params{"org": r.req.Org,
		"from": date(from), "to": date(to), "days": days, "persons": persons})
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
	// The latest version of each key, unless it is a tombstone: the rows
	// come by key, the latest version first.
	n := len(packed) / storedSize
	st := &storedEntries{from: from, to: to, entries: make([]storedEntry, 0, n)}
	var prev uint64
	for i := 0; i < len(packed); i += storedSize {
		b := packed[i:]
		key := le64(b)
		if (i > 0 && key == prev) || b[34] != 0 {
			prev = key
			continue // an older version, or the key is deleted
		}
		prev = key
		pd := personDay{le64(b[16:]), int32(uint16(b[24]) | uint16(b[25])<<8)}
		st.entries = append(st.entries, storedEntry{pd, key, int64(le64(b[26:]))})
	}
	if days == "" {
		st.keys = make([]uint64, len(st.entries)) // sorted, as the rows came
		for i, e := range st.entries {
			st.keys[i] = e.key
		}
	}
	slices.SortFunc(st.entries, func(a, b storedEntry) int { return comparePD(a.pd, b.pd) })
	return st, nil
}

// storedSize is the size of a row in day_hours' result.
const storedSize = 8 + 8 + 8 + 2 + 8 + 1

// le64 reads a little-endian uint64 at the start of s, which a []byte copy
// of the whole window would cost as much memory again to read.
func le64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// load empties keys and fills it with where earlier batches put the hours
// of the keys of rows and of the entries st stores on the person-days asked:
// those a batch moves, and those whose stored hours it must not count when
// this input wrote them. An export read in date order keeps its keys.
func (d *dayLimit) load(ctx context.Context, rows []dayRow, st *storedEntries, asked map[personDay]int64) error {
	if d.spill == nil {
		return nil
	}
	clear(d.keys)
	d.hashes = d.hashes[:0]
	for _, row := range rows {
		d.hashes = append(d.hashes, row.key)
	}
	if st != nil {
		for pd := range asked {
			for _, e := range st.on(pd) {
				d.hashes = append(d.hashes, e.key)
			}
		}
	}
	return d.spill.load(ctx, spillDay, d.hashes, func(key uint64, r spillRow) {
		d.keys[key] = written{personDay{r.person, r.day}, r.value}
	})
}

// save writes keys, where the batch left the hours of its keys, for the
// batches after it.
func (d *dayLimit) save(ctx context.Context) error {
	d.hashes, d.states = d.hashes[:0], d.states[:0]
	for k, w := range d.keys {
		d.hashes = append(d.hashes, k)
		d.states = append(d.states, spillRow{value: w.micros, person: w.pd.person, day: w.pd.day})
	}
	return d.spill.write(ctx, spillDay, d.hashes, d.states)
}

// wrote reports whether this input wrote key: the hours it gave it count
// instead of the stored ones.
func (d *dayLimit) wrote(key uint64) bool {
	_, ok := d.keys[key]
	return ok
}

// move counts key's hours on pd (none for a tombstone), and no longer where
// an earlier row of the input had put them.
func (d *dayLimit) move(key uint64, pd personDay, m int64) {
	if old, ok := d.keys[key]; ok && old.pd != (personDay{}) {
		d.days[old.pd] -= old.micros
	}
	d.keys[key] = written{pd, m}
	if pd != (personDay{}) {
		d.days[pd] += m
	}
}

func date(day int32) time.Time { return time.Unix(int64(day)*86400, 0).UTC() }

func hours(micros int64) string { return decimal.New(micros, -6).String() }

// rejectBuffered rejects a row that was counted as read and valid when it
// was buffered.
func (r *run) rejectBuffered(e *ingest.RowError) {
	r.mu.Lock()
	c := r.sum.counts("time_entry")
	c.Read-- // reject counts it again
	c.Valid--
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
