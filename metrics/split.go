package metrics

import (
	"context"
	"fmt"
	"slices"
	"time"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// ApprovalSplit answers approval_time_p50 three ways with one query
// (sql/queries/approval_time_split.sql), as the overview's tile shows it:
// trend is r by r.Interval (day, week or month); prev is the whole of
// [prevFrom, prevTo), a range that ends by r.From; whole is the whole of
// r's range. Each is the Result Compute gives for that request alone. The
// engine plans one query instead of three, and planning is most of what
// each costs. r.WithNames is not served.
func ApprovalSplit(ctx context.Context, q Querier, r Request, prevFrom, prevTo time.Time) (trend, prev, whole *Result, err error) {
	switch {
	case r.KPI != "approval_time_p50":
		return nil, nil, nil, badf("ApprovalSplit answers approval_time_p50, not %q", r.KPI)
	case !slices.Contains(Intervals, r.Interval):
		return nil, nil, nil, badf("interval %q: want day, week or month", r.Interval)
	case !prevFrom.Before(prevTo) || prevTo.After(r.From):
		return nil, nil, nil, badf("previous range %s to %s: want a range that ends by %s", day(prevFrom), day(prevTo), day(r.From))
	}
	both := r
	both.From, both.Interval = prevFrom, "day"
	p, err := prepare(ctx, q, nil, both)
	if err != nil {
		return nil, nil, nil, err
	}
	p.all["split"], p.all["prev_to"], p.all["trend"] = r.From, prevTo, r.Interval
	text := store.QueryText("approval_time_split")
	params, err := pick(p.all, store.Placeholders(text))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("approval split: %w", err)
	}
	rows, err := q.Query(ctx, text, params)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("kpi approval_time_p50: %w", err)
	}
	if len(rows.Columns) == 0 || rows.Columns[0].Name != "part" {
		return nil, nil, nil, fmt.Errorf("approval split: columns %v: want part first", rows.Columns)
	}
	parts := map[string]*store.Rows{}
	for _, name := range []string{"trend", "before", "whole"} {
		parts[name] = &store.Rows{Columns: rows.Columns[1:]}
	}
	for _, row := range rows.Data {
		part, _ := row[0].(string)
		out, ok := parts[part]
		if !ok {
			return nil, nil, nil, fmt.Errorf("approval split: part %q", part)
		}
		out.Data = append(out.Data, row[1:])
	}
	before, shown := r, r
	before.From, before.To, before.Interval = prevFrom, prevTo, ""
	shown.Interval = ""
	return p.result(r, parts["trend"]), p.result(before, parts["before"]), p.result(shown, parts["whole"]), nil
}
