package hook

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/ingest/importer"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// recon is a reconciliation over the shared engine for an org of its own
// (unique per run), now fixed at a minute boundary so the settle time
// (10 min) puts Until at now-10m.
type recon struct {
	org string
	st  store.Store
	im  *importer.Importer
	r   *Reconciliation
	now time.Time
}

func newRecon(t *testing.T) *recon {
	t.Helper()
	b := make([]byte, 6)
	rand.Read(b)
	rc := &recon{org: "rc-" + hex.EncodeToString(b), st: chdbtest.Shared(t), now: time.Now().UTC().Truncate(time.Minute)}
	log := slog.New(slog.DiscardHandler)
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: rc.st, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(t.Context(), "test-org", []org.Settings{org.New(rc.org)}); err != nil {
		t.Fatal(err)
	}
	if rc.im, err = importer.New(importer.Config{Store: rc.st, Logger: log}); err != nil {
		t.Fatal(err)
	}
	if rc.r, err = NewReconciliation(ReconcileConfig{Importer: rc.im, Store: rc.st, Logger: log,
		Now: func() time.Time { return rc.now }}); err != nil {
		t.Fatal(err)
	}
	return rc
}

// webhook stores events as the worker would have from a webhook.
func (rc *recon) webhook(t *testing.T, tool string, evs ...ingest.TaskEvent) {
	t.Helper()
	rows := make([]ingest.Row, len(evs))
	for i, ev := range evs {
		ev.Org, ev.Source = rc.org, tool
		rows[i] = ingest.Row{Line: i + 1, Record: ev}
	}
	sum, err := rc.im.Import(t.Context(), importer.Request{Org: rc.org, File: tool + " webhooks", Format: tool + "_webhook",
		Records: &rowsParser{rows: rows}, Stage: true})
	if err != nil || !sum.Written {
		t.Fatalf("store webhook events: %v %+v", err, sum)
	}
}

// events lists the org's stored event ids (FINAL: one per key), sorted.
func (rc *recon) events(t *testing.T) []string {
	t.Helper()
	rows, err := rc.st.Query(t.Context(), "SELECT external_id FROM ops.task_events FINAL WHERE org_id = {org:String} AND deleted = 0 ORDER BY external_id",
		store.Params{"org": rc.org})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, rows.Len())
	for i := range out {
		if err := rows.Scan(i, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// toolAPI serves routes (path → handler) behind the tool's API adapter:
// collect.Client's retries, 429 and 401 handling apply.
func toolAPI(t *testing.T, tool, token string, routes map[string]http.HandlerFunc) API {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, ok := routes[r.URL.Path]
		if !ok {
			http.Error(w, `{"err":"no route `+r.URL.Path+`"}`, http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	api, err := newAPI(tool, srv.URL, token, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	return api
}

func jiraTime(t time.Time) string { return t.Format("2006-01-02T15:04:05.000-0700") }

// TestReconcileJira: the enhanced search's issues (two pages, a 429 first),
// with their changelogs, become the webhook Mapper's events; one the
// webhook already stored is not written again, and a second run over the
// same span writes nothing.
//
// Shapes: GET /rest/api/3/search/jql answers {issues[{id, key, fields,
// changelog{startAt, maxResults, total, histories[{id, author{displayName},
// created, items[{field, fieldtype, from, fromString, to, toString}]}]}}],
// nextPageToken, isLast} (developer.atlassian.com/cloud/jira/platform/rest/v3/
// api-group-issue-search, "Search for issues using JQL enhanced search");
// histories as in api-group-issues "Get changelogs".
func TestReconcileJira(t *testing.T) {
	rc := newRecon(t)
	cursor := rc.now.Add(-3 * time.Hour)
	issue1 := map[string]any{"id": "10001", "key": "ACME-1", "fields": map[string]any{
		"summary": "Homepage", "created": jiraTime(cursor.Add(-48 * time.Hour)), "duedate": "2026-03-20",
		"status":  map[string]any{"name": "In Progress", "statusCategory": map[string]any{"key": "indeterminate"}},
		"project": map[string]any{"key": "ACME"}},
		"changelog": map[string]any{"startAt": 0, "maxResults": 3, "total": 3, "histories": []any{
			// newest first, as Jira lists them
			map[string]any{"id": "30002", "author": map[string]any{"displayName": "Ana"}, "created": jiraTime(cursor.Add(2 * time.Hour)),
				"items": []any{map[string]any{"field": "duedate", "fieldtype": "jira", "from": "2026-03-13", "fromString": "2026-03-13",
					"to": "2026-03-20", "toString": "2026-03-20"}}},
			map[string]any{"id": "30001", "author": map[string]any{"displayName": "Ana"}, "created": jiraTime(cursor.Add(time.Hour)),
				"items": []any{map[string]any{"field": "status", "fieldtype": "jira", "from": "1", "fromString": "To Do",
					"to": "3", "toString": "In Progress"}}},
			map[string]any{"id": "30000", "author": map[string]any{"displayName": "Ana"}, "created": jiraTime(cursor.Add(-time.Hour)),
				"items": []any{map[string]any{"field": "summary", "fieldtype": "jira", "fromString": "Home", "toString": "Homepage"}}},
		}}}
	issue2 := map[string]any{"id": "10002", "key": "ACME-2", "fields": map[string]any{
		"summary": "Logo", "created": jiraTime(cursor.Add(30 * time.Minute)), "duedate": nil,
		"status":  map[string]any{"name": "In Review", "statusCategory": map[string]any{"key": "indeterminate"}},
		"project": map[string]any{"key": "ACME"}},
		"changelog": map[string]any{"startAt": 0, "maxResults": 1, "total": 1, "histories": []any{
			map[string]any{"id": "40001", "created": jiraTime(cursor.Add(90 * time.Minute)),
				"items": []any{map[string]any{"field": "status", "fieldtype": "jira", "fromString": "To Do", "toString": "In Review"}}},
		}}}
	var calls atomic.Int32
	var jqls []string
	routes := map[string]http.HandlerFunc{"/search/jql": func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"errorMessages":["Rate limit exceeded"]}`))
			return
		}
		jqls = append(jqls, r.URL.Query().Get("jql"))
		if r.URL.Query().Get("expand") != "changelog" {
			t.Errorf("expand = %q; want changelog", r.URL.Query().Get("expand"))
		}
		page := map[string]any{"issues": []any{issue1}, "nextPageToken": "CAEaAggD", "isLast": false}
		if r.URL.Query().Get("nextPageToken") == "CAEaAggD" {
			page = map[string]any{"issues": []any{issue2}, "isLast": true}
		}
		json.NewEncoder(w).Encode(page)
	}}
	api := toolAPI(t, "jira", "ana@acme.test:tok", routes)
	// The webhook brought history 30001's status change; it is stored once.
	rc.webhook(t, "jira", ingest.TaskEvent{Meta: ingest.Meta{ExternalID: JiraEventID("30001", 0) + ":status"},
		OccurredAt: cursor.Add(time.Hour), Type: ingest.EventStatusChanged, DeliverableID: "ACME-1", TaskID: "ACME-1",
		FromStatus: "To Do", ToStatus: "In Progress", Phase: PhaseProduction})

	target := ReconcileTarget{Org: rc.org, Hook: "h1", Tool: "jira", API: api, Mapping: DefaultMapping(), Cursor: cursor}
	res, next, err := rc.r.Reconcile(t.Context(), target)
	if err != nil {
		t.Fatal(err)
	}
	// Read: ACME-1 gives 30001:0:status and 30002:0:due (30000 is before the
	// cursor and changes no status) and one deliverable; ACME-2, created
	// after the cursor, gives its created event (into "To Do", the status
	// before its first change) and 40001:0:status, and one deliverable:
	// 2+1+2+1 = 6. Known: 30001:0:status. Added: 3 events; written with the
	// two deliverables: 5.
	if res.Read != 6 || res.Known != 1 || res.Added != 3 || res.Written != 5 {
		t.Errorf("result = %+v; want read 6, known 1, added 3, written 5", res)
	}
	if want := rc.now.Add(-10 * time.Minute); !next.Equal(want) {
		t.Errorf("next cursor = %v; want now-10m %v", next, want)
	}
	// The JQL starts 14 h before the cursor (any user's time zone).
	if want := `updated >= "` + cursor.Add(-14*time.Hour).Format("2006-01-02 15:04") + `" ORDER BY updated ASC`; len(jqls) == 0 || jqls[0] != want {
		t.Errorf("jql = %q; want %q", jqls, want)
	}
	want := []string{"jira:10002:created:status", "jira:30001:0:status", "jira:30002:0:due", "jira:40001:0:status"}
	if got := rc.events(t); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("stored events = %v; want %v", got, want)
	}
	// Again over the same span (a cursor that was not stored): nothing new.
	res, _, err = rc.r.Reconcile(t.Context(), target)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 0 || res.Written != 0 || res.Known != 4 {
		t.Errorf("second run = %+v; want known 4, nothing written", res)
	}
	if got := rc.events(t); len(got) != 4 {
		t.Errorf("after the second run: %v", got)
	}
}

// TestReconcileNeedsToken: a 401 is collect.ErrNeedsToken, the cursor stays
// and nothing is written.
func TestReconcileNeedsToken(t *testing.T) {
	rc := newRecon(t)
	api := toolAPI(t, "clickup", "pk_bad", map[string]http.HandlerFunc{"/list/L1/task": func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte(`{"err":"Token invalid","ECODE":"OAUTH_025"}`))
	}})
	cursor := rc.now.Add(-time.Hour)
	_, next, err := rc.r.Reconcile(t.Context(), ReconcileTarget{Org: rc.org, Hook: "h1", Tool: "clickup", API: api,
		Mapping: DefaultMapping(), Containers: []string{"L1"}, Cursor: cursor})
	if !errors.Is(err, collect.ErrNeedsToken) || strings.Contains(err.Error(), "pk_bad") {
		t.Errorf("err = %v; want ErrNeedsToken without the token", err)
	}
	if !next.Equal(cursor) {
		t.Errorf("cursor = %v; want it unchanged %v", next, cursor)
	}
	if got := rc.events(t); len(got) != 0 {
		t.Errorf("stored %v", got)
	}
	if _, _, err := rc.r.Reconcile(t.Context(), ReconcileTarget{Org: rc.org, Hook: "h2", Tool: "github", API: api}); !errors.Is(err, ErrNoReconciler) {
		t.Errorf("github: err = %v; want ErrNoReconciler", err)
	}
}

// TestReconcileClickUp: tasks are compared with the stored state; a task
// updated within the settle time is left to its webhook.
//
// Shapes: GET /api/v2/list/{list_id}/task answers {tasks[{id, name,
// status{status, type}, date_updated, due_date, list{id}}], last_page}
// (developer.clickup.com/reference/gettasks); GET /task/{id} as
// testdata/clickup/task_1vj38vv.api.json.
func TestReconcileClickUp(t *testing.T) {
	rc := newRecon(t)
	cursor := rc.now.Add(-2 * time.Hour)
	ms := func(t time.Time) string { return fmt.Sprint(t.UnixMilli()) }
	upd := rc.now.Add(-time.Hour) // before Until (now-10m)
	due := time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	task := func(id, status, typ string, updated time.Time, due *time.Time) map[string]any {
		d := any(nil)
		if due != nil {
			d = ms(*due)
		}
		return map[string]any{"id": id, "name": "Task " + id, "status": map[string]any{"status": status, "type": typ},
			"date_updated": ms(updated), "due_date": d, "list": map[string]any{"id": "L1"}}
	}
	var pages []string
	routes := map[string]http.HandlerFunc{
		"/list/L1/task": func(w http.ResponseWriter, r *http.Request) {
			q := r.URL.Query()
			if q.Get("date_updated_gt") != ms(cursor) || q.Get("include_closed") != "true" {
				t.Errorf("query %v", q)
			}
			pages = append(pages, q.Get("page"))
			if q.Get("page") == "0" {
				json.NewEncoder(w).Encode(map[string]any{"tasks": []any{
					task("A", "in progress", "custom", upd, &due),
					task("B", "in review", "custom", rc.now.Add(-5*time.Minute), nil), // within the settle time
				}, "last_page": false})
				return
			}
			json.NewEncoder(w).Encode(map[string]any{"tasks": []any{task("C", "done", "closed", upd, nil)}, "last_page": true})
		},
		"/task/A": func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(task("A", "in progress", "custom", upd, &due))
		},
	}
	api := toolAPI(t, "clickup", "pk_1", routes)
	// The webhooks brought A into "to do" with its due date, and C into
	// "done"; A's move to "in progress" was dropped after ClickUp's retries.
	at := cursor.Add(-time.Hour)
	rc.webhook(t, "clickup",
		ingest.TaskEvent{Meta: ingest.Meta{ExternalID: "clickup:1:status"}, OccurredAt: at, Type: ingest.EventCreated,
			DeliverableID: "A", TaskID: "A", ToStatus: "to do", Phase: PhaseIntake},
		ingest.TaskEvent{Meta: ingest.Meta{ExternalID: "clickup:2:due"}, OccurredAt: at, Type: ingest.EventDueDateChanged,
			DeliverableID: "A", TaskID: "A", DueDate: &due},
		ingest.TaskEvent{Meta: ingest.Meta{ExternalID: "clickup:3:status"}, OccurredAt: at, Type: ingest.EventStatusChanged,
			DeliverableID: "C", TaskID: "C", FromStatus: "in progress", ToStatus: "done", Phase: PhaseDelivered})

	target := ReconcileTarget{Org: rc.org, Hook: "h1", Tool: "clickup", API: api, Mapping: DefaultMapping(),
		Containers: []string{"L1"}, Cursor: cursor}
	res, _, err := rc.r.Reconcile(t.Context(), target)
	if err != nil {
		t.Fatal(err)
	}
	// A: status "to do" → "in progress" (production: no extra events), due
	// the same: 1 event + its deliverable. B: after Until, left. C: the
	// same status and no due date: nothing. Added 1, written 2.
	if res.Added != 1 || res.Written != 2 || res.Known != 0 {
		t.Errorf("result = %+v; want added 1, written 2", res)
	}
	if strings.Join(pages, ",") != "0,1" {
		t.Errorf("pages read = %v; want 0,1", pages)
	}
	id := "clickup:recon:A:" + ms(upd) + ":status"
	want := []string{"clickup:1:status", "clickup:2:due", "clickup:3:status", id}
	if got := rc.events(t); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("stored events = %v; want %v", got, want)
	}
	// Again: the store now has A in "in progress": nothing.
	if res, _, err = rc.r.Reconcile(t.Context(), target); err != nil || res.Written != 0 {
		t.Errorf("second run = %+v, %v; want nothing written", res, err)
	}
}

// TestReconcileTrello: a board's actions go through the webhook Mapper with
// their own ids; the createCard the webhook stored is not written again.
//
// Shapes: GET /1/boards/{id}/actions answers the actions newest first
// (developer.atlassian.com/cloud/trello/rest/api-group-boards, "Get Actions
// of a Board"), each as a webhook's action: {id, type, date, data{card,
// list, board, listBefore, listAfter, old}, memberCreator}.
func TestReconcileTrello(t *testing.T) {
	rc := newRecon(t)
	cursor := rc.now.Add(-2 * time.Hour)
	board := map[string]any{"id": "B1", "name": "Acme"}
	card := map[string]any{"id": "c1", "name": "Banner", "idShort": 7}
	created := map[string]any{"id": "a1", "type": "createCard", "date": cursor.Add(time.Minute).Format(time.RFC3339),
		"data":          map[string]any{"card": card, "list": map[string]any{"id": "l1", "name": "To Do"}, "board": board},
		"memberCreator": map[string]any{"fullName": "Ana"}}
	moved := map[string]any{"id": "a2", "type": "updateCard", "date": cursor.Add(time.Hour).Format(time.RFC3339),
		"data": map[string]any{"card": card, "board": board, "old": map[string]any{"idList": "l1"},
			"listBefore": map[string]any{"id": "l1", "name": "To Do"}, "listAfter": map[string]any{"id": "l2", "name": "Doing"}},
		"memberCreator": map[string]any{"fullName": "Ana"}}
	api := toolAPI(t, "trello", "key:tok", map[string]http.HandlerFunc{
		"/boards/B1/actions": func(w http.ResponseWriter, r *http.Request) {
			if q := r.URL.Query(); q.Get("filter") != "createCard,updateCard" || q.Get("since") != cursor.Format(time.RFC3339) {
				t.Errorf("query %v", q)
			}
			json.NewEncoder(w).Encode([]any{moved, created})
		},
		"/cards/c1": func(w http.ResponseWriter, r *http.Request) {
			json.NewEncoder(w).Encode(map[string]any{"name": "Banner", "due": nil, "idBoard": "B1", "list": map[string]any{"id": "l2", "name": "Doing"}})
		},
	})
	rc.webhook(t, "trello", ingest.TaskEvent{Meta: ingest.Meta{ExternalID: "trello:a1:status"}, OccurredAt: cursor.Add(time.Minute),
		Type: ingest.EventCreated, DeliverableID: "c1", TaskID: "c1", ToStatus: "To Do", Phase: PhaseIntake})
	res, _, err := rc.r.Reconcile(t.Context(), ReconcileTarget{Org: rc.org, Hook: "h1", Tool: "trello", API: api,
		Mapping: DefaultMapping(), Containers: []string{"B1"}, Cursor: cursor})
	if err != nil {
		t.Fatal(err)
	}
	// a1: its created event, known; a2: the move To Do → Doing (production:
	// one event); one deliverable. Added 1, written 1+1 = 2.
	if res.Known != 1 || res.Added != 1 || res.Written != 2 {
		t.Errorf("result = %+v; want known 1, added 1, written 2", res)
	}
	if got, want := strings.Join(rc.events(t), " "), "trello:a1:status trello:a2:status"; got != want {
		t.Errorf("stored events = %q; want %q", got, want)
	}
}

// TestReconcileAsana: tasks (two pages) compared with the stored state: a
// section move, a due date set, a completion the store already has.
//
// Shapes: GET /api/1.0/tasks?project=&modified_since=&opt_fields= answers
// {data[{gid, name, completed, completed_at, due_on, memberships[{project,
// section{gid, name}}], modified_at}], next_page{offset, path, uri} | null}
// (developers.asana.com/reference/gettasks, pagination in
// developers.asana.com/docs/pagination).
func TestReconcileAsana(t *testing.T) {
	rc := newRecon(t)
	cursor := rc.now.Add(-2 * time.Hour)
	mod := rc.now.Add(-time.Hour).Format(time.RFC3339)
	task := func(gid, section string, completed bool, due any) map[string]any {
		return map[string]any{"gid": gid, "name": "Task " + gid, "completed": completed, "completed_at": nil, "due_on": due,
			"memberships": []any{map[string]any{"project": map[string]any{"gid": "P1"}, "section": map[string]any{"gid": "s-" + section, "name": section}}},
			"modified_at": mod}
	}
	api := toolAPI(t, "asana", "pat", map[string]http.HandlerFunc{"/tasks": func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("project") != "P1" || q.Get("modified_since") != cursor.Format(time.RFC3339) {
			t.Errorf("query %v", q)
		}
		if q.Get("offset") == "" {
			json.NewEncoder(w).Encode(map[string]any{"data": []any{task("T1", "In Progress", false, "2026-03-20")},
				"next_page": map[string]any{"offset": "eyJ0eXAiOJiKV1iQLCJhbGciOiJIUzI1NiJ9", "path": "/tasks?offset=eyJ0", "uri": "https://app.asana.com/api/1.0/tasks?offset=eyJ0"}})
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"data": []any{task("T2", "Done", true, nil)}, "next_page": nil})
	}})
	at := cursor.Add(-time.Hour)
	rc.webhook(t, "asana",
		ingest.TaskEvent{Meta: ingest.Meta{ExternalID: "asana:T1:x:added:status"}, OccurredAt: at, Type: ingest.EventCreated,
			DeliverableID: "T1", TaskID: "T1", ToStatus: "To Do", Phase: PhaseIntake},
		ingest.TaskEvent{Meta: ingest.Meta{ExternalID: "asana:T2:x:added:status"}, OccurredAt: at, Type: ingest.EventStatusChanged,
			DeliverableID: "T2", TaskID: "T2", ToStatus: "Done", Phase: PhaseDelivered},
		ingest.TaskEvent{Meta: ingest.Meta{ExternalID: "asana:T2:x:added:delivered"}, OccurredAt: at, Type: ingest.EventDelivered,
			DeliverableID: "T2", TaskID: "T2", ToStatus: "Done"})
	target := ReconcileTarget{Org: rc.org, Hook: "h1", Tool: "asana", API: api, Mapping: DefaultMapping(),
		Containers: []string{"P1"}, Cursor: cursor}
	res, _, err := rc.r.Reconcile(t.Context(), target)
	if err != nil {
		t.Fatal(err)
	}
	// T1: To Do → In Progress (1) and the due date 2026-03-20 the store
	// lacks (1), and its deliverable: written 3, added 2. T2: in Done,
	// delivered, no due date, as stored: nothing.
	if res.Added != 2 || res.Written != 3 {
		t.Errorf("result = %+v; want added 2, written 3", res)
	}
	if res, _, err = rc.r.Reconcile(t.Context(), target); err != nil || res.Written != 0 {
		t.Errorf("second run = %+v, %v; want nothing written", res, err)
	}
	if got := rc.events(t); len(got) != 5 {
		t.Errorf("stored events = %v; want the 3 webhook events and 2 added", got)
	}
}
