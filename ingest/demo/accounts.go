package demo

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// Agency is a generated org as its monthly client reports see it: who
// works there, which clients it reports to and who leads each account,
// and when its retros were held. These are plain values for the command
// that writes the demo's report records (commentary, actions, retros)
// through the metrics layer, which this package does not import.
type Agency struct {
	Org      string
	Name     string
	TimeZone string        // IANA name, as the org's settings hold it
	Offset   time.Duration // the zone's standard UTC offset, which the generator places days at
	// HistoryStart is the first day of history (UTC midnight); End, the
	// Config's, is the day after its last.
	HistoryStart time.Time
	// People are the people employed on the last day of history, in id order.
	People []Member
	// Clients are the clients the agency reports to (not itself, the client
	// of its internal project), in id order.
	Clients []Account
	// RetroDays are the org-local days of its retro_held task events, oldest
	// first: about once a quarter, and after each fixed-fee project.
	RetroDays []time.Time
}

// Member is a person of an Agency.
type Member struct {
	ID, Name, Email string
	Role, Team      string
}

// Account is a client of an Agency.
type Account struct {
	ID, Name string
	// Lead is the person id of the account lead: the project manager (else
	// the first person) staffed on its latest project, employed at End.
	Lead string
	// Team are the ids of the people staffed on its projects who are
	// employed at End, Lead first.
	Team []string
	// Contact is who approves on the client's side; Domain an example email
	// domain of the client ("northwind-foods.example").
	Contact, Domain string
	// Retainer is true when the client has a retainer project; OverServed
	// when that retainer is sized below the work it gets; Budget when it
	// has a fixed-fee project (which has a budget).
	Retainer, OverServed, Budget bool
}

// Agencies validates cfg and returns its orgs as Agency values, the same
// ones Generate builds its records from (without the time entries). It
// reads no clock and costs a few milliseconds per org.
func Agencies(ctx context.Context, cfg Config) ([]Agency, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	out := make([]Agency, 0, cfg.Orgs)
	for i := range cfg.Orgs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		out = append(out, newOrg(cfg, i).agency())
	}
	return out, nil
}

func (o *org) agency() Agency {
	a := Agency{Org: o.id, Name: o.rec.Name, TimeZone: o.profile.timeZone,
		Offset: time.Duration(o.offset) * time.Second, HistoryStart: o.histStart}
	h := o.histDays
	employed := func(p *person) bool { return p.start < h && p.end >= h }
	for _, p := range o.people {
		if employed(p) {
			a.People = append(a.People, Member{ID: p.id, Name: p.name, Email: p.email,
				Role: roleProfiles[p.role].name, Team: p.team})
		}
	}
	for _, cl := range o.clients {
		if cl.internal {
			continue
		}
		acc := Account{ID: cl.id, Name: cl.name, Contact: cl.contact, Domain: domainOf(cl.name)}
		var latest *project
		for _, p := range cl.projects {
			if p.pipeline {
				continue
			}
			if p.kind == ingest.KindRetainer {
				acc.Retainer = true
				acc.OverServed = acc.OverServed || p.overServe
			}
			acc.Budget = acc.Budget || p.kind == ingest.KindFixedFee
			if latest == nil || min(p.end, h) > min(latest.end, h) || min(p.end, h) == min(latest.end, h) && p.start > latest.start {
				latest = p
			}
		}
		if latest == nil { // only pipeline work: its next project
			latest = cl.projects[0]
		}
		if lead := o.ownerOf(latest); employed(lead) {
			acc.Lead = lead.id
		}
		for _, p := range cl.projects {
			for _, s := range p.staff {
				if employed(s) && !slices.Contains(acc.Team, s.id) {
					acc.Team = append(acc.Team, s.id)
				}
			}
		}
		if acc.Lead == "" { // the lead has left: whoever is still on the account, else the first person
			switch {
			case len(acc.Team) > 0:
				acc.Lead = acc.Team[0]
			case len(a.People) > 0:
				acc.Lead = a.People[0].ID
			}
		}
		if i := slices.Index(acc.Team, acc.Lead); i != 0 && acc.Lead != "" {
			if i > 0 {
				acc.Team = slices.Delete(acc.Team, i, i+1)
			}
			acc.Team = slices.Insert(acc.Team, 0, acc.Lead)
		}
		a.Clients = append(a.Clients, acc)
	}
	for _, rt := range o.retros {
		if d := o.localDay(rt.at); len(a.RetroDays) == 0 || !a.RetroDays[len(a.RetroDays)-1].Equal(o.date(d)) {
			a.RetroDays = append(a.RetroDays, o.date(d))
		}
	}
	return a
}

// domainOf makes an example email domain of a client's name:
// "Northwind Foods 2" becomes "northwind-foods-2.example".
func domainOf(name string) string {
	var words []string
	for _, w := range strings.Fields(name) {
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, w)
		if w := asciiLower(w) + digits; w != "" {
			words = append(words, w)
		}
	}
	return strings.Join(words, "-") + ".example"
}
