package hook

import (
	"context"
	"strconv"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// jiraMapper maps Jira Cloud's issue webhooks (jira:issue_created,
// jira:issue_updated with its changelog, jira:issue_deleted). Every issue
// event carries the whole issue, so each one also refreshes the issue's
// deliverable: key, summary, due date, and delivered_at while its status
// stands for delivered.
type jiraMapper struct{}

var _ Mapper = jiraMapper{}

type jiraPayload struct {
	Timestamp    *int64 `json:"timestamp"`
	WebhookEvent string `json:"webhookEvent"`
	User         *struct {
		DisplayName string `json:"displayName"`
	} `json:"user"`
	Issue *struct {
		ID     idString `json:"id"`
		Key    string   `json:"key"`
		Fields *struct {
			Summary string `json:"summary"`
			Status  *struct {
				Name           string `json:"name"`
				StatusCategory struct {
					Key string `json:"key"`
				} `json:"statusCategory"`
			} `json:"status"`
			DueDate                  *string `json:"duedate"`
			ResolutionDate           *string `json:"resolutiondate"`
			StatusCategoryChangeDate *string `json:"statuscategorychangedate"`
			Project                  *struct {
				Key string `json:"key"`
			} `json:"project"`
		} `json:"fields"`
	} `json:"issue"`
	Changelog *struct {
		ID    idString `json:"id"`
		Items []struct {
			Field      string  `json:"field"`
			To         *string `json:"to"`
			FromString *string `json:"fromString"`
			ToString   *string `json:"toString"`
		} `json:"items"`
	} `json:"changelog"`
}

// Map implements Mapper.
func (jiraMapper) Map(_ context.Context, d Delivery, m Mapping) (Mapped, error) {
	var p jiraPayload
	if err := decode("jira", d.Body, &p); err != nil {
		return Mapped{}, err
	}
	out := Mapped{Event: p.WebhookEvent}
	switch p.WebhookEvent {
	case "jira:issue_created", "jira:issue_updated", "jira:issue_deleted":
	case "":
		return Mapped{}, errField("jira", "webhookEvent", nil)
	default:
		out.Ignored = "event " + p.WebhookEvent + " is not read: only issue events move the numbers"
		return out, nil
	}
	if p.Timestamp == nil {
		return Mapped{}, errField("jira", "timestamp", nil)
	}
	at := time.UnixMilli(*p.Timestamp).UTC()
	if p.Issue == nil || p.Issue.Key == "" {
		return Mapped{}, errField("jira", "issue.key", nil)
	}
	key := p.Issue.Key
	if p.WebhookEvent == "jira:issue_deleted" {
		out.Records = append(out.Records, tombstone(key, at))
		return out, nil
	}
	f := p.Issue.Fields
	switch {
	case f == nil:
		return Mapped{}, errField("jira", "issue.fields", nil)
	case f.Project == nil || f.Project.Key == "":
		return Mapped{}, errField("jira", "issue.fields.project.key", nil)
	case f.Status == nil || f.Status.Name == "":
		return Mapped{}, errField("jira", "issue.fields.status.name", nil)
	}
	target := m.Target(f.Project.Key)
	actor := ""
	if p.User != nil {
		actor = p.User.DisplayName
	}
	due, err := optDate("jira", "issue.fields.duedate", f.DueDate, parseDate)
	if err != nil {
		return Mapped{}, err
	}
	done := f.Status.StatusCategory.Key == "done"

	if p.WebhookEvent == "jira:issue_created" {
		id := "jira:" + string(p.Issue.ID) + ":created"
		if p.Issue.ID == "" {
			id = "jira:" + d.ID + ":created"
		}
		m.apply(transition{id: id, typ: ingest.EventCreated, at: at, deliverable: key, target: target,
			to: f.Status.Name, done: done, actor: actor}, &out)
		if due != nil {
			// the first due date is the commitment promise drift counts from
			out.Records = append(out.Records, dueChanged(id, at, key, target, due, actor))
		}
	} else if p.Changelog != nil {
		history := string(p.Changelog.ID)
		if history == "" {
			history = d.ID
		}
		for i, it := range p.Changelog.Items {
			id := JiraEventID(history, i)
			switch it.Field {
			case "status":
				if it.ToString == nil {
					return Mapped{}, errField("jira", "changelog.items["+strconv.Itoa(i)+"].toString", nil)
				}
				from := ""
				if it.FromString != nil {
					from = *it.FromString
				}
				// The category is the issue's now; it speaks for this item
				// only when the item ends in the issue's current status.
				m.apply(transition{id: id, typ: ingest.EventStatusChanged, at: at, deliverable: key, target: target,
					from: from, to: *it.ToString, done: done && *it.ToString == f.Status.Name, actor: actor}, &out)
			case "duedate":
				to, err := optDate("jira", "changelog.items["+strconv.Itoa(i)+"].to", it.To, parseDate)
				if err != nil {
					return Mapped{}, err
				}
				out.Records = append(out.Records, dueChanged(id, at, key, target, to, actor))
			}
		}
	}

	var deliveredAt *time.Time
	if m.delivers(f.Status.Name, done) {
		// Jira's own completion time, else when the status category last
		// changed, else this event (the one that delivered it, usually).
		deliveredAt = &at
		for _, f := range []struct {
			name string
			v    *string
		}{{"statuscategorychangedate", f.StatusCategoryChangeDate}, {"resolutiondate", f.ResolutionDate}} {
			if f.v != nil && *f.v != "" {
				t, err := parseTime(*f.v)
				if err != nil {
					return Mapped{}, errField("jira", "issue.fields."+f.name, *f.v)
				}
				deliveredAt = &t
			}
		}
	}
	out.Records = append(out.Records, deliverable(key, f.Summary, target, due, deliveredAt, at))
	return out, nil
}
