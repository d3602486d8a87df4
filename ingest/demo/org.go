package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
	settings "github.com/opsmetrics/opsmetrics/org"
)

// Hours are counted in micro-hours (int64) until they become decimals, and
// money in ten-thousandths of the currency unit, so sums never drift.
const (
	micro        = 1_000_000
	quarterMicro = micro / 4
	maxQuarters  = 48 // 12 hours, the most anyone logs in a day
	noEnd        = math.MaxInt32
)

// Random streams of one org. Each part of the dataset draws from its own
// stream, so that, for example, a different Entries leaves people, projects
// and deliverables unchanged.
const (
	streamSetup uint64 = iota + 1
	streamDays
	streamEntries
	streamDelivery
	streamAllocations
	streamAdjustments
)

// org is one generated agency: everything but its time entries is built up
// front and kept; time entries are streamed.
type org struct {
	cfg     Config
	index   int
	id      string
	profile orgProfile
	rec     settings.Settings
	pct     int64 // price level in percent of the USD rate card

	// Calendar. Day d is histStart + d days; history is [0, histDays), the
	// forward window [histDays, allDays).
	histStart  time.Time
	start      int64 // Unix seconds of day 0 (UTC midnight)
	offset     int64 // the org's UTC offset in seconds
	histDays   int
	allDays    int
	dates      []time.Time // [0, allDays)
	workBit    []uint8     // weekday bit of each day, [0, allDays)
	holiday    []bool      // on the org calendar, [0, allDays)
	months     int         // calendar months that history touches
	monthOf    []int16     // month index of each history day
	monthFirst []int       // first day of each month; monthFirst[months] = histDays

	roles       []ingest.Role
	people      []*person
	clients     []*client
	projects    []*project
	internal    *project    // the non-billable internal project
	anchor      *project    // a long-running retainer that carries the showcase deliverables
	longRunning [3]*project // per theme, an open-ended project that absorbs people short of work
	holidays    []ingest.Holiday
	timeOff     []ingest.TimeOff
	allocations []ingest.Allocation
	delivs      []*deliverable
	retros      []retro

	// Billing. invoices[c*months+m] is client c's invoice for month m, or "".
	invoices []string
	discount []bool    // [p*months+m]: this T&M invoice line bills 90% of standard value
	lines    []lineAcc // [p*months+m]: billed T&M entries
	est      []int64   // [p*months+m]: planned billable micro-hours (from the planning pass)
	actual   []int64   // [p]: logged billable micro-hours
	errorAt  int       // project*months+month whose first billed entry gets an internal_error credit
	errorRef *entryRef

	slots   int64 // person-days with time logged
	natural int64 // time entries at natural volume

	shares []share // scratch for mix
}

func newOrg(cfg Config, index int) *org {
	o := &org{cfg: cfg, index: index, errorAt: -1}
	o.profile = orgProfiles[index%len(orgProfiles)]
	o.id = o.profile.id
	name := o.profile.name
	if index >= len(orgProfiles) {
		o.id = fmt.Sprintf("org-%04d", index+1)
		name = fmt.Sprintf("Demo Agency %04d", index+1)
	}
	o.pct = currencyPercent(o.profile.currency)
	o.offset = int64(o.profile.offset) * 3600
	o.rec = settings.Settings{ID: o.id, Name: name, TimeZone: o.profile.timeZone, Currency: o.profile.currency,
		OverheadPerHour: decimal.New(o.profile.overhead, 0)}

	o.initCalendar()
	setup := o.rng(streamSetup)
	o.initRoles()
	o.initPeople(setup)
	o.initClients(setup)
	o.staff(setup)
	o.initTimeOff(setup)
	o.plan()
	o.finishProjects(setup)
	o.initBilling(setup)
	o.initDeliverables(o.rng(streamDelivery))
	o.initAllocations(o.rng(streamAllocations))
	return o
}

// rng returns the org's random stream s, derived from the seed.
func (o *org) rng(s uint64) *rand.Rand {
	seed := splitmix(uint64(o.cfg.Seed))
	return rand.New(rand.NewPCG(seed, splitmix(seed^(uint64(o.index)<<8|s))))
}

// splitmix spreads nearby seeds apart (SplitMix64's finaliser).
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// perMille draws uniformly from [0, 1000).
func perMille(r *rand.Rand) int {
	return int(uint64(r.Uint32()) * 1000 >> 32)
}

// between draws uniformly from [lo, hi].
func between(r *rand.Rand, lo, hi int) int {
	return lo + r.IntN(hi-lo+1)
}

func currencyPercent(currency string) int64 {
	switch currency {
	case "EUR":
		return 92
	case "GBP":
		return 80
	}
	return 100
}

// price converts a USD rate card amount to the org's currency, in cents,
// rounded to a multiple of step currency units.
func (o *org) price(usd, step int64) int64 {
	cents := usd * o.pct
	unit := step * 100
	return (cents + unit/2) / unit * unit
}

// date returns day d as a date; d may lie outside the stored range.
func (o *org) date(d int) time.Time {
	if d >= 0 && d < len(o.dates) {
		return o.dates[d]
	}
	return o.histStart.AddDate(0, 0, d)
}

func (o *org) datePtr(d int) *time.Time {
	t := o.date(d)
	return &t
}

// weekday returns day d's weekday.
func (o *org) weekday(d int) time.Weekday {
	return time.Weekday((int(o.histStart.Weekday()) + d%7 + 7) % 7)
}

func (o *org) isWeekend(d int) bool {
	wd := o.weekday(d)
	return wd == time.Saturday || wd == time.Sunday
}

// monday returns the Monday on or after day d.
func (o *org) monday(d int) int {
	return d + (8-int(o.weekday(d)))%7
}

// weekdayNear moves a weekend day to the Friday before (Saturday) or the Monday after (Sunday).
func (o *org) weekdayNear(d int) int {
	switch o.weekday(d) {
	case time.Saturday:
		return d - 1
	case time.Sunday:
		return d + 1
	}
	return d
}

func (o *org) initCalendar() {
	o.histStart = o.cfg.End.AddDate(0, -o.cfg.Months, 0)
	o.start = o.histStart.Unix()
	o.histDays = int(o.cfg.End.Sub(o.histStart) / (24 * time.Hour))
	o.allDays = o.histDays + 7*o.cfg.ForwardWeeks
	o.dates = make([]time.Time, o.allDays)
	o.workBit = make([]uint8, o.allDays)
	for d := range o.dates {
		o.dates[d] = o.histStart.AddDate(0, 0, d)
		o.workBit[d] = weekdayBit(o.dates[d].Weekday())
	}

	o.monthOf = make([]int16, o.histDays)
	o.monthFirst = []int{1 - o.histStart.Day()}
	for d := 1; d < o.histDays; d++ {
		if o.dates[d].Day() == 1 {
			o.monthFirst = append(o.monthFirst, d)
		}
		o.monthOf[d] = int16(len(o.monthFirst) - 1)
	}
	o.months = len(o.monthFirst)
	o.monthFirst = append(o.monthFirst, o.histDays)

	o.holiday = make([]bool, o.allDays)
	seen := map[time.Time]bool{}
	last := o.dates[o.allDays-1]
	for y := o.histStart.Year(); y <= last.Year(); y++ {
		for _, h := range holidaysOf(o.profile.calendar, y) {
			if seen[h.date] {
				continue
			}
			seen[h.date] = true
			o.holidays = append(o.holidays, ingest.Holiday{Org: o.id, Date: h.date, Name: h.name})
			if d := int(h.date.Sub(o.histStart) / (24 * time.Hour)); d >= 0 && d < o.allDays {
				o.holiday[d] = true
			}
		}
	}
	slices.SortFunc(o.holidays, func(a, b ingest.Holiday) int { return a.Date.Compare(b.Date) })
}

// monthDate is the first day of month m.
func (o *org) monthDate(m int) time.Time {
	return date(o.histStart.Year(), o.histStart.Month()+time.Month(m), 1)
}

func decimalPtr(v int64, exp int32) *decimal.Decimal {
	d := decimal.New(v, exp)
	return &d
}

// formatID renders prefix and n zero-padded to at least width digits.
func formatID(prefix string, n, width int) string {
	digits := 1
	for x := n; x >= 10; x /= 10 {
		digits++
	}
	var buf [32]byte
	b := append(buf[:0], prefix...)
	for ; digits < width; digits++ {
		b = append(b, '0')
	}
	return string(strconv.AppendInt(b, int64(n), 10))
}

func (o *org) meta(id string) ingest.Meta {
	return ingest.Meta{Org: o.id, Source: Source, ExternalID: id}
}
