package hook

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// Webhooks alone lose transitions: ClickUp drops a delivery after 5 failed
// retries, Asana delivers at most once, Jira and Trello drop what arrives
// while the service is unreachable. A Reconciler reads the tool's API with
// the hook's token for what changed since a cursor and adds what the store
// lacks, never a transition twice: Jira and Trello list their own events,
// which become the rows a webhook makes (the same ExternalIDs, through the
// same Mapper); ClickUp and Asana list only tasks as they are now, which are
// compared with what the store knows of them (TaskState). docs/hooks-reconcile.md.

// ReconcileTarget is one hook to reconcile.
type ReconcileTarget struct {
	Org, Hook, Tool string
	API             API     // the tool's API with the hook's token
	Mapping         Mapping // the org's mapping of the tool
	// Containers are the boards (Trello), lists (ClickUp) or projects
	// (Asana) to read; nil: the keys of Mapping.Targets. Jira searches the
	// whole site the token sees.
	Containers []string
	// Cursor is where the last poll ended: only changes after it are read.
	Cursor time.Time
	// Until is where this poll ends: a change after it is left for the next
	// poll (Reconciliation sets it: now minus the settle time).
	Until time.Time
	// BeforeCommit, when set, runs right before the batch is made visible
	// (importer.Request.BeforeCommit): the Scheduler checks there that it
	// still holds the hook's lease.
	BeforeCommit func(ctx context.Context) error
}

// containers are the target's containers (what names one in tool, such as
// "board"), sorted; an error when there are none.
func (t ReconcileTarget) containers(what string) ([]string, error) {
	out := t.Containers
	if out == nil {
		for k := range t.Mapping.Targets {
			out = append(out, k)
		}
		slices.Sort(out)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no %s to read: map a %s to a client (hook map) first", t.Tool, what, what)
	}
	return out, nil
}

// Reconciler polls one tool. Poll returns the records (ingest.TaskEvent and
// ingest.Deliverable, ExternalIDs deterministic, Org and Source unset) of
// the changes after t.Cursor up to t.Until, and the cursor the next poll
// starts from. Its errors are the API's (collect.ErrNeedsToken wrapped on a
// 401) or a body the tool would not send, naming the field.
type Reconciler interface {
	Poll(ctx context.Context, t ReconcileTarget, state TaskState) ([]any, time.Time, error)
}

// ReconcilerOf returns tool's Reconciler. GitHub has none: GitHub keeps
// every delivery, shows it and redelivers it on request, so nothing is lost
// that a replay cannot bring back (docs/hooks-reconcile.md).
func ReconcilerOf(tool string) (Reconciler, bool) {
	switch tool {
	case "jira":
		return jiraReconciler{}, true
	case "trello":
		return trelloReconciler{}, true
	case "clickup":
		return clickupReconciler{}, true
	case "asana":
		return asanaReconciler{}, true
	}
	return nil, false
}

// StoredTask is what the store knows of one task of a tool.
type StoredTask struct {
	Status    string     // the latest status an event moved it to; "" when none
	Due       *time.Time // its due date; nil when none or unknown
	Delivered bool       // delivered, and not reopened since
}

// TaskState answers what the store already knows of a tool's tasks and
// events, for a Reconciler to add only what is missing.
type TaskState interface {
	// Tasks returns the stored state of the tasks ids (the tool's task ids)
	// of org's tool; a task the store knows nothing of is absent.
	Tasks(ctx context.Context, org, tool string, ids []string) (map[string]StoredTask, error)
	// Stored returns which of the task event ids org's tool has stored.
	Stored(ctx context.Context, org, tool string, ids []string) (map[string]bool, error)
}

// StoreState is TaskState over the store's task events and deliverables
// (sql/queries/hook_task_state.sql, hook_events_stored.sql).
type StoreState struct{ Q ingest.Querier }

var _ TaskState = StoreState{}

// Tasks implements TaskState. The deliverable row, written from the whole
// task as the tool last gave it, decides the due date and the delivery;
// without one, the task's latest events do.
func (s StoreState) Tasks(ctx context.Context, org, tool string, ids []string) (map[string]StoredTask, error) {
	out := map[string]StoredTask{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.Q.Query(ctx, store.QueryText("hook_task_state"), store.Params{"org": org, "source": tool, "tasks": ids})
	if err != nil {
		return nil, fmt.Errorf("read the stored state of %d %s tasks: %w", len(ids), tool, err)
	}
	fromRow := map[string]bool{} // the task's due date and delivery came from its deliverable
	for i := range rows.Len() {
		var (
			kind, id, status string
			hasDue, hasDone  bool
			due              *time.Time
			done             bool
		)
		if err := rows.Scan(i, &kind, &id, &status, &hasDue, &due, &hasDone, &done); err != nil {
			return nil, err
		}
		st := out[id]
		if status != "" {
			st.Status = status
		}
		if kind == "deliverable" || !fromRow[id] {
			if hasDue {
				st.Due = due
			}
			if hasDone {
				st.Delivered = done
			}
		}
		if kind == "deliverable" {
			fromRow[id] = true
		}
		out[id] = st
	}
	return out, nil
}

// Stored implements TaskState.
func (s StoreState) Stored(ctx context.Context, org, tool string, ids []string) (map[string]bool, error) {
	out := map[string]bool{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.Q.Query(ctx, store.QueryText("hook_events_stored"), store.Params{"org": org, "source": tool, "ids": ids})
	if err != nil {
		return nil, fmt.Errorf("read the stored %s events: %w", tool, err)
	}
	for i := range rows.Len() {
		var id string
		if err := rows.Scan(i, &id); err != nil {
			return nil, err
		}
		out[id] = true
	}
	return out, nil
}

// ReconcileConfig configures a Reconciliation.
type ReconcileConfig struct {
	Importer Importer
	State    TaskState // nil: StoreState over Store
	Store    ingest.Querier
	Logger   *slog.Logger
	Now      func() time.Time // nil: time.Now
	// Settle is how long a change is left to its webhook before a poll
	// reads it (default 10 min, the span of ClickUp's 5 retries), so a late
	// retry and a poll do not both write a transition that ClickUp and
	// Asana name by no id of their own.
	Settle time.Duration
	// Reconcilers gives a tool's Reconciler; nil: ReconcilerOf.
	Reconcilers func(tool string) (Reconciler, bool)
}

// Validate fills defaults and reports what is missing.
func (c *ReconcileConfig) Validate() error {
	if c.Importer == nil || c.Logger == nil || (c.State == nil && c.Store == nil) {
		return errors.New("hook: a reconciliation needs an importer, a logger and a store or task state")
	}
	if c.State == nil {
		c.State = StoreState{Q: c.Store}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Settle <= 0 {
		c.Settle = 10 * time.Minute
	}
	if c.Reconcilers == nil {
		c.Reconcilers = ReconcilerOf
	}
	return nil
}

// Reconciliation runs Reconcilers and writes what they add.
type Reconciliation struct{ cfg ReconcileConfig }

// NewReconciliation returns a Reconciliation.
func NewReconciliation(cfg ReconcileConfig) (*Reconciliation, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Reconciliation{cfg: cfg}, nil
}

// ReconcileResult is what one reconciliation of a hook did.
type ReconcileResult struct {
	Hook    string `json:"hook"`
	BatchID string `json:"batch_id,omitempty"`
	Read    int    `json:"read"`    // records the Reconciler made
	Known   int    `json:"known"`   // of them, events already stored (by a webhook or an earlier poll): not written
	Added   int    `json:"added"`   // events written
	Written int    `json:"written"` // events and deliverables written
}

// ErrNoReconciler: the tool has no Reconciler (GitHub).
var ErrNoReconciler = errors.New("no reconciler for this tool")

// Reconcile polls t's tool for what changed after t.Cursor (up to now
// minus Settle), drops the events the store already has, writes the rest,
// with the deliverables of their tasks, as one staged import (all or
// nothing), and returns what it did and the cursor to store for the next
// poll: t.Cursor again when anything failed. A transition is added once
// however often it runs. Errors: ErrNoReconciler (wrapped), the API's
// (collect.ErrNeedsToken wrapped on a 401), the store's.
func (r *Reconciliation) Reconcile(ctx context.Context, t ReconcileTarget) (ReconcileResult, time.Time, error) {
	res := ReconcileResult{Hook: t.Hook}
	rc, ok := r.cfg.Reconcilers(t.Tool)
	if !ok {
		return res, t.Cursor, fmt.Errorf("hook %s: tool %q: %w", t.Hook, t.Tool, ErrNoReconciler)
	}
	if t.API == nil {
		return res, t.Cursor, fmt.Errorf("hook %s: no API token to reconcile %s with (hook add --token-file)", t.Hook, t.Tool)
	}
	t.Until = r.cfg.Now().UTC().Add(-r.cfg.Settle)
	if !t.Cursor.Before(t.Until) {
		return res, t.Cursor, nil
	}
	recs, next, err := rc.Poll(ctx, t, r.cfg.State)
	if err != nil {
		return res, t.Cursor, fmt.Errorf("reconcile hook %s (%s): %w", t.Hook, t.Tool, err)
	}
	res.Read = len(recs)
	rows, known, err := r.fresh(ctx, t, recs)
	if err != nil {
		return res, t.Cursor, err
	}
	res.Known = known
	if len(rows) > 0 {
		sum, err := r.cfg.Importer.Import(ctx, importer.Request{Org: t.Org, File: t.Tool + " reconcile " + t.Hook,
			Format: t.Tool + "_reconcile", Records: &rowsParser{rows: rows}, Stage: true, BeforeCommit: t.BeforeCommit})
		if err == nil && !sum.Written {
			err = errNotWritten
		}
		if err != nil {
			return res, t.Cursor, fmt.Errorf("write the reconciliation of hook %s: %w", t.Hook, err)
		}
		res.BatchID = sum.BatchID
		for entity, c := range sum.Entities {
			res.Written += c.Written
			if entity == "task_event" {
				res.Added += c.Written
			}
		}
	}
	r.cfg.Logger.Info("hook_reconciled", "org", t.Org, "hook", t.Hook, "tool", t.Tool,
		"read", res.Read, "known", res.Known, "added", res.Added)
	return res, next, nil
}

// fresh keeps the events of recs the store lacks, and the deliverables of
// the tasks they are about (a deliverable alone would only write again what
// is stored), as rows of t's org and tool; known counts the events dropped.
func (r *Reconciliation) fresh(ctx context.Context, t ReconcileTarget, recs []any) ([]ingest.Row, int, error) {
	var ids []string
	for _, rec := range recs {
		if ev, ok := rec.(ingest.TaskEvent); ok {
			ids = append(ids, ev.ExternalID)
		}
	}
	stored, err := r.cfg.State.Stored(ctx, t.Org, t.Tool, ids)
	if err != nil {
		return nil, 0, err
	}
	known, tasks := 0, map[string]bool{}
	for _, rec := range recs {
		if ev, ok := rec.(ingest.TaskEvent); ok {
			if stored[ev.ExternalID] {
				known++
			} else {
				tasks[ev.DeliverableID] = true
			}
		}
	}
	var rows []ingest.Row
	for _, rec := range recs {
		switch v := rec.(type) {
		case ingest.TaskEvent:
			if stored[v.ExternalID] {
				continue
			}
			v.Org, v.Source = t.Org, t.Tool
			rec = v
		case ingest.Deliverable:
			if !tasks[v.ExternalID] {
				continue
			}
			v.Org, v.Source = t.Org, t.Tool
			rec = v
		default:
			return nil, 0, fmt.Errorf("the %s reconciler made a %T; only task events and deliverables are kept", t.Tool, rec)
		}
		rows = append(rows, ingest.Row{Line: len(rows) + 1, Record: rec})
	}
	return rows, known, nil
}
