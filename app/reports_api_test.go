package app_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// TestReportAPI: an admin token writes a client's commentary twice (both
// versions kept, with the token as author), adds, lists, closes, reopens
// and removes an action; a read token reads but cannot write; another
// org's token finds neither the client nor the action (404); bad months,
// fields and dates are 400s naming them.
func TestReportAPI(t *testing.T) {
	svc := apptest.New(t)
	admin := svc.Token("acme", "admin")
	reader := svc.Token("acme", "read")
	other := svc.Token("globex", "admin")
	otherReader := svc.Token("globex", "read")
	ingestTok := svc.Token("acme", "ingest")
	base, stop := svc.Serve(nil)
	defer stop()
	for path, body := range map[string]string{
		"/api/v1/clients": `{"external_id":"c-1","name":"Nordlicht GmbH"}` + "\n",
		"/api/v1/people":  `{"external_id":"p-1","valid_from":"2026-01-01","name":"Ana Silva","role":"designer","team":"design","weekly_capacity_hours":40,"start_date":"2026-01-01"}` + "\n",
	} {
		if code, r := apptest.Post(t, base+path, ingestTok, "application/x-ndjson", strings.NewReader(body)); code != 200 || r.Rejected != 0 {
			t.Fatalf("post %s: %d %+v", path, code, r)
		}
	}
	notes := base + "/api/v1/clients/Nordlicht%20GmbH/reports/2026-11/notes"

	for i, text := range []string{"Hours ran 12 over.", "Hours ran 12 over; one revision round next month."} {
		code, body := call(t, "PUT", notes, admin, `{"field":"commentary","body":"`+text+`"}`)
		if code != 200 || !strings.Contains(body, `"saved":true`) || !strings.Contains(body, `"client":"c-1"`) {
			t.Fatalf("PUT %d: %d %s", i, code, body)
		}
	}
	if code, body := call(t, "PUT", notes, admin, `{"field":"commentary","body":"Hours ran 12 over; one revision round next month."}`); code != 200 || !strings.Contains(body, `"saved":false`) {
		t.Errorf("PUT the same text: %d %s, want saved false", code, body)
	}
	code, body := call(t, "GET", notes, reader, "")
	var got struct {
		Client     string
		ClientName string `json:"client_name"`
		Month      string
		Latest     map[string]struct{ Body, Author string }
		History    []struct{ Field, Body, Author string }
	}
	if code != 200 || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("GET notes: %d %s", code, body)
	}
	if got.ClientName != "Nordlicht GmbH" || got.Month != "2026-11" || len(got.History) != 2 || got.History[0].Body != "Hours ran 12 over." ||
		got.Latest["commentary"].Body != "Hours ran 12 over; one revision round next month." || !strings.HasPrefix(got.Latest["commentary"].Author, "token ") {
		t.Errorf("GET notes: %+v", got)
	}
	for _, bad := range []struct {
		method, url, token, body string
		code                     int
		says                     string
	}{
		{"PUT", notes, reader, `{"field":"commentary","body":"x"}`, 403, ""},
		{"GET", notes, otherReader, "", 404, `client \"Nordlicht GmbH\" not found`},
		{"GET", base + "/api/v1/clients/c-1/reports/2026-13/notes", reader, "", 400, `month \"2026-13\"`},
		{"PUT", notes, admin, `{"field":"margin","body":"x"}`, 400, `field \"margin\"`},
		{"PUT", notes, admin, `{"field":"commentary","body":"x","by":"me"}`, 400, "unknown field"},
		{"GET", base + "/api/v1/actions?open=yes", reader, "", 400, `open \"yes\"`},
		{"GET", base + "/api/v1/actions?origin=plan", reader, "", 400, `origin \"plan\"`},
		{"POST", base + "/api/v1/actions", admin, `{"client":"c-1","month":"2026-11","title":"Call","owner":"p-1","due":"15.12.2026"}`, 400, `due \"15.12.2026\"`},
		{"POST", base + "/api/v1/actions", admin, `{"client":"c-1","month":"2026-11","title":"Call","owner":"Nobody","due":"2026-12-15"}`, 400, `person \"Nobody\" not found`},
		{"POST", base + "/api/v1/actions", admin, `{"client":"c-1","month":"Nov","title":"Call","owner":"p-1","due":"2026-12-15"}`, 400, `month \"Nov\"`},
		{"POST", base + "/api/v1/actions", reader, `{"client":"c-1","month":"2026-11","title":"Call","owner":"p-1","due":"2026-12-15"}`, 403, ""},
	} {
		if code, body := call(t, bad.method, bad.url, bad.token, bad.body); code != bad.code || !strings.Contains(body, bad.says) {
			t.Errorf("%s %s %s: %d %s, want %d saying %q", bad.method, bad.url, bad.body, code, body, bad.code, bad.says)
		}
	}

	code, body = call(t, "POST", base+"/api/v1/actions", admin, `{"client":"Nordlicht GmbH","month":"2026-11","kind":"decision","title":"Reviews on Tuesdays","owner":"ana silva","due":"2026-12-15"}`)
	var a struct{ ID, Client, Owner, OwnerName, Status, Kind string }
	if code != 201 || json.Unmarshal([]byte(body), &a) != nil || a.Client != "c-1" || a.Owner != "p-1" || a.Status != "open" || a.Kind != "decision" ||
		!strings.Contains(body, `"owner_name":"Ana Silva"`) || !strings.Contains(body, `"due":"2026-12-15T00:00:00Z"`) {
		t.Fatalf("POST action: %d %s", code, body)
	}
	if code, body := call(t, "GET", base+"/api/v1/actions?client=Nordlicht%20GmbH&open=true&origin=report", reader, ""); code != 200 || !strings.Contains(body, a.ID) {
		t.Errorf("GET open actions: %d %s", code, body)
	}
	if code, body := call(t, "GET", base+"/api/v1/actions", otherReader, ""); code != 200 || body != `{"actions":[]}`+"\n" {
		t.Errorf("another org lists: %d %s, want none", code, body)
	}
	for _, m := range []string{"POST /close", "POST /reopen", "DELETE "} {
		method, tail, _ := strings.Cut(m, " ")
		if code, body := call(t, method, base+"/api/v1/actions/"+a.ID+tail, other, ""); code != 404 || !strings.Contains(body, a.ID) {
			t.Errorf("another org's %s: %d %s, want 404 naming it", m, code, body)
		}
	}
	if code, body := call(t, "POST", base+"/api/v1/actions/"+a.ID+"/close", admin, ""); code != 200 || !strings.Contains(body, `"status":"closed"`) ||
		!strings.Contains(body, `"closed_by":"token `) {
		t.Errorf("close: %d %s", code, body)
	}
	if code, body := call(t, "GET", base+"/api/v1/actions?open=true", reader, ""); code != 200 || strings.Contains(body, a.ID) {
		t.Errorf("open actions after closing: %d %s", code, body)
	}
	if code, body := call(t, "POST", base+"/api/v1/actions/"+a.ID+"/reopen", admin, ""); code != 200 || !strings.Contains(body, `"status":"open"`) {
		t.Errorf("reopen: %d %s", code, body)
	}
	if code, _ := call(t, "DELETE", base+"/api/v1/actions/"+a.ID, admin, ""); code != 204 {
		t.Errorf("delete: %d", code)
	}
	if code, _ := call(t, "DELETE", base+"/api/v1/actions/"+a.ID, admin, ""); code != 404 {
		t.Errorf("delete again: %d, want 404", code)
	}
	if code, body := call(t, "GET", base+"/api/v1/actions", reader, ""); code != 200 || strings.Contains(body, a.ID) {
		t.Errorf("after delete: %d %s", code, body)
	}
}
