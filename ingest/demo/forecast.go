package demo

import (
	"math/bits"
	"math/rand/v2"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// initAllocations books people on their running projects from 12 weeks
// before End (so actual vs scheduled can be compared) to the end of the
// forward window, pencils in the pipeline projects tentatively, and adds
// role placeholders for a hire still to be made.
func (o *org) initAllocations(r *rand.Rand) {
	h, last := o.histDays, o.allDays-1
	from := max(0, o.monday(h-84))
	add := func(p *person, role string, pr *project, first, lastDay int, perWeek, perDay, probability int64) {
		first, lastDay = max(first, from), min(lastDay, last)
		if first > lastDay {
			return
		}
		a := ingest.Allocation{Meta: o.meta(formatID("al-", len(o.allocations)+1, 5)), Role: role,
			ProjectID: pr.id, StartDate: o.date(first), EndDate: o.date(lastDay), Status: ingest.Confirmed,
			Probability: decimal.New(1, 0)}
		if p != nil {
			a.PersonID, a.Role = p.id, roleProfiles[p.role].name
			first, lastDay = max(first, p.start), min(lastDay, p.end-1)
			a.StartDate, a.EndDate = o.date(first), o.date(lastDay)
			if first > lastDay {
				return
			}
		}
		if perWeek > 0 {
			a.HoursPerWeek = decimalPtr(perWeek, 0)
		} else {
			a.HoursPerDay = decimalPtr(perDay, 0)
		}
		if probability < 1000 {
			a.Status, a.Probability = ingest.Tentative, decimal.New(probability, -3)
		}
		o.allocations = append(o.allocations, a)
	}

	for _, p := range o.people {
		if p.end <= h || p.start >= o.allDays {
			continue
		}
		// Book what the mix of a typical day gives each running project.
		v := p.versionOn(max(h, p.start))
		_, shares := o.mix(p, max(h, p.start), v.daily)
		days := int64(bits.OnesCount8(v.workdays))
		for _, s := range shares {
			perWeek := max(2, (s.micro*days+micro/2)/micro)
			add(p, "", s.a.project, s.a.project.start, s.a.project.end-1, perWeek, 0, 1000)
		}
	}

	byRole := func(role int) []*person {
		var ps []*person
		for _, p := range o.people {
			if p.role == role {
				ps = append(ps, p)
			}
		}
		return ps
	}
	probabilities := [...]int64{500, 750}
	i := 0
	for _, pr := range o.projects {
		if !pr.pipeline {
			continue
		}
		prob := probabilities[i%len(probabilities)]
		i++
		for _, role := range [...]int{roleStrategist, roleDesigner} {
			if p := o.leastLoaded(r, byRole(role), pr); p != nil {
				add(p, "", pr, pr.start, pr.end-1, int64(between(r, 8, 20)), 0, prob)
			}
		}
		// Nobody free to build it yet: book the role.
		add(nil, roleProfiles[roleDeveloper].name, pr, pr.start+14, pr.end-1, 0, 4, prob)
	}
	hire := o.monday(h + 28)
	add(nil, roleProfiles[roleDesigner].name, o.anchor, hire, last, 16, 0, 1000)
}
