package collect_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/ingest/collect"
)

// fakeForecast is Harvest Forecast's unofficial API as the community
// documents it (testdata/forecast/README.md): bearer token and
// Forecast-Account-ID headers, one object with one key an answer, no
// paging, start_date/end_date on /assignments selecting what overlaps, and
// on demand a 429 with Retry-After, a 401, or an answer of another shape.
type fakeForecast struct {
	t       *testing.T
	token   string
	account string

	mu sync.Mutex
	gate
	lists   map[string][]map[string]any
	changed bool // answer /assignments with a shape it no longer has
}

func newFakeForecast(t *testing.T, token, account string) (*fakeForecast, *httptest.Server) {
	f := &fakeForecast{t: t, token: token, account: account, lists: map[string][]map[string]any{}}
	for _, name := range []string{"people", "placeholders", "clients", "projects", "assignments"} {
		b, err := os.ReadFile("testdata/forecast/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var page map[string][]map[string]any
		if err := json.Unmarshal(b, &page); err != nil {
			t.Fatal(err)
		}
		if name == "assignments" {
			shiftDates(page[name], "start_date", "end_date")
		}
		f.lists[name] = page[name]
	}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeForecast) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.pass(w, r.Header.Get("Authorization") == "Bearer "+f.token, `{"reason":"Unauthorized"}`) {
		return
	}
	if r.Header.Get("Forecast-Account-ID") != f.account {
		w.WriteHeader(http.StatusForbidden)
		return
	}
	name := strings.Trim(r.URL.Path, "/")
	items, ok := f.lists[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if name == "assignments" && f.changed {
		fmt.Fprint(w, `{"schedule":[]}`)
		return
	}
	q := r.URL.Query()
	sel := []map[string]any{}
	for _, it := range items {
		if d := q.Get("start_date"); d != "" && it["end_date"].(string) < d {
			continue
		}
		if d := q.Get("end_date"); d != "" && it["start_date"].(string) > d {
			continue
		}
		sel = append(sel, it)
	}
	json.NewEncoder(w).Encode(map[string]any{name: sel})
}

func (f *fakeForecast) edit(list string, id float64, fields map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, it := range f.lists[list] {
		if it["id"] == id {
			for k, v := range fields {
				it[k] = v
			}
			it["updated_at"] = time.Now().UTC().Format(time.RFC3339Nano)
			return
		}
	}
	f.t.Fatalf("no %s %v", list, id)
}

func (f *fakeForecast) remove(list string, id float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists[list] = slices.DeleteFunc(f.lists[list], func(it map[string]any) bool { return it["id"] == id })
}

func (f *fakeForecast) set(change func(f *fakeForecast)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// TestForecastTotals: testdata/forecast books, in the week of Monday W
// (all Monday-to-Friday days; allocation is seconds a day, ÷ 3600):
//
//	19858217  Ana on Website relaunch  W+0..W+11 (10 days) × 21600 s = 6 h = 60
//	19858218  Ben on Website relaunch  W+0..W+4  (5 days)  × 14400 s = 4 h = 20
//	19858219  placeholder "Developer TBC" (role Developer)
//	                                   W+7..W+11 (5 days)  × 28800 s = 8 h = 40
//
// 3 allocations, 120 hours, all confirmed (Forecast has no tentative), 40
// on the placeholder. People: Ana 144000 s a week = 40 h, Ben 115200 = 32.
// A second sync with nothing changed writes nothing.
// Then 19858217 is edited to 18000 s (5 h × 10 = 50) and 19858218 removed:
// 2 allocations, 90 hours, 40 on the placeholder.
func TestForecastTotals(t *testing.T) {
	orgID := uniq("fc-totals")
	r := newRig(t, orgID)
	fake, srv := newFakeForecast(t, testToken, "987654")
	src := r.addSource(t, collect.Source{Org: orgID, Kind: "forecast", AccountID: "987654", BaseURL: srv.URL})

	res, err := r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	want := bookings{3, "120", "120", "0", "120", "40", 0}
	if got := sumBookings(t, r.s, orgID); got != want {
		t.Fatalf("after the first sync: %+v, want %+v (%+v)", got, want, res)
	}
	if res.Added != 2+1+1+3 || res.Rejected != 0 { // people, clients, projects, allocations
		t.Errorf("first sync: %+v, want 7 added", res)
	}
	people := query1(t, r.s, `SELECT groupArray(concat(name, '|', role, '|', toString(weekly_capacity_hours)))
		FROM (SELECT * FROM ops.people FINAL WHERE org_id = {org:String} ORDER BY name)`, orgID)
	if people != "['Ana Silva|Designer|40','Ben Okafor||32']" {
		t.Errorf("people: %s", people)
	}

	r.syncUnchanged(t, orgID, src.ID, 3)

	fake.edit("assignments", 19858217, map[string]any{"allocation": 18000})
	fake.remove("assignments", 19858218)
	res, err = r.col.Sync(t.Context(), orgID, src.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	want = bookings{2, "90", "90", "0", "90", "40", 0}
	if got := sumBookings(t, r.s, orgID); got != want {
		t.Fatalf("after the edit and the removal: %+v, want %+v (%+v)", got, want, res)
	}
	if res.Deleted != 1 || res.Added != 0 || res.Updated != 1 {
		t.Errorf("the third sync: %+v, want 1 deleted, 1 updated and nothing added", res)
	}
}

// TestForecastPolite: a 429 waits its Retry-After; an answer of another
// shape fails the sync with an error that says the API is unofficial and
// changes nothing; a 401 marks the source needs-token, the token in no
// error, state or log line.
func TestForecastPolite(t *testing.T) {
	orgID := uniq("fc-polite")
	r := newRig(t, orgID)
	fake, srv := newFakeForecast(t, testToken, "987654")
	src := r.addSource(t, collect.Source{Org: orgID, Kind: "forecast", AccountID: "987654", BaseURL: srv.URL})
	fake.set(func(f *fakeForecast) { f.tooMany, f.after = 2, "13" })
	if _, err := r.col.Sync(t.Context(), orgID, src.ID, false); err != nil {
		t.Fatal(err)
	}
	r.waitedTwice(t, "13s")

	fake.set(func(f *fakeForecast) { f.changed = true })
	_, err := r.col.Sync(t.Context(), orgID, src.ID, false)
	if !errors.Is(err, collect.ErrUnofficial) || !strings.Contains(err.Error(), "no official API") {
		t.Fatalf("an answer of another shape gave %v", err)
	}
	if got := sumBookings(t, r.s, orgID); got.n != 3 {
		t.Errorf("a failed sync changed the bookings: %+v", got)
	}

	fake.set(func(f *fakeForecast) { f.changed, f.refuse = false, true })
	r.refusedToken(t, orgID, src.ID, testToken)
}
