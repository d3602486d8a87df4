package collect_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
)

// fakeFloat is a Float API v3 shaped like its reference
// (https://developer.float.com/api_reference.html, testdata/float/README.md):
// a bearer token, page and per-page, JSON arrays with the X-Pagination-*
// headers, start_date/end_date on /tasks and /timeoffs (what overlaps the
// range), modified_since, and on demand a 429 with Retry-After or a 401.
type fakeFloat struct {
	t     *testing.T
	token string

	mu sync.Mutex
	gate
	lists    map[string][]map[string]any // people, clients, projects, tasks, timeoffs
	maxPage  int                         // the most items a page holds (Float: 200)
	requests []string                    // path?query of each request
}

// floatAnchor is the Monday the testdata's bookings are written around;
// the fake moves them to this week's Monday.
var floatAnchor = time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC)

func thisMonday() time.Time {
	d := time.Now().UTC().Truncate(24 * time.Hour)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

func newFakeFloat(t *testing.T, token string) (*fakeFloat, *httptest.Server) {
	f := &fakeFloat{t: t, token: token, maxPage: 200, lists: map[string][]map[string]any{}}
	for _, name := range []string{"people", "clients", "projects", "tasks", "timeoffs"} {
		b, err := os.ReadFile("testdata/float/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var items []map[string]any
		if err := json.Unmarshal(b, &items); err != nil {
			t.Fatal(err)
		}
		if name == "tasks" || name == "timeoffs" {
			shiftDates(items, "start_date", "end_date")
		}
		f.lists[name] = items
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeFloat) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.URL.Path+"?"+r.URL.RawQuery)
	if !f.pass(w, r.Header.Get("Authorization") == "Bearer "+f.token,
		`{"name":"Unauthorized","message":"Your request was made with invalid credentials.","code":0,"status":401}`) {
		return
	}
	items, ok := f.lists[strings.TrimPrefix(r.URL.Path, "/v3/")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	var sel []map[string]any
	for _, it := range items {
		// start_date and end_date select what overlaps [start_date, end_date].
		if d := q.Get("start_date"); d != "" && it["end_date"].(string) < d {
			continue
		}
		if d := q.Get("end_date"); d != "" && it["start_date"].(string) > d {
			continue
		}
		if s := q.Get("modified_since"); s != "" && it["modified"] != nil && it["modified"].(string) < s {
			continue
		}
		sel = append(sel, it)
	}
	per, _ := strconv.Atoi(q.Get("per-page"))
	if per <= 0 || per > f.maxPage {
		per = f.maxPage
	}
	page, _ := strconv.Atoi(q.Get("page"))
	if page <= 0 {
		page = 1
	}
	pages := max((len(sel)+per-1)/per, 1)
	lo, hi := min((page-1)*per, len(sel)), min(page*per, len(sel))
	w.Header().Set("X-Pagination-Total-Count", strconv.Itoa(len(sel)))
	w.Header().Set("X-Pagination-Page-Count", strconv.Itoa(pages))
	w.Header().Set("X-Pagination-Current-Page", strconv.Itoa(page))
	w.Header().Set("X-Pagination-Per-Page", strconv.Itoa(per))
	json.NewEncoder(w).Encode(append([]map[string]any{}, sel[lo:hi]...))
}

// edit sets fields of the item of list whose idField is id, and stamps its
// modified now.
func (f *fakeFloat) edit(list, idField string, id float64, fields map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, it := range f.lists[list] {
		if it[idField] == id {
			for k, v := range fields {
				it[k] = v
			}
			it["modified"] = time.Now().UTC().Format(time.DateTime)
			return
		}
	}
	f.t.Fatalf("no %s %v", list, id)
}

// remove deletes an item, which Float then no longer lists.
func (f *fakeFloat) remove(list, idField string, id float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists[list] = slices.DeleteFunc(f.lists[list], func(it map[string]any) bool { return it[idField] == id })
}

func (f *fakeFloat) set(change func(f *fakeFloat)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// addSource connects a source of kind to r's org.
func (r *rig) addSource(t testing.TB, src collect.Source) collect.Source {
	t.Helper()
	if src.Since.IsZero() {
		src.Since = time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	out, err := r.sources.Add(t.Context(), src, testToken)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// bookings are an org's live allocations and time off: how many, the hours
// they book on Monday-to-Friday days (hours_per_day × those days in
// [start_date, end_date]), the confirmed and the tentative part, the
// probability-weighted total, the hours booked on role placeholders, and
// the time off.
type bookings struct {
	n                                              int
	booked, confirmed, tentative, weighted, placed string
	timeOff                                        int
}

func sumBookings(t *testing.T, s *chdb.Store, orgID string) bookings {
	t.Helper()
	rows, err := s.Query(t.Context(), `WITH hours_per_day * arrayCount(d -> toDayOfWeek(start_date + d) <= 5,
			range(toUInt32(dateDiff('day', start_date, end_date) + 1))) AS h
		SELECT count(), ifNull(sum(h), 0), ifNull(sumIf(h, status = 'confirmed'), 0), ifNull(sumIf(h, status = 'tentative'), 0),
			ifNull(sum(h * probability), 0), ifNull(sumIf(h, person_id = '' AND role != ''), 0),
			(SELECT count() FROM ops.time_off FINAL WHERE org_id = {org:String} AND deleted = 0)
		FROM ops.allocations FINAL WHERE org_id = {org:String} AND deleted = 0`, store.Params{"org": orgID})
	if err != nil {
		t.Fatal(err)
	}
	var b bookings
	var booked, confirmed, tentative, weighted, placed decimal.Decimal
	var off uint64
	if err := rows.Scan(0, &b.n, &booked, &confirmed, &tentative, &weighted, &placed, &off); err != nil {
		t.Fatal(err)
	}
	b.booked, b.confirmed, b.tentative, b.weighted, b.placed = booked.String(), confirmed.String(), tentative.String(),
		weighted.String(), placed.String()
	b.timeOff = int(off)
	return b
}

// TestFloatTotals: testdata/float books, in the week of Monday W (all
// Monday-to-Friday days):
//
//	task 401  Ana on Website relaunch   W+0..W+11 (10 days) × 6 h  confirmed            = 60
//	task 402  Ben on Website relaunch   W+0..W+4  (5 days)  × 4 h  tentative (status 1) = 20
//	task 403  Ana on Brand refresh      W+14..W+18 (5 days) × 2 h  tentative (project)  = 10
//	task 404  Senior Developer (a placeholder) on Website relaunch
//	                                    W+7..W+25 (15 days) × 8 h  confirmed, role demand = 120
//	task 405  Ana and Ben on Internal tooling, W+21 (1 day) × 1 h, two allocations       =  2
//
// 6 allocations, 212 hours: 182 confirmed (60 + 120 + 2), 30 tentative
// (20 + 10) weighted 0.5, so 182 + 15 = 197 expected; 120 of them on the
// placeholder. Two time offs (501 Ana, 502 Ben).
//
// Then task 401 is edited to 5 h a day (50 h) and task 402 and time off
// 502 are removed in Float: 5 allocations, 182 hours = 172 confirmed
// (50 + 120 + 2) + 10 tentative, weighted 172 + 5 = 177; one time off.
func TestFloatTotals(t *testing.T) {
	orgID := uniq("fl-totals")
	r := newRig(t, orgID)
	fake, srv := newFakeFloat(t, testToken)
	src := r.addSource(t, collect.Source{Org: orgID, Kind: "float", Workspace: "acme", BaseURL: srv.URL})

	res, err := r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	want := bookings{6, "212", "182", "30", "197", "120", 2}
	if got := sumBookings(t, r.s, orgID); got != want {
		t.Fatalf("after the first sync: %+v, want %+v (%+v)", got, want, res)
	}
	if res.Added != 2+2+3+6+2 || res.Rejected != 0 { // people (not the placeholder), clients, projects, allocations, time off
		t.Errorf("first sync: %+v, want 15 added", res)
	}
	people := query1(t, r.s, `SELECT groupArray(concat(name, '|', role, '|', team, '|', toString(weekly_capacity_hours)))
		FROM (SELECT * FROM ops.people FINAL WHERE org_id = {org:String} ORDER BY name)`, orgID)
	if people != "['Ana Silva|Designer|Studio|40','Ben Okafor|Developer|Engineering|24']" {
		t.Errorf("people: %s", people)
	}
	keys := query1(t, r.s, `SELECT groupArray(concat(external_id, '>', person_id, '|', role, '|', project_id)) FROM
		(SELECT * FROM ops.allocations FINAL WHERE org_id = {org:String} AND external_id LIKE '%task:404%')`, orgID)
	if keys != "['api:acme:task:404-103>|Senior Developer|api:acme:project:301']" {
		t.Errorf("the placeholder's allocation: %s", keys)
	}

	fake.edit("tasks", "task_id", 401, map[string]any{"hours": 5})
	fake.remove("tasks", "task_id", 402)
	fake.remove("timeoffs", "timeoff_id", 502)
	res, err = r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	want = bookings{5, "182", "172", "10", "177", "120", 1}
	if got := sumBookings(t, r.s, orgID); got != want {
		t.Fatalf("after the edit and the removals: %+v, want %+v (%+v)", got, want, res)
	}
	if res.Deleted != 2 {
		t.Errorf("the second sync deleted %d, want 2 (task 402, time off 502): %+v", res.Deleted, res)
	}
	// The second sync was incremental: people and projects unchanged since
	// the cursor were not written again.
	if res.Added != 0 {
		t.Errorf("the second sync added %d: %+v", res.Added, res)
	}
}

func query1(t *testing.T, s *chdb.Store, q, orgID string) string {
	t.Helper()
	rows, err := s.Query(t.Context(), q, store.Params{"org": orgID})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	if err := rows.Scan(0, &out); err != nil {
		t.Fatal(err)
	}
	return "['" + strings.Join(out, "','") + "']"
}

// TestFloatPolite: Float's pages are followed by X-Pagination-Page-Count
// (two items a page: a short page is not the last), a 429 waits its
// Retry-After, and a 401 marks the source needs-token with the token in no
// error, state or log line.
func TestFloatPolite(t *testing.T) {
	orgID := uniq("fl-polite")
	r := newRig(t, orgID)
	fake, srv := newFakeFloat(t, testToken)
	src := r.addSource(t, collect.Source{Org: orgID, Kind: "float", Workspace: "acme", BaseURL: srv.URL})
	fake.set(func(f *fakeFloat) { f.maxPage, f.tooMany, f.after = 2, 2, "9" })

	if _, err := r.col.Sync(t.Context(), orgID, src.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, want := sumBookings(t, r.s, orgID), (bookings{6, "212", "182", "30", "197", "120", 2}); got != want {
		t.Fatalf("paged two a page: %+v, want %+v", got, want)
	}
	fake.mu.Lock()
	var taskPages []string
	for _, q := range fake.requests {
		if strings.HasPrefix(q, "/v3/tasks?") {
			taskPages = append(taskPages, q)
		}
	}
	fake.mu.Unlock()
	if len(taskPages) != 3 { // 5 tasks, 2 a page
		t.Errorf("task pages read: %v", taskPages)
	}
	r.waitedTwice(t, "9s")

	fake.set(func(f *fakeFloat) { f.refuse = true })
	r.refusedToken(t, orgID, src.ID, testToken)
	if got := sumBookings(t, r.s, orgID); got.n != 6 {
		t.Errorf("a refused sync changed the bookings: %+v", got)
	}
}

// TestFloatCheck: a Float source needs a workspace, which scopes its keys.
func TestFloatCheck(t *testing.T) {
	orgID := uniq("fl-check")
	r := newRig(t, orgID)
	_, err := r.sources.Add(t.Context(), collect.Source{Org: orgID, Kind: "float"}, testToken)
	if err == nil || !strings.Contains(err.Error(), "--workspace") {
		t.Errorf("a Float source without a workspace: %v", err)
	}
}
