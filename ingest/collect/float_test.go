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
			shiftDates(items, "start_date", "end_date", "repeat_end_date")
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
		// start_date and end_date select what overlaps [start_date,
		// end_date], a repeating allocation up to its repeat_end_date
		// (developer.float.com/tutorial_exporting_the_schedule_data.html).
		if d := q.Get("start_date"); d != "" {
			last := it["end_date"].(string)
			if r, ok := it["repeat_end_date"].(string); ok && r > last {
				last = r
			}
			if last < d {
				continue
			}
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
	// Ben's work_days_hours [0, 6, 6, 6, 6, 0, 0] (Sunday first): 24 h
	// over Monday to Thursday (workdays 0b0001111 = 15); Ana has none,
	// Float's default week: 40 h Monday to Friday (0b0011111 = 31).
	people := query1(t, r.s, `SELECT groupArray(concat(name, '|', role, '|', team, '|', toString(weekly_capacity_hours), '|',
		toString(workdays))) FROM (SELECT * FROM ops.people FINAL WHERE org_id = {org:String} ORDER BY name)`, orgID)
	if people != "['Ana Silva|Designer|Studio|40|31','Ben Okafor|Developer|Engineering|24|15']" {
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

// syncUnchanged syncs source srcID of orgID again, nothing having changed
// in the tool, and checks that the sync added, updated and deleted nothing
// and that the org still has rows rows of allocations and time off, every
// version of them counted: a booking written again would add one.
func (r *rig) syncUnchanged(t *testing.T, orgID, srcID string, rows int) {
	t.Helper()
	res, err := r.col.Sync(t.Context(), orgID, srcID, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Added != 0 || res.Updated != 0 || res.Deleted != 0 {
		t.Errorf("a sync with nothing changed: %+v, want nothing added, updated or deleted", res)
	}
	got, err := r.s.Query(t.Context(), `SELECT (SELECT count() FROM ops.allocations WHERE org_id = {org:String})
		+ (SELECT count() FROM ops.time_off WHERE org_id = {org:String})`, store.Params{"org": orgID})
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	if err := got.Scan(0, &n); err != nil {
		t.Fatal(err)
	}
	if int(n) != rows {
		t.Errorf("%d rows of allocations and time off stored, want %d: a booking given again unchanged was written again", n, rows)
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

// TestFloatRepeats: repeating allocations are booked at every occurrence,
// each keyed by its start, in tasks shaped as Float's reference gives them
// (repeat_state, repeat_end_date: the fields of the tasks in
// developer.float.com/tutorial_exporting_the_schedule_data.html), in the
// week of Monday W (all Monday-to-Friday days):
//
//	task 601  Ana on Website relaunch, W+0..W+1 (Mon-Tue) × 4 h, weekly (1) until W+15:
//	          W, W+7, W+14: 3 occurrences × 2 days × 4 h = 24
//	task 602  Ben on Internal tooling, W+2 (Wed) × 2 h, every 2 weeks (3) until W+30:
//	          W+2, W+16, W+30: 3 occurrences × 1 day × 2 h = 6
//	task 603  Ana on Internal tooling, W+3 (Thu) × 1 h, repeat_state 9 (not known):
//	          its first occurrence, 1 h, and a row error naming repeat_state
//
// 7 allocations, 31 hours, all confirmed. A second sync with nothing
// changed writes nothing. Then 601 ends at W+8 (its third occurrence goes,
// the other two are rewritten) and 602 is removed (its three go): 3
// allocations, 2 × 2 × 4 + 1 = 17 hours.
func TestFloatRepeats(t *testing.T) {
	orgID := uniq("fl-repeats")
	r := newRig(t, orgID)
	fake, srv := newFakeFloat(t, testToken)
	w := thisMonday()
	day := func(n int) string { return w.AddDate(0, 0, n).Format(time.DateOnly) }
	task := func(id, person, project float64, from, to int, hours float64, state float64, until any) map[string]any {
		return map[string]any{"task_id": id, "project_id": project, "phase_id": 0, "start_date": day(from), "end_date": day(to),
			"start_time": nil, "hours": hours, "people_id": person, "status": 2, "priority": 0, "name": "Weekly review",
			"notes": "", "billable": 1, "repeat_state": state, "repeat_end_date": until, "created_by": 1,
			"created": "2024-05-02 09:00:00", "modified_by": 1, "modified": "2024-05-02 09:00:00"}
	}
	fake.set(func(f *fakeFloat) {
		f.lists["tasks"] = []map[string]any{task(601, 101, 301, 0, 1, 4, 1, day(15)), task(602, 102, 303, 2, 2, 2, 3, day(30)),
			task(603, 101, 303, 3, 3, 1, 9, nil)}
		// Clients with a modified time, which modified_since then filters
		// (testdata's have none, so the fake gives them every sync).
		for _, c := range f.lists["clients"] {
			c["modified"] = "2024-05-01 10:00:00"
		}
	})
	src := r.addSource(t, collect.Source{Org: orgID, Kind: "float", Workspace: "acme", BaseURL: srv.URL})

	res, err := r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sumBookings(t, r.s, orgID), (bookings{7, "31", "31", "0", "31", "0", 2}); got != want {
		t.Fatalf("after the first sync: %+v, want %+v (%+v)", got, want, res)
	}
	if res.Rejected != 1 || len(res.Errors) != 1 || res.Errors[0].Field != "repeat_state" || res.Errors[0].Value != "9" {
		t.Errorf("the unknown repeat: %+v, errors %v", res, res.Errors)
	}
	keys := query1(t, r.s, `SELECT groupArray(external_id) FROM (SELECT external_id FROM ops.allocations FINAL
		WHERE org_id = {org:String} AND external_id LIKE '%task:601%' ORDER BY external_id)`, orgID)
	if want := "['api:acme:task:601-101@" + day(0) + "','api:acme:task:601-101@" + day(7) + "','api:acme:task:601-101@" + day(14) + "']"; keys != want {
		t.Errorf("task 601's occurrences: %s, want %s", keys, want)
	}

	r.syncUnchanged(t, orgID, src.ID, 7+2)

	fake.edit("tasks", "task_id", 601, map[string]any{"repeat_end_date": day(8)})
	fake.remove("tasks", "task_id", 602)
	res, err = r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := sumBookings(t, r.s, orgID), (bookings{3, "17", "17", "0", "17", "0", 2}); got != want {
		t.Fatalf("after the edit and the removal: %+v, want %+v (%+v)", got, want, res)
	}
	if res.Updated != 2 || res.Deleted != 4 || res.Added != 0 {
		t.Errorf("the third sync: %+v, want 2 updated (601's first two) and 4 deleted (601's third, 602's three)", res)
	}
}
