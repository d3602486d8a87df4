package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// Phases of the operating loop (spec/kpis.md §9), in order.
const (
	phaseIntake uint8 = iota
	phaseBrief
	phaseProduction
	phaseInternalReview
	phaseClientReview
	phaseDelivered
	phaseReported
)

var phaseNames = [...]string{"intake", "brief", "production", "internal_review", "client_review", "delivered", "reported"}

// statusNames are the task tool's column names for each phase.
var statusNames = [...]string{"Intake", "Brief", "In Progress", "Internal Review", "Client Review", "Delivered", "Reported"}

// Kinds of deliverable events.
const (
	evCreated uint8 = iota
	evAssigned
	evStatus
	evDueChanged
	evReviewRequested
	evChangesRequested
	evApproved
	evDelivered
)

var eventTypes = [...]string{
	evCreated:          ingest.EventCreated,
	evAssigned:         "assigned",
	evStatus:           ingest.EventStatusChanged,
	evDueChanged:       ingest.EventDueDateChanged,
	evReviewRequested:  ingest.EventClientReviewRequested,
	evChangesRequested: ingest.EventClientChangesRequested,
	evApproved:         ingest.EventClientApproved,
	evDelivered:        ingest.EventDelivered,
}

// step is one event in a deliverable's life.
type step struct {
	at       int64 // Unix seconds
	kind     uint8
	from, to uint8 // phase before and after; other events carry the current phase in to
	due      int   // the new due day of a due-date change
}

// deliverable is kept compact: its records and events are built when emitted.
type deliverable struct {
	id             string
	name           string
	project        *project
	owner          *person
	created        int   // day
	committed, due int   // days; due as it stands at End
	delivered      int64 // Unix seconds, 0 while open at End
	deliveredDay   int
	inScope        bool
	steps          []step     // sorted, all before End
	phases         []dayPhase // the day each phase was entered
}

type dayPhase struct {
	day   int
	phase uint8
}

// phaseOn returns the phase the deliverable was in at the end of day d.
func (dv *deliverable) phaseOn(d int) uint8 {
	phase := phaseIntake
	for _, p := range dv.phases {
		if p.day > d {
			break
		}
		phase = p.phase
	}
	return phase
}

// retro is a retrospective held on a project.
type retro struct {
	at      int64
	project *project
}

// at returns the Unix time of hour:minute local time on day d.
func (o *org) at(d, hour, minute int) int64 {
	return o.start + int64(d)*daySeconds + int64(hour*3600+minute*60) - o.offset
}

// localDay returns the org-local day of Unix time t.
func (o *org) localDay(t int64) int {
	s := t + o.offset - o.start
	d := s / daySeconds
	if s < 0 && s%daySeconds != 0 {
		d--
	}
	return int(d)
}

// endUnix is midnight at the start of End where the org is: the first
// instant after its history.
func (o *org) endUnix() int64 { return o.start + int64(o.histDays)*daySeconds - o.offset }

// workingTime moves t into working hours (9:00 to 18:00 local, Monday to
// Friday), to a random minute of the next morning when it falls outside.
func (o *org) workingTime(r *rand.Rand, t int64) int64 {
	d := o.localDay(t)
	sec := t + o.offset - o.start - int64(d)*daySeconds
	switch {
	case o.isWeekend(d) || sec >= 18*3600:
		d++
		for o.isWeekend(d) {
			d++
		}
		sec = 9*3600 + int64(r.IntN(90))*60
	case sec < 9*3600:
		sec = 9*3600 + int64(r.IntN(60))*60
	}
	return o.start + int64(d)*daySeconds + sec - o.offset
}

// timeline builds a deliverable's events in order of time.
type timeline struct {
	o     *org
	r     *rand.Rand
	t     int64
	phase uint8
	steps []step
}

func (b *timeline) add(kind, to uint8) {
	b.steps = append(b.steps, step{at: b.t, kind: kind, from: b.phase, to: to})
	b.phase = to
}

func (b *timeline) status(to uint8)  { b.add(evStatus, to) }
func (b *timeline) event(kind uint8) { b.add(kind, b.phase) }

// wait moves the clock on by between lo and hi, into working hours.
func (b *timeline) wait(lo, hi time.Duration) {
	s := int64(lo/time.Second) + b.r.Int64N(int64((hi-lo)/time.Second)+1)
	b.t = b.o.workingTime(b.r, b.t+s)
}

// clientWait is how long a client takes to answer a review request: often
// within a day, sometimes a week or two.
func (b *timeline) clientWait() {
	h := time.Hour
	switch x := perMille(b.r); {
	case x < 200:
		b.wait(h, 6*h)
	case x < 550:
		b.wait(6*h, 30*h)
	case x < 830:
		b.wait(24*h, 72*h)
	case x < 960:
		b.wait(72*h, 168*h)
	default:
		b.wait(168*h, 336*h)
	}
}

// on sets the clock to hour:00 on day d (a weekend moves to Monday), never
// before the previous event.
func (b *timeline) on(d, hour int) {
	for b.o.isWeekend(d) {
		d++
	}
	b.t = max(b.o.at(d, hour, 0), b.t+600)
}

// initDeliverables plans each project's deliverables and their events,
// plus three showcase ones on the anchor retainer (a late delivery, an open
// overdue one, a review still waiting for the client) and the retros.
func (o *org) initDeliverables(r *rand.Rand) {
	h := o.histDays
	for _, p := range o.projects {
		if p.kind == ingest.KindInternal || p.pipeline {
			continue
		}
		first, end := max(p.start, 0), min(p.end, h)
		switch p.kind {
		case ingest.KindFixedFee:
			n := between(r, 4, len(milestones))
			for i := range n {
				if d := o.weekdayNear(p.start + 3 + i*(p.end-p.start-10)/n); d >= first && d < end {
					o.naturalDeliverable(r, p, d, milestones[i])
				}
			}
		default:
			lo, hi := 7, 14
			if p.kind == ingest.KindTM {
				lo, hi = 14, 28
			}
			names := recurringDeliverables[p.theme]
			for d, n := first+r.IntN(lo), 1; d < end; d, n = d+between(r, lo, hi), n+1 {
				name := fmt.Sprintf(names[r.IntN(len(names))], n)
				o.naturalDeliverable(r, p, o.weekdayNear(d), name)
			}
		}
	}
	o.showcaseDeliverables()

	n := 0
	for _, p := range o.projects {
		slices.SortStableFunc(p.delivs, func(a, b *deliverable) int { return a.created - b.created })
		for _, dv := range p.delivs {
			n++
			dv.id = formatID("d-", n, 5)
			o.delivs = append(o.delivs, dv)
		}
	}
	o.initRetros(r)
}

func (o *org) ownerOf(p *project) *person {
	for _, s := range p.staff {
		if s.role == rolePM {
			return s
		}
	}
	if len(p.staff) > 0 {
		return p.staff[0]
	}
	return o.people[0]
}

// naturalDeliverable simulates one deliverable from intake to delivery and
// keeps what happened before End.
func (o *org) naturalDeliverable(r *rand.Rand, p *project, created int, name string) {
	const h, day = time.Hour, 24 * time.Hour
	dv := &deliverable{name: name, project: p, owner: o.ownerOf(p), created: created,
		inScope: p.kind != ingest.KindRetainer || perMille(r) < 900}
	b := &timeline{o: o, r: r, t: o.at(created, between(r, 9, 16), r.IntN(60))}
	b.add(evCreated, phaseIntake)
	b.wait(5*time.Minute, h)
	b.event(evAssigned)
	b.wait(2*h, 2*day)
	b.status(phaseBrief)
	b.wait(day, 4*day)
	b.status(phaseProduction)
	production := b.t
	lo, hi, planLo, planHi := 3, 8, 15, 26
	switch p.kind {
	case ingest.KindTM:
		lo, hi, planLo, planHi = 3, 10, 16, 28
	case ingest.KindFixedFee:
		lo, hi, planLo, planHi = 5, 15, 24, 40
	}
	b.wait(time.Duration(lo)*day, time.Duration(hi)*day)
	if perMille(r) < 850 { // some teams skip internal review
		b.status(phaseInternalReview)
		b.wait(3*h, 40*h)
	}
	b.status(phaseClientReview)
	b.event(evReviewRequested)
	rounds := 0
	switch x := perMille(r); {
	case x >= 910:
		rounds = 3
	case x >= 730:
		rounds = 2
	case x >= 400:
		rounds = 1
	}
	for range rounds {
		b.clientWait()
		b.event(evChangesRequested)
		b.wait(30*time.Minute, 3*h)
		b.status(phaseProduction)
		b.wait(day, 4*day)
		if perMille(r) < 500 {
			b.status(phaseInternalReview)
			b.wait(2*h, day)
		}
		b.status(phaseClientReview)
		b.event(evReviewRequested)
	}
	b.clientWait()
	b.event(evApproved)
	b.wait(30*time.Minute, 4*h)
	b.status(phaseDelivered)
	b.event(evDelivered)
	delivered := b.t

	// The due date was planned up front, not from how things went.
	dv.committed = o.weekdayNear(created + between(r, planLo, planHi))
	deliveredDay := o.localDay(delivered)
	slip := func(at int64, due int) {
		at = min(o.workingTime(r, at), delivered-600)
		b.steps = append(b.steps, step{at: at, kind: evDueChanged, due: due})
	}
	window := min(o.at(dv.committed, 17, 0), delivered) - production
	switch late := deliveredDay > dv.committed; {
	case late && perMille(r) < 450: // the PM moves the date, sometimes twice
		final := o.weekdayNear(deliveredDay + r.IntN(3))
		at := production + r.Int64N(max(window, 1))
		if perMille(r) < 150 {
			slip(at, o.weekdayNear((dv.committed+final)/2))
			at += r.Int64N(max(delivered-at, 1))
		}
		slip(at, final)
	case !late && perMille(r) < 40: // the client asks for more time
		slip(production+r.Int64N(max(window, 1)), o.weekdayNear(dv.committed+between(r, 2, 7)))
	}
	o.finishDeliverable(dv, b.steps)
}

// showcaseDeliverables script three deliverables on the anchor retainer,
// relative to End, so every dataset shows a late delivery, an open overdue
// deliverable and a review with no client decision yet.
func (o *org) showcaseDeliverables() {
	p, h := o.anchor, o.histDays
	names := recurringDeliverables[p.theme]
	script := func(name string, created, committed int, build func(b *timeline)) {
		dv := &deliverable{name: name, project: p, owner: o.ownerOf(p), created: created, inScope: true,
			committed: o.weekdayNear(committed)}
		b := &timeline{o: o}
		b.on(created, 10)
		b.add(evCreated, phaseIntake)
		b.t += 900
		b.event(evAssigned)
		build(b)
		o.finishDeliverable(dv, b.steps)
	}
	script(fmt.Sprintf(names[0], len(p.delivs)+1), h-40, h-22, func(b *timeline) {
		b.on(h-39, 11)
		b.status(phaseBrief)
		b.on(h-37, 9)
		b.status(phaseProduction)
		b.on(h-27, 14)
		b.status(phaseInternalReview)
		b.on(h-26, 10)
		b.status(phaseClientReview)
		b.event(evReviewRequested)
		b.on(h-24, 15)
		b.event(evChangesRequested)
		b.t += 1800
		b.status(phaseProduction)
		b.on(h-21, 11)
		b.status(phaseClientReview)
		b.event(evReviewRequested)
		b.on(h-19, 16)
		b.event(evApproved)
		b.t += 3600
		b.status(phaseDelivered)
		b.event(evDelivered)
	})
	script(fmt.Sprintf(names[1], len(p.delivs)+1), h-35, h-10, func(b *timeline) {
		b.on(h-34, 11)
		b.status(phaseBrief)
		b.on(h-32, 9)
		b.status(phaseProduction)
		b.on(h-22, 14)
		b.status(phaseInternalReview)
		b.on(h-20, 10)
		b.status(phaseClientReview)
		b.event(evReviewRequested)
		b.on(h-16, 15)
		b.event(evChangesRequested)
		b.t += 1800
		b.status(phaseProduction)
		b.on(h-12, 10)
		b.steps = append(b.steps, step{at: b.t, kind: evDueChanged, due: b.o.weekdayNear(h - 4)})
		b.on(h-9, 12)
		b.status(phaseClientReview)
		b.event(evReviewRequested)
		b.on(h-7, 16)
		b.event(evChangesRequested)
		b.t += 1800
		b.status(phaseProduction)
	})
	script(fmt.Sprintf(names[2], len(p.delivs)+1), h-21, h+5, func(b *timeline) {
		b.on(h-20, 11)
		b.status(phaseBrief)
		b.on(h-18, 9)
		b.status(phaseProduction)
		b.on(h-9, 14)
		b.status(phaseInternalReview)
		b.on(h-6, 10)
		b.status(phaseClientReview)
		b.event(evReviewRequested)
	})
}

// finishDeliverable keeps the steps before End and derives the state at End.
func (o *org) finishDeliverable(dv *deliverable, steps []step) {
	slices.SortStableFunc(steps, func(a, b step) int { return int(a.at - b.at) })
	end := o.endUnix()
	dv.due = dv.committed
	phase := phaseIntake
	for i := range steps {
		s := &steps[i]
		if s.at >= end {
			steps = steps[:i]
			break
		}
		switch s.kind {
		case evStatus:
			s.from, phase = phase, s.to
			dv.phases = append(dv.phases, dayPhase{day: o.localDay(s.at), phase: phase})
		case evDueChanged:
			dv.due = s.due
		case evDelivered:
			dv.delivered, dv.deliveredDay = s.at, o.localDay(s.at)
		}
		if s.kind != evStatus {
			s.to = phase
		}
	}
	dv.steps = steps
	dv.project.delivs = append(dv.project.delivs, dv)
}

// initRetros holds a retro about once a quarter, and after each fixed-fee project.
func (o *org) initRetros(r *rand.Rand) {
	end := o.endUnix()
	add := func(p *project, d int) {
		if at := o.workingTime(r, o.at(d, 15, r.IntN(60))); at < end {
			o.retros = append(o.retros, retro{at: at, project: p})
		}
	}
	var running []*project
	for d := 84; d < o.histDays; d += 91 {
		running = running[:0]
		for _, p := range o.projects {
			if p.activeOn(d) && p.kind != ingest.KindInternal && !p.pipeline {
				running = append(running, p)
			}
		}
		if len(running) > 0 {
			add(running[r.IntN(len(running))], d)
		}
	}
	for _, p := range o.projects {
		if p.kind == ingest.KindFixedFee && !p.pipeline && p.end > 0 && p.end < o.histDays {
			add(p, p.end+between(r, 3, 10))
		}
	}
	slices.SortStableFunc(o.retros, func(a, b retro) int { return int(a.at - b.at) })
}

func (o *org) deliverableRecords() []ingest.Deliverable {
	recs := make([]ingest.Deliverable, 0, len(o.delivs))
	for _, dv := range o.delivs {
		rec := ingest.Deliverable{Meta: o.meta(dv.id), Name: dv.name, ClientID: dv.project.client.id,
			ProjectID: dv.project.id, DueDate: o.datePtr(dv.due), CommittedDueDate: o.datePtr(dv.committed),
			InScope: dv.inScope, OwnerID: dv.owner.id}
		if dv.delivered > 0 {
			rec.DeliveredAt = unixPtr(dv.delivered)
		}
		if len(dv.steps) > 0 {
			rec.UpdatedAt = unixPtr(dv.steps[len(dv.steps)-1].at)
		}
		recs = append(recs, rec)
	}
	return recs
}

func unixPtr(t int64) *time.Time {
	u := time.Unix(t, 0).UTC()
	return &u
}

func (o *org) eventRecords() []ingest.TaskEvent {
	n := len(o.retros)
	for _, dv := range o.delivs {
		n += len(dv.steps)
	}
	recs := make([]ingest.TaskEvent, 0, n)
	for _, dv := range o.delivs {
		p := dv.project
		for _, s := range dv.steps {
			ev := ingest.TaskEvent{Meta: o.meta(formatID("ev-", len(recs)+1, 6)), OccurredAt: time.Unix(s.at, 0).UTC(),
				Type: eventTypes[s.kind], DeliverableID: dv.id, TaskID: dv.id, ClientID: p.client.id, ProjectID: p.id,
				Phase: phaseNames[s.to], Actor: dv.owner.id}
			switch s.kind {
			case evCreated:
				ev.ToStatus = statusNames[s.to]
			case evStatus:
				ev.FromStatus, ev.ToStatus = statusNames[s.from], statusNames[s.to]
			case evDueChanged:
				ev.DueDate = o.datePtr(s.due)
			case evChangesRequested, evApproved:
				ev.Actor = p.client.contact
			}
			recs = append(recs, ev)
		}
	}
	for _, rt := range o.retros {
		recs = append(recs, ingest.TaskEvent{Meta: o.meta(formatID("ev-", len(recs)+1, 6)),
			OccurredAt: time.Unix(rt.at, 0).UTC(), Type: ingest.EventRetroHeld, ClientID: rt.project.client.id,
			ProjectID: rt.project.id, Phase: phaseNames[phaseReported], Actor: o.ownerOf(rt.project).id})
	}
	return recs
}
