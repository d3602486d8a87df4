package demo

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// assignment puts a person on a project with a relative weight of their
// time; on a retainer it also carries the person's daily share of the
// retainer's monthly hours.
type assignment struct {
	project *project
	weight  int
	demand  int64 // micro-hours per workday, retainers only
	owed    int64 // micro-hours due to the project and not yet logged, while streaming entries
}

// share is the billable micro-hours a person is expected to spend on an assignment on one day.
type share struct {
	a     *assignment
	micro int64
}

// client is a customer of the agency.
type client struct {
	index    int
	id       string
	name     string
	contact  string // who approves on the client side
	internal bool
	projects []*project
}

// project is a client engagement or the internal project.
type project struct {
	index      int
	id         string
	name       string
	client     *client
	kind       string
	theme      int
	start, end int   // active [start, end) in days; end is noEnd when open
	rate       *rate // T&M rate
	overServe  bool  // its retainer hours are set below the planned load
	pipeline   bool  // a future project, only booked tentatively
	onboarding int   // entries before this day are tagged onboarding
	staff      []*person
	hours      int64          // retainer hours a month, or fixed-fee budget hours
	fee        int64          // retainer fee a month, or fixed-fee budget, in currency units
	delivs     []*deliverable // in order of creation
	rec        ingest.Project

	// Per-day cache of the deliverable being worked on, while streaming entries.
	delivNext  int
	cacheDay   int
	cacheDeliv *deliverable
	cachePhase uint8
}

func (p *project) activeOn(d int) bool { return p.start <= d && d < p.end }

// initClients creates the clients and their projects: a long-running
// content retainer (the anchor), an over-served brand retainer, a digital
// T&M account, a brand project done within history, a new client still
// onboarding, a typical mix for the rest,
// the agency itself as the client of the internal project, and two pipeline
// projects that start after End.
func (o *org) initClients(r *rand.Rand) {
	n := 8 + r.IntN(8)
	if o.cfg.People < blockSize {
		n = max(2, n*o.cfg.People/blockSize)
	} else {
		n += (o.cfg.People - blockSize) / 3
	}
	pre, suf := r.IntN(len(clientPrefixes)), r.IntN(len(clientSuffixes))
	pairs := len(clientPrefixes) * len(clientSuffixes)
	h := o.histDays
	for c := range n {
		name := clientPrefixes[(c+pre)%len(clientPrefixes)] + " " + clientSuffixes[(c+suf)%len(clientSuffixes)]
		if c >= pairs {
			name += " " + strconv.Itoa(c/pairs+1)
		}
		cl := &client{index: c, id: formatID("cl-", c+1, 3), name: name,
			contact: firstNames[r.IntN(len(firstNames))] + " " + lastNames[r.IntN(len(lastNames))]}
		o.clients = append(o.clients, cl)
		switch {
		case c == 0:
			o.anchor = o.addProject(r, cl, ingest.KindRetainer, themeContent, -between(r, 60, 700), noEnd)
			o.longRunning[themeContent] = o.anchor
		case c == 1:
			p := o.addProject(r, cl, ingest.KindRetainer, themeBrand, -between(r, 30, 400), noEnd)
			p.overServe = true
			o.longRunning[themeBrand] = p
		case c == n-1 && n >= 3: // a new client, still onboarding
			start := o.monday(h - between(r, 42, 62))
			if h < 90 {
				start = o.monday(h / 3)
			}
			p := o.addProject(r, cl, ingest.KindFixedFee, themeDigital, start, start+between(r, 100, 140))
			p.onboarding = start + 21
		case c == 2:
			o.longRunning[themeDigital] = o.addProject(r, cl, ingest.KindTM, themeDigital, -between(r, 30, 300), noEnd)
		case c == 3 && h >= 90: // a brand project delivered start to finish within history
			start := o.monday(between(r, 14, h/2))
			o.addProject(r, cl, ingest.KindFixedFee, themeBrand, start, min(start+between(r, 56, 112), h-7))
		default:
			o.addRandomProjects(r, cl)
		}
	}

	in := &client{index: n, id: formatID("cl-", n+1, 3), name: o.rec.Name, internal: true}
	o.clients = append(o.clients, in)
	o.internal = o.addProject(r, in, ingest.KindInternal, themeBrand, -365*10, noEnd)
	o.internal.name = "Internal: admin, training & new business"

	// Pipeline: future work that sales has pencilled in.
	for range 2 {
		start := o.monday(h + between(r, 14, 49))
		if start+28 > o.allDays || n < 3 {
			break
		}
		cl := o.clients[r.IntN(n)]
		p := o.addProject(r, cl, ingest.KindFixedFee, r.IntN(3), start, start+between(r, 56, 98))
		p.pipeline = true
	}
}

// addRandomProjects gives a client the project mix of a typical account.
func (o *org) addRandomProjects(r *rand.Rand, cl *client) {
	h := o.histDays
	theme := r.IntN(3)
	switch x := perMille(r); {
	case x < 350:
		start := -between(r, 30, 400)
		if r.IntN(2) == 0 {
			start = max(0, o.monthFirst[r.IntN(max(1, o.months/2))])
		}
		end := noEnd
		if perMille(r) < 200 && o.months >= 4 { // a client that churned
			if e := o.monthFirst[between(r, o.months/2, o.months-1)]; e > start+90 {
				end = e
			}
		}
		o.addProject(r, cl, ingest.KindRetainer, theme, start, end)
		if perMille(r) < 250 {
			start := o.monday(between(r, -30, max(-30, h-40)))
			o.addProject(r, cl, ingest.KindFixedFee, r.IntN(3), start, start+between(r, 56, 140))
		}
	case x < 700:
		start := o.monday(between(r, -60, max(-60, h-30)))
		end := start + between(r, 56, 140)
		o.addProject(r, cl, ingest.KindFixedFee, theme, start, end)
		if next := o.monday(end + between(r, 14, 60)); r.IntN(2) == 0 && next < h-14 {
			o.addProject(r, cl, ingest.KindFixedFee, r.IntN(3), next, next+between(r, 56, 140))
		}
	default:
		start := between(r, -120, max(-120, h/2))
		end := noEnd
		if perMille(r) < 700 {
			end = max(start+between(r, 120, 360), 30+r.IntN(60))
		}
		o.addProject(r, cl, ingest.KindTM, theme, start, end)
	}
}

func (o *org) addProject(r *rand.Rand, cl *client, kind string, theme, start, end int) *project {
	p := &project{index: len(o.projects), id: formatID("pr-", len(o.projects)+1, 3), client: cl,
		kind: kind, theme: theme, start: start, end: end, onboarding: math.MinInt32, cacheDay: math.MinInt32}
	switch kind {
	case ingest.KindRetainer:
		p.name = retainerNames[theme]
	case ingest.KindFixedFee:
		names := fixedFeeNames[theme]
		p.name = names[r.IntN(len(names))]
	case ingest.KindTM:
		p.name = tmNames[theme]
		p.rate = newRate(o.price(int64(between(r, 150, 175)), 5))
	}
	o.projects = append(o.projects, p)
	cl.projects = append(cl.projects, p)
	return p
}

// staff puts people on client projects by role, evening out the load.
func (o *org) staff(r *rand.Rand) {
	byRole := make([][]*person, len(roleProfiles))
	for _, p := range o.people {
		byRole[p.role] = append(byRole[p.role], p)
	}
	for _, pr := range o.projects {
		if pr.kind == ingest.KindInternal || pr.pipeline {
			continue
		}
		needs := []int{rolePM}
		switch pr.theme {
		case themeBrand:
			needs = append(needs, roleStrategist, roleDesigner, roleCD)
			if r.IntN(2) == 0 {
				needs = append(needs, roleDesigner)
			}
			if r.IntN(2) == 0 {
				needs = append(needs, roleCopywriter)
			}
		case themeDigital:
			needs = append(needs, roleDesigner, roleDeveloper)
			if r.IntN(2) == 0 {
				needs = append(needs, roleDeveloper)
			}
		case themeContent:
			needs = append(needs, roleCopywriter, roleDesigner)
			if r.IntN(2) == 0 {
				needs = append(needs, roleCopywriter)
			}
			if r.IntN(2) == 0 {
				needs = append(needs, roleStrategist)
			}
		}
		for _, role := range needs {
			p := o.leastLoaded(r, byRole[role], pr)
			if p == nil {
				continue
			}
			weight := between(r, 1, 3)
			switch role {
			case rolePM:
				weight = 2
			case roleCD:
				weight = 1
			}
			p.assign = append(p.assign, assignment{project: pr, weight: weight})
			pr.staff = append(pr.staff, p)
		}
	}
	// Whoever would sit on the bench for long joins their team's open-ended project.
	for _, p := range o.people {
		if p.role == roleCD || o.coverage(p) >= 700 {
			continue
		}
		for _, pr := range []*project{o.longRunning[teamTheme(p.team)], o.anchor} {
			if pr != nil && !slices.Contains(pr.staff, p) && (pr.kind != ingest.KindRetainer || o.spans(p, pr)) {
				p.assign = append(p.assign, assignment{project: pr, weight: 1})
				pr.staff = append(pr.staff, p)
				break
			}
		}
	}
	o.sizeRetainers(r)
}

// coverage is the share, per mille, of p's employed history days on which
// one of p's projects is running.
func (o *org) coverage(p *person) int {
	from, to := max(p.start, 0), min(p.end, o.histDays)
	if from >= to {
		return 1000
	}
	covered := 0
	for d := from; d < to; d++ {
		for _, a := range p.assign {
			if a.project.activeOn(d) {
				covered++
				break
			}
		}
	}
	return covered * 1000 / (to - from)
}

func teamTheme(team string) int {
	switch team {
	case teamDigital:
		return themeDigital
	case teamContent:
		return themeContent
	}
	return themeBrand
}

// sizeRetainers gives each retainer team member a daily demand, their
// billable day split by assignment weight, and sells the hours the team
// will really put in (after leave, holidays and unlogged days, about 85%)
// divided by how fully the client is served: 85-100%, or 130% for the
// over-served retainer.
func (o *org) sizeRetainers(r *rand.Rand) {
	for _, pr := range o.projects {
		if pr.kind != ingest.KindRetainer {
			continue
		}
		var monthly int64 // micro-hours
		for _, p := range o.people {
			weight := 0
			for _, a := range p.assign {
				weight += a.weight
			}
			v := p.versions[0]
			for i := range p.assign {
				if a := &p.assign[i]; a.project == pr {
					a.demand = v.daily * int64(roleProfiles[p.role].billable) / 1000 * int64(a.weight) / int64(weight)
					monthly += a.demand * int64(433*bits.OnesCount8(v.workdays)) / 100 // 4.33 weeks a month
				}
			}
		}
		served := int64(between(r, 850, 1000))
		if pr.overServe {
			served = 1300
		}
		pr.hours = max(10, (monthly*850/served/micro+2)/5*5)
		pr.fee = (pr.hours*o.price(150, 1)*int64(between(r, 90, 97))/100 + 12_500) / 25_000 * 250
	}
}

// leastLoaded picks, among candidates employed during the project, the one
// with the least weight on projects overlapping it; ties go to a random
// rotation. A retainer keeps a stable team: only people employed throughout
// join it, so its monthly hours stay steady.
func (o *org) leastLoaded(r *rand.Rand, candidates []*person, pr *project) *person {
	var best *person
	bestLoad := math.MaxInt
	shift := 0
	if len(candidates) > 0 {
		shift = r.IntN(len(candidates))
	}
	for i := range candidates {
		p := candidates[(i+shift)%len(candidates)]
		if p.start >= pr.end || p.end <= pr.start || p.start >= o.allDays || p.end <= 0 ||
			slices.Contains(pr.staff, p) || pr.kind == ingest.KindRetainer && !o.spans(p, pr) {
			continue
		}
		load := 0
		for _, a := range p.assign {
			if a.project.start < pr.end && pr.start < a.project.end {
				load += a.weight
			}
		}
		if load < bestLoad {
			best, bestLoad = p, load
		}
	}
	return best
}

// spans reports whether p is employed for all of project pr within the generated days.
func (o *org) spans(p *person, pr *project) bool {
	return p.start <= max(pr.start, 0) && p.end >= min(pr.end, o.allDays)
}

// finishProjects sizes fixed-fee budgets from the plan, 85% to 120% of it,
// and builds the project records. The first fixed-fee project that runs
// entirely within history was under-estimated, so there is an overrun to
// write off.
func (o *org) finishProjects(r *rand.Rand) {
	underEstimated := false
	for _, p := range o.projects {
		rec := ingest.Project{Meta: o.meta(p.id), Name: p.name, ClientID: p.client.id, Kind: p.kind,
			BillableDefault: p.kind != ingest.KindInternal, StartDate: o.datePtr(p.start)}
		if p.end != noEnd {
			rec.EndDate = o.datePtr(p.end - 1) // inclusive, like a PSA tool shows it
		}
		est := o.est[p.index*o.months : (p.index+1)*o.months]
		switch p.kind {
		case ingest.KindRetainer:
			rec.RetainerHoursMonthly = decimalPtr(p.hours, 0)
			rec.RetainerFeeMonthly = decimalPtr(p.fee, 0)
		case ingest.KindFixedFee:
			var total int64
			for _, e := range est {
				total += e
			}
			if overlap := min(p.end, o.histDays) - max(p.start, 0); overlap > 0 {
				total = total * int64(p.end-p.start) / int64(overlap)
			}
			factor := int64(between(r, 850, 1200))
			if !underEstimated && p.start >= 0 && p.end <= o.histDays {
				underEstimated, factor = true, 850
			}
			hours := (total*factor/1000/micro + 5) / 10 * 10
			if hours < 40 {
				hours = int64(between(r, 12, 30)) * 10
			}
			p.hours, p.fee = hours, (hours*o.price(155, 1)+50_000)/100_000*1000
			rec.BudgetHours = decimalPtr(p.hours, 0)
			rec.BudgetAmount = decimalPtr(p.fee, 0)
		case ingest.KindTM:
			rec.BillRate = p.rate.dec
		}
		p.rec = rec
	}
}

func (o *org) clientRecords() []ingest.Client {
	recs := make([]ingest.Client, 0, len(o.clients))
	for _, c := range o.clients {
		recs = append(recs, ingest.Client{Meta: o.meta(c.id), Name: c.name, Currency: o.profile.currency})
	}
	return recs
}

func (o *org) projectRecords() []ingest.Project {
	recs := make([]ingest.Project, 0, len(o.projects))
	for _, p := range o.projects {
		recs = append(recs, p.rec)
	}
	return recs
}
