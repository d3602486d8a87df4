package hook

import (
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
)

func TestAsanaMapper(t *testing.T) {
	const gid, actor, name = "1202178854270531", "Example User", "Learn how Asana works"
	path := "/tasks/" + gid + "?opt_fields=" + asanaTaskFields
	open := map[string]string{path: "task_open.api.json"}
	completed := map[string]string{path: "task_completed.api.json"}
	proj := Target{Client: "c-as", Project: "p-as"} // project 1202178852626600
	def := Target{Client: "c-default"}
	base := "asana:" + gid + ":"
	runMapCases(t, "asana", []mapCase{{
		// the event names the section: no token needed; no project in the
		// event, so the hook's default target
		name: "section move, no token", file: "section_added.json",
		want: Mapped{Event: "task.added", Records: []any{
			event(base+"20260520T140000.000Z:added:1202178854270600:review", ingest.EventClientReviewRequested, ts("2026-05-20T14:00:00Z"), gid, def, "", "Client Review", "", actor),
			event(base+"20260520T140000.000Z:added:1202178854270600:status", ingest.EventStatusChanged, ts("2026-05-20T14:00:00Z"), gid, def, "", "Client Review", PhaseClientReview, actor),
		}},
	}, {
		// the section the task was added to is unnamed in the event: kept
		// back for want of a token, the creation kept
		name: "created, no token", file: "project_added.json",
		want: Mapped{Event: "task.added", Records: []any{
			event(base+"20260518T093000.000Z:added:1202178852626600:status", ingest.EventCreated, ts("2026-05-18T09:30:00Z"), gid, proj, "", "", "", actor),
		}},
	}, {
		name: "created, with the task fetched", file: "project_added.json", api: open,
		want: Mapped{Event: "task.added", Records: []any{
			event(base+"20260518T093000.000Z:added:1202178852626600:status", ingest.EventCreated, ts("2026-05-18T09:30:00Z"), gid, proj, "", "To do", PhaseIntake, actor),
			event(base+"20260518T093000.000Z:added:1202178854270599:status", ingest.EventStatusChanged, ts("2026-05-18T09:30:00Z"), gid, proj, "", "To do", PhaseIntake, actor),
			deliverable(gid, name, proj, day("2026-05-29"), nil, ts("2026-05-18T09:30:00Z")),
		}},
	}, {
		name: "completed, no token", file: "completed_changed.json",
		want: Mapped{Event: "task.changed:completed", Ignored: "Asana's events carry only ids: the completed of task " + gid + " needs the hook's API token"},
	}, {
		// completed_at 2026-05-22T16:00:00Z is its delivered_at
		name: "completed, with the task fetched", file: "completed_changed.json", api: completed,
		want: Mapped{Event: "task.changed:completed", Records: []any{
			ingest.TaskEvent{Meta: ingest.Meta{ExternalID: base + "20260522T160000.000Z:changed:completed:delivered"}, OccurredAt: ts("2026-05-22T16:00:00Z"),
				Type: ingest.EventDelivered, DeliverableID: gid, TaskID: gid, ClientID: proj.Client, ProjectID: proj.Project, Actor: actor},
			deliverable(gid, name, proj, day("2026-05-29"), ptr(ts("2026-05-22T16:00:00Z")), ts("2026-05-22T16:00:00Z")),
		}},
	}, {
		name: "uncompleted, with the task fetched", file: "completed_changed.json", api: open,
		want: Mapped{Event: "task.changed:completed", Records: []any{
			event(base+"20260522T160000.000Z:changed:completed:status", eventReopened, ts("2026-05-22T16:00:00Z"), gid, proj, "", "To do", PhaseIntake, actor),
			deliverable(gid, name, proj, day("2026-05-29"), nil, ts("2026-05-22T16:00:00Z")),
		}},
	}, {
		name: "due date moved, with the task fetched", file: "due_on_changed.json", api: open,
		want: Mapped{Event: "task.changed:due_on", Records: []any{
			due(base+"20260519T110000.000Z:changed:due_on:due", ts("2026-05-19T11:00:00Z"), gid, proj, day("2026-05-29"), actor),
			deliverable(gid, name, proj, day("2026-05-29"), nil, ts("2026-05-19T11:00:00Z")),
		}},
	}, {
		name: "custom mapping: a renamed section", file: "section_added.json",
		m: func(m Mapping) Mapping {
			m.Phases["client review"] = PhaseInternalReview
			return m
		},
		want: Mapped{Event: "task.added", Records: []any{
			event(base+"20260520T140000.000Z:added:1202178854270600:status", ingest.EventStatusChanged, ts("2026-05-20T14:00:00Z"), gid, def, "", "Client Review", PhaseInternalReview, actor),
		}},
	}, {
		name: "comment not read", file: "story_added.json",
		want: Mapped{Event: "story.added", Ignored: "events story.added are not read: only tasks added to projects or sections, completed, due dates and deletions move the numbers"},
	}})
}
