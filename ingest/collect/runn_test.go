package collect_test

import (
	"encoding/base64"
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
)

// fakeRunn is a Runn API v1 shaped like its reference (developer.runn.io,
// testdata/runn/README.md): a bearer token, the mandatory Accept-Version
// header, {"values", "nextCursor"} pages by limit and cursor, and on demand
// a 429 with Retry-After or a 401.
type fakeRunn struct {
	t     *testing.T
	token string

	mu sync.Mutex
	gate
	lists    map[string][]map[string]any
	maxPage  int
	requests []string
}

func newFakeRunn(t *testing.T, token string) (*fakeRunn, *httptest.Server) {
	f := &fakeRunn{t: t, token: token, maxPage: 200, lists: map[string][]map[string]any{}}
	// The lists by path, read from testdata/runn/<file>.json.
	files := map[string]string{"people": "people", "contracts": "contracts", "roles": "roles", "clients": "clients",
		"projects": "projects", "assignments": "assignments", "time-offs/leave": "timeoffs_leave",
		"time-offs/rostered": "timeoffs_rostered", "time-offs/holidays": "timeoffs_holidays"}
	for name, file := range files {
		b, err := os.ReadFile("testdata/runn/" + file + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var items []map[string]any
		if err := json.Unmarshal(b, &items); err != nil {
			t.Fatal(err)
		}
		if name == "assignments" || strings.HasPrefix(name, "time-offs/") {
			shiftDates(items, "startDate", "endDate")
		}
		f.lists[name] = items
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeRunn) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = append(f.requests, r.URL.Path+"?"+r.URL.RawQuery)
	if !f.pass(w, r.Header.Get("Authorization") == "Bearer "+f.token,
		`{"statusCode":401,"error":"Unauthorized","message":"Invalid API token"}`) {
		return
	}
	if r.Header.Get("Accept-Version") != "1.0.0" {
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"statusCode":400,"error":"Bad Request","message":"Accept-Version header is required"}`)
		return
	}
	items, ok := f.lists[strings.Trim(r.URL.Path, "/")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("limit"))
	if per <= 0 || per > f.maxPage {
		per = f.maxPage
	}
	lo := 0
	if c := q.Get("cursor"); c != "" { // an opaque cursor: here the offset, base64
		b, err := base64.StdEncoding.DecodeString(c)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		lo, _ = strconv.Atoi(string(b))
	}
	lo = min(lo, len(items))
	hi := min(lo+per, len(items))
	var next any
	if hi < len(items) {
		next = base64.StdEncoding.EncodeToString([]byte(strconv.Itoa(hi)))
	}
	json.NewEncoder(w).Encode(map[string]any{"values": append([]map[string]any{}, items[lo:hi]...), "nextCursor": next})
}

func (f *fakeRunn) edit(list string, id float64, fields map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, it := range f.lists[list] {
		if it["id"] == id {
			for k, v := range fields {
				it[k] = v
			}
			it["updatedAt"] = time.Now().UTC().Format(time.RFC3339Nano)
			return
		}
	}
	f.t.Fatalf("no %s %v", list, id)
}

func (f *fakeRunn) remove(list string, id float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists[list] = slices.DeleteFunc(f.lists[list], func(it map[string]any) bool { return it["id"] == id })
}

func (f *fakeRunn) set(change func(f *fakeRunn)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// TestRunnTotals: testdata/runn books, in the week of Monday W (all
// Monday-to-Friday days; minutesPerDay ÷ 60 is hours_per_day):
//
//	assignment 61  Ana on Website relaunch (confirmed)  W+0..W+11 (10 days) × 360 min = 6 h   = 60
//	assignment 62  Ben on Brand refresh (isConfirmed false: tentative)
//	                                                    W+0..W+4  (5 days)  × 270 min = 4.5 h = 22.5
//	assignment 63  a Senior Developer placeholder on Website relaunch
//	                                                    W+7..W+18 (10 days) × 480 min = 8 h   = 80
//	assignment 64  on a project template: skipped
//
// 3 allocations, 162.5 hours: 140 confirmed (60 + 80), 22.5 tentative
// weighted 0.5, so 140 + 11.25 = 151.25 expected; 80 on the placeholder.
// People: Ana's contract 480 min a day = 40 h a week, Ben's 360 = 30.
// Three time offs, one of each kind (testdata/runn/timeoffs_*.json).
// A second sync with nothing changed writes nothing.
//
// Then 61 is edited to 300 min (5 h × 10 = 50) and 62 removed in Runn:
// 2 allocations, 130 hours, all confirmed, 80 on the placeholder.
func TestRunnTotals(t *testing.T) {
	orgID := uniq("rn-totals")
	r := newRig(t, orgID)
	fake, srv := newFakeRunn(t, testToken)
	src := r.addSource(t, collect.Source{Org: orgID, Kind: "runn", Workspace: "acme", BaseURL: srv.URL})

	res, err := r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	want := bookings{3, "162.5", "140", "22.5", "151.25", "80", 3}
	if got := sumBookings(t, r.s, orgID); got != want {
		t.Fatalf("after the first sync: %+v, want %+v (%+v)", got, want, res)
	}
	if res.Added != 2+1+2+3+3 || res.Rejected != 0 { // people, clients, projects, allocations, time off
		t.Errorf("first sync: %+v, want 11 added", res)
	}
	people := query1(t, r.s, `SELECT groupArray(concat(name, '|', role, '|', toString(weekly_capacity_hours), '|', toString(valid_from)))
		FROM (SELECT * FROM ops.people FINAL WHERE org_id = {org:String} ORDER BY name)`, orgID)
	if people != "['Ana Silva|Designer|40|2024-01-15','Ben Okafor|Developer|30|2024-01-15']" {
		t.Errorf("people: %s", people)
	}
	placeholder := query1(t, r.s, `SELECT groupArray(concat(person_id, '|', role)) FROM
		(SELECT * FROM ops.allocations FINAL WHERE org_id = {org:String} AND external_id = 'api:acme:assignment:63')`, orgID)
	if placeholder != "['|Senior Developer']" {
		t.Errorf("the placeholder's allocation: %s", placeholder)
	}

	r.syncUnchanged(t, orgID, src.ID, 3+3)

	fake.edit("assignments", 61, map[string]any{"minutesPerDay": 300})
	fake.remove("assignments", 62)
	res, err = r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	want = bookings{2, "130", "130", "0", "130", "80", 3}
	if got := sumBookings(t, r.s, orgID); got != want {
		t.Fatalf("after the edit and the removal: %+v, want %+v (%+v)", got, want, res)
	}
	if res.Deleted != 1 || res.Added != 0 || res.Updated != 1 {
		t.Errorf("the third sync: %+v, want 1 deleted (62), 1 updated (61) and nothing added", res)
	}
}

// TestRunnTimeOffAndContracts: Runn's three kinds of time off are read
// (testdata/runn/timeoffs_*.json, in the week of Monday W): Ana's leave
// W+1..W+2 whole days, Ben's rostered day off W+4, a half-day holiday of
// Ana's on W+7 (240 min = 4 h); removing the leave in Runn deletes it.
// A contract's end ends its person version: Ben's contract 32 (360 min a
// day = 30 h a week) is ended on W+4 and a contract 33 of 240 min a day
// (20 h a week) starts on W+14, so Ben is two versions, the first ending
// after W+4 (Runn's endDate is his last working day; the canonical
// end_date is the first day not employed, W+5: employment is
// [start_date, end_date)), the second from W+14 without end, and no
// capacity in between.
func TestRunnTimeOffAndContracts(t *testing.T) {
	orgID := uniq("rn-timeoff")
	r := newRig(t, orgID)
	fake, srv := newFakeRunn(t, testToken)
	w := thisMonday()
	day := func(n int) string { return w.AddDate(0, 0, n).Format(time.DateOnly) }
	fake.edit("contracts", 32, map[string]any{"endDate": day(4)})
	fake.set(func(f *fakeRunn) {
		f.lists["contracts"] = append(f.lists["contracts"], map[string]any{"id": float64(33), "personId": float64(12),
			"roleId": float64(22), "startDate": day(14), "endDate": nil, "minutesPerDay": float64(240),
			"employmentType": "contractor", "costPerHour": 75.5, "jobTitle": "Developer",
			"createdAt": "2024-01-10T09:00:00.000Z", "updatedAt": "2024-01-10T09:00:00.000Z"})
	})
	src := r.addSource(t, collect.Source{Org: orgID, Kind: "runn", Workspace: "acme", BaseURL: srv.URL})
	if res, err := r.col.Sync(t.Context(), orgID, src.ID, false); err != nil || res.Rejected != 0 {
		t.Fatalf("first sync: %+v, %v", res, err)
	}
	offs := `SELECT groupArray(concat(external_id, '|', person_id, '|', toString(start_date), '|', toString(end_date), '|',
		ifNull(toString(hours_per_day), 'day'))) FROM (SELECT * FROM ops.time_off FINAL
		WHERE org_id = {org:String} AND deleted = 0 ORDER BY external_id)`
	want := "['api:acme:timeoff-holiday:73|api:acme:user:11|" + day(7) + "|" + day(7) + "|4'," +
		"'api:acme:timeoff-leave:71|api:acme:user:11|" + day(1) + "|" + day(2) + "|day'," +
		"'api:acme:timeoff-rostered:72|api:acme:user:12|" + day(4) + "|" + day(4) + "|day']"
	if got := query1(t, r.s, offs, orgID); got != want {
		t.Errorf("time off:\n got %s\nwant %s", got, want)
	}
	ben := query1(t, r.s, `SELECT groupArray(concat(toString(valid_from), '|', toString(weekly_capacity_hours), '|',
		ifNull(toString(end_date), 'none'))) FROM (SELECT * FROM ops.people FINAL
		WHERE org_id = {org:String} AND external_id = 'api:acme:user:12' ORDER BY valid_from)`, orgID)
	if want := "['2024-01-15|30|" + day(5) + "','" + day(14) + "|20|none']"; ben != want {
		t.Errorf("Ben's versions: %s, want %s", ben, want)
	}

	fake.remove("time-offs/leave", 71)
	res, err := r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := sumBookings(t, r.s, orgID).timeOff; got != 2 || res.Deleted != 1 {
		t.Errorf("after the leave was removed: %d time offs, %+v; want 2 and 1 deleted", got, res)
	}
}

// TestRunnPolite: Runn's cursor pages are followed (one value a page), a
// 429 waits its Retry-After, and a 401 marks the source needs-token with
// the token in no error, state or log line.
func TestRunnPolite(t *testing.T) {
	orgID := uniq("rn-polite")
	r := newRig(t, orgID)
	fake, srv := newFakeRunn(t, testToken)
	src := r.addSource(t, collect.Source{Org: orgID, Kind: "runn", Workspace: "acme", BaseURL: srv.URL})
	fake.set(func(f *fakeRunn) { f.maxPage, f.tooMany, f.after = 1, 2, "11" })

	if _, err := r.col.Sync(t.Context(), orgID, src.ID, false); err != nil {
		t.Fatal(err)
	}
	if got, want := sumBookings(t, r.s, orgID), (bookings{3, "162.5", "140", "22.5", "151.25", "80", 3}); got != want {
		t.Fatalf("paged one a page: %+v, want %+v", got, want)
	}
	fake.mu.Lock()
	pages := 0
	for _, q := range fake.requests {
		if strings.HasPrefix(q, "/assignments/") {
			pages++
		}
	}
	fake.mu.Unlock()
	if pages != 4 {
		t.Errorf("%d pages of assignments read, want 4", pages)
	}
	r.waitedTwice(t, "11s")

	fake.set(func(f *fakeRunn) { f.refuse = true })
	r.refusedToken(t, orgID, src.ID, testToken)
}

// TestRunnBookingBack: an assignment Runn stops listing is deleted here; when
// Runn lists it again unchanged (its updatedAt older than the deletion), it
// is booked again: a tombstone does not outrank it.
func TestRunnBookingBack(t *testing.T) {
	orgID := uniq("rn-back")
	r := newRig(t, orgID)
	fake, srv := newFakeRunn(t, testToken)
	src := r.addSource(t, collect.Source{Org: orgID, Kind: "runn", Workspace: "acme", BaseURL: srv.URL})
	if _, err := r.col.Sync(t.Context(), orgID, src.ID, false); err != nil {
		t.Fatal(err)
	}
	var saved map[string]any
	fake.set(func(f *fakeRunn) { saved = f.lists["assignments"][0] }) // 61: Ana, 60 h
	fake.remove("assignments", 61)
	if res, err := r.col.Sync(t.Context(), orgID, src.ID, false); err != nil || res.Deleted != 1 {
		t.Fatalf("the removal: %+v, %v", res, err)
	}
	fake.set(func(f *fakeRunn) { f.lists["assignments"] = append(f.lists["assignments"], saved) })
	if _, err := r.col.Sync(t.Context(), orgID, src.ID, false); err != nil {
		t.Fatal(err)
	}
	// As after the first sync (TestRunnTotals): 3 allocations, 162.5 hours.
	if got, want := sumBookings(t, r.s, orgID), (bookings{3, "162.5", "140", "22.5", "151.25", "80", 3}); got != want {
		t.Fatalf("listed again: %+v, want %+v", got, want)
	}
}
