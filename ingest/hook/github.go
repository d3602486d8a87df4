package hook

import (
	"context"
	"strconv"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// githubMapper maps GitHub's issues webhook. An issue's statuses are "open"
// and "closed" (its action, never closed_at, which survives a reopen), plus
// labels the Mapping maps to a phase; its due date is its milestone's
// due_on. Every issues delivery carries the whole issue, so each refreshes
// the issue's deliverable ("owner/repo#12"). An issue closed as not planned
// is no delivery: its deliverable is dropped (a tombstone), and it comes
// back when reopened.
type githubMapper struct{}

var _ Mapper = githubMapper{}

type githubPayload struct {
	Action string `json:"action"`
	Issue  *struct {
		Number      int     `json:"number"`
		Title       string  `json:"title"`
		State       string  `json:"state"`
		StateReason *string `json:"state_reason"`
		Milestone   *struct {
			DueOn *string `json:"due_on"`
		} `json:"milestone"`
		CreatedAt string  `json:"created_at"`
		UpdatedAt string  `json:"updated_at"`
		ClosedAt  *string `json:"closed_at"`
	} `json:"issue"`
	Label *struct {
		Name string `json:"name"`
	} `json:"label"`
	Milestone *struct {
		DueOn *string `json:"due_on"`
	} `json:"milestone"`
	Repository *struct {
		FullName string `json:"full_name"`
	} `json:"repository"`
	Sender *struct {
		Login string `json:"login"`
	} `json:"sender"`
}

// Map implements Mapper.
func (githubMapper) Map(_ context.Context, d Delivery, m Mapping) (Mapped, error) {
	event := d.Header.Get("X-GitHub-Event")
	if event == "" {
		return Mapped{}, errField("github", "header X-GitHub-Event", nil)
	}
	if event != "issues" {
		return Mapped{Event: event, Ignored: "event " + event + " is not read: only issues events move the numbers"}, nil
	}
	var p githubPayload
	if err := decode("github", d.Body, &p); err != nil {
		return Mapped{}, err
	}
	if p.Action == "" {
		return Mapped{}, errField("github", "action", nil)
	}
	out := Mapped{Event: "issues." + p.Action}
	is := p.Issue
	switch {
	case is == nil || is.Number <= 0:
		return Mapped{}, errField("github", "issue.number", nil)
	case p.Repository == nil || p.Repository.FullName == "":
		return Mapped{}, errField("github", "repository.full_name", nil)
	}
	key := p.Repository.FullName + "#" + strconv.Itoa(is.Number)
	target := m.Target(p.Repository.FullName)
	// GitHub's issue events carry no time of their own: the issue's
	// timestamps say when the action happened.
	whenField, when := "issue.updated_at", is.UpdatedAt
	switch p.Action {
	case "opened":
		whenField, when = "issue.created_at", is.CreatedAt
	case "closed":
		if is.ClosedAt != nil {
			whenField, when = "issue.closed_at", *is.ClosedAt
		}
	}
	at, err := parseTime(when)
	if err != nil {
		return Mapped{}, errField("github", whenField, when)
	}
	if p.Action == "deleted" {
		out.Records = append(out.Records, tombstone(key, at))
		return out, nil
	}
	var due *time.Time
	if is.Milestone != nil {
		due, err = optDate("github", "issue.milestone.due_on", is.Milestone.DueOn, m.instantDate)
	}
	if err != nil {
		return Mapped{}, err
	}
	id := "github:" + d.Header.Get("X-GitHub-Delivery")
	if d.Header.Get("X-GitHub-Delivery") == "" {
		id = "github:" + d.ID
	}
	actor := ""
	if p.Sender != nil {
		actor = p.Sender.Login
	}
	notPlanned := is.StateReason != nil && *is.StateReason == "not_planned"
	t := transition{id: id, at: at, deliverable: key, target: target, actor: actor}
	switch p.Action {
	case "opened":
		t.typ, t.to = ingest.EventCreated, "open"
		m.apply(t, &out)
		if due != nil {
			// the first due date is the commitment promise drift counts from
			out.Records = append(out.Records, dueChanged(id, at, key, target, due, actor))
		}
	case "closed":
		t.typ, t.from, t.to, t.done = ingest.EventStatusChanged, "open", "closed", !notPlanned
		if notPlanned {
			t.to = "not planned"
		}
		m.apply(t, &out)
	case "reopened":
		t.typ, t.from, t.to = eventReopened, "closed", "open"
		m.apply(t, &out)
	case "milestoned", "demilestoned":
		// the payload's milestone is the one added or removed
		var moved *time.Time
		if p.Action == "milestoned" {
			if p.Milestone == nil {
				return Mapped{}, errField("github", "milestone", nil)
			}
			if moved, err = optDate("github", "milestone.due_on", p.Milestone.DueOn, m.instantDate); err != nil {
				return Mapped{}, err
			}
		}
		out.Records = append(out.Records, dueChanged(id, at, key, target, moved, actor))
	case "labeled":
		if p.Label == nil || p.Label.Name == "" {
			return Mapped{}, errField("github", "label.name", nil)
		}
		if _, ok := m.Phase(p.Label.Name); ok {
			t.typ, t.to = ingest.EventStatusChanged, p.Label.Name
			m.apply(t, &out)
		}
	}
	if is.State == "closed" && notPlanned {
		out.Records = append(out.Records, tombstone(key, at))
		return out, nil
	}
	var deliveredAt *time.Time
	if is.State == "closed" && m.delivers("closed", true) {
		deliveredAt = &at
		if is.ClosedAt != nil {
			c, err := parseTime(*is.ClosedAt)
			if err != nil {
				return Mapped{}, errField("github", "issue.closed_at", *is.ClosedAt)
			}
			deliveredAt = &c
		}
	}
	out.Records = append(out.Records, deliverable(key, is.Title, target, due, deliveredAt, at))
	return out, nil
}
