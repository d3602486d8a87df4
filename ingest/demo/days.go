package demo

import (
	"math/rand/v2"
)

// dayWork decides what person p logs on history day d: the micro-hours (a
// whole number of quarter hours) and the number of entries at natural
// volume. ok is false when p does not work that day or logs nothing. It
// draws from r only on workdays, identically in every pass.
func (o *org) dayWork(r *rand.Rand, p *person, d int) (v *version, hours int64, natural int, ok bool) {
	if d < p.start || d >= p.end || o.holiday[d] {
		return nil, 0, 0, false
	}
	v = p.versionOn(d)
	if v.workdays&o.workBit[d] == 0 {
		return nil, 0, 0, false
	}
	avail := v.daily
	switch off := p.offOn(d); {
	case off < 0:
		return nil, 0, 0, false
	case off > 0:
		avail -= off
	}
	mode, fill, count := perMille(r), between(r, 870, 1000)+r.IntN(61), perMille(r)
	switch {
	case mode < 25 || avail <= 0: // forgot the timesheet
		return nil, 0, 0, false
	case mode < 85: // a crunch day
		fill = between(r, 1100, 1300)
	}
	q := (avail*int64(fill)/1000 + quarterMicro/2) / quarterMicro
	q = min(max(q, 1), maxQuarters)
	switch {
	case count < 50:
		natural = 1
	case count < 350:
		natural = 2
	case count < 750:
		natural = 3
	case count < 960:
		natural = 4
	default:
		natural = 5
	}
	return v, q * quarterMicro, min(natural, int(q)), true
}

// walk calls fn for every person-day with time logged, day by day, in
// person order, with the same decisions on every walk.
func (o *org) walk(fn func(d int, p *person, v *version, hours int64, natural int) error) error {
	r := o.rng(streamDays)
	for _, p := range o.people {
		p.offNext = 0
	}
	for d := range o.histDays {
		for _, p := range o.people {
			v, hours, natural, ok := o.dayWork(r, p, d)
			if !ok {
				continue
			}
			if err := fn(d, p, v, hours, natural); err != nil {
				return err
			}
		}
	}
	return nil
}

// mix splits person p's billable time on day d, of hours logged: retainers
// get their daily demand first and other projects share the rest by weight.
// With only retainers to work on, up to a fifth more time creeps into them
// (over-servicing) and the rest is bench time. It returns the billable
// micro-hours and their split, valid until the next call.
func (o *org) mix(p *person, d int, hours int64) (int64, []share) {
	budget := hours * int64(roleProfiles[p.role].billable) / 1000
	var demand int64
	others := 0
	for _, a := range p.assign {
		if !a.project.activeOn(d) {
			continue
		}
		if a.demand > 0 {
			demand += a.demand
		} else {
			others += a.weight
		}
	}
	o.shares = o.shares[:0]
	if demand == 0 && others == 0 {
		return 0, nil
	}
	spare := max(budget-demand, 0)
	var total int64
	for i := range p.assign {
		a := &p.assign[i]
		if !a.project.activeOn(d) {
			continue
		}
		var micro int64
		switch {
		case a.demand == 0:
			micro = spare * int64(a.weight) / int64(others)
		case demand > budget:
			micro = a.demand * budget / demand
		case others == 0:
			micro = a.demand + min(spare, demand)/5*a.demand/demand
		default:
			micro = a.demand
		}
		o.shares = append(o.shares, share{a: a, micro: micro})
		total += micro
	}
	return total, o.shares
}

// plan is the first pass over the person-days: it counts them and estimates
// each project's billable load, which sizes fixed-fee budgets.
func (o *org) plan() {
	o.est = make([]int64, len(o.projects)*o.months)
	o.walk(func(d int, p *person, _ *version, hours int64, natural int) error {
		o.slots++
		o.natural += int64(natural)
		_, shares := o.mix(p, d, hours)
		m := int(o.monthOf[d])
		for _, s := range shares {
			o.est[s.a.project.index*o.months+m] += s.micro
		}
		return nil
	})
}
