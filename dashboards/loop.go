package dashboards

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"time"

	"github.com/opsmetrics/opsmetrics/metrics"
)

// The loop (issue 18): the "next month" actions and decisions of the
// clients' monthly reports and of the quarterly retros stay on the
// overview and on their client's page until someone closes them, with
// their owner, and those past their due day come first, marked.

// loopPanel is the open actions of an org (the overview) or of one client
// (its page).
type loopPanel struct {
	Open, Overdue int
	Rows          []loopRow
	ForClient     bool   // one client's page: no client column
	Today         string // the org's today, as the pages write a day
	// Report is the client's monthly report of its last complete month
	// (a client's page only).
	Report, ReportMonth string
	Empty               string // what to do when none is open
}

// Heading is "N open, M overdue", or "none open".
func (p loopPanel) Heading() string {
	if p.Open == 0 {
		return "none open"
	}
	return fmt.Sprintf("%d open, %d overdue", p.Open, p.Overdue)
}

// loopRow is one open action.
type loopRow struct {
	Kind, Title, Owner, Due string
	Overdue                 bool
	// Client is the client's name, and ClientLink its report of the month
	// the action was agreed in; both "" for a retro's action.
	Client, ClientLink string
	// From says where it was agreed: a client's report of a month (linked
	// to that report) or the org's retro of a quarter.
	From, FromLink string
}

// What the panel says when no action is open: how actions are added.
const (
	loopEmpty = "No open actions. Next month's actions and decisions are added in a client's monthly report " +
		"(open a client, then \"Monthly report\"), each with an owner and a due date; they show here until someone closes them."
	loopEmptyClient = "No open actions for this client. Add next month's actions and decisions in its monthly report, " +
		"each with an owner and a due date; they show here and on the overview until someone closes them."
)

// reportLink is the URL of client's monthly report of month.
func reportLink(v View, client string, month time.Time) string {
	return "/clients/" + url.PathEscape(client) + "/report?" + url.Values{"org": {v.Org}, "month": {month.Format("2006-01")}}.Encode()
}

// lastCompleteMonth is the month a client's page links the monthly report
// of: the view's month when the view is one whole month before this one,
// else the month before the org's today.
func lastCompleteMonth(v View, today time.Time) time.Time {
	this := metrics.MonthStart(today)
	if v.wholeMonths() == 1 && v.From.Before(this) {
		return v.From
	}
	return this.AddDate(0, -1, 0)
}

// loopActions reads the open actions of v's org, or of one client
// (client != ""), as of today (the org's calendar day).
func (d *server) loopActions(ctx context.Context, v View, client string, today time.Time) (loopPanel, error) {
	acts, err := metrics.ListActions(ctx, d.cfg.Store, v.Org, metrics.ActionFilter{Client: client, OpenOnly: true})
	if err != nil {
		return loopPanel{}, err
	}
	return buildLoop(v, acts, client != "", today), nil
}

// buildLoop lists the open actions, those past their due day first (each
// part by due date, as ListActions orders them). Pure.
func buildLoop(v View, acts []metrics.Action, forClient bool, today time.Time) loopPanel {
	p := loopPanel{ForClient: forClient, Today: fmtDay(today), Empty: loopEmpty}
	if forClient {
		p.Empty = loopEmptyClient
	}
	acts = slices.Clone(acts)
	slices.SortStableFunc(acts, func(a, b metrics.Action) int {
		switch ao, bo := a.Overdue(today), b.Overdue(today); {
		case ao == bo:
			return 0
		case ao:
			return -1
		}
		return 1
	})
	for _, a := range acts {
		if a.Status != metrics.ActionOpen {
			continue
		}
		r := loopRow{Kind: a.Kind, Title: a.Title, Owner: a.OwnerName, Due: fmtDay(a.Due), Overdue: a.Overdue(today)}
		if r.Owner == "" {
			r.Owner = a.Owner
		}
		if a.Origin == metrics.OriginRetro {
			r.From = metrics.QuarterLabel(a.Period) + " retro"
		} else {
			r.Client = a.ClientName
			if r.Client == "" {
				r.Client = a.Client
			}
			r.ClientLink = reportLink(v, a.Client, a.Period)
			r.From, r.FromLink = a.Period.Format("January 2006")+" report", r.ClientLink
		}
		p.Open++
		if r.Overdue {
			p.Overdue++
		}
		p.Rows = append(p.Rows, r)
	}
	return p
}
