package demo

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// rate is a bill rate with its amounts per quarter hour computed on demand.
type rate struct {
	dec        *decimal.Decimal
	r4         int64 // ten-thousandths
	full       [maxQuarters + 1]*decimal.Decimal
	discounted [maxQuarters + 1]*decimal.Decimal
}

func newRate(cents int64) *rate {
	d := decimal.New(cents, -2)
	return &rate{dec: &d, r4: cents * 100}
}

// amount returns the value of hoursMicro at this rate, 90% of it when
// discounted, rounded to 4 decimal places, as ten-thousandths and as a
// decimal. quarters > 0 says hoursMicro is that many quarter hours, whose
// decimals are cached.
func (r *rate) amount(hoursMicro int64, quarters int, discounted bool) (int64, *decimal.Decimal) {
	a4 := (r.r4*hoursMicro + micro/2) / micro
	if discounted {
		a4 = (a4*9 + 5) / 10
	}
	if quarters <= 0 || quarters > maxQuarters {
		d := decimal.New(a4, -4)
		return a4, &d
	}
	table := &r.full
	if discounted {
		table = &r.discounted
	}
	if table[quarters] == nil {
		d := decimal.New(a4, -4)
		table[quarters] = &d
	}
	return a4, table[quarters]
}

// lineAcc sums the billed entries of one T&M project-month.
type lineAcc struct {
	hours, amount, entries int64
	ids                    []string
}

// maxLineIDs caps the entry ids an invoice line lists, so memory stays
// bounded at benchmark volumes; the discounted line lists all of its entries.
const maxLineIDs = 400

// entryRef is a time entry that an adjustment refers to.
type entryRef struct {
	id, person string
	project    *project
	day        int
	hours      decimal.Decimal
	amount     *decimal.Decimal
}

// initBilling decides which client-months are invoiced: the latest month
// not yet, the one before about half, older ones nearly all. It also picks
// the discounted T&M lines and the entry that an internal_error credit hits.
func (o *org) initBilling(r *rand.Rand) {
	o.invoices = make([]string, len(o.clients)*o.months)
	for _, c := range o.clients {
		if c.internal {
			continue
		}
		for m := range o.months {
			chance := 970
			switch o.months - m {
			case 1:
				chance = 0
			case 2:
				chance = 500
			}
			if perMille(r) < chance {
				t := o.monthDate(m)
				o.invoices[c.index*o.months+m] = fmt.Sprintf("INV-%04d%02d-%03d", t.Year(), t.Month(), c.index+1)
			}
		}
	}
	o.discount = make([]bool, len(o.projects)*o.months)
	o.lines = make([]lineAcc, len(o.projects)*o.months)
	o.actual = make([]int64, len(o.projects))
	first := -1
	for _, p := range o.projects {
		if p.kind != ingest.KindTM {
			continue
		}
		for m := range o.months {
			i := p.index*o.months + m
			if o.invoices[p.client.index*o.months+m] == "" || o.est[i] == 0 {
				continue
			}
			if first < 0 {
				first = i
			}
			if perMille(r) < 60 {
				o.discount[i] = true
			} else if o.errorAt < 0 && o.months-m >= 3 {
				o.errorAt = i
			}
		}
	}
	if first >= 0 && !slices.Contains(o.discount, true) {
		o.discount[first] = true
	}
}

// adjustmentRecords are the explicit write-offs (goodwill, internal_error,
// estimate_overrun, over_service) and one write-up, dated in months already
// invoiced. Call after the org's time entries were generated: the
// internal_error credit refers to one of them.
func (o *org) adjustmentRecords() []ingest.Adjustment {
	r := o.rng(streamAdjustments)
	closed := o.histDays // work before this day has been invoiced
	if o.months >= 2 {
		closed = o.monthFirst[o.months-1]
	}
	var billable, fixed, tm []*project
	for _, p := range o.projects {
		if p.kind == ingest.KindInternal || p.pipeline || p.start >= closed || p.end <= 0 {
			continue
		}
		billable = append(billable, p)
		switch p.kind {
		case ingest.KindFixedFee:
			fixed = append(fixed, p)
		case ingest.KindTM:
			tm = append(tm, p)
		}
	}
	var recs []ingest.Adjustment
	add := func(kind, reason string, p *project, d int, hoursMicro, cents int64) *ingest.Adjustment {
		a := ingest.Adjustment{Meta: o.meta(formatID("adj-", len(recs)+1, 4)), Kind: kind, ClientID: p.client.id,
			ProjectID: p.id, Date: o.date(d), Amount: decimalPtr(cents, -2), Reason: reason}
		if hoursMicro > 0 {
			a.Hours = decimalPtr(hoursMicro, -6)
		}
		recs = append(recs, a)
		return &recs[len(recs)-1]
	}
	// dayIn picks a workday of p before closed.
	dayIn := func(p *project) int {
		lo, hi := max(p.start, 0), min(p.end, closed)-1
		return o.weekdayNear(between(r, lo, max(lo, hi)))
	}

	for range 2 {
		if len(billable) > 0 {
			p := billable[r.IntN(len(billable))]
			add(ingest.WriteOff, "goodwill", p, dayIn(p), 0, o.price(int64(between(r, 10, 50))*50, 50))
		}
	}
	if ref := o.errorRef; ref != nil { // a mistake found after invoicing, credited in full
		a := add(ingest.WriteOff, "internal_error", ref.project, ref.day, 0, 0)
		a.PersonID, a.TimeEntryID, a.Hours, a.Amount = ref.person, ref.id, &ref.hours, ref.amount
	}
	var over *project // the fixed-fee project that overran its budget the most
	for _, p := range fixed {
		if o.actual[p.index] > p.hours*micro && (over == nil ||
			o.actual[p.index]*over.hours > o.actual[over.index]*p.hours) {
			over = p
		}
	}
	if over != nil {
		extra := (o.actual[over.index] - over.hours*micro) / quarterMicro * quarterMicro
		add(ingest.WriteOff, "estimate_overrun", over, min(over.end, closed)-1, extra,
			extra*o.price(155, 1)/micro)
	}
	if len(tm) > 0 { // an extra round of changes done without charging for it
		p := tm[r.IntN(len(tm))]
		hours := int64(between(r, 4, 12))
		add(ingest.WriteOff, "over_service", p, dayIn(p), hours*micro, hours*p.rate.r4/100)
	}
	if len(billable) > 0 { // a rush fee on top of the standard value
		p := billable[r.IntN(len(billable))]
		add(ingest.WriteUp, "other", p, dayIn(p), 0, o.price(int64(between(r, 15, 40))*50, 50))
	}
	return recs
}

// invoiceLineRecords are one line per project on each client invoice:
// retainers bill their monthly fee, fixed-fee projects an even share of the
// budget per month, T&M projects their billed entries (listing them when
// there are at most maxLineIDs, or when the line was discounted).
func (o *org) invoiceLineRecords() []ingest.InvoiceLine {
	var recs []ingest.InvoiceLine
	for _, c := range o.clients {
		for m := range o.months {
			invoice := o.invoices[c.index*o.months+m]
			if invoice == "" {
				continue
			}
			for _, p := range c.projects {
				if p.pipeline || p.start >= o.monthFirst[m+1] || p.end <= o.monthFirst[m] {
					continue
				}
				line := ingest.InvoiceLine{InvoiceID: invoice, ClientID: c.id, ProjectID: p.id,
					Date: o.monthDate(m + 1)}
				switch p.kind {
				case ingest.KindRetainer:
					line.Hours, line.Amount = p.rec.RetainerHoursMonthly, *p.rec.RetainerFeeMonthly
				case ingest.KindFixedFee:
					line.Amount = decimal.New(p.fee*100/int64(o.monthsOf(p)), -2)
				case ingest.KindTM:
					acc := o.lines[p.index*o.months+m]
					if acc.entries == 0 {
						continue
					}
					line.Hours, line.Amount = decimalPtr(acc.hours, -6), decimal.New(acc.amount, -4)
					line.TimeEntryIDs = acc.ids
				}
				line.Meta = o.meta(formatID("il-", len(recs)+1, 5))
				recs = append(recs, line)
			}
		}
	}
	return recs
}

// monthsOf counts the calendar months project p runs in.
func (o *org) monthsOf(p *project) int {
	first, last := o.date(p.start), o.date(p.end-1)
	return (last.Year()-first.Year())*12 + int(last.Month()-first.Month()) + 1
}
