package ingest

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Row is one parsed input row: a canonical record, plus for time exports the
// people, clients and projects it names, which Resolve turns into ids.
type Row struct {
	Line   int // 1-based physical line in the file where the row starts (the header is line 1)
	Record any // one canonical record by value: TimeEntry, Person, Client, ...
	Refs   *Refs
}

// Refs are what a time export says about the entry's person, client and
// project, by name, email or the source's own id. Empty fields are unknown.
type Refs struct {
	PersonID    string // the source's id of the person, when it has one
	PersonEmail string
	PersonName  string
	Role        string // Harvest "Roles" / "Department", Clockify "Group"
	Client      string // client name
	Project     string // project name
	ProjectCode string
}

// RowError is a rejected row: where it is and what is wrong with it. Parsers
// return it for a bad row and go on with the next one.
type RowError struct {
	File   string
	Line   int
	Field  string // the column or JSON field
	Value  string
	Reason string
}

func (e *RowError) Error() string {
	where := e.File
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if e.Field == "" {
		return fmt.Sprintf("%s: %s", where, e.Reason)
	}
	return fmt.Sprintf("%s: %s %q: %s", where, e.Field, truncate(e.Value, 80), e.Reason)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// FileError is a problem with the file as a whole (not UTF-8, no header,
// unknown or duplicated columns, truncated): nothing in it can be trusted.
type FileError struct {
	File   string
	Line   int
	Reason string
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Reason)
}

// Parser reads one file's rows in order. Next returns the next row; a
// *RowError for a row it rejects (the caller may go on); a *FileError when the
// rest of the file cannot be read; io.EOF at the end.
type Parser interface {
	Next() (Row, error)
}

// Options are what a parser needs to know beyond the bytes.
type Options struct {
	File      string // name used in errors
	Org       string // the org every record belongs to
	DateOrder string // "", "mdy" or "dmy": how to read ambiguous dates such as 04/05/2026
	// ForgetPastDays lets the keyer of an export drop what it knows of a
	// date once rows of a later date arrive: memory stays flat for files
	// sorted by date. The caller must then watch for a date going back and
	// read the input again without it (see Keyer).
	ForgetPastDays bool
}

// Keyer makes stable external ids for exports that have none (Harvest,
// Toggl and Clockify CSVs): a hash of the row's identifying fields plus the
// row's position among identical rows, so re-importing the same export, or an
// overlapping one, yields the same ids and adds nothing.
//
// The first field is the row's date. Identical rows share their date, so the
// keyer counts occurrences per date, and once it holds more than packAt
// hashes it packs the counts of every date but the current one into a sorted
// slice of 8 bytes a row. Exports sorted by date (as time trackers write
// them) then keep memory at 8 bytes a row whatever their size; an unsorted
// file is still numbered exactly, at some cost in time.
type Keyer struct {
	days   map[string]*dayKeys
	inMaps int    // hashes held in per-date maps
	forget bool   // drop other dates when a new one starts (Options.ForgetPastDays)
	buf    []byte // the identifying fields of the row being keyed
}

type dayKeys struct {
	m      map[uint64]uint32 // open: hash -> rows seen
	packed []uint64          // packed: sorted (hash &^ 0xff) | count, counts below 255
}

// packAt is how many hashes the keyer keeps in maps before packing.
const packAt = 1 << 18

// NewKeyer returns a Keyer for one file.
func NewKeyer() *Keyer { return &Keyer{days: map[string]*dayKeys{}} }

// NewKeyerFor returns the Keyer a parser with these options uses.
func NewKeyerFor(o Options) *Keyer {
	k := NewKeyer()
	k.forget = o.ForgetPastDays
	return k
}

// BillableFlag is how a billable flag enters a row key: "y" or "n".
func BillableFlag(billable bool) string {
	if billable {
		return "y"
	}
	return "n"
}

// IntervalKey is the key of an entry from an export that gives start and
// end times (Toggl, Clockify): its normalised date, who, what, when (start
// and end as seconds of their day, the end's date), hours and billable flag,
// so the same entry exported with another date or time format keeps its id.
func (k *Keyer) IntervalKey(source string, date time.Time, user, email, client, project, task, notes string,
	start int64, endDate time.Time, end int64, hours decimal.Decimal, billable bool) string {
	return k.Key(source, date.Format(time.DateOnly), user, email, client, project, task, notes,
		strconv.FormatInt(start, 10), endDate.Format(time.DateOnly), strconv.FormatInt(end, 10), hours.String(), BillableFlag(billable))
}

// Key returns prefix-<hash>-<n> where n counts earlier rows with the same
// fields. fields[0] should be the row's date.
func (k *Keyer) Key(prefix string, fields ...string) string {
	// One buffer and one hash call, instead of three writes a field.
	k.buf = k.buf[:0]
	for _, f := range fields {
		switch n := len(f); { // most fields are short: cheaper than AppendInt
		case n < 10:
			k.buf = append(k.buf, byte('0'+n))
		case n < 100:
			k.buf = append(k.buf, byte('0'+n/10), byte('0'+n%10))
		default:
			k.buf = strconv.AppendInt(k.buf, int64(n), 10)
		}
		k.buf = append(k.buf, ':')
		k.buf = append(k.buf, f...)
	}
	sum := sha256.Sum256(k.buf)
	hash := binary.BigEndian.Uint64(sum[:8]) &^ 0xff
	day := ""
	if len(fields) > 0 {
		day = fields[0]
	}
	d := k.days[day]
	if d == nil {
		var m map[uint64]uint32
		if k.forget {
			// A sorted file never comes back to them. The map of one,
			// emptied, serves the new date without growing again.
			for _, old := range k.days {
				if old.m != nil {
					m = old.m
					clear(m)
					break
				}
			}
			clear(k.days)
			k.inMaps = 0
		}
		if m == nil {
			m = map[uint64]uint32{}
		}
		d = &dayKeys{m: m}
		k.days[day] = d
	}
	if d.m == nil {
		k.inMaps += d.unpack()
	}
	n := d.m[hash]
	d.m[hash] = n + 1
	if n == 0 {
		k.inMaps++
	}
	if k.inMaps > packAt {
		k.packAllBut(day)
	}
	var b strings.Builder // one allocation for the whole id
	b.Grow(len(prefix) + 2 + 24 + 10)
	b.WriteString(prefix)
	b.WriteByte('-')
	var hx [24]byte
	hex.Encode(hx[:], sum[:12])
	b.Write(hx[:])
	b.WriteByte('-')
	var num [20]byte
	b.Write(strconv.AppendUint(num[:0], uint64(n), 10))
	return b.String()
}

func (k *Keyer) packAllBut(day string) {
	for name, d := range k.days {
		if name == day || d.m == nil || !d.pack() {
			continue
		}
		k.inMaps -= len(d.packed)
	}
}

// pack turns the map into a sorted slice; a date with 255 or more identical
// rows stays a map.
func (d *dayKeys) pack() bool {
	out := make([]uint64, 0, len(d.m))
	for h, n := range d.m {
		if n >= 0xff {
			return false
		}
		out = append(out, h|uint64(n))
	}
	slices.Sort(out)
	d.packed, d.m = out, nil
	return true
}

func (d *dayKeys) unpack() int {
	d.m = make(map[uint64]uint32, len(d.packed)+1)
	for _, v := range d.packed {
		d.m[v&^0xff] = uint32(v & 0xff)
	}
	n := len(d.packed)
	d.packed = nil
	return n
}
