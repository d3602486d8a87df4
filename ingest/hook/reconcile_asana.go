package hook

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// asanaReconciler reads each project's tasks modified since the cursor (GET
// /tasks?project=&modified_since=, 100 a page, the next by next_page.offset).
// Asana delivers a webhook event at most once and its events carry only
// ids, so the task as it is now is compared with the store's state of it: a
// move into another section is a status change, a completion a delivery (a
// completion undone a reopening), a due_on that differs a due-date change,
// all named by the task's gid and modified_at. A task modified after the
// target's Until is left to its webhook and read by a later poll.
type asanaReconciler struct{}

var _ Reconciler = asanaReconciler{}

// asanaListed is a task as GET /tasks gives it.
type asanaListed struct {
	asanaTask
	ModifiedAt string `json:"modified_at"`
}

// Poll implements Reconciler.
func (asanaReconciler) Poll(ctx context.Context, t ReconcileTarget, state TaskState) ([]any, time.Time, error) {
	projects, err := t.containers("project")
	if err != nil {
		return nil, t.Cursor, err
	}
	type changed struct {
		task    asanaListed
		project string
		at      time.Time
	}
	var (
		todo []changed
		ids  []string
	)
	for _, project := range projects {
		offset := ""
		for page := 1; ; page++ {
			q := url.Values{"project": {project}, "modified_since": {t.Cursor.UTC().Format(time.RFC3339)},
				"opt_fields": {asanaTaskFields + ",modified_at"}, "limit": {"100"}}
			if offset != "" {
				q.Set("offset", offset)
			}
			var res struct {
				Data     []asanaListed `json:"data"`
				NextPage *struct {
					Offset string `json:"offset"`
				} `json:"next_page"`
			}
			if err := t.API.Get(ctx, "/tasks?"+q.Encode(), &res); err != nil {
				return nil, t.Cursor, fmt.Errorf("asana: tasks of project %s, page %d: %w", project, page, err)
			}
			for _, ts := range res.Data {
				if ts.GID == "" {
					return nil, t.Cursor, errField("asana", "data[].gid", nil)
				}
				at, err := parseTime(ts.ModifiedAt)
				if err != nil {
					return nil, t.Cursor, errField("asana", "data[].modified_at of task "+ts.GID, ts.ModifiedAt)
				}
				if at.After(t.Until) || !at.After(t.Cursor) {
					continue
				}
				todo = append(todo, changed{ts, project, at})
				ids = append(ids, ts.GID)
			}
			if res.NextPage == nil || res.NextPage.Offset == "" {
				break
			}
			if res.NextPage.Offset == offset {
				return nil, t.Cursor, errField("asana", "next_page.offset", offset)
			}
			offset = res.NextPage.Offset
		}
	}
	stored, err := state.Tasks(ctx, t.Org, "asana", ids)
	if err != nil {
		return nil, t.Cursor, err
	}
	var out Mapped
	for _, c := range todo {
		ts, st := &c.task.asanaTask, stored[c.task.GID]
		due, err := asanaDue(ts)
		if err != nil {
			return nil, t.Cursor, err
		}
		tr := transition{id: "asana:recon:" + ts.GID + ":" + c.at.Format("20060102T150405.000Z"), typ: ingest.EventStatusChanged,
			at: c.at, deliverable: ts.GID, target: t.Mapping.Target(c.project), to: asanaSection(ts, c.project)}
		n := len(out.Records)
		t.Mapping.catchUp(tr, st, due, &out)
		if ts.Completed != st.Delivered {
			// Completion is Asana's done, not a section: a delivered event,
			// and a reopened one into the task's section when undone (as
			// the webhook Mapper writes them).
			ev := ingest.TaskEvent{Meta: ingest.Meta{ExternalID: tr.id + ":delivered"}, OccurredAt: c.at,
				Type: ingest.EventDelivered, DeliverableID: ts.GID, TaskID: ts.GID, ClientID: tr.target.Client,
				ProjectID: tr.target.Project}
			if ts.Completed && ts.CompletedAt != nil {
				if done, err := parseTime(*ts.CompletedAt); err == nil {
					ev.OccurredAt = done // when it was done, not when it was last touched
				}
			}
			if !ts.Completed {
				ev.ExternalID, ev.Type, ev.ToStatus = tr.id+":reopened", eventReopened, tr.to
				ev.Phase, _ = t.Mapping.Phase(tr.to)
			}
			out.Records = append(out.Records, ev)
		}
		if len(out.Records) == n {
			continue // the store has the task as it is
		}
		dv, err := asanaDeliverable(ts, t.Mapping, c.at)
		if err != nil {
			return nil, t.Cursor, err
		}
		out.Records = append(out.Records, dv)
	}
	return out.Records, t.Until, nil
}
