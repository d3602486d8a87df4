package hook

import (
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
)

func TestJiraMapper(t *testing.T) {
	// timestamp 1525698237764 ms = 2018-05-07T13:03:57.764Z
	at := ts("2018-05-07T13:03:57.764Z")
	tg := Target{Client: "c-jira", Project: "p-jira"}
	const key, actor, name = "JRA-20002", "Bryan Rollins [Atlassian]", "I feel the need for speed"
	dv := func(d, delivered string) ingest.Deliverable {
		r := deliverable(key, name, tg, day(d), nil, at)
		if delivered != "" {
			r.DeliveredAt = ptr(ts(delivered))
		}
		return r
	}
	runMapCases(t, "jira", []mapCase{{
		// changelog id 10124, item 1 (item 0 is the summary, not read):
		// In Review (internal_review) → Client Review (client_review) enters
		// the client's review, so a request sorts before the status
		name: "status into client review", file: "issue_updated_status.json",
		want: Mapped{Event: "jira:issue_updated", Records: []any{
			event("jira:10124:1:review", ingest.EventClientReviewRequested, at, key, tg, "In Review", "Client Review", "", actor),
			event("jira:10124:1:status", ingest.EventStatusChanged, at, key, tg, "In Review", "Client Review", PhaseClientReview, actor),
			dv("2018-05-11", ""),
		}},
	}, {
		name: "due date moved", file: "issue_updated_duedate.json",
		want: Mapped{Event: "jira:issue_updated", Records: []any{
			due("jira:10125:0:due", at, key, tg, day("2018-05-18"), actor),
			dv("2018-05-18", ""),
		}},
	}, {
		// "Released" is no default status; its category done delivers it,
		// at resolutiondate 2018-05-07T15:03:57.000+0200 = 13:03:57Z
		name: "unmapped status in category done", file: "issue_updated_done.json",
		want: Mapped{Event: "jira:issue_updated", Unmapped: []string{"Released"}, Records: []any{
			event("jira:10126:1:delivered", ingest.EventDelivered, at, key, tg, "Client Review", "Released", "", actor),
			event("jira:10126:1:status", ingest.EventStatusChanged, at, key, tg, "Client Review", "Released", "", actor),
			dv("2018-05-11", "2018-05-07T13:03:57Z"),
		}},
	}, {
		name: "custom mapping: Released approves and delivers", file: "issue_updated_done.json",
		m: func(m Mapping) Mapping {
			m.Phases["released"], m.Outcomes["released"] = PhaseDelivered, OutcomeApproved
			return m
		},
		want: Mapped{Event: "jira:issue_updated", Records: []any{
			event("jira:10126:1:approved", ingest.EventClientApproved, at, key, tg, "Client Review", "Released", "", actor),
			event("jira:10126:1:delivered", ingest.EventDelivered, at, key, tg, "Client Review", "Released", "", actor),
			event("jira:10126:1:status", ingest.EventStatusChanged, at, key, tg, "Client Review", "Released", PhaseDelivered, actor),
			dv("2018-05-11", "2018-05-07T13:03:57Z"),
		}},
	}, {
		// a status the org maps elsewhere is not delivered by its category
		name: "custom mapping: Released is internal review", file: "issue_updated_done.json",
		m: func(m Mapping) Mapping {
			m.Phases["released"] = PhaseInternalReview
			return m
		},
		want: Mapped{Event: "jira:issue_updated", Records: []any{
			event("jira:10126:1:status", ingest.EventStatusChanged, at, key, tg, "Client Review", "Released", PhaseInternalReview, actor),
			dv("2018-05-11", ""),
		}},
	}, {
		name: "created with a due date", file: "issue_created.json",
		want: Mapped{Event: "jira:issue_created", Records: []any{
			event("jira:99291:created:status", ingest.EventCreated, at, key, tg, "", "To Do", PhaseIntake, actor),
			due("jira:99291:created:due", at, key, tg, day("2018-05-11"), actor),
			dv("2018-05-11", ""),
		}},
	}, {
		name: "comment not read", file: "comment_created.json",
		want: Mapped{Event: "comment_created", Ignored: "event comment_created is not read: only issue events move the numbers"},
	}})
}
