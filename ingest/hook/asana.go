package hook

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
)

// asanaMapper maps Asana's webhook events. A task's section is its status
// (an "added" event whose parent is a section is a transition into it), its
// being added to a project is its creation, and its completion is its
// delivery whatever its section (Asana has no status besides). Events carry
// only ids: with api each task named is fetched once (GET /tasks/{gid}) for
// its name, due_on, completion and section, which completed and due_on
// changes and the deliverable row need; without it, only what the event
// itself says (a section named in the event, a creation, a deletion) is
// kept and the rest is Ignored saying so.
type asanaMapper struct{ api API }

var _ Mapper = asanaMapper{}

type asanaRef struct {
	GID          string `json:"gid"`
	ResourceType string `json:"resource_type"`
	Name         string `json:"name"`
}

type asanaPayload struct {
	Events *[]struct {
		Action    string    `json:"action"`
		Resource  *asanaRef `json:"resource"`
		Parent    *asanaRef `json:"parent"`
		CreatedAt string    `json:"created_at"`
		User      *asanaRef `json:"user"`
		Change    *struct {
			Field string `json:"field"`
		} `json:"change"`
	} `json:"events"`
}

// asanaTask is what GET /tasks/{gid} answers (inside "data").
type asanaTask struct {
	GID         string  `json:"gid"`
	Name        string  `json:"name"`
	Completed   bool    `json:"completed"`
	CompletedAt *string `json:"completed_at"`
	DueOn       *string `json:"due_on"`
	Memberships []struct {
		Project asanaRef `json:"project"`
		Section asanaRef `json:"section"`
	} `json:"memberships"`
}

// asanaTaskFields are the fields a Mapper asks Asana for.
const asanaTaskFields = "name,completed,completed_at,due_on,memberships.project.gid,memberships.section.gid,memberships.section.name"

// Map implements Mapper.
func (a asanaMapper) Map(ctx context.Context, d Delivery, m Mapping) (Mapped, error) {
	var p asanaPayload
	if err := decode("asana", d.Body, &p); err != nil {
		return Mapped{}, err
	}
	if p.Events == nil {
		return Mapped{}, errField("asana", "events", nil)
	}
	var (
		out    Mapped
		names  []string
		tasks  = map[string]*asanaTask{} // fetched, by gid
		latest = map[string]time.Time{}  // the newest event of each task written
		needs  []string                  // what was left for want of a token
	)
	for i, e := range *p.Events {
		field := func(name string) string { return fmt.Sprintf("events[%d].%s", i, name) }
		if e.Resource == nil || e.Resource.GID == "" {
			return Mapped{}, errField("asana", field("resource.gid"), nil)
		}
		name := e.Resource.ResourceType + "." + e.Action
		if e.Change != nil && e.Change.Field != "" {
			name += ":" + e.Change.Field
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
		if e.Resource.ResourceType != "task" {
			continue
		}
		at, err := parseTime(e.CreatedAt)
		if err != nil {
			return Mapped{}, errField("asana", field("created_at"), e.CreatedAt)
		}
		gid := e.Resource.GID
		id := "asana:" + gid + ":" + at.Format("20060102T150405.000Z") + ":" + e.Action
		switch {
		case e.Change != nil && e.Change.Field != "":
			id += ":" + e.Change.Field
		case e.Parent != nil:
			id += ":" + e.Parent.GID
		}
		actor := ""
		if e.User != nil {
			actor = e.User.Name
		}
		// the task's state, fetched once per delivery, when it is needed
		task := func() (*asanaTask, error) {
			if t, ok := tasks[gid]; ok {
				return t, nil
			}
			var res struct {
				Data asanaTask `json:"data"`
			}
			if err := a.api.Get(ctx, "/tasks/"+gid+"?opt_fields="+asanaTaskFields, &res); err != nil {
				return nil, fmt.Errorf("asana: fetch task %s: %w", gid, err)
			}
			res.Data.GID = gid
			tasks[gid] = &res.Data
			return &res.Data, nil
		}
		// the task's project: the event's parent, else the fetched task's first
		container := func() string {
			if e.Parent != nil && e.Parent.ResourceType == "project" {
				return e.Parent.GID
			}
			if t := tasks[gid]; t != nil && len(t.Memberships) > 0 {
				return t.Memberships[0].Project.GID
			}
			return ""
		}
		wrote := true
		switch {
		case e.Action == "deleted":
			out.Records = append(out.Records, tombstone(gid, at))
			delete(latest, gid)
			continue
		case e.Action == "added" && e.Parent != nil && e.Parent.ResourceType == "project":
			status := ""
			if a.api != nil {
				t, err := task()
				if err != nil {
					return Mapped{}, err
				}
				status = asanaSection(t, e.Parent.GID)
			}
			m.apply(transition{id: id, typ: ingest.EventCreated, at: at, deliverable: gid,
				target: m.Target(e.Parent.GID), to: status, actor: actor}, &out)
		case e.Action == "added" && e.Parent != nil && e.Parent.ResourceType == "section":
			section := e.Parent.Name
			if a.api != nil {
				t, err := task()
				if err != nil {
					return Mapped{}, err
				}
				for _, ms := range t.Memberships {
					if ms.Section.GID == e.Parent.GID {
						section = ms.Section.Name
					}
				}
			}
			if section == "" {
				needs = append(needs, "the name of section "+e.Parent.GID)
				wrote = false
				break
			}
			m.apply(transition{id: id, typ: ingest.EventStatusChanged, at: at, deliverable: gid,
				target: m.Target(container()), to: section, actor: actor}, &out)
		case e.Action == "changed" && e.Change != nil && (e.Change.Field == "completed" || e.Change.Field == "due_on" || e.Change.Field == "due_at"):
			if a.api == nil {
				needs = append(needs, "the "+e.Change.Field+" of task "+gid)
				wrote = false
				break
			}
			t, err := task()
			if err != nil {
				return Mapped{}, err
			}
			target := m.Target(container())
			if e.Change.Field != "completed" {
				due, err := asanaDue(t)
				if err != nil {
					return Mapped{}, err
				}
				out.Records = append(out.Records, dueChanged(id, at, gid, target, due, actor))
				break
			}
			// completion is the task's done, not a status: a delivered
			// event, and a reopened one into its section when undone
			ev := ingest.TaskEvent{Meta: ingest.Meta{ExternalID: id + ":delivered"}, OccurredAt: at,
				Type: ingest.EventDelivered, DeliverableID: gid, TaskID: gid, ClientID: target.Client,
				ProjectID: target.Project, Actor: actor}
			if !t.Completed {
				ev.ExternalID, ev.Type = id+":status", eventReopened
				ev.ToStatus = asanaSection(t, container())
				if ev.ToStatus != "" {
					if phase, ok := m.Phase(ev.ToStatus); ok {
						ev.Phase = phase
					} else {
						out.unmapped(ev.ToStatus)
					}
				}
			}
			out.Records = append(out.Records, ev)
		default:
			wrote = false
		}
		if wrote {
			if at.After(latest[gid]) {
				latest[gid] = at
			}
		}
	}
	out.Event = strings.Join(names, ", ")
	if a.api != nil {
		gids := make([]string, 0, len(latest))
		for gid := range latest {
			gids = append(gids, gid)
		}
		slices.Sort(gids)
		for _, gid := range gids {
			t := tasks[gid]
			if t == nil {
				continue
			}
			dv, err := asanaDeliverable(t, m, latest[gid])
			if err != nil {
				return Mapped{}, err
			}
			out.Records = append(out.Records, dv)
		}
	}
	if len(out.Records) == 0 {
		switch {
		case len(*p.Events) == 0:
			out.Ignored = "no events (Asana's heartbeat)"
		case len(needs) > 0:
			out.Ignored = "Asana's events carry only ids: " + strings.Join(needs, ", ") + " needs the hook's API token"
		default:
			out.Ignored = "events " + out.Event + " are not read: only tasks added to projects or sections, completed, due dates and deletions move the numbers"
		}
	}
	return out, nil
}

// asanaSection is the task's section in project (any section when project
// is "").
func asanaSection(t *asanaTask, project string) string {
	for _, ms := range t.Memberships {
		if project == "" || ms.Project.GID == project {
			return ms.Section.Name
		}
	}
	return ""
}

func asanaDue(t *asanaTask) (*time.Time, error) {
	return optDate("asana", "data.due_on of task "+t.GID, t.DueOn, parseDate)
}

// asanaDeliverable is the fetched task's deliverable: delivered when
// completed (at completed_at) or in a section the Mapping maps to delivered.
func asanaDeliverable(t *asanaTask, m Mapping, at time.Time) (ingest.Deliverable, error) {
	due, err := asanaDue(t)
	if err != nil {
		return ingest.Deliverable{}, err
	}
	container := ""
	if len(t.Memberships) > 0 {
		container = t.Memberships[0].Project.GID
	}
	var deliveredAt *time.Time
	if phase, _ := m.Phase(asanaSection(t, container)); t.Completed || phase == PhaseDelivered {
		deliveredAt = &at
		if t.CompletedAt != nil && *t.CompletedAt != "" {
			c, err := parseTime(*t.CompletedAt)
			if err != nil {
				return ingest.Deliverable{}, fmt.Errorf("asana: task %s: field completed_at: bad value %q", t.GID, *t.CompletedAt)
			}
			deliveredAt = &c
		}
	}
	return deliverable(t.GID, t.Name, m.Target(container), due, deliveredAt, at), nil
}
