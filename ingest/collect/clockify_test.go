package collect_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
	store "github.com/opsmetrics/opsmetrics/sql"
)

const (
	clockifyToken = "YTVlNzE2YzAtN2Y4Yy00YjQ5LWIzNTUtZGI5MTQ4ZjQyNGFl-SECRET"
	clockifyWS    = "64a1b2c3d4e5f6a7b8c9d0e1"
)

// fakeClockify is Clockify as its documentation shapes it
// (https://docs.clockify.me/), the API and the Reports API on one server
// as a regional root serves them: <root>/api/v1/workspaces/{id}/users,
// clients and projects (page, page-size), and POST
// <root>/report/v1/workspaces/{id}/reports/detailed with {dateRangeStart,
// dateRangeEnd, detailedFilter{page, pageSize}}, answering {totals,
// timeentries}. Like the plans that cap them, it refuses a report over 31
// days or pages over 200 entries (400). Auth is the X-Api-Key header.
type fakeClockify struct {
	t  *testing.T
	mu sync.Mutex
	gate

	users, clients, projects, entries []map[string]any
	maxPage                           int  // entries a report page holds at most
	forbid                            bool // answer 403 to the lists, as for a member's key
	reports                           []map[string]any
}

func newFakeClockify(t *testing.T) (*fakeClockify, *httptest.Server) {
	f := &fakeClockify{t: t, maxPage: 200}
	for name, v := range map[string]*[]map[string]any{"users": &f.users, "clients": &f.clients, "projects": &f.projects,
		"timeentries": &f.entries} {
		b, err := os.ReadFile("testdata/clockify/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeClockify) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.pass(w, r.Header.Get("X-Api-Key") == clockifyToken,
		`{"message":"Full authentication is required to access this resource","code":1000}`) {
		return
	}
	api := "/api/v1/workspaces/" + clockifyWS + "/"
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, api) && f.forbid:
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"message":"Access Denied","code":403}`)
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, api):
		var items []map[string]any
		switch strings.TrimPrefix(r.URL.Path, api) {
		case "users":
			items = f.users
		case "clients":
			items = f.clients
		case "projects":
			items = f.projects
		default:
			http.NotFound(w, r)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		per, _ := strconv.Atoi(r.URL.Query().Get("page-size"))
		page, per = max(page, 1), max(per, 1)
		lo, hi := min((page-1)*per, len(items)), min(page*per, len(items))
		json.NewEncoder(w).Encode(items[lo:hi])
	case r.Method == http.MethodPost && r.URL.Path == "/report/v1/workspaces/"+clockifyWS+"/reports/detailed":
		f.detailed(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeClockify) detailed(w http.ResponseWriter, r *http.Request) {
	var body struct {
		DateRangeStart time.Time `json:"dateRangeStart"`
		DateRangeEnd   time.Time `json:"dateRangeEnd"`
		DetailedFilter struct {
			Page     int `json:"page"`
			PageSize int `json:"pageSize"`
		} `json:"detailedFilter"`
	}
	var raw map[string]any
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.reports = append(f.reports, raw)
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, &body); err != nil || body.DateRangeEnd.Before(body.DateRangeStart) {
		http.Error(w, `{"message":"dateRangeStart and dateRangeEnd are required","code":400}`, http.StatusBadRequest)
		return
	}
	if body.DateRangeEnd.Sub(body.DateRangeStart) > 31*24*time.Hour {
		http.Error(w, `{"message":"The date range cannot be longer than 31 days","code":400}`, http.StatusBadRequest)
		return
	}
	if body.DetailedFilter.PageSize > 200 {
		http.Error(w, `{"message":"pageSize cannot exceed 200","code":400}`, http.StatusBadRequest)
		return
	}
	var sel []map[string]any
	secs := 0.0
	for _, e := range f.entries {
		start, _ := time.Parse(time.RFC3339, e["timeInterval"].(map[string]any)["start"].(string))
		if start.Before(body.DateRangeStart) || start.After(body.DateRangeEnd) {
			continue
		}
		sel = append(sel, e)
		secs += e["timeInterval"].(map[string]any)["duration"].(float64)
	}
	slices.SortFunc(sel, func(a, b map[string]any) int { // DATE, DESCENDING: the documented default
		return strings.Compare(b["timeInterval"].(map[string]any)["start"].(string), a["timeInterval"].(map[string]any)["start"].(string))
	})
	per := min(max(body.DetailedFilter.PageSize, 1), f.maxPage)
	page := max(body.DetailedFilter.Page, 1)
	lo, hi := min((page-1)*per, len(sel)), min(page*per, len(sel))
	totals := []any{nil} // what the Reports API gives for an empty report
	if len(sel) > 0 {
		totals = []any{map[string]any{"_id": "", "totalTime": secs, "entriesCount": len(sel)}}
	}
	entries := sel[lo:hi]
	if entries == nil {
		entries = []map[string]any{}
	}
	json.NewEncoder(w).Encode(map[string]any{"totals": totals, "timeentries": entries})
}

func (f *fakeClockify) set(change func(f *fakeClockify)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// edit changes entry id's interval.
func (f *fakeClockify) edit(id, start, end string, secs float64) {
	f.set(func(f *fakeClockify) {
		for _, e := range f.entries {
			if e["_id"] == id {
				e["timeInterval"] = map[string]any{"start": start, "end": end, "duration": secs}
				return
			}
		}
		f.t.Fatalf("no entry %s", id)
	})
}

func (f *fakeClockify) remove(id string) {
	f.set(func(f *fakeClockify) {
		f.entries = slices.DeleteFunc(f.entries, func(e map[string]any) bool { return e["_id"] == id })
	})
}

func addClockify(t *testing.T, r *rig, orgID, baseURL string) collect.Source {
	t.Helper()
	src, err := r.sources.Add(t.Context(), collect.Source{Org: orgID, Kind: "clockify", Workspace: clockifyWS, BaseURL: baseURL,
		Since: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)}, clockifyToken)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestClockifyTotals: testdata/clockify/timeentries.json, rates in cents:
//
//	…001  Cleo  2024-03-04  7200 s = 2 h           billable at 10000 -> 2 × 100 = 200.00
//	…002  Cleo  2024-03-04  BREAK                  skipped, as the CSV parser skips breaks
//	…003  Dev   2024-03-05  6300 s = 1.75 h        billable at 11000 -> 1.75 × 110 = 192.50
//	…004  Dev   2024-03-05  2400 s = 0.666667 h    not billable
//	…005  Cleo  2024-04-02  4200 s = 1.166667 h    billable at 10000 -> 116.6667 -> 116.67
//
// 4 entries, 5.583334 h, 4.916667 billable, 509.17. An entry of
// yesterday (3600 s, billable at 100: +1 h, +100.00) is found by the next
// incremental sync, its deletion by the one after. Then …003 is edited to
// 7200 s (2 h, 220.00) and …005 deleted, both older than the window; a
// full sync: 3 entries, 2 + 2 + 0.666667 = 4.666667 h, 4 billable, 420.00.
func TestClockifyTotals(t *testing.T) {
	orgID := uniq("ck-totals")
	r := newRig(t, orgID)
	fake, srv := newFakeClockify(t)
	src := addClockify(t, r, orgID, srv.URL)

	res, err := r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	want := totals{4, "5.583334", "4.916667", "509.17"}
	if got := sums(t, r.s, orgID); got != want {
		t.Fatalf("after the first sync: %+v, want %+v", got, want)
	}
	if res.Added != 4+2+1+2 { // entries, users, clients, projects
		t.Errorf("first sync added %d, want 9: %+v", res.Added, res)
	}
	fake.set(func(f *fakeClockify) {
		if first := f.reports[0]; first["dateRangeStart"] != "2024-03-01T00:00:00.000Z" || first["dateRangeEnd"] != "2024-03-31T23:59:59.999Z" {
			t.Errorf("first report %v: want March 2024, 31 days", first)
		}
	})
	checkClockify(t, r, orgID)

	res, err = r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added+res.Updated+res.Deleted != 0 {
		t.Errorf("a second sync changed something: %+v", res)
	}

	y := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	fake.set(func(f *fakeClockify) {
		f.entries = append(f.entries, map[string]any{"_id": "65e5a1000000000000000006", "description": "Hotfix",
			"userId": "5a0ab5acb07987125438b60f", "userName": "Cleo Park", "billable": true, "projectId": "5b641568b07987035750505e",
			"clientId": "64c777ddd3fcab07cfbb210c", "type": "REGULAR", "tags": []any{},
			"timeInterval": map[string]any{"start": y + "T08:00:00Z", "end": y + "T09:00:00Z", "duration": 3600.0},
			"hourlyRate":   map[string]any{"amount": 10000.0, "currency": "USD"}})
	})
	if _, err := r.col.Sync(t.Context(), orgID, src.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, want := sums(t, r.s, orgID), (totals{5, "6.583334", "5.916667", "609.17"}); got != want {
		t.Fatalf("after yesterday's entry: %+v, want %+v", got, want)
	}
	fake.remove("65e5a1000000000000000006")
	res, err = r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := sums(t, r.s, orgID); got != want {
		t.Fatalf("after yesterday's entry was deleted: %+v, want %+v", got, want)
	}
	if res.Deleted != 1 {
		t.Errorf("incremental sync deleted %d, want 1: %+v", res.Deleted, res)
	}

	fake.edit("65e5a1000000000000000003", "2024-03-05T10:00:00Z", "2024-03-05T12:00:00Z", 7200)
	fake.remove("65e5a1000000000000000005")
	res, err = r.col.Sync(t.Context(), orgID, src.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	want = totals{3, "4.666667", "4", "420"}
	if got := sums(t, r.s, orgID); got != want {
		t.Fatalf("after the edit, the deletion and a full sync: %+v, want %+v (%+v)", got, want, res)
	}
	if res.Deleted != 1 {
		t.Errorf("full sync deleted %d, want 1: %+v", res.Deleted, res)
	}
}

// checkClockify looks at what entry …003 became.
func checkClockify(t *testing.T, r *rig, orgID string) {
	t.Helper()
	rows, err := r.s.Query(t.Context(), `SELECT person_id, client_id, project_id, toString(bill_rate), currency, task, arrayStringConcat(tags, ','), toString(date)
		FROM ops.time_entries FINAL WHERE org_id = {org:String} AND external_id = 'api:`+clockifyWS+`:entry:65e5a1000000000000000003'`,
		store.Params{"org": orgID})
	if err != nil {
		t.Fatal(err)
	}
	if rows.Len() != 1 {
		t.Fatalf("entry …003: %d rows", rows.Len())
	}
	var person, client, project, rate, currency, task, tags, day string
	if err := rows.Scan(0, &person, &client, &project, &rate, &currency, &task, &tags, &day); err != nil {
		t.Fatal(err)
	}
	got := []string{person, client, project, rate, currency, task, tags, day}
	k := "api:" + clockifyWS + ":"
	want := []string{k + "user:5b715612b079875110791111", k + "client:64c777ddd3fcab07cfbb210c", k + "project:5b641568b07987035750505e",
		"110", "USD", "Backend", "review", "2024-03-05"}
	if !slices.Equal(got, want) {
		t.Errorf("entry …003: %q, want %q", got, want)
	}
}

// TestClockifyPolite: one entry a page is read to the end through the
// totals' count; a 429 waits its Retry-After; a 401 marks the source
// needs-token; the key is in no error, state or log line.
func TestClockifyPolite(t *testing.T) {
	orgID := uniq("ck-polite")
	r := newRig(t, orgID)
	fake, srv := newFakeClockify(t)
	src := addClockify(t, r, orgID, srv.URL)
	fake.set(func(f *fakeClockify) { f.maxPage, f.tooMany, f.after = 1, 2, "7" })

	if _, err := r.col.Sync(t.Context(), orgID, src.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, want := sums(t, r.s, orgID), (totals{4, "5.583334", "4.916667", "509.17"}); got != want {
		t.Fatalf("paged one entry at a time: %+v, want %+v", got, want)
	}
	pages := 0
	fake.set(func(f *fakeClockify) {
		for _, rep := range f.reports {
			if rep["detailedFilter"].(map[string]any)["page"].(float64) > 1 {
				pages++
			}
		}
	})
	if pages != 3 { // March's 4 entries (a break too), one a page: pages 2 to 4; April's 1 is all its totals count
		t.Errorf("%d reports asked for a page after the first, want 3", pages)
	}
	r.waitedTwice(t, "7s")

	fake.set(func(f *fakeClockify) { f.refuse = true })
	r.refusedToken(t, orgID, src.ID, clockifyToken)
}

// TestClockifyCheck: a Clockify source needs a workspace id of 24 hex
// digits.
func TestClockifyCheck(t *testing.T) {
	orgID := uniq("ck-add")
	r := newRig(t, orgID)
	for _, tc := range []struct {
		src  collect.Source
		want string
	}{
		{collect.Source{Org: orgID, Kind: "clockify"}, "--workspace"},
		{collect.Source{Org: orgID, Kind: "clockify", Workspace: "studio"}, "24 hexadecimal"},
	} {
		if _, err := r.sources.Add(t.Context(), tc.src, clockifyToken); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Add(%+v) = %v, want %q", tc.src, err, tc.want)
		}
	}
}

// TestClockifyMemberKey: a key that may not list users, clients or
// projects (403) still syncs: entries name them (userName, clientName,
// projectName) and the importer resolves them, with the same totals.
func TestClockifyMemberKey(t *testing.T) {
	orgID := uniq("ck-member")
	r := newRig(t, orgID)
	fake, srv := newFakeClockify(t)
	fake.set(func(f *fakeClockify) { f.forbid = true })
	src := addClockify(t, r, orgID, srv.URL)
	if _, err := r.col.Sync(t.Context(), orgID, src.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, want := sums(t, r.s, orgID), (totals{4, "5.583334", "4.916667", "509.17"}); got != want {
		t.Fatalf("a member's key: %+v, want %+v", got, want)
	}
}
