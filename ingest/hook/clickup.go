package hook

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// clickupMapper maps ClickUp's task webhooks by their history_items: a
// status item is a transition (a created one when it has no status before),
// a due_date item a due-date change, a section_moved item a move to another
// list. The payload names no task, due date or completion, so the
// deliverable row needs the hook's token: with api, the task is fetched
// (GET /task/{id}) and its deliverable refreshed.
type clickupMapper struct{ api API }

var _ Mapper = clickupMapper{}

type clickupPayload struct {
	Event        string `json:"event"`
	TaskID       string `json:"task_id"`
	WebhookID    string `json:"webhook_id"`
	HistoryItems []struct {
		ID       idString `json:"id"`
		Date     idString `json:"date"`
		Field    string   `json:"field"`
		ParentID idString `json:"parent_id"`
		User     *struct {
			Username string `json:"username"`
		} `json:"user"`
		Before json.RawMessage `json:"before"`
		After  json.RawMessage `json:"after"`
	} `json:"history_items"`
}

// clickupStatus is a status item's before or after.
type clickupStatus struct {
	Status *string `json:"status"`
	Type   string  `json:"type"`
}

// clickupTask is what GET /task/{id} answers that a deliverable needs.
type clickupTask struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Status struct {
		Status string `json:"status"`
		Type   string `json:"type"`
	} `json:"status"`
	DueDate    *string `json:"due_date"`
	DateDone   *string `json:"date_done"`
	DateClosed *string `json:"date_closed"`
	List       struct {
		ID string `json:"id"`
	} `json:"list"`
}

// Map implements Mapper.
func (c clickupMapper) Map(ctx context.Context, d Delivery, m Mapping) (Mapped, error) {
	var p clickupPayload
	if err := decode("clickup", d.Body, &p); err != nil {
		return Mapped{}, err
	}
	out := Mapped{Event: p.Event}
	switch {
	case p.Event == "":
		return Mapped{}, errField("clickup", "event", nil)
	case !strings.HasPrefix(p.Event, "task"):
		out.Ignored = "event " + p.Event + " is not read: only task events move the numbers"
		return out, nil
	case p.TaskID == "":
		return Mapped{}, errField("clickup", "task_id", nil)
	case p.Event == "taskDeleted":
		out.Records = append(out.Records, tombstone(p.TaskID, d.Received.UTC()))
		return out, nil
	}
	var (
		latest time.Time
		moved  string // the list a section_moved item moved the task to
		read   []string
	)
	for i, it := range p.HistoryItems {
		field := func(name string) string { return fmt.Sprintf("history_items[%d].%s", i, name) }
		if it.ID == "" {
			return Mapped{}, errField("clickup", field("id"), nil)
		}
		at, err := parseMillis(string(it.Date))
		if err != nil {
			return Mapped{}, errField("clickup", field("date"), string(it.Date))
		}
		if at.After(latest) {
			latest = at
		}
		id := "clickup:" + string(it.ID)
		target := m.Target(string(it.ParentID))
		actor := ""
		if it.User != nil {
			actor = it.User.Username
		}
		switch it.Field {
		case "status":
			var before, after clickupStatus
			if err := unmarshalOpt(it.Before, &before); err != nil {
				return Mapped{}, errField("clickup", field("before"), string(it.Before))
			}
			if err := unmarshalOpt(it.After, &after); err != nil || after.Status == nil {
				return Mapped{}, errField("clickup", field("after.status"), nilIfEmpty(it.After))
			}
			t := transition{id: id, typ: ingest.EventStatusChanged, at: at, deliverable: p.TaskID, target: target,
				to: *after.Status, done: after.Type == "closed" || after.Type == "done", actor: actor}
			if before.Status == nil {
				// ClickUp's first status item of a new task: "removed" before
				t.typ = ingest.EventCreated
			} else {
				t.from = *before.Status
			}
			m.apply(t, &out)
		case "due_date":
			var after *string
			if err := unmarshalOpt(it.After, &after); err != nil {
				return Mapped{}, errField("clickup", field("after"), string(it.After))
			}
			due, err := optDate("clickup", field("after"), after, m.millisDate)
			if err != nil {
				return Mapped{}, err
			}
			out.Records = append(out.Records, dueChanged(id, at, p.TaskID, target, due, actor))
		case "section_moved":
			var after struct {
				ID string `json:"id"`
			}
			if err := unmarshalOpt(it.After, &after); err != nil || after.ID == "" {
				return Mapped{}, errField("clickup", field("after.id"), nilIfEmpty(it.After))
			}
			moved = after.ID
		default:
			continue
		}
		read = append(read, it.Field)
	}
	if c.api != nil && len(read) > 0 {
		dv, err := c.fetch(ctx, p.TaskID, m, latest)
		if err != nil {
			return Mapped{}, err
		}
		out.Records = append(out.Records, dv)
	}
	if len(out.Records) == 0 {
		switch {
		case moved != "":
			out.Ignored = "a move to list " + moved + " changes no event the KPIs read; with the hook's API token the task's deliverable follows it"
		default:
			out.Ignored = "event " + p.Event + " is not read: no status, due_date or section_moved history item"
		}
	}
	return out, nil
}

// fetch builds the task's deliverable from GET /task/{id}.
func (c clickupMapper) fetch(ctx context.Context, id string, m Mapping, at time.Time) (ingest.Deliverable, error) {
	var t clickupTask
	if err := c.api.Get(ctx, "/task/"+id, &t); err != nil {
		return ingest.Deliverable{}, fmt.Errorf("clickup: fetch task %s: %w", id, err)
	}
	due, err := optDate("clickup", "due_date of task "+id, t.DueDate, m.millisDate)
	if err != nil {
		return ingest.Deliverable{}, err
	}
	var deliveredAt *time.Time
	if m.delivers(t.Status.Status, t.Status.Type == "closed" || t.Status.Type == "done") {
		deliveredAt = &at
		for _, s := range []*string{t.DateClosed, t.DateDone} {
			if s != nil && *s != "" {
				if ts, err := parseMillis(*s); err == nil {
					deliveredAt = &ts
				}
			}
		}
	}
	return deliverable(id, t.Name, m.Target(t.List.ID), due, deliveredAt, at), nil
}

// unmarshalOpt decodes raw into v; absent or null leaves v as it is.
func unmarshalOpt(raw json.RawMessage, v any) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return json.Unmarshal(raw, v)
}

// nilIfEmpty is raw as errField's value: nil (missing) when absent or null.
func nilIfEmpty(raw json.RawMessage) any {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return string(raw)
}
