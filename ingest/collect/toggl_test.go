package collect_test

import (
	"encoding/base64"
	"encoding/json"
	"math"
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

// fakeToggl is Toggl Track as its documentation shapes it
// (https://engineering.toggl.com/docs/): API v9 under /api/v9 with basic
// auth <token>:api_token (the workspace, its users, clients and paged
// projects; /me/time_entries?since= with deleted entries), and the Reports
// API v3 detailed search, POST /reports/api/v3/workspace/{id}/search/time_entries,
// whose answer is a JSON array of rows (one time entry each, ungrouped) and
// whose next page is named by the X-Next-ID, X-Next-Row-Number and
// X-Next-Timestamp headers, sent back as first_id, first_row_number and
// first_timestamp. The row shape (user_id, username, project_id, task_id,
// billable, description, tag_ids, billable_amount_in_cents,
// hourly_rate_in_cents, currency, time_entries[{id, seconds, start, stop,
// at}], row_number) is the documented response of "Search time entries"
// (engineering.toggl.com/docs/reports/detailed_reports), as public clients
// model it. The fake computes a row's rate as Toggl does: the project's,
// else the workspace's default; the amount is seconds × rate, in cents.
type fakeToggl struct {
	t         *testing.T
	token     string
	workspace string
	me        float64 // the token owner's user id

	mu sync.Mutex
	gate
	ws       map[string]any
	users    []map[string]any
	clients  []map[string]any
	projects []map[string]any
	entries  []map[string]any
	maxPage  int // rows per report page (Toggl: 50)
	searches []map[string]any
	agents   []string
}

func newFakeToggl(t *testing.T, token, workspace string) (*fakeToggl, *httptest.Server) {
	f := &fakeToggl{t: t, token: token, workspace: workspace, me: 6001, maxPage: 50}
	read := func(name string, v any) {
		b, err := os.ReadFile("testdata/toggl/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatal(err)
		}
	}
	read("workspace", &f.ws)
	read("users", &f.users)
	read("clients", &f.clients)
	read("projects", &f.projects)
	read("time_entries", &f.entries)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeToggl) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.agents = append(f.agents, r.UserAgent())
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(f.token+":api_token"))
	if !f.pass(w, r.Header.Get("Authorization") == auth, `"Incorrect username and/or password"`) {
		return
	}
	wsPath := "/api/v9/workspaces/" + f.workspace
	switch {
	case r.Method == http.MethodGet && r.URL.Path == wsPath:
		json.NewEncoder(w).Encode(f.ws)
	case r.Method == http.MethodGet && r.URL.Path == wsPath+"/users":
		json.NewEncoder(w).Encode(f.users)
	case r.Method == http.MethodGet && r.URL.Path == wsPath+"/clients":
		json.NewEncoder(w).Encode(f.clients)
	case r.Method == http.MethodGet && r.URL.Path == wsPath+"/projects":
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		per, _ := strconv.Atoi(r.URL.Query().Get("per_page"))
		if page < 1 {
			page = 1
		}
		if per < 1 || per > 200 {
			per = 151 // the documented default
		}
		lo, hi := min((page-1)*per, len(f.projects)), min(page*per, len(f.projects))
		json.NewEncoder(w).Encode(f.projects[lo:hi])
	case r.Method == http.MethodGet && r.URL.Path == "/api/v9/me/time_entries":
		since, err := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
		if err != nil {
			http.Error(w, "since", http.StatusBadRequest)
			return
		}
		out := []map[string]any{}
		for _, e := range f.entries {
			at, _ := time.Parse(time.RFC3339, e["at"].(string))
			if e["user_id"] == f.me && at.Unix() >= since {
				out = append(out, e)
			}
		}
		json.NewEncoder(w).Encode(out)
	case r.Method == http.MethodPost && r.URL.Path == "/reports/api/v3/workspace/"+f.workspace+"/search/time_entries":
		f.search(w, r)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeToggl) search(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "want JSON", http.StatusUnsupportedMediaType)
		return
	}
	var body struct {
		StartDate      string    `json:"start_date"`
		EndDate        string    `json:"end_date"`
		PageSize       int       `json:"page_size"`
		TimeEntryIDs   []float64 `json:"time_entry_ids"`
		FirstRowNumber int       `json:"first_row_number"`
	}
	var raw map[string]any
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.searches = append(f.searches, raw)
	enc, _ := json.Marshal(raw)
	json.Unmarshal(enc, &body)
	if body.StartDate == "" || body.EndDate == "" || body.EndDate < body.StartDate {
		http.Error(w, `"start_date and end_date are required"`, http.StatusBadRequest)
		return
	}
	rate := func(pid any) float64 {
		for _, p := range f.projects {
			if p["id"] == pid && p["rate"] != nil {
				return p["rate"].(float64)
			}
		}
		return f.ws["default_hourly_rate"].(float64)
	}
	var rows []map[string]any
	for _, e := range f.entries {
		day := e["start"].(string)[:10]
		if e["server_deleted_at"] != nil || day < body.StartDate || day > body.EndDate {
			continue
		}
		if body.TimeEntryIDs != nil && !slices.Contains(body.TimeEntryIDs, e["id"].(float64)) {
			continue
		}
		secs := e["duration"].(float64)
		cents := math.Round(rate(e["project_id"]) * 100)
		var amount any
		if e["billable"] == true && secs > 0 {
			amount = math.Round(secs * cents / 3600)
		}
		username := ""
		for _, u := range f.users {
			if u["id"] == e["user_id"] {
				username = u["fullname"].(string)
			}
		}
		rows = append(rows, map[string]any{"user_id": e["user_id"], "username": username, "project_id": e["project_id"],
			"task_id": e["task_id"], "billable": e["billable"], "description": e["description"], "tag_ids": e["tag_ids"],
			"billable_amount_in_cents": amount, "hourly_rate_in_cents": cents, "currency": f.ws["default_currency"],
			"time_entries": []map[string]any{{"id": e["id"], "seconds": secs, "start": e["start"], "stop": e["stop"],
				"at": e["at"]}}})
	}
	slices.SortFunc(rows, func(a, b map[string]any) int { // newest first, as the report sorts by default
		return strings.Compare(b["time_entries"].([]map[string]any)[0]["start"].(string), a["time_entries"].([]map[string]any)[0]["start"].(string))
	})
	per := min(max(body.PageSize, 1), f.maxPage)
	first := max(body.FirstRowNumber, 1)
	lo, hi := min(first-1, len(rows)), min(first-1+per, len(rows))
	page := rows[lo:hi]
	for i, row := range page {
		row["row_number"] = lo + i + 1
	}
	if hi < len(rows) {
		next := rows[hi]["time_entries"].([]map[string]any)[0]
		start, _ := time.Parse(time.RFC3339, next["start"].(string))
		w.Header().Set("X-Next-ID", strconv.FormatFloat(next["id"].(float64), 'f', -1, 64))
		w.Header().Set("X-Next-Row-Number", strconv.Itoa(hi+1))
		w.Header().Set("X-Next-Timestamp", strconv.FormatInt(start.Unix(), 10))
	}
	if page == nil {
		page = []map[string]any{}
	}
	json.NewEncoder(w).Encode(page)
}

// edit sets fields of entry id and stamps its at now.
func (f *fakeToggl) edit(id float64, fields map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.entries {
		if e["id"] == id {
			for k, v := range fields {
				e[k] = v
			}
			e["at"] = time.Now().UTC().Format(time.RFC3339)
			return
		}
	}
	f.t.Fatalf("no entry %v", id)
}

// trash deletes entry id as Toggl does: /me/time_entries?since= then
// gives it with server_deleted_at, and the report no longer has it.
func (f *fakeToggl) trash(id float64) {
	now := time.Now().UTC().Format(time.RFC3339)
	f.edit(id, map[string]any{"server_deleted_at": now})
}

// purge removes entry id from every answer: how an entry of another
// user's deleted looks to this token (only the listing no longer has it).
func (f *fakeToggl) purge(id float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries = slices.DeleteFunc(f.entries, func(e map[string]any) bool { return e["id"] == id })
}

func (f *fakeToggl) set(change func(f *fakeToggl)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

const togglToken = "1971800d4d82861d8f2c1651fea4d212-SECRET"

func addToggl(t *testing.T, r *rig, orgID, baseURL string) collect.Source {
	t.Helper()
	src, err := r.sources.Add(t.Context(), collect.Source{Org: orgID, Kind: "toggl", Workspace: "4567890", BaseURL: baseURL,
		Since: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}, togglToken)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestTogglTotals: testdata/toggl/time_entries.json, the workspace's
// default rate 80 and project 7001's rate 120:
//
//	3000001  Ana  2024-03-04  9000 s = 2.5 h       billable, 7001 at 120 -> 300.00
//	3000002  Ana  2024-03-04  4500 s = 1.25 h      not billable (7002)
//	3000003  Ben  2024-03-05  5400 s = 1.5 h       billable, 7003 (no rate: 80) -> 120.00
//	3000004  Ben  2024-03-05  1200 s = 0.333333 h  billable, 7001 at 120 -> 1200 × 12000 / 3600 = 4000 cents = 40.00
//	3000005  Ana  2024-03-06  running              skipped
//
// 4 entries, 5.583333 h, 4.333333 billable, 460.00. A second sync with
// nothing new changes nothing. Then Ana edits 3000002 to 13:00-15:00
// (7200 s = 2 h) and deletes 3000001 (server_deleted_at); both are older
// than the 60-day window, so the incremental sync learns of them from
// /me/time_entries?since=: 3 entries, 2 + 1.5 + 0.333333 = 3.833333 h,
// 1.833333 billable, 160.00. Ben's 3000004 then vanishes (another user's
// deletion: only a re-listing shows it); a full sync: 2 entries, 3.5 h,
// 1.5 billable, 120.00.
func TestTogglTotals(t *testing.T) {
	orgID := uniq("tg-totals")
	r := newRig(t, orgID)
	fake, srv := newFakeToggl(t, togglToken, "4567890")
	src := addToggl(t, r, orgID, srv.URL)

	res, err := r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	want := totals{4, "5.583333", "4.333333", "460"}
	if got := sums(t, r.s, orgID); got != want {
		t.Fatalf("after the first sync: %+v, want %+v", got, want)
	}
	if res.Added != 4+2+1+3 { // entries, users, clients, projects
		t.Errorf("first sync added %d, want 10: %+v", res.Added, res)
	}
	// Since 2024-01-01 to tomorrow is more than a year: searched by spans.
	fake.set(func(f *fakeToggl) {
		if len(f.searches) < 2 || f.searches[0]["start_date"] != "2024-01-01" || f.searches[0]["end_date"] != "2024-12-31" {
			t.Errorf("searches %v: want spans of at most a year from 2024-01-01", f.searches)
		}
	})
	for _, ua := range fake.agents {
		if !strings.Contains(ua, "opsmetrics") {
			t.Fatalf("User-Agent %q names no app", ua)
		}
	}
	checkToggl(t, r, orgID)

	res, err = r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added+res.Updated+res.Deleted != 0 {
		t.Errorf("a second sync changed something: %+v", res)
	}

	fake.edit(3000002, map[string]any{"stop": "2024-03-04T15:00:00+00:00", "duration": 7200.0})
	fake.trash(3000001)
	res, err = r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	want = totals{3, "3.833333", "1.833333", "160"}
	if got := sums(t, r.s, orgID); got != want {
		t.Fatalf("after Ana's edit and deletion: %+v, want %+v (%+v)", got, want, res)
	}
	if res.Updated != 1 || res.Deleted != 1 {
		t.Errorf("incremental sync: %+v, want 1 updated and 1 deleted", res)
	}

	fake.purge(3000004)
	res, err = r.col.Sync(t.Context(), orgID, src.ID, true)
	if err != nil {
		t.Fatal(err)
	}
	want = totals{2, "3.5", "1.5", "120"}
	if got := sums(t, r.s, orgID); got != want {
		t.Fatalf("after Ben's deletion and a full sync: %+v, want %+v (%+v)", got, want, res)
	}
	if res.Deleted != 1 {
		t.Errorf("full sync deleted %d, want 1: %+v", res.Deleted, res)
	}
}

// checkToggl looks at what one entry became: its people, client, project,
// rate, currency and version.
func checkToggl(t *testing.T, r *rig, orgID string) {
	t.Helper()
	rows, err := r.s.Query(t.Context(), `SELECT e.person_id, e.client_id, e.project_id, toString(e.bill_rate), e.currency, e.notes, toString(e.date)
		FROM ops.time_entries AS e FINAL WHERE e.org_id = {org:String} AND e.external_id = 'api:4567890:entry:3000003'`, store.Params{"org": orgID})
	if err != nil {
		t.Fatal(err)
	}
	if rows.Len() != 1 {
		t.Fatalf("entry 3000003: %d rows", rows.Len())
	}
	var person, client, project, rate, currency, notes, day string
	if err := rows.Scan(0, &person, &client, &project, &rate, &currency, &notes, &day); err != nil {
		t.Fatal(err)
	}
	got := []string{person, client, project, rate, currency, notes, day}
	want := []string{"api:4567890:user:6002", "api:4567890:client:9001", "api:4567890:project:7003", "80", "USD", "Support tickets", "2024-03-05"}
	if !slices.Equal(got, want) {
		t.Errorf("entry 3000003: %q, want %q", got, want)
	}
}

// TestTogglPolite: a report read one row a page follows X-Next-* to the
// end; a 429 waits its Retry-After; a 401 marks the source needs-token;
// the token is in no error, state or log line.
func TestTogglPolite(t *testing.T) {
	orgID := uniq("tg-polite")
	r := newRig(t, orgID)
	fake, srv := newFakeToggl(t, togglToken, "4567890")
	src := addToggl(t, r, orgID, srv.URL)
	fake.set(func(f *fakeToggl) { f.maxPage, f.tooMany, f.after = 1, 2, "7" })

	if _, err := r.col.Sync(t.Context(), orgID, src.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, want := sums(t, r.s, orgID), (totals{4, "5.583333", "4.333333", "460"}); got != want {
		t.Fatalf("paged one row at a time: %+v, want %+v", got, want)
	}
	paged := 0
	fake.set(func(f *fakeToggl) {
		for _, s := range f.searches {
			if s["first_row_number"] != nil && s["first_id"] != nil {
				paged++
			}
		}
	})
	if paged != 4 { // 5 rows (the running one too), one a page: 4 next pages
		t.Errorf("%d searches named a next page, want 4", paged)
	}
	r.waitedTwice(t, "7s")

	fake.set(func(f *fakeToggl) { f.refuse = true })
	r.refusedToken(t, orgID, src.ID, togglToken, base64.StdEncoding.EncodeToString([]byte(togglToken+":api_token")))
}

// TestTogglCheck: a Toggl source needs a numeric workspace.
func TestTogglCheck(t *testing.T) {
	orgID := uniq("tg-add")
	r := newRig(t, orgID)
	for _, tc := range []struct {
		src  collect.Source
		want string
	}{
		{collect.Source{Org: orgID, Kind: "toggl"}, "--workspace"},
		{collect.Source{Org: orgID, Kind: "toggl", Workspace: "abc"}, "not a number"},
	} {
		if _, err := r.sources.Add(t.Context(), tc.src, togglToken); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Add(%+v) = %v, want %q", tc.src, err, tc.want)
		}
	}
}
