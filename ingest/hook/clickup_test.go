package hook

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
)

func TestClickUpMapper(t *testing.T) {
	list1 := Target{Client: "c-cu", Project: "p-cu1"} // list 162641062
	list2 := Target{Client: "c-cu", Project: "p-cu2"} // list 162641285
	api := map[string]string{"/task/1vj38vv": "task_1vj38vv.api.json"}
	runMapCases(t, "clickup", []mapCase{{
		// date 1642734631523 ms = 2022-01-21T03:10:31.523Z; the status item
		// with no status before is the creation; task_creation adds nothing
		name: "created", file: "taskCreated.json",
		want: Mapped{Event: "taskCreated", Records: []any{
			event("clickup:2800763136717140857:status", ingest.EventCreated, ts("2022-01-21T03:10:31.523Z"), "1vj37mc", list1, "", "to do", PhaseIntake, "John"),
		}},
	}, {
		// 1642736073330 ms = 2022-01-21T03:34:33.330Z
		name: "status change", file: "taskStatusUpdated.json",
		want: Mapped{Event: "taskStatusUpdated", Records: []any{
			event("clickup:2800787326392370170:status", ingest.EventStatusChanged, ts("2022-01-21T03:34:33.330Z"), "1vj38vv", list1, "to do", "in progress", PhaseProduction, "John"),
		}},
	}, {
		// neither name is a default; type closed delivers it
		name: "closed under an unmapped name", file: "taskStatusUpdated_closed.json",
		want: Mapped{Event: "taskStatusUpdated", Unmapped: []string{"launched", "client approved"}, Records: []any{
			event("clickup:2800787326392379999:delivered", ingest.EventDelivered, ts("2022-01-21T03:34:33.330Z"), "1vj38vv", list1, "client approved", "launched", "", "John"),
			event("clickup:2800787326392379999:status", ingest.EventStatusChanged, ts("2022-01-21T03:34:33.330Z"), "1vj38vv", list1, "client approved", "launched", "", "John"),
		}},
	}, {
		name: "custom mapping: client approved is client review, launched is approved", file: "taskStatusUpdated_closed.json",
		m: func(m Mapping) Mapping {
			m.Phases["client approved"], m.Outcomes["launched"] = PhaseClientReview, OutcomeApproved
			return m
		},
		want: Mapped{Event: "taskStatusUpdated", Unmapped: []string{"launched"}, Records: []any{
			event("clickup:2800787326392379999:approved", ingest.EventClientApproved, ts("2022-01-21T03:34:33.330Z"), "1vj38vv", list1, "client approved", "launched", "", "John"),
			event("clickup:2800787326392379999:delivered", ingest.EventDelivered, ts("2022-01-21T03:34:33.330Z"), "1vj38vv", list1, "client approved", "launched", "", "John"),
			event("clickup:2800787326392379999:status", ingest.EventStatusChanged, ts("2022-01-21T03:34:33.330Z"), "1vj38vv", list1, "client approved", "launched", "", "John"),
		}},
	}, {
		// after 1643608800000 ms = 2022-01-31T06:00:00Z, due 2022-01-31;
		// date 1642736394447 ms = 2022-01-21T03:39:54.447Z
		name: "due date moved, no token", file: "taskDueDateUpdated.json",
		want: Mapped{Event: "taskDueDateUpdated", Records: []any{
			due("clickup:2800792714143635886:due", ts("2022-01-21T03:39:54.447Z"), "1vj38vv", list1, day("2022-01-31"), "John"),
		}},
	}, {
		name: "due date moved, with the task fetched", file: "taskDueDateUpdated.json", api: api,
		want: Mapped{Event: "taskDueDateUpdated", Records: []any{
			due("clickup:2800792714143635886:due", ts("2022-01-21T03:39:54.447Z"), "1vj38vv", list1, day("2022-01-31"), "John"),
			deliverable("1vj38vv", "Homepage redesign", list2, day("2022-01-31"), nil, ts("2022-01-21T03:39:54.447Z")),
		}},
	}, {
		name: "list move, no token", file: "taskMoved.json",
		want: Mapped{Event: "taskMoved", Ignored: "a move to list 162641285 changes no event the KPIs read; with the hook's API token the task's deliverable follows it"},
	}, {
		// 1642736879339 ms = 2022-01-21T03:47:59.339Z; the task is now in list 162641285
		name: "list move, with the task fetched", file: "taskMoved.json", api: api,
		want: Mapped{Event: "taskMoved", Records: []any{
			deliverable("1vj38vv", "Homepage redesign", list2, day("2022-01-31"), nil, ts("2022-01-21T03:47:59.339Z")),
		}},
	}, {
		name: "tag not read", file: "taskTagUpdated.json",
		want: Mapped{Event: "taskTagUpdated", Ignored: "event taskTagUpdated is not read: no status, due_date or section_moved history item"},
	}})
}

// TestClickUpDueDateInOrgZone: ClickUp sends an all-day due date as the
// user's local midnight. 31 January in Berlin (CET, UTC+1) is
// 2022-01-30T23:00:00Z = 1643583600000 ms (the documented example's
// 1643608800000 = 2022-01-31T06:00:00Z, less 7 h = 25,200,000 ms): under
// the org's zone Europe/Berlin it is the 31st; taken in UTC it would be
// the 30th.
func TestClickUpDueDateInOrgZone(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "clickup", "taskDueDateUpdated.json"))
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(strings.Replace(string(b), `"after": "1643608800000"`, `"after": "1643583600000"`, 1))
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		zone *time.Location
		want string
	}{{berlin, "2022-01-31"}, {nil, "2022-01-30"}} {
		m := testMapping()
		m.Zone = c.zone
		got, err := clickupMapper{}.Map(t.Context(), Delivery{Tool: "clickup", Body: body}, m)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Records) != 1 {
			t.Fatalf("zone %v: %+v, want one due_date_changed", c.zone, got)
		}
		ev := got.Records[0].(ingest.TaskEvent)
		if ev.Type != ingest.EventDueDateChanged || ev.DueDate == nil || ev.DueDate.Format(time.DateOnly) != c.want {
			t.Errorf("zone %v: %+v, want due %s", c.zone, ev, c.want)
		}
	}
}
