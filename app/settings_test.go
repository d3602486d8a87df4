package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// formSession is a browser of the settings forms: the session of a sign-in
// with a token, the CSRF cookie the pages set, and no redirects followed.
type formSession struct {
	t    testing.TB
	base string
	c    *http.Client
	csrf string
}

func newFormSession(t testing.TB, base, token string) *formSession {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(base)
	jar.SetCookies(u, []*http.Cookie{apptest.SignInToken(t, base, token)})
	return &formSession{t: t, base: base, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// get opens a page and keeps the CSRF token of its forms.
func (s *formSession) get(path string) (int, string) {
	s.t.Helper()
	resp, err := s.c.Get(s.base + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(b); m != nil {
		s.csrf = string(m[1])
	}
	return resp.StatusCode, string(b)
}

// post sends a form with the page's CSRF token (unless the form has one),
// and returns the status, the Location and the body.
func (s *formSession) post(path string, form url.Values) (int, string, string) {
	s.t.Helper()
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", s.csrf)
	}
	resp, err := s.c.PostForm(s.base+path, form)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// orgShown reads GET /api/v1/org.
func orgShown(t *testing.T, base, token string) map[string]any {
	t.Helper()
	code, _, body := apptest.Get(t, base+"/api/v1/org", token, "")
	var m map[string]any
	if code != 200 || json.Unmarshal([]byte(body), &m) != nil {
		t.Fatalf("GET /api/v1/org: %d %s", code, body)
	}
	return m
}

func orgForm(kv ...string) url.Values {
	f := url.Values{"name": {"Form Studio"}, "time_zone": {"Europe/Berlin"}, "currency": {"EUR"}, "workdays": {"mon", "tue", "wed", "thu"},
		"business_hours": {"08:30-16:30"}, "grace_days": {"3"}, "stuck_review_hours": {"24"}, "overhead_per_hour": {"12.5"}}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

// TestSettingsOrgForm: an admin saves the Organization form and the org API
// answers what was typed; a refused value is 422 naming the field and value,
// shows the form again with what was typed, and changes nothing; a form
// without the CSRF token is 403; a read token sees the settings read-only,
// without the overhead, and cannot change them; the Change log lists who
// changed what from the form and the API, before and after.
func TestSettingsOrgForm(t *testing.T) {
	svc := apptest.New(t)
	admin := svc.Token("settings-org", "admin")
	read := svc.Token("settings-org", "read")
	base, stop := svc.Serve(nil)
	defer stop()

	s := newFormSession(t, base, admin)
	if code, body := s.get("/settings"); code != 200 || s.csrf == "" || !strings.Contains(body, `name="grace_days"`) ||
		!strings.Contains(body, `name="overhead_per_hour"`) {
		t.Fatalf("GET /settings as admin: %d\n%.3000s", code, body)
	}
	code, loc, body := s.post("/settings", orgForm())
	if code != http.StatusSeeOther || loc != "/settings?saved=1" {
		t.Fatalf("POST /settings: %d %q\n%.2000s", code, loc, body)
	}
	want := map[string]any{"name": "Form Studio", "time_zone": "Europe/Berlin", "currency": "EUR", "workdays": "mon,tue,wed,thu",
		"business_hours": "08:30-16:30", "grace_days": 3.0, "stuck_review_hours": 24.0, "overhead_per_hour": "12.5"}
	for k, v := range want {
		if got := orgShown(t, base, admin)[k]; got != v {
			t.Errorf("after the form, the org API's %s = %v, want %v", k, got, v)
		}
	}
	if _, body := s.get("/settings?saved=1"); !strings.Contains(body, `<p class="flash" role="status">Saved.</p>`) {
		t.Error("no Saved. flash after saving")
	}
	if _, body := s.get("/settings?saved=%3Cb%3Ehacked"); strings.Contains(body, "hacked") {
		t.Error("the flash echoes the address's text")
	}

	// Refused: 422, the field and value named, what was typed kept, nothing stored.
	for _, bad := range []struct{ field, value, says string }{
		{"grace_days", "99", `grace_days &#34;99&#34;: must be from 0 to 60`},
		{"grace_days", "two", `grace_days &#34;two&#34;: not a whole number`},
		{"time_zone", "Mars/Olympus", `time_zone &#34;Mars/Olympus&#34;: not a time zone`},
		{"business_hours", "17:00-09:00", `business_hours &#34;17:00-09:00&#34;`},
		{"overhead_per_hour", "12,5", `overhead_per_hour &#34;12,5&#34;: not a number`},
	} {
		code, _, body := s.post("/settings", orgForm("name", "Not Saved", bad.field, bad.value))
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, bad.says) ||
			!strings.Contains(body, `value="`+bad.value+`"`) || !strings.Contains(body, `value="Not Saved"`) {
			t.Errorf("%s=%s: %d, want 422 saying %q and keeping what was typed\n%.3000s", bad.field, bad.value, code, bad.says, body)
		}
	}
	if got := orgShown(t, base, admin); got["name"] != "Form Studio" || got["grace_days"] != 3.0 {
		t.Errorf("a refused form changed the org: %v", got)
	}
	// No CSRF token: 403, nothing stored.
	if code, _, _ := s.post("/settings", orgForm("_csrf", "", "grace_days", "5")); code != http.StatusForbidden {
		t.Errorf("POST without the CSRF token: %d, want 403", code)
	}
	if code, _, _ := s.post("/settings", orgForm("_csrf", "forged", "grace_days", "5")); code != http.StatusForbidden {
		t.Errorf("POST with a forged CSRF token: %d, want 403", code)
	}
	if got := orgShown(t, base, admin)["grace_days"]; got != 3.0 {
		t.Errorf("a form without CSRF changed grace days to %v", got)
	}

	// The API's change is recorded too, with its token.
	if code, _, body := apptest.Send(t, "PUT", base+"/api/v1/org", admin, `{"grace_days":4}`, "Content-Type", "application/json"); code != 200 {
		t.Fatalf("PUT /api/v1/org: %d %s", code, body)
	}

	// A read token: the values, read-only, no save; a POST is 403. (A read
	// token carries money: a viewer's hidden rates are dashboards' test.)
	r := newFormSession(t, base, read)
	code, body = r.get("/settings")
	if code != 200 || !strings.Contains(body, `value="Form Studio"`) || !strings.Contains(body, "<fieldset disabled>") ||
		strings.Contains(body, `type="submit">Save`) {
		t.Errorf("GET /settings with a read token: %d, want the values read-only\n%.4000s", code, body)
	}
	if code, _, _ := r.post("/settings", orgForm("grace_days", "9")); code != http.StatusForbidden {
		t.Errorf("POST /settings with a read token: %d, want 403", code)
	}
	if code, _ := r.get("/settings/audit"); code != http.StatusForbidden {
		t.Errorf("the Change log with a read token: %d, want 403", code)
	}
	if got := orgShown(t, base, admin)["grace_days"]; got != 4.0 {
		t.Errorf("grace days %v after a read token's POST, want 4", got)
	}

	// The Change log: the form's change and the API's, newest first, as fields.
	code, body = s.get("/settings/audit?kind=settings")
	if code != 200 {
		t.Fatalf("GET /settings/audit: %d %s", code, body)
	}
	api := strings.Index(body, "grace_days: <del>3</del> → <ins>4</ins>")
	form := strings.Index(body, "grace_days: <del>0</del> → <ins>3</ins>")
	if api < 0 || form < 0 || api > form {
		t.Errorf("the Change log does not list the API's change (3 → 4) above the form's (0 → 3)\n%.5000s", body)
	}
	if !strings.Contains(body, "time_zone: <del>UTC</del> → <ins>Europe/Berlin</ins>") || !strings.Contains(body, "overhead_per_hour: <del>0</del> → <ins>12.5</ins>") {
		t.Errorf("the Change log misses the form's time zone or overhead\n%.5000s", body)
	}
	if strings.Count(body, "<td>token tok_") < 2 && strings.Count(body, "<td>token ") < 2 {
		t.Errorf("the Change log does not name the token that made each change\n%.5000s", body)
	}
	if strings.Contains(body, "Not Saved") {
		t.Error("a refused form is in the Change log")
	}
}

// TestSettingsAlertsForm: a threshold entered as the page shows the KPI
// (8 %) is stored as the thresholds API's ratio; the page lists it with
// its condition; a refused value is 422 naming it and stores nothing; a
// read token cannot add one; changing and removing it show in the API and
// the Change log.
func TestSettingsAlertsForm(t *testing.T) {
	svc := apptest.New(t)
	admin := svc.Token("settings-alerts", "admin")
	read := svc.Token("settings-alerts", "read")
	base, stop := svc.Serve(nil)
	defer stop()
	thresholds := func() []map[string]any {
		code, _, body := apptest.Get(t, base+"/api/v1/alerts/thresholds", admin, "")
		var r struct{ Thresholds []map[string]any }
		if code != 200 || json.Unmarshal([]byte(body), &r) != nil {
			t.Fatalf("GET thresholds: %d %s", code, body)
		}
		return r.Thresholds
	}

	s := newFormSession(t, base, admin)
	if code, body := s.get("/settings/alerts"); code != 200 || !strings.Contains(body, "No thresholds yet.") {
		t.Fatalf("GET /settings/alerts: %d\n%.3000s", code, body)
	}
	add := url.Values{"kpi": {"write_off_rate"}, "scope": {"org"}, "comparator": {"gt"}, "value": {"8 %"}, "for": {"1h"}, "severity": {"critical"}}
	if code, loc, body := s.post("/settings/alerts", add); code != http.StatusSeeOther || loc != "/settings/alerts?saved=1" {
		t.Fatalf("add a threshold: %d %q\n%.2000s", code, loc, body)
	}
	list := thresholds()
	if len(list) != 1 || list[0]["kpi"] != "write_off_rate" || list[0]["value"] != 0.08 || list[0]["for"] != "1h" || list[0]["severity"] != "critical" {
		t.Fatalf("after the form, the API lists %v", list)
	}
	id := list[0]["id"].(string)
	code, body := s.get("/settings/alerts")
	if code != 200 || !strings.Contains(body, "<td>above 8 %</td>") || !strings.Contains(body, "<td>the whole org</td>") {
		t.Errorf("the page does not list the threshold as above 8 %%\n%.4000s", body)
	}

	for _, bad := range []struct {
		value, says string
	}{{"60", "value 60: write_off_rate is a ratio from 0 to 1; for 60% write 60%"}, {"lots", `value &#34;lots&#34;`}} {
		f := url.Values{"kpi": {"write_off_rate"}, "scope": {"org"}, "comparator": {"gt"}, "value": {bad.value}, "for": {"0s"}, "severity": {"warning"}}
		code, _, body := s.post("/settings/alerts", f)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, bad.says) || !strings.Contains(body, `value="`+bad.value+`"`) {
			t.Errorf("value %s: %d, want 422 saying %q\n%.3000s", bad.value, code, bad.says, body)
		}
	}
	if n := len(thresholds()); n != 1 {
		t.Errorf("%d thresholds after refused forms, want 1", n)
	}

	r := newFormSession(t, base, read)
	if code, body := r.get("/settings/alerts"); code != 200 || strings.Contains(body, `action="/settings/alerts"`) || !strings.Contains(body, "above 8 %") {
		t.Errorf("the Alerts page with a read token: %d, want the list without forms\n%.3000s", code, body)
	}
	if code, _, _ := r.post("/settings/alerts", add); code != http.StatusForbidden {
		t.Errorf("a read token adds a threshold: %d, want 403", code)
	}
	if code, _, _ := r.post("/settings/alerts/remove", url.Values{"id": {id}}); code != http.StatusForbidden {
		t.Errorf("a read token removes a threshold: %d, want 403", code)
	}

	// Change it (36 h on approval time is another KPI: the id stays).
	if code, body := s.get("/settings/alerts?edit=" + id); code != 200 || !strings.Contains(body, `value="8 %"`) {
		t.Errorf("the edit form does not hold 8 %%: %d\n%.3000s", code, body)
	}
	change := url.Values{"id": {id}, "kpi": {"approval_time_p90"}, "scope": {"org"}, "comparator": {"gt"}, "value": {"36 h"}, "for": {"15m"}, "severity": {"warning"}}
	if code, _, body := s.post("/settings/alerts", change); code != http.StatusSeeOther {
		t.Fatalf("change: %d\n%.2000s", code, body)
	}
	if list := thresholds(); len(list) != 1 || list[0]["id"] != id || list[0]["value"] != 36.0 || list[0]["kpi"] != "approval_time_p90" {
		t.Errorf("after the change, the API lists %v", list)
	}
	if code, loc, _ := s.post("/settings/alerts/remove", url.Values{"id": {id}}); code != http.StatusSeeOther || loc != "/settings/alerts?saved=removed" {
		t.Errorf("remove: %d %q", code, loc)
	}
	if n := len(thresholds()); n != 0 {
		t.Errorf("%d thresholds after removing, want 0", n)
	}
	code, body = s.get("/settings/audit?kind=threshold")
	for _, line := range []string{"value: <del>8%</del> → <ins>36h</ins>", "kpi: <del>write_off_rate</del> → <ins>approval_time_p90</ins>",
		"value: <ins>8%</ins>", "value: <del>36h</del>", "created", "removed", "changed"} {
		if !strings.Contains(body, line) {
			t.Errorf("the Change log lacks %q: %d\n%.5000s", line, code, body)
		}
	}
}

// kpiValue reads one group's value of a KPI from the KPI API (the first
// row's when key is "").
func kpiValue(t *testing.T, base, token, kpi, query, key, id string) (float64, bool) {
	t.Helper()
	code, _, body := apptest.Get(t, base+"/api/v1/kpis/"+kpi+"?"+query, token, "")
	var r struct{ Rows []map[string]any }
	if code != 200 || json.Unmarshal([]byte(body), &r) != nil {
		t.Fatalf("GET %s: %d %s", kpi, code, body)
	}
	for _, row := range r.Rows {
		if key == "" || row[key] == id {
			v, ok := row["value"].(float64)
			return v, ok
		}
	}
	return 0, false
}

// TestSettingsPeopleForm: a change of a person's capacity and rates from a
// date, made in the People form, goes through the intake's import: the KPI
// API then answers the new capacity from that date and the old one before
// it; a refused value is 422 naming the field and value and writes
// nothing; a new person added in the form is in the KPI API; the Change log
// lists the change's fields before and after.
func TestSettingsPeopleForm(t *testing.T) {
	svc := apptest.New(t)
	admin := svc.Token("settings-people", "admin")
	ingestTok := svc.Token("settings-people", "ingest")
	base, stop := svc.Serve(nil)
	defer stop()
	if code, r := apptest.Post(t, base+"/api/v1/people", ingestTok, "application/x-ndjson", strings.NewReader(
		`{"external_id":"p-ana","valid_from":"2025-01-01","name":"Ana Silva","email":"ana@example.com","role":"designer","team":"brand","weekly_capacity_hours":40,"cost_rate":40,"bill_rate":100,"utilization_target":0.8,"start_date":"2025-01-01"}`+"\n")); code != 200 {
		t.Fatalf("post person: %d %+v", code, r)
	}
	week := func(from, to string) float64 {
		v, ok := kpiValue(t, base, admin, "contracted_hours", "from="+from+"&to="+to+"&group_by=person", "person", "p-ana")
		if !ok {
			t.Fatalf("no contracted hours of p-ana for %s", from)
		}
		return v
	}
	if v := week("2026-06-01", "2026-06-08"); v != 40 {
		t.Fatalf("contracted hours before the change: %v, want 40", v)
	}

	s := newFormSession(t, base, admin)
	if code, body := s.get("/settings/people?edit=p-ana"); code != 200 || !strings.Contains(body, `value="Ana Silva"`) || !strings.Contains(body, `value="80 %"`) {
		t.Fatalf("the edit form: %d\n%.4000s", code, body)
	}
	change := url.Values{"id": {"p-ana"}, "effective_from": {"2026-06-01"}, "name": {"Ana Silva"}, "email": {"ana@example.com"},
		"role": {"designer"}, "team": {"brand"}, "weekly_capacity_hours": {"20"}, "cost_rate": {"45"}, "bill_rate": {"100"},
		"utilization_target": {"80 %"}, "start_date": {"2025-01-01"}}
	bad := url.Values{}
	for k, v := range change {
		bad[k] = v
	}
	bad.Set("weekly_capacity_hours", "200")
	code, _, body := s.post("/settings/people", bad)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "weekly_capacity_hours &#34;200&#34;") || !strings.Contains(body, `value="200"`) {
		t.Errorf("capacity 200: %d, want 422 naming weekly_capacity_hours \"200\"\n%.4000s", code, body)
	}
	if v := week("2026-06-01", "2026-06-08"); v != 40 {
		t.Errorf("a refused form changed the capacity to %v", v)
	}
	if code, loc, body := s.post("/settings/people", change); code != http.StatusSeeOther || loc != "/settings/people?saved=1" {
		t.Fatalf("save: %d %q\n%.3000s", code, loc, body)
	}
	if v := week("2026-06-01", "2026-06-08"); v != 20 {
		t.Errorf("contracted hours from the change: %v, want 20", v)
	}
	if v := week("2026-05-25", "2026-06-01"); v != 40 {
		t.Errorf("contracted hours before the change's date: %v, want 40", v)
	}
	// A new person.
	add := url.Values{"effective_from": {"2026-01-01"}, "name": {"Ben Okafor"}, "email": {"ben@example.com"}, "role": {"developer"},
		"team": {"web"}, "weekly_capacity_hours": {"32"}, "start_date": {"2026-01-01"}}
	if code, _, body := s.post("/settings/people", add); code != http.StatusSeeOther {
		t.Fatalf("add: %d\n%.3000s", code, body)
	}
	code, _, kpis := apptest.Get(t, base+"/api/v1/kpis/contracted_hours?from=2026-06-01&to=2026-06-08&group_by=person", admin, "")
	if code != 200 || !strings.Contains(kpis, `"name":"Ben Okafor"`) {
		t.Errorf("the new person is not in the KPI API: %d %s", code, kpis)
	}
	_, body = s.get("/settings/audit?kind=person")
	for _, want := range []string{"weekly_capacity_hours: <del>40</del> → <ins>20</ins>", "cost_rate: <del>40</del> → <ins>45</ins>",
		"valid_from: <del>2025-01-01</del> → <ins>2026-06-01</ins>", "Ben Okafor", "created"} {
		if !strings.Contains(body, want) {
			t.Errorf("the Change log lacks %q\n%.5000s", want, body)
		}
	}
	if strings.Contains(body, "bill_rate:") {
		t.Error("the Change log lists the unchanged bill rate")
	}

	// A role's cost rate from a date: the labour cost of someone of that
	// role without a cost rate of their own follows it from that date.
	if code, r := apptest.Post(t, base+"/api/v1/people", ingestTok, "application/x-ndjson", strings.NewReader(
		`{"external_id":"p-cy","valid_from":"2025-01-01","name":"Cy Young","role":"writer","weekly_capacity_hours":40}`+"\n")); code != 200 {
		t.Fatalf("post person: %d %+v", code, r)
	}
	if code, r := apptest.Post(t, base+"/api/v1/time_entries", ingestTok, "application/x-ndjson", strings.NewReader(
		`{"external_id":"te-1","person":"p-cy","date":"2026-06-02","hours":10,"billable":false}`+"\n")); code != 200 || r.Rejected != 0 {
		t.Fatalf("post entry: %d %+v", code, r)
	}
	if code, _, body := s.post("/settings/people/roles", url.Values{"role": {"writer"}, "effective_from": {"2026-06-01"}, "cost_rate": {"-5"}}); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `cost_rate &#34;-5&#34;: must be from 0`) {
		t.Errorf("role cost rate -5: %d, want 422 naming it\n%.3000s", code, body)
	}
	if code, _, body := s.post("/settings/people/roles", url.Values{"role": {"writer"}, "effective_from": {"2026-06-01"}, "cost_rate": {"60"}, "utilization_target": {"70 %"}}); code != http.StatusSeeOther {
		t.Fatalf("role rates: %d\n%.3000s", code, body)
	}
	// p-cy's are the org's only hours.
	if v, ok := kpiValue(t, base, admin, "labour_cost", "from=2026-06-01&to=2026-06-08", "", ""); !ok || v != 600 {
		t.Errorf("labour cost of p-cy after the role's cost rate: %v (%v), want 600", v, ok)
	}
	if _, body := s.get("/settings/people"); !strings.Contains(body, "<td>writer</td><td>2026-06-01</td>") || !strings.Contains(body, "70 %") {
		t.Errorf("the role rates are not listed\n%.6000s", body)
	}
	if _, body := s.get("/settings/audit?kind=person"); !strings.Contains(body, "role writer") || !strings.Contains(body, "cost_rate: <ins>60</ins>") {
		t.Errorf("the Change log lacks the role's rates\n%.5000s", body)
	}
}

// TestSettingsClientsForm: a client and a retainer project added in the
// Clients form are in the KPI API (the project's budget in budget
// remaining); changing the budget changes it there; a refused kind is 422
// naming it and writes nothing; the Change log lists the budget's change.
func TestSettingsClientsForm(t *testing.T) {
	svc := apptest.New(t)
	admin := svc.Token("settings-clients", "admin")
	base, stop := svc.Serve(nil)
	defer stop()
	s := newFormSession(t, base, admin)
	if code, body := s.get("/settings/clients"); code != 200 || !strings.Contains(body, "No clients yet.") {
		t.Fatalf("GET /settings/clients: %d\n%.3000s", code, body)
	}
	if code, _, body := s.post("/settings/clients", url.Values{"entity": {"client"}, "name": {"Nordlicht GmbH"}, "currency": {"eur"}}); code != http.StatusSeeOther {
		t.Fatalf("add a client: %d\n%.3000s", code, body)
	}
	_, page := s.get("/settings/clients")
	m := regexp.MustCompile(`<option value="(c-[0-9a-f]+)">Nordlicht GmbH</option>`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "EUR") {
		t.Fatalf("the new client is not listed with EUR\n%.4000s", page)
	}
	client := m[1]
	project := url.Values{"entity": {"project"}, "name": {"Brand retainer"}, "client": {client}, "kind": {"retainer"}, "billable_default": {"1"},
		"budget_hours": {"100"}, "retainer_hours_monthly": {"100"}, "retainer_fee_monthly": {"12000"}, "start_date": {"2026-01-01"}}
	bad := url.Values{}
	for k, v := range project {
		bad[k] = v
	}
	bad.Set("kind", "barter")
	if code, _, body := s.post("/settings/clients", bad); code != http.StatusUnprocessableEntity || !strings.Contains(body, `kind &#34;barter&#34;`) {
		t.Errorf("kind barter: %d, want 422 naming kind \"barter\"\n%.3000s", code, body)
	}
	if _, page := s.get("/settings/clients"); strings.Contains(page, "Brand retainer") {
		t.Error("a refused project was written")
	}
	if code, _, body := s.post("/settings/clients", project); code != http.StatusSeeOther {
		t.Fatalf("add a project: %d\n%.3000s", code, body)
	}
	budget := func() float64 {
		v, ok := kpiValue(t, base, admin, "budget_remaining", "from=2026-06-01&to=2026-07-01&group_by=client", "client", client)
		if !ok {
			t.Fatalf("no budget remaining for %s", client)
		}
		return v
	}
	if v := budget(); v != 100 {
		t.Errorf("budget remaining %v, want 100", v)
	}
	_, page = s.get("/settings/clients")
	pm := regexp.MustCompile(`/settings/clients\?project=(pr-[0-9a-f]+)`).FindStringSubmatch(page)
	if pm == nil {
		t.Fatalf("no project to change\n%.4000s", page)
	}
	project.Set("id", pm[1])
	project.Set("budget_hours", "80")
	project.Set("retainer_hours_monthly", "80")
	if code, _, body := s.post("/settings/clients", project); code != http.StatusSeeOther {
		t.Fatalf("change the project: %d\n%.3000s", code, body)
	}
	if v := budget(); v != 80 {
		t.Errorf("budget remaining after the change %v, want 80", v)
	}
	_, log := s.get("/settings/audit?kind=project")
	if !strings.Contains(log, "budget_hours: <del>100</del> → <ins>80</ins>") || !strings.Contains(log, "Brand retainer") {
		t.Errorf("the Change log lacks the budget's change\n%.4000s", log)
	}
}

// TestSettingsRemove: removing a person, a project and a client from the
// settings asks to confirm first, then deletes them through the intake's
// import (tombstones): the person leaves the People list and the capacity
// API, the project and client leave their list. A client that still has a
// project is refused, naming it. A viewer's removal is 403 and a form
// without the CSRF token is 403, both changing nothing; the Change log
// records each removal with the removed values.
func TestSettingsRemove(t *testing.T) {
	svc := apptest.New(t)
	admin := svc.Token("settings-remove", "admin")
	ingestTok := svc.Token("settings-remove", "ingest")
	svc.User("settings-remove", "vera@example.com", "Vera Viewer", "viewer", "viewer password 1")
	base, stop := svc.Serve(nil)
	defer stop()
	if code, r := apptest.Post(t, base+"/api/v1/people", ingestTok, "application/x-ndjson", strings.NewReader(
		`{"external_id":"p-ana","valid_from":"2025-01-01","name":"Ana Silva","role":"designer","weekly_capacity_hours":40}`+"\n"+
			`{"external_id":"p-ana","valid_from":"2026-06-01","name":"Ana Silva","role":"designer","weekly_capacity_hours":32}`+"\n"+
			`{"external_id":"p-ben","valid_from":"2025-01-01","name":"Ben Okafor","role":"designer","weekly_capacity_hours":20}`+"\n")); code != 200 || r.Rejected != 0 {
		t.Fatalf("post people: %d %+v", code, r)
	}
	capacity := func() string {
		code, _, body := apptest.Get(t, base+"/api/v1/capacity?from=2027-03-01&to=2027-03-08&by=person", admin, "text/csv")
		if code != 200 {
			t.Fatalf("GET capacity: %d %s", code, body)
		}
		return body
	}
	if got := capacity(); !strings.Contains(got, "p-ana,Ana Silva,2027-03-01,32,") || !strings.Contains(got, "p-ben,") {
		t.Fatalf("capacity before the removal lacks Ana's 32 h or Ben:\n%s", got)
	}

	s := newFormSession(t, base, admin)
	if _, body := s.get("/settings/people"); !strings.Contains(body, `action="/settings/people/remove"`) {
		t.Fatalf("the People list has no Remove\n%.4000s", body)
	}
	// Without confirm: the question, nothing removed.
	code, _, body := s.post("/settings/people/remove", url.Values{"id": {"p-ana"}})
	if code != 200 || !strings.Contains(body, "Remove Ana Silva?") || !strings.Contains(body, `name="confirm" value="yes"`) {
		t.Fatalf("remove without confirm: %d, want the question\n%.4000s", code, body)
	}
	// A viewer may not; a form without the CSRF token does nothing.
	viewer := apptest.SignInPassword(t, base, "vera@example.com", "viewer password 1")
	csrf, tok := apptest.CSRF(t, base+"/settings/people", viewer)
	if code, _, body, _ := apptest.PostForm(t, base+"/settings/people/remove", url.Values{"id": {"p-ana"}, "confirm": {"yes"}}, tok, viewer, csrf); code != http.StatusForbidden || !strings.Contains(body, "may look but not change") {
		t.Errorf("a viewer removes a person: %d, want 403\n%.2000s", code, body)
	}
	if code, _, _ := s.post("/settings/people/remove", url.Values{"id": {"p-ana"}, "confirm": {"yes"}, "_csrf": {""}}); code != http.StatusForbidden {
		t.Errorf("remove without the CSRF token: %d, want 403", code)
	}
	if got := capacity(); !strings.Contains(got, "p-ana,") {
		t.Fatalf("a refused removal removed Ana:\n%s", got)
	}
	if code, _, _ := s.post("/settings/people/remove", url.Values{"id": {"p-nobody"}, "confirm": {"yes"}}); code != http.StatusNotFound {
		t.Errorf("remove an unknown person: %d, want 404", code)
	}
	if code, loc, body := s.post("/settings/people/remove", url.Values{"id": {"p-ana"}, "confirm": {"yes"}}); code != http.StatusSeeOther || loc != "/settings/people?saved=note" {
		t.Fatalf("remove: %d %q\n%.3000s", code, loc, body)
	}
	if _, body := s.get("/settings/people?saved=note"); strings.Contains(body, "Ana Silva <small>") || !strings.Contains(body, "Removed Ana Silva.") ||
		!strings.Contains(body, "Ben Okafor") {
		t.Errorf("after the removal the People list still shows Ana, lacks the flash or lost Ben\n%.4000s", body)
	}
	if got := capacity(); strings.Contains(got, "p-ana") || !strings.Contains(got, "p-ben,Ben Okafor,2027-03-01,20,") {
		t.Errorf("capacity after the removal still has Ana, or lost Ben:\n%s", got)
	}

	// Clients and projects.
	if code, r := apptest.Post(t, base+"/api/v1/clients", ingestTok, "application/x-ndjson", strings.NewReader(
		`{"external_id":"c-nord","name":"Nordlicht GmbH"}`+"\n")); code != 200 || r.Rejected != 0 {
		t.Fatalf("post client: %d %+v", code, r)
	}
	if code, r := apptest.Post(t, base+"/api/v1/projects", ingestTok, "application/x-ndjson", strings.NewReader(
		`{"external_id":"pr-brand","name":"Brand retainer","client":"c-nord","kind":"retainer","budget_hours":100}`+"\n")); code != 200 || r.Rejected != 0 {
		t.Fatalf("post project: %d %+v", code, r)
	}
	code, _, body = s.post("/settings/clients/remove", url.Values{"entity": {"client"}, "id": {"c-nord"}, "confirm": {"yes"}})
	if code != http.StatusConflict || !strings.Contains(body, "Brand retainer (pr-brand)") || !strings.Contains(body, `client &#34;Nordlicht GmbH&#34;: still has 1 project`) {
		t.Errorf("remove a client with a project: %d, want 409 naming the project\n%.3000s", code, body)
	}
	if code, _, body := s.post("/settings/clients/remove", url.Values{"entity": {"project"}, "id": {"pr-brand"}}); code != 200 || !strings.Contains(body, "Remove project Brand retainer?") {
		t.Errorf("remove a project without confirm: %d, want the question\n%.3000s", code, body)
	}
	if code, _, body := s.post("/settings/clients/remove", url.Values{"entity": {"project"}, "id": {"pr-brand"}, "confirm": {"yes"}}); code != http.StatusSeeOther {
		t.Fatalf("remove the project: %d\n%.3000s", code, body)
	}
	if code, _, body := s.post("/settings/clients/remove", url.Values{"entity": {"client"}, "id": {"c-nord"}, "confirm": {"yes"}}); code != http.StatusSeeOther {
		t.Fatalf("remove the client once it has no project: %d\n%.3000s", code, body)
	}
	if _, body := s.get("/settings/clients"); strings.Contains(body, "Brand retainer") || strings.Contains(body, "Nordlicht") || !strings.Contains(body, "No clients yet.") {
		t.Errorf("the removed client or project is still listed\n%.4000s", body)
	}
	if code, _, body := s.post("/settings/clients/remove", url.Values{"entity": {"planet"}, "id": {"c-nord"}}); code != http.StatusBadRequest || !strings.Contains(body, "planet") {
		t.Errorf("entity planet: %d %s", code, body)
	}

	_, log := s.get("/settings/audit")
	for _, want := range []string{"Ana Silva", "weekly_capacity_hours: <del>32</del>", "Brand retainer", "budget_hours: <del>100</del>", "Nordlicht GmbH", "name: <del>Nordlicht GmbH</del>"} {
		if !strings.Contains(log, want) {
			t.Errorf("the Change log lacks %q\n%.6000s", want, log)
		}
	}
	if n := strings.Count(log, "removed"); n < 3 {
		t.Errorf("the Change log lists %d removals, want 3\n%.6000s", n, log)
	}
}
