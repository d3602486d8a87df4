package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// TestKPIAPI boots app.Run on :0, ingests entries for two orgs and reads KPIs:
// JSON and CSV, the 400s, the token's org as the only scope, the scopes.
func TestKPIAPI(t *testing.T) {
	svc := apptest.New(t)
	acmeIn, acmeRead := svc.Token("kpi-acme", "ingest"), svc.Token("kpi-acme", "read")
	globexIn, globexRead := svc.Token("kpi-globex", "ingest"), svc.Token("kpi-globex", "read")

	base, stop := svc.Serve(nil)
	defer stop()
	entries := func(hours string) string {
		return `{"external_id":"e1","person":"p1","date":"2026-04-01","hours":` + hours + `,"billable":true,"client":"c1"}` + "\n" +
			`{"external_id":"e2","person":"p1","date":"2026-04-02","hours":2,"billable":false,"client":"c1"}` + "\n"
	}
	if code, r := apptest.Post(t, base+"/api/v1/time_entries", acmeIn, "application/x-ndjson", strings.NewReader(entries("6"))); code != 200 {
		t.Fatalf("post acme: %d %+v", code, r)
	}
	if code, r := apptest.Post(t, base+"/api/v1/time_entries", globexIn, "application/x-ndjson", strings.NewReader(entries("1"))); code != 200 {
		t.Fatalf("post globex: %d %+v", code, r)
	}

	// acme: 6 billable of 8 logged hours = 0.75; globex: 1 of 3.
	kpi := base + "/api/v1/kpis/billable_ratio?from=2026-04-01&to=2026-05-01"
	code, ctype, body := apptest.Get(t, kpi, acmeRead, "")
	var res struct {
		KPI, Currency string
		Version       int `json:"definition_version"`
		Rows          []map[string]any
	}
	if err := json.Unmarshal([]byte(body), &res); code != 200 || err != nil || !strings.HasPrefix(ctype, "application/json") {
		t.Fatalf("GET billable_ratio: %d %s %s", code, ctype, body)
	}
	if len(res.Rows) != 1 || res.Rows[0]["value"] != 0.75 || res.Rows[0]["logged_hours"] != 8.0 || res.Version != 1 {
		t.Fatalf("acme billable_ratio: %s", body)
	}
	_, _, body = apptest.Get(t, kpi, globexRead, "")
	if !strings.Contains(body, `"billable_hours":1,`) || !strings.Contains(body, `"logged_hours":3`) {
		t.Fatalf("globex sees %s, want its own 1 of 3 hours", body)
	}
	// CSV by Accept, grouped by client.
	code, ctype, body = apptest.Get(t, kpi+"&group_by=client", acmeRead, "text/csv")
	if code != 200 || !strings.HasPrefix(ctype, "text/csv") || body != "client,name,value,billable_hours,logged_hours\nc1,,0.75,6,8\n" {
		t.Fatalf("CSV: %d %s %q", code, ctype, body)
	}
	// The caller's mistakes are 400s that say what is wrong.
	for url, want := range map[string]string{
		base + "/api/v1/kpis/no_such_kpi":                                  "unknown KPI",
		kpi + "&group_by=planet":                                           "cannot be grouped by",
		base + "/api/v1/kpis/billable_utilization?group_by=client":         "cannot be grouped by",
		base + "/api/v1/kpis/billable_ratio?from=2026-13-01":               "want a date",
		base + "/api/v1/kpis/billable_ratio?from=2026-05-01&to=2026-04-01": "is not before",
		kpi + "&org=kpi-globex":                                            "unknown parameter",
		kpi + "&interval=year":                                             "interval",
	} {
		code, _, body := apptest.Get(t, url, acmeRead, "")
		if code != 400 || !strings.Contains(body, want) {
			t.Errorf("GET %s: %d %s, want 400 with %q", url, code, body, want)
		}
	}
	// A filter by an id only the entries use is answered; one that names
	// nothing of the org is a 400 whose JSON names the filter and its value.
	if code, _, body := apptest.Get(t, kpi+"&client=c1", acmeRead, ""); code != 200 || !strings.Contains(body, `"logged_hours":8`) {
		t.Errorf("client=c1: %d %s", code, body)
	}
	code, _, body = apptest.Get(t, kpi+"&client=nosuch", acmeRead, "")
	var problem struct {
		Error, Filter, Value string
		Candidates           []any
	}
	if json.Unmarshal([]byte(body), &problem) != nil || code != 400 || problem.Filter != "client" || problem.Value != "nosuch" ||
		problem.Error != `client "nosuch" not found in org kpi-acme` || problem.Candidates == nil {
		t.Errorf("client=nosuch: %d %s, want 400 naming the client filter", code, body)
	}
	// The pages resolve their client and team filters as the API does: a
	// client by name opens the page of its id; an unknown team is a 400
	// page that names it.
	if code, r := apptest.Post(t, base+"/api/v1/clients", acmeIn, "application/x-ndjson",
		strings.NewReader(`{"external_id":"c1","name":"Nordlicht GmbH"}`+"\n")); code != 200 {
		t.Fatalf("post client: %d %+v", code, r)
	}
	session := apptest.SignInToken(t, base, acmeRead)
	page := func(path string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		req.AddCookie(session)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := page("/margin?from=2026-04-01&to=2026-05-01&client=nordlicht+gmbh"); code != 200 || !strings.Contains(body, "client=c1") {
		t.Errorf("/margin?client=nordlicht gmbh: %d, want 200 with links to client=c1:\n%.2000s", code, body)
	}
	if code, body := page("/utilization?from=2026-04-01&to=2026-05-01&team=nosuch"); code != 400 || !strings.Contains(body, `team &#34;nosuch&#34; not found in org kpi-acme`) {
		t.Errorf("/utilization?team=nosuch: %d, want 400 naming the team:\n%.2000s", code, body)
	}
	// Tokens: none is 401, an ingest-only token 403.
	if code, _, _ := apptest.Get(t, kpi, "", ""); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code, _, _ := apptest.Get(t, kpi, acmeIn, ""); code != 403 {
		t.Errorf("ingest token: %d", code)
	}
	// The catalog.
	code, _, body = apptest.Get(t, base+"/api/v1/kpis", acmeRead, "")
	if code != 200 || !strings.Contains(body, `"name":"billable_utilization"`) || !strings.Contains(body, `"group_by":["person","role","team"]`) {
		t.Errorf("catalog: %d %.300s", code, body)
	}
}

// TestCapacityAPI: the grid and the earliest start through HTTP, scoped to
// the token's org, with the caller's mistakes as 400s.
func TestCapacityAPI(t *testing.T) {
	svc := apptest.New(t)
	in, read := svc.Token("cap-api", "ingest"), svc.Token("cap-api", "read")
	other := svc.Token("cap-api-other", "read")
	base, stop := svc.Serve(nil)
	defer stop()
	// One designer, 40 h a week Monday to Friday, booked 30 h a week in the
	// weeks of 2027-03-01 and 2027-03-08: 10 h free in those, 40 after.
	people := `{"external_id":"p1","valid_from":"2026-01-01","name":"Ana","role":"designer","team":"studio","weekly_capacity_hours":40,"start_date":"2026-01-01"}` + "\n"
	allocs := `{"external_id":"a1","person":"p1","project":"x","start_date":"2027-03-01","end_date":"2027-03-12","hours_per_week":30,"status":"confirmed"}` + "\n"
	for url, body := range map[string]string{"/api/v1/people": people, "/api/v1/allocations": allocs} {
		if code, r := apptest.Post(t, base+url, in, "application/x-ndjson", strings.NewReader(body)); code != 200 {
			t.Fatalf("POST %s: %d %+v", url, code, r)
		}
	}
	code, _, body := apptest.Get(t, base+"/api/v1/capacity?from=2027-03-01&to=2027-03-15&by=role", read, "text/csv")
	if want := "role,name,week,available,booked,tentative,free,assumed_hours\ndesigner,Designer,2027-03-01,40,30,0,10,0\ndesigner,Designer,2027-03-08,40,30,0,10,0\n"; code != 200 || body != want {
		t.Fatalf("grid: %d %q, want %q", code, body, want)
	}
	if _, _, body := apptest.Get(t, base+"/api/v1/capacity?from=2027-03-01&to=2027-03-15", other, ""); strings.Contains(body, "designer") {
		t.Errorf("another org's token sees %s", body)
	}
	// 20 h a week for 2 weeks from 2027-03-01: the first two weeks have 10
	// free, so the earliest start is 2027-03-15 (40 and 40).
	req := `{"demand":{"designer":20},"weeks":2,"not_before":"2027-03-01","horizon_weeks":8}`
	postJSON := func(body string) (int, string) {
		code, _, reply := apptest.Send(t, http.MethodPost, base+"/api/v1/capacity/earliest-start", read, body, "Content-Type", "application/json")
		return code, reply
	}
	code, body = postJSON(req)
	if code != 200 || !strings.Contains(body, `"start":"2027-03-15"`) || !strings.Contains(body, `"feasible":true`) {
		t.Fatalf("earliest start: %d %s", code, body)
	}
	// A role in other capitals is the org's role: the same answer.
	if code, body := postJSON(`{"demand":{"Designer":20},"weeks":2,"not_before":"2027-03-01","horizon_weeks":8}`); code != 200 ||
		!strings.Contains(body, `"start":"2027-03-15"`) || !strings.Contains(body, `"role":"designer"`) {
		t.Errorf("demand Designer: %d %s", code, body)
	}
	for bad, want := range map[string]string{
		`{"demand":{"painter":20},"weeks":2}`:                       `role \"painter\" is not a role of org cap-api: its roles are designer`,
		`{"demand":{},"weeks":2}`:                                   "demand is empty",
		`{"demand":{"designer":20},"weeks":0}`:                      "weeks 0",
		`{"demand":{"designer":20},"weeks":2,"colour":1}`:           "unknown field",
		`{"demand":{"designer":20},"weeks":2,"not_before":"March"}`: "not_before",
		`not json`: "not valid JSON",
	} {
		if code, body := postJSON(bad); code != 400 || !strings.Contains(body, want) {
			t.Errorf("POST %s: %d %s, want 400 with %q", bad, code, body, want)
		}
	}
	if code, _, body := apptest.Get(t, base+"/api/v1/capacity?by=planet", read, ""); code != 400 || !strings.Contains(body, "planet") {
		t.Errorf("by=planet: %d %s", code, body)
	}
}
