package hook

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A body the tool would not send is an error naming what is wrong, never a
// guess.
func TestMappersRejectBadBodies(t *testing.T) {
	gh := http.Header{"X-Github-Event": {"issues"}}
	for _, c := range []struct {
		tool, body string
		header     http.Header
		want       string
	}{
		{"jira", `{"webhookEvent":`, nil, "jira payload: not JSON"},
		{"jira", `{"timestamp": 1, "issue": {"key": "A-1"}}`, nil, "field webhookEvent is missing"},
		{"jira", `{"webhookEvent": "jira:issue_updated", "issue": {"key": "A-1"}}`, nil, "field timestamp is missing"},
		{"jira", `{"webhookEvent": "jira:issue_updated", "timestamp": 1, "issue": {"key": "A-1", "fields": {"project": {"key": "A"}}}}`, nil, "field issue.fields.status.name is missing"},
		{"jira", `{"webhookEvent": "jira:issue_updated", "timestamp": 1, "issue": {"key": "A-1", "fields": {"project": {"key": "A"}, "status": {"name": "Done"}, "duedate": "14/05/2018"}}}`, nil, `field issue.fields.duedate: bad value "14/05/2018"`},
		{"jira", `{"webhookEvent": "jira:issue_updated", "timestamp": "soon"}`, nil, "field timestamp"},
		{"clickup", `[]`, nil, "clickup payload"},
		{"clickup", `{"event": "taskStatusUpdated"}`, nil, "field task_id is missing"},
		{"clickup", `{"event": "taskStatusUpdated", "task_id": "t", "history_items": [{"id": "1", "date": "yesterday", "field": "status"}]}`, nil, `field history_items[0].date: bad value "yesterday"`},
		{"clickup", `{"event": "taskStatusUpdated", "task_id": "t", "history_items": [{"id": "1", "date": "1", "field": "status", "after": {"color": "#fff"}}]}`, nil, "field history_items[0].after.status"},
		{"asana", `{}`, nil, "field events is missing"},
		{"asana", `{"events": [{"action": "changed", "resource": {"resource_type": "task"}}]}`, nil, "field events[0].resource.gid is missing"},
		{"asana", `{"events": [{"action": "changed", "resource": {"gid": "1", "resource_type": "task"}, "created_at": "monday"}]}`, nil, `field events[0].created_at: bad value "monday"`},
		{"trello", `{"model": {}}`, nil, "field action is missing"},
		{"trello", `{"action": {"id": "a", "type": "updateCard", "date": "2018-01-01T00:00:00Z", "data": {"board": {"id": "b"}}}}`, nil, "field action.data.card.id is missing"},
		{"trello", `{"action": {"id": "a", "type": "updateCard", "date": "2018-01-01T00:00:00Z", "data": {"board": {"id": "b"}, "card": {"id": "c", "due": "next week"}, "old": {"due": null}}}}`, nil, `field action.data.card.due: bad value "next week"`},
		{"github", `{"action": "opened"}`, nil, "field header X-GitHub-Event is missing"},
		{"github", `{"action": "opened"}`, gh, "field issue.number is missing"},
		{"github", `{"action": "opened", "issue": {"number": 1, "created_at": "2019-01-01T00:00:00Z"}}`, gh, "field repository.full_name is missing"},
		{"github", `{"action": "opened", "issue": {"number": "one"}}`, gh, "field issue.number: string where int belongs"},
	} {
		mp, _ := MapperOf(c.tool, nil)
		_, err := mp.Map(t.Context(), Delivery{Tool: c.tool, Header: c.header, Body: []byte(c.body)}, DefaultMapping())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %s: error %v; want one containing %q", c.tool, c.body, err, c.want)
		}
	}
}

// echoAPI answers every Get with the fuzzed body, so the fetched tasks are
// fuzzed too.
type echoAPI []byte

func (e echoAPI) Get(_ context.Context, _ string, v any) error { return json.Unmarshal(e, v) }

var _ API = echoAPI(nil)

// fuzzMap checks that no body makes tool's Mapper panic, seeded with its
// testdata.
func fuzzMap(f *testing.F, tool string) {
	files, err := filepath.Glob(filepath.Join("testdata", tool, "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	h := http.Header{"X-Github-Event": {"issues"}, "X-Github-Delivery": {"d1"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, api := range []API{nil, echoAPI(body)} {
			mp, _ := MapperOf(tool, api)
			got, err := mp.Map(t.Context(), Delivery{Tool: tool, Header: h, Body: body}, testMapping())
			if err == nil && len(got.Records) == 0 && got.Ignored == "" {
				t.Fatalf("no records, no error and no reason for %q", body)
			}
		}
	})
}

func FuzzJira(f *testing.F)    { fuzzMap(f, "jira") }
func FuzzClickUp(f *testing.F) { fuzzMap(f, "clickup") }
func FuzzAsana(f *testing.F)   { fuzzMap(f, "asana") }
func FuzzTrello(f *testing.F)  { fuzzMap(f, "trello") }
func FuzzGitHub(f *testing.F)  { fuzzMap(f, "github") }
