package app_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// call sends a JSON body with a bearer token and returns the status and body.
func call(t *testing.T, method, url, token, body string) (int, string) {
	t.Helper()
	code, _, reply := apptest.Send(t, method, url, token, body, "Content-Type", "application/json")
	return code, reply
}

// TestThresholdAPI: an admin token sets, lists and deletes its org's
// thresholds; a read token lists but cannot set; another org sees none of
// them; bad thresholds are 400s that say what to send.
func TestThresholdAPI(t *testing.T) {
	svc := apptest.New(t)
	admin := svc.Token("acme", "admin")
	reader := svc.Token("acme", "read")
	other := svc.Token("globex", "admin")
	ingestTok := svc.Token("acme", "ingest")
	base, stop := svc.Serve(nil)
	defer stop()
	url := base + "/api/v1/alerts/thresholds"

	if code, r := apptest.Post(t, base+"/api/v1/clients", ingestTok, "application/x-ndjson",
		strings.NewReader(`{"external_id":"c-1","name":"Nordlicht GmbH"}`+"\n")); code != 200 {
		t.Fatalf("post client: %d %+v", code, r)
	}
	// The value as a percentage, the client by name, a day: stored, and
	// answered, as the KPI's name, the client's id, a number and 1d.
	code, body := call(t, "PUT", url+"/wo-high", admin, `{"kpi":"write_off_rate","scope":"client","scope_value":"Nordlicht GmbH","comparator":"gt","value":"10%","for":"1d","severity":"critical"}`)
	if code != 200 || !strings.Contains(body, `"id":"wo-high"`) || !strings.Contains(body, `"scope_value":"c-1"`) ||
		!strings.Contains(body, `"for":"1d"`) || !strings.Contains(body, `"value":0.1}`) {
		t.Fatalf("PUT: %d %s", code, body)
	}
	code, body = call(t, "PUT", url, admin, `{"kpi":"billable_utilization_ratio","comparator":"lt","value":0.6}`)
	var created struct{ ID, Severity, Scope string }
	if code != 200 || json.Unmarshal([]byte(body), &created) != nil || !strings.HasPrefix(created.ID, "th_") ||
		created.Severity != "warning" || created.Scope != "org" {
		t.Fatalf("PUT without id: %d %s", code, body)
	}
	code, body = call(t, "GET", url, reader, "")
	var list struct {
		Thresholds []struct {
			ID, KPI, For string
			Value        float64
		}
	}
	if code != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list.Thresholds) != 2 {
		t.Fatalf("GET: %d %s", code, body)
	}
	for _, th := range list.Thresholds {
		if th.ID == "wo-high" && (th.KPI != "write_off_rate" || th.For != "1d" || th.Value != 0.1) ||
			th.ID != "wo-high" && (th.KPI != "billable_utilization" || th.Value != 0.6) {
			t.Errorf("GET lists %+v", th)
		}
	}
	if code, body = call(t, "GET", url, other, ""); code != 200 || strings.Contains(body, "wo-high") {
		t.Errorf("another org's GET: %d %s", code, body)
	}
	if code, _ = call(t, "DELETE", url+"/wo-high", other, ""); code != 404 {
		t.Errorf("another org's DELETE: %d, want 404", code)
	}
	if code, _ = call(t, "PUT", url+"/x", reader, `{"kpi":"write_off_ratio","comparator":"gt","value":0.1}`); code != 403 {
		t.Errorf("PUT with a read token: %d, want 403", code)
	}
	for _, bad := range []struct{ body, says string }{
		{`{"kpi":"revenue","comparator":"gt","value":1}`, "thresholds can watch"},
		{`{"kpi":"write_off_ratio","comparator":"outside","value":1}`, "a band is two thresholds"},
		{`{"kpi":"write_off_ratio","comparator":"gt","value":1,"scope":"team","scope_value":"Design"}`, "can be set on"},
		{`{"kpi":"write_off_ratio","comparator":"gt","value":1,"scope":"client"}`, "give the client"},
		{`{"kpi":"write_off_ratio","comparator":"gt","value":1,"for":"2 hours"}`, "want a duration"},
		{`{"kpi":"write_off_rate","comparator":"gt","value":1,"for":"2h"}`, "2h would wait 6h"},
		{`{"kpi":"write_off_rate","comparator":"gt","value":60}`, "for 60% write 60%"},
		{`{"kpi":"write_off_rate","comparator":"gt","value":"8%","scope":"client","scope_value":"nosuch"}`, `client \"nosuch\" not found in org acme`},
		{`{"kpi":"write_off_rate","comparator":"gt"}`, "value: give the threshold"},
		{`{"kpi":"write_off_ratio","comparator":"gt","value":1,"severity":"page"}`, "info, warning or critical"},
		{`{"kpi":"write_off_ratio","comparator":"gt","value":1,"colour":"red"}`, "unknown field"},
		// One threshold per request: a second value after it was ignored, and
		// the first stored.
		{`{"kpi":"write_off_rate","comparator":"gt","value":"8%"}{"value":"50%"}`, "a second JSON value"},
		{`{"kpi":"write_off_rate","comparator":"gt","value":"8%"} x`, "a second JSON value"},
	} {
		if code, body := call(t, "PUT", url, admin, bad.body); code != 400 || !strings.Contains(body, bad.says) {
			t.Errorf("PUT %s: %d %s, want 400 saying %q", bad.body, code, body, bad.says)
		}
	}
	if code, _ = call(t, "DELETE", url+"/wo-high", admin, ""); code != 204 {
		t.Errorf("DELETE: %d", code)
	}
	if code, body = call(t, "GET", url, admin, ""); code != 200 || strings.Contains(body, "wo-high") || !strings.Contains(body, created.ID) ||
		strings.Count(body, `"id":`) != 1 {
		t.Errorf("GET after DELETE: %d %s, want only %s", code, body, created.ID)
	}
}
