package metrics

import (
	"cmp"
	"context"
	"fmt"
	"time"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// SourceState is a connected source of an org as the pages show it: the
// tool and account, and how its syncs went. It is read from the state the
// collectors (ingest/collect) store, without importing them: the pages
// read through this package only.
type SourceState struct {
	ID      string
	Kind    string // the tool: harvest, toggl, ...
	Account string // the tool's account id, or its workspace for tools that have one
	Created time.Time
	// LastAttempt and LastSuccess are nil before the first attempt and the
	// first success; FailingSince is the first failure since the last
	// success, nil while it succeeds.
	LastAttempt, LastSuccess, FailingSince *time.Time
	LastError                              string // in words, the token redacted by the collector; "" after a success
	NeedsToken                             bool   // the tool refused the token: `opsmetrics source add` it again
}

// Failing reports whether the source's latest sync failed.
func (s SourceState) Failing() bool { return s.FailingSince != nil || s.NeedsToken }

// Sources returns the live connected sources of org, oldest first, with
// their latest sync state (sql/queries/org_sources.sql); none when it has
// none. Errors are the store's, wrapped.
func Sources(ctx context.Context, q Querier, org string) ([]SourceState, error) {
	rows, err := q.Query(ctx, store.QueryText("org_sources"), store.Params{"org": org})
	if err != nil {
		return nil, fmt.Errorf("sources of org %s: %w", org, err)
	}
	out := make([]SourceState, 0, rows.Len())
	for i := range rows.Len() {
		var s SourceState
		var account, workspace string
		var needs uint64
		if err := rows.Scan(i, &s.ID, &s.Kind, &account, &workspace, &s.Created, &s.LastAttempt, &s.LastSuccess,
			&s.FailingSince, &s.LastError, &needs); err != nil {
			return nil, fmt.Errorf("sources of org %s: %w", org, err)
		}
		s.Account = cmp.Or(account, workspace)
		s.NeedsToken = needs != 0
		out = append(out, s)
	}
	return out, nil
}

// LastIngest returns when org's newest time entry or task event was
// ingested, from any source (sql/queries/org_last_ingest.sql); ok is false
// when it has none. Errors are the store's, wrapped.
func LastIngest(ctx context.Context, q Querier, org string) (at time.Time, ok bool, err error) {
	rows, err := q.Query(ctx, store.QueryText("org_last_ingest"), store.Params{"org": org})
	if err != nil {
		return time.Time{}, false, fmt.Errorf("last ingest of org %s: %w", org, err)
	}
	if rows.Len() == 0 {
		return time.Time{}, false, nil
	}
	var p *time.Time
	if err := rows.Scan(0, &p); err != nil {
		return time.Time{}, false, fmt.Errorf("last ingest of org %s: %w", org, err)
	}
	if p == nil {
		return time.Time{}, false, nil
	}
	return *p, true, nil
}
