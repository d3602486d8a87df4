package metrics

import (
	"context"
	"fmt"
	"slices"
	"time"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// Lists are the rows the pages show beside the KPIs: the reviews waiting
// for a client, the late deliverables, the slips behind slip_days and each
// person's team. Each is a query (sql/queries/list_*.sql) that takes the
// request a KPI takes and is bound as a KPI is (paramsOf), so a list and
// the KPI beside it read the same time zone, grace days and business hours.

// list is one list query and the filters it takes.
type list struct {
	query   string   // sql/queries/<query>.sql
	what    string   // what it lists, for errors
	filters []string // the dimensions it can be filtered by
}

// The lists; read only.
var (
	stuckReviewsList     = list{"list_stuck_reviews", "waiting reviews", []string{"client", "project"}}
	lateDeliverablesList = list{"list_late_deliverables", "late deliverables", []string{"client", "project", "person"}}
	overdueNowList       = list{"list_overdue_deliverables", "overdue deliverables", []string{"client", "project", "person"}}
	slipsList            = list{"list_slips", "slip distribution", []string{"client", "project", "person"}}
	personTeamsList      = list{"list_person_teams", "person teams", nil}
)

// StuckReviews lists the client reviews waiting for a decision at r's
// cutoff, min(r.To, r.Now), as pending_reviews counts them: oldest first,
// at most limit (sql/queries/list_stuck_reviews.sql). r may filter by client
// and project; its grouping and interval are not read. Errors as Compute's.
func StuckReviews(ctx context.Context, q Querier, r Request, limit int) (*Result, error) {
	return runList(ctx, q, stuckReviewsList, r,
		store.Params{"limit": uint64(limit)})
}

// LateDeliverables lists the deliverables due in r's range that were
// delivered late or are overdue, as on_time_rate judges them: open ones
// first, then the most days late, at most limit; the column total counts
// them all (sql/queries/list_late_deliverables.sql). r may filter by client,
// project and person. Errors as Compute's.
func LateDeliverables(ctx context.Context, q Querier, r Request, limit int) (*Result, error) {
	return runList(ctx, q, lateDeliverablesList, r,
		store.Params{"limit": uint64(limit)})
}

// AsOfNow is r asking about now instead of its range: the day of r's now
// in loc (the org's time zone), [today, tomorrow), with r's now, filters and
// settings. The lists and snapshots cut at min(to, now) (StuckReviews, the
// pending_reviews KPI) are then cut at now, so what is waiting or overdue
// is the same whatever range a page shows: a range in the past does not
// make a review stop being stuck. Pure.
func AsOfNow(r Request, loc *time.Location) Request {
	if loc == nil {
		loc = time.UTC
	}
	r.Now = r.now()
	y, m, d := r.Now.In(loc).Date()
	r.From = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	r.To = r.From.AddDate(0, 0, 1)
	r.Interval = ""
	return r
}

// OverdueNow lists the deliverables overdue at r's now, whatever r's range:
// not delivered, and the end of their due date plus the org's grace days
// passed, as on_time_rate counts an open-overdue one; the most days overdue
// first, at most limit; the column total counts them all
// (sql/queries/list_overdue_deliverables.sql). r may filter by client,
// project and person. Errors as Compute's.
func OverdueNow(ctx context.Context, q Querier, r Request, limit int) (*Result, error) {
	return runList(ctx, q, overdueNowList, r,
		store.Params{"limit": uint64(limit)})
}

// Slips counts the late deliveries delivered in r's range by days late,
// the distribution behind slip_days (sql/queries/list_slips.sql). r may
// filter by client, project and person. Errors as Compute's.
func Slips(ctx context.Context, q Querier, r Request) (*Result, error) {
	return runList(ctx, q, slipsList, r, nil)
}

// PersonTeams returns each person's team at r.To (the person's latest
// version that starts before it), by person id; "" for none
// (sql/queries/list_person_teams.sql). r takes no filters. Errors as
// Compute's.
func PersonTeams(ctx context.Context, q Querier, r Request) (map[string]string, error) {
	res, err := runList(ctx, q, personTeamsList, r, nil)
	if err != nil {
		return nil, err
	}
	t := TableOf(res)
	out := make(map[string]string, t.Len())
	for i := range t.Len() {
		out[t.Str(i, "person_id")] = t.Str(i, "team")
	}
	return out, nil
}

// runList runs l for r with extra parameters (a limit) and returns its rows
// as they are, as a Result whose columns are the query's.
func runList(ctx context.Context, q Querier, l list, r Request, extra store.Params) (*Result, error) {
	text, params, err := bindList(ctx, q, l, r, extra)
	if err != nil {
		return nil, err
	}
	rows, err := q.Query(ctx, text, params)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.what, err)
	}
	res := &Result{Org: r.Org, From: day(r.From), To: day(r.To), Rows: rows.Data}
	for _, c := range rows.Columns {
		res.Columns = append(res.Columns, Column{Name: c.Name, Type: kind(c.Type)})
	}
	return res, nil
}

// bindList checks r against l and returns l's text and its parameters: the
// KPIs' (paramsOf) and extra. A list shows no amounts, so the org's
// currency is not looked up.
func bindList(ctx context.Context, q Querier, l list, r Request, extra store.Params) (string, store.Params, error) {
	if err := r.validateRange(); err != nil {
		return "", nil, err
	}
	for dim, v := range r.Filters {
		if v != "" && !slices.Contains(l.filters, dim) {
			return "", nil, badf("%s cannot be filtered by %q; its filters are %v", l.what, dim, l.filters)
		}
	}
	o := r.Settings
	if o == nil || o.ID != r.Org {
		orgs, err := orgCache(q, r)
		if err != nil {
			return "", nil, err
		}
		got, err := orgFor(ctx, orgs, r)
		if err != nil {
			return "", nil, err
		}
		o = &got
	}
	all, err := paramsOf(ctx, q, r, settingsFrom(*o), r.now())
	if err != nil {
		return "", nil, err
	}
	for k, v := range extra {
		all[k] = v
	}
	text := store.QueryText(l.query)
	params, err := pick(all, store.Placeholders(text))
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", l.what, err)
	}
	return text, params, nil
}
