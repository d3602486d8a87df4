package demo

import (
	"math"
	"math/rand/v2"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// emitEntries streams every org's time entries, reusing one chunk buffer.
// With spread.entries > 0 each person-day gets its share of Entries instead
// of its natural count.
func emitEntries(out *emitter, orgs []*org, spread *spreader) error {
	total := spread.entries
	if total == 0 {
		spread = nil
		for _, o := range orgs {
			total += o.natural
		}
	}
	b := newBatch[ingest.TimeEntry](out, int(min(total, ChunkSize)))
	var quarters [maxQuarters + 1]decimal.Decimal
	for q := range quarters {
		quarters[q] = decimal.New(int64(q)*25, -2)
	}
	onboarding := []string{"onboarding"}
	for _, o := range orgs {
		g := &entryGen{o: o, r: o.rng(streamEntries), b: b, spread: spread, quarters: &quarters, onboarding: onboarding}
		for _, p := range o.projects {
			p.delivNext, p.cacheDay = 0, math.MinInt32
		}
		for _, p := range o.people {
			p.billOwed = 0
			for i := range p.assign {
				p.assign[i].owed = 0
			}
		}
		if err := o.walk(g.personDay); err != nil {
			return err
		}
	}
	return b.flush()
}

// entryGen turns one org's person-days into time entries.
type entryGen struct {
	o          *org
	r          *rand.Rand
	b          *batch[ingest.TimeEntry]
	spread     *spreader // nil at natural volume
	seq        int
	quarters   *[maxQuarters + 1]decimal.Decimal // 0.25 h steps, shared by all entries
	parts      [8]int64
	onboarding []string
}

// personDay splits the hours person p logged on day d into entries.
func (g *entryGen) personDay(d int, p *person, v *version, hours int64, natural int) error {
	k := natural
	if g.spread != nil {
		k = g.spread.next()
	}
	if k == 0 {
		return nil
	}
	billable, shares := g.o.mix(p, d, hours)

	// Quarter hours unless there are more entries than quarters (benchmark
	// volumes); then hundredths, and so on down to micro-hours.
	unit := int64(quarterMicro)
	for _, u := range [...]int64{10_000, 100, 1} {
		if hours/unit >= int64(k) {
			break
		}
		unit = u
	}
	n := hours / unit
	base, extra := n/int64(k), n%int64(k)
	uneven := unit == quarterMicro && k <= len(g.parts)
	if uneven { // people log a long block and a few short ones, not equal slices
		for j := range k {
			g.parts[j] = base
			if int64(j) < extra {
				g.parts[j]++
			}
		}
		for j := 0; j+1 < k; j++ {
			t := g.r.Int64N(min(g.parts[j], g.parts[j+1]))
			if g.r.IntN(2) == 0 {
				t = -t
			}
			g.parts[j] += t
			g.parts[j+1] -= t
		}
	}
	for j := range k {
		units := base
		if uneven {
			units = g.parts[j]
		} else if int64(j) < extra {
			units++
		}
		if err := g.entry(d, p, v, hours, billable, shares, units, unit); err != nil {
			return err
		}
	}
	return nil
}

// entry appends one time entry of units*unit micro-hours; it is billable
// with the day's billable share of dayHours and lands on a project as shares say.
func (g *entryGen) entry(d int, p *person, v *version, dayHours, billableHours int64, shares []share, units, unit int64) error {
	o, r := g.o, g.r
	hoursMicro := units * unit
	quarters := 0
	var hours decimal.Decimal
	if unit == quarterMicro && units <= maxQuarters {
		quarters = int(units)
		hours = g.quarters[units]
	} else {
		hours = decimal.New(hoursMicro, -6)
	}

	// Billable client work at the day's share, the rest mostly internal and
	// some non-billable time on client projects. Hours owed carry over from
	// entry to entry, so a month's hours per project track the plan closely.
	pr, billable := o.internal, false
	if billableHours > 0 {
		p.billOwed += hoursMicro * billableHours / dayHours
		if 2*p.billOwed >= hoursMicro {
			p.billOwed -= hoursMicro
			pr, billable = owedMost(shares, hoursMicro, billableHours), true
		} else if perMille(r) < 200 {
			pr = shares[r.IntN(len(shares))].a.project
		}
	}
	var task, note, phase, deliv string
	var tags []string
	switch {
	case billable:
		tasks, notes := roleTasks[p.role], roleNotes[p.role]
		task, note = tasks[r.IntN(len(tasks))], notes[r.IntN(len(notes))]
		if d < pr.onboarding {
			tags = g.onboarding
			if r.IntN(2) == 0 {
				task, note = "Onboarding", "Kickoff and discovery"
			}
		}
		if len(pr.delivs) > 0 && perMille(r) < 650 {
			if dv, ph := o.deliverableOn(pr, d); dv != nil {
				deliv, phase = dv.id, phaseNames[ph]
			}
		}
	case pr == o.internal:
		task, note = internalTasks[r.IntN(len(internalTasks))], internalNotes[r.IntN(len(internalNotes))]
	default:
		task = clientOverheadTasks[r.IntN(len(clientOverheadTasks))]
		if d < pr.onboarding {
			tags = g.onboarding
		}
	}

	g.seq++
	e := g.b.next()
	*e = ingest.TimeEntry{
		Meta:          ingest.Meta{Org: o.id, Source: Source, ExternalID: formatID("te-", g.seq, 6)},
		PersonID:      p.id,
		Date:          o.dates[d],
		Hours:         hours,
		ProjectID:     pr.id,
		ClientID:      pr.client.id,
		Task:          task,
		Notes:         note,
		Billable:      billable,
		CostRate:      v.cost,
		BillingStatus: ingest.Unbilled,
		Currency:      o.profile.currency,
		Tags:          tags,
		Phase:         phase,
		DeliverableID: deliv,
	}
	if billable {
		g.bill(e, d, v, pr, hoursMicro, quarters)
	}
	return g.b.flushIfFull()
}

// bill sets the billing state of a billable entry from its client-month's
// invoice: a few percent are written off, invoiced months bill the rest.
func (g *entryGen) bill(e *ingest.TimeEntry, d int, v *version, pr *project, hoursMicro int64, quarters int) {
	o := g.o
	rt := v.bill
	if pr.rate != nil {
		rt = pr.rate
	}
	e.BillRate = rt.dec
	m := int(o.monthOf[d])
	i := pr.index*o.months + m
	o.actual[pr.index] += hoursMicro
	invoice := o.invoices[pr.client.index*o.months+m]
	x := perMille(g.r)
	switch {
	case invoice == "" && x < 15, invoice != "" && x < 30:
		e.BillingStatus = ingest.WrittenOff
		return
	case invoice == "" || x < 36: // not invoiced yet, or missed on the invoice
		return
	}
	a4, amount := rt.amount(hoursMicro, quarters, o.discount[i])
	e.BillingStatus, e.InvoiceID, e.BilledAmount = ingest.Billed, invoice, amount
	if pr.kind == ingest.KindTM {
		line := &o.lines[i]
		line.hours += hoursMicro
		line.amount += a4
		line.entries++
		if o.discount[i] || line.entries <= maxLineIDs {
			line.ids = append(line.ids, e.ExternalID)
		} else {
			line.ids = nil // too many to list: the line names no entries at all
		}
	}
	if i == o.errorAt && o.errorRef == nil {
		o.errorRef = &entryRef{id: e.ExternalID, person: e.PersonID, project: pr, day: d, hours: e.Hours, amount: amount}
	}
}

// owedMost books a billable entry of hoursMicro, out of the day's billable
// total, on the assignment that is owed the most once each got its share of it.
func owedMost(shares []share, hoursMicro, total int64) *project {
	best := &shares[0]
	for i := range shares {
		s := &shares[i]
		s.a.owed += hoursMicro * s.micro / total
		if s.a.owed > best.a.owed {
			best = s
		}
	}
	best.a.owed -= hoursMicro
	return best.a.project
}

// deliverableOn returns the deliverable of project p being worked on on day
// d, the newest one created and not yet delivered, and its phase. Calls for
// one project must come in increasing d.
func (o *org) deliverableOn(p *project, d int) (*deliverable, uint8) {
	if p.cacheDay == d {
		return p.cacheDeliv, p.cachePhase
	}
	for p.delivNext < len(p.delivs) && p.delivs[p.delivNext].created <= d {
		p.delivNext++
	}
	p.cacheDay, p.cacheDeliv, p.cachePhase = d, nil, 0
	for i := p.delivNext - 1; i >= 0 && i >= p.delivNext-3; i-- {
		if dv := p.delivs[i]; dv.delivered == 0 || dv.deliveredDay >= d {
			p.cacheDeliv, p.cachePhase = dv, dv.phaseOn(d)
			break
		}
	}
	return p.cacheDeliv, p.cachePhase
}
