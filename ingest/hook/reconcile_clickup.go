package hook

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// clickupReconciler reads each list's tasks updated since the cursor (GET
// /list/{id}/task?date_updated_gt=, closed ones too, a page at a time until
// last_page). A task is only its state now, so it adds what differs from
// the store's state of the task: a status change from the stored status, a
// due-date change from the stored due date, named by the task's id and
// date_updated. A task updated after the target's Until is left to its
// webhook (the settle time) and read by a later poll.
type clickupReconciler struct{}

var _ Reconciler = clickupReconciler{}

// clickupListed is a task as the list endpoint gives it.
type clickupListed struct {
	clickupTask
	DateUpdated string `json:"date_updated"`
}

// Poll implements Reconciler.
func (clickupReconciler) Poll(ctx context.Context, t ReconcileTarget, state TaskState) ([]any, time.Time, error) {
	lists, err := t.containers("list")
	if err != nil {
		return nil, t.Cursor, err
	}
	var tasks []clickupListed
	for _, list := range lists {
		for page := 0; ; page++ {
			q := url.Values{"date_updated_gt": {strconv.FormatInt(t.Cursor.UnixMilli(), 10)}, "include_closed": {"true"},
				"subtasks": {"true"}, "page": {strconv.Itoa(page)}}
			var res struct {
				Tasks    []clickupListed `json:"tasks"`
				LastPage *bool           `json:"last_page"`
			}
			if err := t.API.Get(ctx, "/list/"+url.PathEscape(list)+"/task?"+q.Encode(), &res); err != nil {
				return nil, t.Cursor, fmt.Errorf("clickup: tasks of list %s, page %d: %w", list, page, err)
			}
			tasks = append(tasks, res.Tasks...)
			if len(res.Tasks) == 0 || res.LastPage == nil || *res.LastPage {
				break
			}
		}
	}
	type changed struct {
		task clickupListed
		at   time.Time
	}
	var (
		todo []changed
		ids  []string
	)
	for _, ts := range tasks {
		if ts.ID == "" {
			return nil, t.Cursor, errField("clickup", "tasks[].id", nil)
		}
		at, err := parseMillis(ts.DateUpdated)
		if err != nil {
			return nil, t.Cursor, errField("clickup", "tasks[].date_updated of task "+ts.ID, ts.DateUpdated)
		}
		if at.After(t.Until) || !at.After(t.Cursor) {
			continue
		}
		todo = append(todo, changed{ts, at})
		ids = append(ids, ts.ID)
	}
	stored, err := state.Tasks(ctx, t.Org, "clickup", ids)
	if err != nil {
		return nil, t.Cursor, err
	}
	m := clickupMapper{api: t.API}
	var out Mapped
	for _, c := range todo {
		ts := c.task
		due, err := optDate("clickup", "tasks[].due_date of task "+ts.ID, ts.DueDate, t.Mapping.millisDate)
		if err != nil {
			return nil, t.Cursor, err
		}
		n := len(out.Records)
		t.Mapping.catchUp(transition{id: "clickup:recon:" + ts.ID + ":" + ts.DateUpdated, typ: ingest.EventStatusChanged,
			at: c.at, deliverable: ts.ID, target: t.Mapping.Target(ts.List.ID), to: ts.Status.Status,
			done: ts.Status.Type == "closed" || ts.Status.Type == "done"}, stored[ts.ID], due, &out)
		if len(out.Records) == n {
			continue // the store has the task as it is
		}
		dv, err := m.fetch(ctx, ts.ID, t.Mapping, c.at)
		if err != nil {
			return nil, t.Cursor, err
		}
		out.Records = append(out.Records, dv)
	}
	return out.Records, t.Until, nil
}

// catchUp appends the events that take a task from what the store knows of
// it (st) to its state now (tr.to, due): a status change from st.Status
// (tr.from is set from it) and a due-date change from st.Due; nothing for
// what is the same.
func (m Mapping) catchUp(tr transition, st StoredTask, due *time.Time, out *Mapped) {
	if tr.to != "" && NormalizeStatus(tr.to) != NormalizeStatus(st.Status) {
		tr.from = st.Status
		m.apply(tr, out)
	}
	if !sameDate(due, st.Due) {
		out.Records = append(out.Records, dueChanged(tr.id, tr.at, tr.deliverable, tr.target, due, tr.actor))
	}
}

func sameDate(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.UTC().Format(time.DateOnly) == b.UTC().Format(time.DateOnly)
}
