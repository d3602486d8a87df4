package metrics_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
)

// The unmapped scenario, in an org of Europe/Berlin (UTC+1 in February),
// over [1 Feb 2026, 1 Mar 2026) of its days:
//
//	e1 jira   "Blocked"      31 Jan 23:30 UTC = 1 Feb 00:30 Berlin, no phase  counted
//	e2 jira   "BLOCKED"      10 Feb, no phase (the same status, newer)        counted
//	e3 jira   "Blocked"      11 Feb, phase production                          mapped
//	e4 trello "On Hold"      20 Feb, no phase, client c-9                      counted
//	e5 csv    "Waiting"      21 Feb, no phase                                  counted
//	e6 jira   "Blocked"      28 Feb 23:30 UTC = 1 Mar 00:30 Berlin             after the range
//	e7 jira   due date moved 12 Feb, no status                                 no status
//	e8 jira   "Blocked"      13 Feb, no phase, then deleted                    deleted
//	e9 jira   "Blocked"      14 Feb, another org                               not this org
//
// So: jira "BLOCKED" 2 events (e1, e2; shown as last spelt, e2), then the
// ties of 1 event by source: csv "Waiting" (e5), trello "On Hold" (e4).
// With client c-9: trello "On Hold" 1 (e4) alone.
func TestUnmappedStatuses(t *testing.T) {
	b := make([]byte, 4)
	rand.Read(b)
	orgID := "unmapped-" + hex.EncodeToString(b)
	settings := org.New(orgID)
	settings.TimeZone = "Europe/Berlin"
	ev := func(id, source, status, phase, at string) ingest.TaskEvent {
		return ingest.TaskEvent{Meta: ingest.Meta{Org: orgID, Source: source, ExternalID: id}, OccurredAt: utc(at),
			Type: "status_changed", DeliverableID: "d-1", ToStatus: status, Phase: phase}
	}
	e4 := ev("e4", "trello", "On Hold", "", "2026-02-20 09:00")
	e4.ClientID = "c-9"
	e7 := ev("e7", "jira", "", "", "2026-02-12 09:00")
	e7.Type, e7.DueDate = "due_date_changed", pd("2026-03-20")
	e8 := ev("e8", "jira", "Blocked", "", "2026-02-13 09:00")
	e9 := ev("e9", "jira", "Blocked", "", "2026-02-14 09:00")
	e9.Org = orgID + "-other"
	write(t, []org.Settings{settings}, []ingest.Client{{Meta: ingest.Meta{Org: orgID, Source: "api", ExternalID: "c-9"}, Name: "Nine"}}, []ingest.TaskEvent{
		ev("e1", "jira", "Blocked", "", "2026-01-31 23:30"), ev("e2", "jira", "BLOCKED", "", "2026-02-10 09:00"),
		ev("e3", "jira", "Blocked", "production", "2026-02-11 09:00"), e4, ev("e5", "csv", "Waiting", "", "2026-02-21 09:00"),
		ev("e6", "jira", "Blocked", "", "2026-02-28 23:30"), e7, e8, e9,
	})
	e8.Deleted = true
	write(t, []ingest.TaskEvent{e8})

	req := metrics.Request{KPI: "data_quality", Org: orgID, From: d("2026-02-01"), To: d("2026-03-01"), Now: testNow}
	got, err := metrics.UnmappedStatuses(t.Context(), testStore(t), req)
	if err != nil {
		t.Fatal(err)
	}
	want := []metrics.UnmappedStatus{
		{Source: "jira", Status: "BLOCKED", Events: 2, LastSeen: utc("2026-02-10 09:00"),
			Fix: "opsmetrics hook map --org " + orgID + " --tool jira --status BLOCKED --phase PHASE"},
		{Source: "csv", Status: "Waiting", Events: 1, LastSeen: utc("2026-02-21 09:00"),
			Fix: "give its task events a phase in the import (the phase column, docs/import.md)"},
		{Source: "trello", Status: "On Hold", Events: 1, LastSeen: utc("2026-02-20 09:00"),
			Fix: "opsmetrics hook map --org " + orgID + " --tool trello --status 'On Hold' --phase PHASE"},
	}
	same := func(what string, got, want []metrics.UnmappedStatus) {
		t.Helper()
		for i := range got {
			got[i].LastSeen = got[i].LastSeen.UTC()
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
		}
	}
	same("unmapped", got, want)

	byClient := req
	byClient.Filters = map[string]string{"client": "c-9"}
	got, err = metrics.UnmappedStatuses(t.Context(), testStore(t), byClient)
	if err != nil {
		t.Fatal(err)
	}
	same("client c-9", got, want[2:])

	// data_quality lists them, and names each with its fix in its notes.
	res := compute(t, req)
	if res.Unmapped == nil {
		t.Fatal("data_quality has no unmapped_statuses")
	}
	same("data_quality", *res.Unmapped, want)
	notes := strings.Join(res.Notes, "\n")
	for _, w := range []string{
		`unmapped status: jira "BLOCKED", 2 task events in this range, maps to no phase; opsmetrics hook map --org ` + orgID + ` --tool jira --status BLOCKED --phase PHASE.`,
		`unmapped status: trello "On Hold", 1 task event in this range, maps to no phase; opsmetrics hook map --org ` + orgID + ` --tool trello --status 'On Hold' --phase PHASE.`,
		`unmapped status: csv "Waiting", 1 task event in this range, maps to no phase; give its task events a phase in the import`,
	} {
		if !strings.Contains(notes, w) {
			t.Errorf("notes lack %s:\n%s", w, notes)
		}
	}
	js, err := json.Marshal(res)
	if err != nil || !strings.Contains(string(js), `"unmapped_statuses":[{"source":"jira","status":"BLOCKED","events":2,`) {
		t.Errorf("json: %v %s", err, js)
	}
	// A range with none: an empty list, not an absent one; other KPIs have none.
	march := req
	march.From, march.To = d("2026-03-02"), d("2026-04-01")
	if js, _ := json.Marshal(compute(t, march)); !strings.Contains(string(js), `"unmapped_statuses":[]`) {
		t.Errorf("march: %s", js)
	}
	other := req
	other.KPI = "on_time_rate"
	if res := compute(t, other); res.Unmapped != nil {
		t.Errorf("on_time_rate has unmapped statuses: %v", *res.Unmapped)
	}
}
