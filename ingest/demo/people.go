package demo

import (
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// person is one employee and their effective-dated versions.
type person struct {
	id         string
	name       string
	email      string
	role       int
	team       string
	start, end int // employment [start, end), in days; end is noEnd while employed
	versions   []version
	assign     []assignment
	off        []offSpan // sorted and disjoint
	offNext    int       // cursor into off while walking days in order
	billOwed   int64     // billable micro-hours due and not yet logged, while streaming entries
}

// version is what holds for a person from day from on.
type version struct {
	from     int
	workdays uint8
	weekly   int64 // micro-hours
	daily    int64 // micro-hours per workday
	bill     *rate
	cost     *decimal.Decimal
	target   int64 // utilization target per mille
}

// versionOn returns the version in force on day d.
func (p *person) versionOn(d int) *version {
	v := &p.versions[0]
	for i := 1; i < len(p.versions); i++ {
		if d >= p.versions[i].from {
			v = &p.versions[i]
		}
	}
	return v
}

// offOn reports time off on day d: -1 for a full day, else the micro-hours
// off (0 for none). Calls must come in increasing d.
func (p *person) offOn(d int) int64 {
	for p.offNext < len(p.off) && p.off[p.offNext].last < d {
		p.offNext++
	}
	if p.offNext == len(p.off) || p.off[p.offNext].first > d {
		return 0
	}
	if h := p.off[p.offNext].hours; h > 0 {
		return h
	}
	return -1
}

// offSpan is time off, both days inclusive; hours 0 means full days.
type offSpan struct {
	first, last int
	hours       int64
}

// initRoles writes the rate card: a bill rate, cost rate and utilization
// target per role, in force since the start of the year before history.
func (o *org) initRoles() {
	from := date(o.histStart.Year()-1, time.January, 1)
	for _, rp := range roleProfiles {
		bill := decimal.New(o.price(rp.bill, 5), -2)
		cost := decimal.New(o.price(rp.cost, 1), -2)
		target := decimal.New(rp.target, -3)
		o.roles = append(o.roles, ingest.Role{Org: o.id, Role: rp.name, ValidFrom: from,
			BillRate: &bill, CostRate: &cost, UtilizationTarget: &target})
	}
}

// initPeople hires the staff in blocks of 18 (see staffing): most joined
// before history; two join during it, one leaves, one gets a raise and one
// goes part-time (each a second version from half way through history).
func (o *org) initPeople(r *rand.Rand) {
	firstShift, lastShift := r.IntN(len(firstNames)), r.IntN(len(lastNames))
	pairs := len(firstNames) * len(lastNames)
	// Story dates: a change about half way through history, a leaver at 60%.
	changeDay, leaveDay := -1, -1
	if o.months >= 3 {
		changeDay = o.monthFirst[o.months/2]
		leaveDay = o.monthFirst[o.months*3/5]
	}
	for i := range o.cfg.People {
		slot := i % blockSize
		st := staffing[slot]
		if i >= blockSize && st.role == roleCD {
			st.role = roleDesigner // one creative director per agency
		}
		first, last := firstNames[(i+firstShift)%len(firstNames)], lastNames[(i+lastShift)%len(lastNames)]
		local := asciiLower(first) + "." + asciiLower(last)
		if i >= pairs {
			local += strconv.Itoa(i / pairs)
		}
		p := &person{id: formatID("p-", i+1, 4), name: first + " " + last,
			email: local + "@" + o.id + ".example", role: st.role, team: st.team, end: noEnd}
		p.start = -between(r, 60, 6*365)
		switch {
		case slot == slotHireEarly && o.histDays >= 90:
			p.start = o.monday(o.histDays / 3)
		case slot == slotHireLate && o.histDays >= 90:
			p.start = o.monday(o.histDays * 2 / 3)
		case slot == slotLeaver && leaveDay > 0:
			p.end = leaveDay
		}

		rp := roleProfiles[st.role]
		bill := o.price(rp.bill, 5)
		if r.IntN(4) == 0 { // a senior or a junior on the role's rate card
			bill += o.price(10, 5) * int64(1-2*r.IntN(2))
		}
		cost := o.price(rp.cost, 1) * int64(between(r, 90, 112)) / 100
		target := rp.target
		if slot == 2 {
			target = 800 // a senior designer held to a higher target
		}
		v := version{from: p.start, workdays: monToFri, weekly: 40 * micro, bill: newRate(bill),
			cost: decimalPtr(cost, -2), target: target}
		switch slot {
		case slotPartTime24:
			v.workdays, v.weekly = tueToThu, 24*micro
		case slotPartTime32:
			v.weekly = 32 * micro
		case slotGoesPartTime:
			if changeDay <= p.start {
				v.workdays, v.weekly = monToThu, 32*micro
			}
		}
		p.versions = []version{v}
		switch {
		case slot == slotGoesPartTime && changeDay > p.start:
			v.from, v.workdays, v.weekly = changeDay, monToThu, 32*micro
			p.versions = append(p.versions, v)
		case slot == slotRaise && changeDay > p.start:
			v.from = changeDay
			v.bill = newRate(bill + o.price(10, 5))
			v.cost = decimalPtr(cost*108/100, -2)
			p.versions = append(p.versions, v)
		}
		for j := range p.versions {
			v := &p.versions[j]
			v.daily = v.weekly / int64(bits.OnesCount8(v.workdays))
		}
		o.people = append(o.people, p)
	}
}

// asciiLower lowercases a name for an email address, dropping accents.
func asciiLower(s string) string {
	var b strings.Builder
	for _, c := range strings.ToLower(s) {
		switch c {
		case 'á', 'à', 'â', 'ä':
			c = 'a'
		case 'é', 'è', 'ê':
			c = 'e'
		case 'ö', 'ó':
			c = 'o'
		case 'ü', 'ú':
			c = 'u'
		}
		if c < 'a' || c > 'z' {
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

// initTimeOff books vacations (also into the forward window), sick days in
// history, one half day, and makes sure some leave spans a public holiday.
func (o *org) initTimeOff(r *rand.Rand) {
	for _, p := range o.people {
		from, to := max(p.start, 0), min(p.end, o.allDays) // employed days in range
		if from >= to {
			continue
		}
		book := func(first, last int, hours int64) {
			first, last = max(first, from), min(last, to-1)
			if first > last || p.overlapsOff(first, last) {
				return
			}
			p.off = append(p.off, offSpan{first: first, last: last, hours: hours})
		}
		for y := o.date(from).Year(); y <= o.date(to-1).Year(); y++ {
			dayOf := func(m time.Month, day int) int { return int(date(y, m, day).Sub(o.histStart) / (24 * time.Hour)) }
			summer := o.monday(dayOf(time.June, 1) + r.IntN(80))
			book(summer, summer+7*between(r, 1, 2)-3, 0)
			if r.IntN(2) == 0 {
				spring := o.monday(dayOf(time.March, 1) + r.IntN(70))
				book(spring, spring+4, 0)
			}
			if perMille(r) < 550 {
				book(dayOf(time.December, 22), dayOf(time.December, 31)+2, 0)
			}
			for range between(r, 1, 2) { // a long weekend
				d := o.monday(dayOf(time.January, 10) + r.IntN(330))
				if r.IntN(2) == 0 {
					d -= 3 // the Friday before
				}
				book(d, d, 0)
			}
			for range between(r, 2, 5) { // sick days happen, they are not booked ahead
				d := dayOf(time.January, 1) + r.IntN(365)
				if d >= o.histDays || o.isWeekend(d) {
					continue
				}
				last := d
				if perMille(r) < 150 {
					last = d + between(r, 1, 2)
				}
				book(d, last, 0)
			}
		}
		slices.SortFunc(p.off, func(a, b offSpan) int { return a.first - b.first })
	}
	o.bookHalfDay(r)
	o.bookHolidayOverlap()

	n := 0
	for _, p := range o.people {
		for _, s := range p.off {
			n++
			rec := ingest.TimeOff{Meta: o.meta(formatID("to-", n, 5)), PersonID: p.id,
				StartDate: o.date(s.first), EndDate: o.date(s.last)}
			if s.hours > 0 {
				rec.HoursPerDay = decimalPtr(s.hours/micro, 0)
			}
			o.timeOff = append(o.timeOff, rec)
		}
	}
}

func (p *person) overlapsOff(first, last int) bool {
	for _, s := range p.off {
		if s.first <= last && first <= s.last {
			return true
		}
	}
	return false
}

// bookHalfDay gives one person a half day off (a dentist, a school play).
func (o *org) bookHalfDay(r *rand.Rand) {
	for _, p := range o.people {
		d := between(r, 0, max(0, o.histDays-1))
		d = o.weekdayNear(d)
		if d < 0 || d >= o.histDays || d < p.start || d >= p.end || o.holiday[d] ||
			p.versionOn(d).daily <= 4*micro || p.overlapsOff(d, d) {
			continue
		}
		p.off = append(p.off, offSpan{first: d, last: d, hours: 4 * micro})
		slices.SortFunc(p.off, func(a, b offSpan) int { return a.first - b.first })
		return
	}
}

// bookHolidayOverlap makes sure some leave spans a public holiday, as leave
// around Christmas usually does; KPIs must not count that day twice.
func (o *org) bookHolidayOverlap() {
	for _, p := range o.people {
		for _, s := range p.off {
			for d := s.first; d <= s.last; d++ {
				if o.holiday[d] && !o.isWeekend(d) {
					return
				}
			}
		}
	}
	for d := range o.allDays {
		if !o.holiday[d] || o.isWeekend(d) {
			continue
		}
		first := d - (int(o.weekday(d))+6)%7 // that week's Monday
		for _, p := range o.people {
			if first >= max(p.start, 0) && first+4 < min(p.end, o.allDays) && !p.overlapsOff(first, first+4) {
				p.off = append(p.off, offSpan{first: first, last: first + 4})
				slices.SortFunc(p.off, func(a, b offSpan) int { return a.first - b.first })
				return
			}
		}
	}
}

func (o *org) personRecords() []ingest.Person {
	var recs []ingest.Person
	for _, p := range o.people {
		start := o.datePtr(p.start)
		var end *time.Time
		if p.end != noEnd {
			end = o.datePtr(p.end)
		}
		for _, v := range p.versions {
			recs = append(recs, ingest.Person{Meta: o.meta(p.id), ValidFrom: o.date(v.from), Name: p.name,
				Email: p.email, Role: roleProfiles[p.role].name, Team: p.team,
				WeeklyCapacityHours: decimal.New(v.weekly/micro, 0), Workdays: v.workdays,
				CostRate: v.cost, BillRate: v.bill.dec, UtilizationTarget: decimalPtr(v.target, -3),
				StartDate: start, EndDate: end})
		}
	}
	return recs
}
