package app_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/app/apptest"
	"github.com/opsmetrics/opsmetrics/ingest/hook/hooktest"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// served runs the real service with webhooks (the tools' own Mappers) for a
// fresh org with client c-1, and returns its base URL, an admin token, the
// org, and the store the service runs on, to read while it serves.
func served(t *testing.T) (base, admin, orgID string, st store.Store) {
	t.Helper()
	svc := apptest.New(t)
	b := make([]byte, 4)
	rand.Read(b)
	orgID = "done-" + hex.EncodeToString(b)
	admin, ingestTok := svc.Token(orgID, "admin"), svc.Token(orgID, "ingest")
	key := make([]byte, 32)
	rand.Read(key)
	base, _ = svc.Serve(func(o *app.Options) {
		o.SecretKey, o.SpoolDir, o.PublicURL = key, filepath.Join(t.TempDir(), "spool"), "https://ops.example.com"
		st = o.Store
	})
	if code, r := apptest.Post(t, base+"/api/v1/clients", ingestTok, "application/x-ndjson",
		strings.NewReader(`{"external_id":"c-1","name":"Nordlicht GmbH"}`+"\n")); code != 200 {
		t.Fatalf("post client: %d %+v", code, r)
	}
	return base, admin, orgID, st
}

// storedEvents lists org's live task events of source as "external_id
// type phase", by external_id, and counts them with count() FINAL.
func storedEvents(t *testing.T, st store.Store, orgID, source string) ([]string, int) {
	t.Helper()
	rows, err := st.Query(t.Context(), `SELECT external_id, toString(type), toString(phase), client_id FROM ops.task_events FINAL
		WHERE org_id = {org:String} AND source = {source:String} AND deleted = 0 ORDER BY external_id`,
		store.Params{"org": orgID, "source": source})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, rows.Len())
	for i := range out {
		var id, typ, phase, client string
		if err := rows.Scan(i, &id, &typ, &phase, &client); err != nil {
			t.Fatal(err)
		}
		out[i] = strings.Join(strings.Fields(id+" "+typ+" "+phase+" "+client), " ") // no phase: no blank
	}
	rows, err = st.Query(t.Context(), "SELECT count() FROM ops.task_events FINAL WHERE org_id = {org:String} AND deleted = 0",
		store.Params{"org": orgID})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rows.Scan(0, &n); err != nil {
		t.Fatal(err)
	}
	return out, n
}

// hookClient talks to one hook of a served service.
type hookClient struct {
	t                    *testing.T
	base, admin          string
	id, secret, callback string
}

func addHook(t *testing.T, base, admin, tool string) *hookClient {
	t.Helper()
	code, reply := call(t, "POST", base+"/api/v1/hooks", admin, `{"tool":"`+tool+`","client":"c-1"}`)
	if code != 201 {
		t.Fatalf("add %s: %d %s", tool, code, reply)
	}
	var h struct{ ID, Secret, URL string }
	json.Unmarshal([]byte(reply), &h)
	return &hookClient{t: t, base: base, admin: admin, id: h.ID, secret: h.Secret, callback: h.URL}
}

// deliveries lists the hook's deliveries through the API, newest first.
func (hc *hookClient) deliveries() deliveryList {
	hc.t.Helper()
	code, reply := call(hc.t, "GET", hc.base+"/api/v1/hooks/"+hc.id+"/deliveries", hc.admin, "")
	if code != 200 {
		hc.t.Fatalf("deliveries: %d %s", code, reply)
	}
	var l deliveryList
	json.Unmarshal([]byte(reply), &l)
	return l
}

// wait waits until the hook has n deliveries, none pending, and returns
// them; one failed fails the test at once.
func (hc *hookClient) wait(n int) deliveryList {
	hc.t.Helper()
	var l deliveryList
	eventually(hc.t, "the deliveries of "+hc.id+" recorded", func() bool {
		l = hc.deliveries()
		for _, d := range l.Deliveries {
			if d.Status == "failed" {
				hc.t.Fatalf("delivery failed: %+v", d)
			}
			if d.Status == "pending" {
				return false
			}
		}
		return len(l.Deliveries) == n
	})
	return l
}

// TestHooksDone is issue 16's "Done when": for each tool, its documented
// example delivery (ingest/hook/testdata, whose header comment in
// mappers_test.go names each doc), signed as the tool signs it, is
// answered 2xx and shows as applied with its task events; the same
// delivery again is a duplicate and writes nothing; a wrong signature is
// 401 and leaves nothing. Default mapping, no API token: the hook's
// client c-1 is each event's client.
func TestHooksDone(t *testing.T) {
	base, admin, orgID, st := served(t)
	cases := []struct {
		tool, file string
		header     http.Header // the tool's own headers besides its signature
		records    int         // the records the delivery writes: its events and any deliverable
		events     []string    // "external_id type phase client", by external_id
		wrote      []string    // the deliveries list's words for each record it wrote
	}{{
		// changelog 10124, item 1: In Review (internal_review) → Client
		// Review (client_review): a review request and the status; item 0
		// (summary) is not read; plus the deliverable JRA-20002.
		tool: "jira", file: "issue_updated_status.json",
		header: http.Header{"X-Atlassian-Webhook-Identifier": {"jira-done-1"}}, records: 3,
		events: []string{"jira:10124:1:review client_review_requested c-1", "jira:10124:1:status status_changed client_review c-1"},
		wrote: []string{"task JRA-20002 client review requested", "task JRA-20002 status In Review → Client Review",
			"deliverable JRA-20002 (I feel the need for speed) due 2018-05-11"},
	}, {
		// history item 2800787326392370170: to do → in progress (production).
		tool: "clickup", file: "taskStatusUpdated.json", records: 1,
		events: []string{"clickup:2800787326392370170:status status_changed production c-1"},
		wrote:  []string{"task 1vj38vv status to do → in progress"},
	}, {
		// task 1202178854270531 added to section Client Review at
		// 2026-05-20T14:00:00Z (its name is in the event; no token needed).
		tool: "asana", file: "section_added.json", records: 2,
		events: []string{
			"asana:1202178854270531:20260520T140000.000Z:added:1202178854270600:review client_review_requested c-1",
			"asana:1202178854270531:20260520T140000.000Z:added:1202178854270600:status status_changed client_review c-1"},
		wrote: []string{"task 1202178854270531 client review requested", "task 1202178854270531 status (none) → Client Review"},
	}, {
		// action 5a95b43cbeb31d9c8b2c8a30: Doing (production) → Client Review.
		tool: "trello", file: "updateCard_list.json", records: 2,
		events: []string{"trello:5a95b43cbeb31d9c8b2c8a30:review client_review_requested c-1",
			"trello:5a95b43cbeb31d9c8b2c8a30:status status_changed client_review c-1"},
		wrote: []string{"task 54a1844d304d9736e54d2546 client review requested", "task 54a1844d304d9736e54d2546 status Doing → Client Review"},
	}, {
		// issue #2 closed (completed): open (intake) → closed (delivered):
		// delivered and the status; plus its deliverable.
		tool: "github", file: "closed.json", header: http.Header{"X-Github-Event": {"issues"},
			"X-Github-Delivery": {"72d3162e-cc78-11e3-81ab-4c9367dc0958"}}, records: 3,
		events: []string{"github:72d3162e-cc78-11e3-81ab-4c9367dc0958:delivered delivered c-1",
			"github:72d3162e-cc78-11e3-81ab-4c9367dc0958:status status_changed delivered c-1"},
		wrote: []string{"task Codertocat/Hello-World#2 delivered", "task Codertocat/Hello-World#2 status open → closed",
			"deliverable Codertocat/Hello-World#2 (Update the README with new information.) due 2019-05-23, delivered 2019-05-22"},
	}}
	total := 0
	for _, c := range cases {
		t.Run(c.tool, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("..", "ingest", "hook", "testdata", c.tool, c.file))
			if err != nil {
				t.Fatal(err)
			}
			hc := addHook(t, base, admin, c.tool)
			if c.tool == "asana" {
				// Asana's handshake: it sends X-Hook-Secret once and must
				// get it back; it signs every delivery with it from then on.
				hc.secret = "asana-secret-" + hc.id
				code, reply := postHook(t, base+"/hooks/"+hc.id, nil, http.Header{"X-Hook-Secret": {hc.secret}})
				if code != 200 || !strings.Contains(reply, "X-Hook-Secret: "+hc.secret) {
					t.Fatalf("handshake: %d %q", code, reply)
				}
			}
			signed := func(secret string) http.Header {
				h := http.Header{}
				for k, v := range c.header {
					h[k] = v
				}
				hooktest.Sign(h, c.tool, secret, hc.callback, body) // Trello's over body + callback URL
				return h
			}

			// A wrong signature: 401, nothing kept.
			if code, reply := postHook(t, base+"/hooks/"+hc.id, body, signed("not-"+hc.secret)); code != 401 {
				t.Errorf("wrong signature: %d %s", code, reply)
			}
			if l := hc.deliveries(); len(l.Deliveries) != 0 {
				t.Errorf("after a wrong signature: %+v, want no delivery", l)
			}
			if got, n := storedEvents(t, st, orgID, c.tool); len(got) != 0 || n != total {
				t.Errorf("after a wrong signature: %v, %d events in all; want none of %s, %d", got, n, c.tool, total)
			}

			// Signed as the tool signs it: 2xx, then applied with its events.
			if code, reply := postHook(t, base+"/hooks/"+hc.id, body, signed(hc.secret)); code/100 != 2 {
				t.Fatalf("signed: %d %s", code, reply)
			}
			l := hc.wait(1)
			if d := l.Deliveries[0]; d.Status != "applied" || d.Records != c.records {
				t.Errorf("delivery %+v; want applied with %d records", d, c.records)
			} else if got := strings.Join(d.Wrote, "\n"); got != strings.Join(c.wrote, "\n") {
				t.Errorf("delivery wrote:\n%s\nwant:\n%s", got, strings.Join(c.wrote, "\n"))
			}
			got, n := storedEvents(t, st, orgID, c.tool)
			if strings.Join(got, "\n") != strings.Join(c.events, "\n") {
				t.Errorf("stored events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(c.events, "\n"))
			}
			total += len(c.events)
			if n != total {
				t.Errorf("count() FINAL = %d, want %d", n, total)
			}

			// The same delivery again: ignored as a duplicate, nothing written.
			if code, reply := postHook(t, base+"/hooks/"+hc.id, body, signed(hc.secret)); code/100 != 2 {
				t.Fatalf("again: %d %s", code, reply)
			}
			l = hc.wait(2)
			if d := l.Deliveries[0]; d.Status != "ignored" || !strings.HasPrefix(d.Reason, "duplicate of ") || d.Records != 0 {
				t.Errorf("the second delivery %+v; want ignored as a duplicate", d)
			}
			if again, n := storedEvents(t, st, orgID, c.tool); strings.Join(again, "\n") != strings.Join(got, "\n") || n != total {
				t.Errorf("after the duplicate: %v, count %d; want as before, %d", again, n, total)
			}
		})
	}
}

// TestHooksMappingAndReplay: the mapping API's store is the worker's: a
// custom status mapped to client_review makes the next delivery's event
// client_review; after the mapping changes, a replay maps the kept
// delivery again: its event's phase changes in place (no new row), and the
// review request the old mapping made is removed.
func TestHooksMappingAndReplay(t *testing.T) {
	base, admin, orgID, st := served(t)
	hc := addHook(t, base, admin, "clickup")
	doc, err := os.ReadFile(filepath.Join("..", "ingest", "hook", "testdata", "clickup", "taskStatusUpdated.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The documented status change, into a status of the org's own.
	body := []byte(strings.Replace(string(doc), `"status": "in progress"`, `"status": "Awaiting Sign-off"`, 1))
	setPhase := func(phase string) {
		t.Helper()
		if code, reply := call(t, "PUT", base+"/api/v1/hooks/mappings/clickup", admin, `{"phases":{"Awaiting Sign-off":"`+phase+`"}}`); code != 200 {
			t.Fatalf("map: %d %s", code, reply)
		}
	}
	setPhase("client_review")
	h := http.Header{}
	hooktest.Sign(h, "clickup", hc.secret, "", body)
	if code, reply := postHook(t, base+"/hooks/"+hc.id, body, h); code != 200 {
		t.Fatalf("post: %d %s", code, reply)
	}
	if l := hc.wait(1); l.Deliveries[0].Status != "applied" || l.Deliveries[0].Reason != "" {
		t.Errorf("delivery %+v; want applied with every status mapped", l.Deliveries[0])
	}
	const id = "clickup:2800787326392370170"
	want := []string{id + ":review client_review_requested c-1", id + ":status status_changed client_review c-1"}
	if got, n := storedEvents(t, st, orgID, "clickup"); strings.Join(got, "|") != strings.Join(want, "|") || n != 2 {
		t.Errorf("events %v (count %d); want %v", got, n, want)
	}

	setPhase("internal_review")
	code, reply := call(t, "POST", base+"/api/v1/hooks/"+hc.id+"/replay", admin, "")
	if code != 200 || !strings.Contains(reply, `"applied":1`) {
		t.Fatalf("replay: %d %s", code, reply)
	}
	// The status event is now internal_review, in place; the review request
	// the first mapping made is gone (the new mapping makes none, and it
	// would count as a client review that never happened): 1 row.
	want = []string{id + ":status status_changed internal_review c-1"}
	if got, n := storedEvents(t, st, orgID, "clickup"); strings.Join(got, "|") != strings.Join(want, "|") || n != 1 {
		t.Errorf("after the replay: %v (count %d); want %v, 1", got, n, want)
	}
	// Mapped back, the review request returns, and a second replay of the
	// same mapping changes nothing.
	setPhase("client_review")
	for range 2 {
		if code, reply := call(t, "POST", base+"/api/v1/hooks/"+hc.id+"/replay", admin, ""); code != 200 || !strings.Contains(reply, `"applied":1`) {
			t.Fatalf("replay: %d %s", code, reply)
		}
	}
	want = []string{id + ":review client_review_requested c-1", id + ":status status_changed client_review c-1"}
	if got, n := storedEvents(t, st, orgID, "clickup"); strings.Join(got, "|") != strings.Join(want, "|") || n != 2 {
		t.Errorf("mapped back: %v (count %d); want %v, 2", got, n, want)
	}
}
