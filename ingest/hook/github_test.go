package hook

import (
	"net/http"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
)

func TestGitHubMapper(t *testing.T) {
	tg := Target{Client: "c-gh", Project: "p-gh"}
	const key, actor, title = "Codertocat/Hello-World#2", "Codertocat", "Update the README with new information."
	const guid = "72d3162e-cc78-11e3-81ab-4c9367dc0958"
	id := "github:" + guid
	h := func(event string) http.Header {
		return http.Header{"X-Github-Event": {event}, "X-Github-Delivery": {guid}}
	}
	milestone := day("2019-05-23") // due_on 2019-05-23T07:00:00Z
	closed := ts("2019-05-22T16:45:10Z")
	runMapCases(t, "github", []mapCase{{
		// opened at created_at; its milestone's due date is the commitment
		name: "opened", file: "opened.json", header: h("issues"),
		want: Mapped{Event: "issues.opened", Records: []any{
			event(id+":status", ingest.EventCreated, ts("2019-05-15T15:20:33Z"), key, tg, "", "open", PhaseIntake, actor),
			due(id+":due", ts("2019-05-15T15:20:33Z"), key, tg, milestone, actor),
			deliverable(key, title, tg, milestone, nil, ts("2019-05-15T15:20:33Z")),
		}},
	}, {
		name: "milestoned", file: "milestoned.json", header: h("issues"),
		want: Mapped{Event: "issues.milestoned", Records: []any{
			due(id+":due", ts("2019-05-15T15:20:35Z"), key, tg, milestone, actor),
			deliverable(key, title, tg, milestone, nil, ts("2019-05-15T15:20:35Z")),
		}},
	}, {
		name: "demilestoned", file: "demilestoned.json", header: h("issues"),
		want: Mapped{Event: "issues.demilestoned", Records: []any{
			due(id+":due", ts("2019-05-16T09:00:00Z"), key, tg, nil, actor),
			deliverable(key, title, tg, nil, nil, ts("2019-05-16T09:00:00Z")),
		}},
	}, {
		name: "closed as completed", file: "closed.json", header: h("issues"),
		want: Mapped{Event: "issues.closed", Records: []any{
			event(id+":delivered", ingest.EventDelivered, closed, key, tg, "open", "closed", "", actor),
			event(id+":status", ingest.EventStatusChanged, closed, key, tg, "open", "closed", PhaseDelivered, actor),
			deliverable(key, title, tg, milestone, ptr(closed), closed),
		}},
	}, {
		name: "closed as not planned", file: "closed_not_planned.json", header: h("issues"),
		want: Mapped{Event: "issues.closed", Unmapped: []string{"not planned"}, Records: []any{
			event(id+":status", ingest.EventStatusChanged, closed, key, tg, "open", "not planned", "", actor),
			tombstone(key, closed),
		}},
	}, {
		// closed_at survives the reopen; the action, not the field, says open
		name: "reopened", file: "reopened.json", header: h("issues"),
		want: Mapped{Event: "issues.reopened", Records: []any{
			event(id+":status", eventReopened, ts("2019-05-24T08:00:00Z"), key, tg, "closed", "open", PhaseIntake, actor),
			deliverable(key, title, tg, milestone, nil, ts("2019-05-24T08:00:00Z")),
		}},
	}, {
		name: "label mapped to a phase", file: "labeled.json", header: h("issues"),
		want: Mapped{Event: "issues.labeled", Records: []any{
			event(id+":review", ingest.EventClientReviewRequested, ts("2019-05-20T10:00:00Z"), key, tg, "", "client review", "", actor),
			event(id+":status", ingest.EventStatusChanged, ts("2019-05-20T10:00:00Z"), key, tg, "", "client review", PhaseClientReview, actor),
			deliverable(key, title, tg, milestone, nil, ts("2019-05-20T10:00:00Z")),
		}},
	}, {
		name: "custom mapping: label is an approval", file: "labeled.json", header: h("issues"),
		m: func(m Mapping) Mapping {
			m.Phases["client review"], m.Outcomes["client review"] = PhaseProduction, OutcomeChangesRequested
			return m
		},
		want: Mapped{Event: "issues.labeled", Records: []any{
			event(id+":changes", ingest.EventClientChangesRequested, ts("2019-05-20T10:00:00Z"), key, tg, "", "client review", "", actor),
			event(id+":status", ingest.EventStatusChanged, ts("2019-05-20T10:00:00Z"), key, tg, "", "client review", PhaseProduction, actor),
			deliverable(key, title, tg, milestone, nil, ts("2019-05-20T10:00:00Z")),
		}},
	}, {
		name: "push not read", file: "opened.json", header: h("push"),
		want: Mapped{Event: "push", Ignored: "event push is not read: only issues events move the numbers"},
	}})
}
