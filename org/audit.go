package org

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	store "github.com/opsmetrics/opsmetrics/sql"
)

// Change is one entry of an org's audit trail: who changed what, when, and
// the value before and after (JSON; "" when created or removed). Secrets
// never go into Before or After.
type Change struct {
	Org     string    `json:"-"`
	At      time.Time `json:"at"`
	Who     string    `json:"who"`
	Kind    string    `json:"kind"`
	Subject string    `json:"subject,omitempty"`
	Name    string    `json:"name,omitempty"`
	Before  string    `json:"before,omitempty"`
	After   string    `json:"after,omitempty"`
}

// Audit kinds.
const (
	AuditSettings  = "settings"
	AuditPerson    = "person"
	AuditClient    = "client"
	AuditProject   = "project"
	AuditThreshold = "threshold"
	AuditSource    = "source"
	AuditHook      = "hook"
	AuditUser      = "user"
	AuditToken     = "token"
	AuditAction    = "action" // a report's or retro's action or decision
	AuditRetro     = "retro"
	AuditReport    = "report" // what a client's report carries and who receives it
)

// Inserter is the part of the store the audit trail is written through.
type Inserter interface {
	Insert(ctx context.Context, b *store.Batch) error
}

// JSON renders v for Change.Before and After ("" for nil).
func JSON(v any) string {
	if v == nil {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%q", err.Error())
	}
	return string(b)
}

// Record appends changes to the audit trail; At defaults to now.
func Record(ctx context.Context, w Inserter, changes ...Change) error {
	if len(changes) == 0 {
		return nil
	}
	n := len(changes)
	cols := make([][]string, 7)
	for i := range cols {
		cols[i] = make([]string, n)
	}
	at := make([]time.Time, n)
	for i, c := range changes {
		if c.Org == "" || c.Who == "" || c.Kind == "" {
			return errors.New("audit: a change needs an org, who and kind")
		}
		if c.At.IsZero() {
			c.At = time.Now()
		}
		at[i] = c.At.UTC()
		for j, v := range []string{c.Org, c.Who, c.Kind, c.Subject, c.Name, c.Before, c.After} {
			cols[j][i] = v
		}
	}
	return w.Insert(ctx, &store.Batch{
		Table:   "ops.audit",
		Columns: []string{"org_id", "who", "kind", "subject", "name", "before", "after", "at"},
		Values:  []any{cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[6], at},
	})
}

// AuditLog lists an org's changes, newest first: of one kind and subject
// when given (""), at most limit (0: 500).
func AuditLog(ctx context.Context, q Querier, id, kind, subject string, limit int) ([]Change, error) {
	if limit <= 0 {
		limit = 500
	}
	rows, err := q.Query(ctx, store.QueryText("audit_list"),
		store.Params{"org": id, "kind": kind, "subject": subject, "lim": uint64(limit)})
	if err != nil {
		return nil, fmt.Errorf("read the audit trail: %w", err)
	}
	out := make([]Change, rows.Len())
	for i := range out {
		c := &out[i]
		c.Org = id
		if err := rows.Scan(i, &c.At, &c.Who, &c.Kind, &c.Subject, &c.Name, &c.Before, &c.After); err != nil {
			return nil, err
		}
	}
	return out, nil
}
