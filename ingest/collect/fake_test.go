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
	"sync/atomic"
	"testing"
	"time"
)

// fakeHarvest is a Harvest API v2 shaped like the documentation: bearer and
// account headers, per_page and page, next_page and links.next, the
// updated_since, from and to filters, and on demand a 429 with
// Retry-After, a 401, or a 500 on one page of time entries.
type fakeHarvest struct {
	t       *testing.T
	token   string
	account string

	mu       sync.Mutex
	entries  []map[string]any
	lists    map[string][]map[string]any // users, clients, projects
	maxPage  int                         // the most entries a page holds (Harvest: 2000)
	tooMany  int                         // answer this many next requests with 429
	after    string                      // their Retry-After
	refuse   bool                        // answer 401
	failPage int                         // answer 500 for this page of time entries
	onPage   func(page int)              // called before a page of time entries is answered
	// at: a status to answer, once, for the next request of a path
	// (/v2/invoices): 429 (with Retry-After after), 401, 403.
	at       map[string]int
	requests int
	agents   []string
}

// runs counts uniq's names, so a test run again in one process (-count=2)
// gets a new one; started tells this process's names from an earlier
// process's in a store that outlived it.
var (
	runs    atomic.Int64
	started = time.Now().UnixNano()
)

// uniq returns an org name made of name, unique per run of a test, so
// that a test run again finds none of its earlier run's rows.
func uniq(name string) string {
	return fmt.Sprintf("%s-%x-%d", name, started, runs.Add(1))
}

func newFakeHarvest(t *testing.T, token, account string) (*fakeHarvest, *httptest.Server) {
	f := &fakeHarvest{t: t, token: token, account: account, maxPage: 2000, lists: map[string][]map[string]any{}}
	f.entries = load(t, "time_entries")
	for _, l := range []string{"users", "clients", "projects"} {
		f.lists[l] = load(t, l)
	}
	f.lists["invoices"] = []map[string]any{} // none unless a test loads them (invoices_test.go)
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func load(t *testing.T, name string) []map[string]any {
	b, err := os.ReadFile("testdata/harvest/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var page map[string]json.RawMessage
	if err := json.Unmarshal(b, &page); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	if err := json.Unmarshal(page[name], &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fakeHarvest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	f.agents = append(f.agents, r.UserAgent())
	w.Header().Set("Content-Type", "application/json")
	switch {
	case f.refuse || r.Header.Get("Authorization") != "Bearer "+f.token:
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, `{"error":"invalid_token","error_description":"The access token provided is expired, revoked, malformed or invalid for other reasons."}`)
		return
	case f.at[r.URL.Path] != 0:
		status := f.at[r.URL.Path]
		delete(f.at, r.URL.Path)
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", f.after)
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":%q}`, http.StatusText(status))
		return
	case r.Header.Get("Harvest-Account-Id") != f.account:
		w.WriteHeader(http.StatusForbidden)
		return
	case f.tooMany > 0:
		f.tooMany--
		w.Header().Set("Retry-After", f.after)
		w.WriteHeader(http.StatusTooManyRequests)
		return
	}
	q := r.URL.Query()
	name := strings.TrimPrefix(r.URL.Path, "/v2/")
	var items []map[string]any
	if name == "time_entries" {
		items = f.entries
	} else if l, ok := f.lists[name]; ok {
		items = l
	} else {
		http.NotFound(w, r)
		return
	}
	dated := "spent_date" // from and to: an entry's spent_date, an invoice's issue_date
	if name == "invoices" {
		dated = "issue_date"
	}
	var sel []map[string]any
	for _, it := range items {
		if s := q.Get("updated_since"); s != "" && it["updated_at"].(string) < s {
			continue
		}
		if d := q.Get("from"); d != "" && it[dated].(string) < d {
			continue
		}
		if d := q.Get("to"); d != "" && it[dated].(string) > d {
			continue
		}
		if c := q.Get("client_id"); c != "" && strconv.FormatFloat(it["client"].(map[string]any)["id"].(float64), 'f', -1, 64) != c {
			continue
		}
		if b := q.Get("is_billed"); b != "" && fmt.Sprint(it["is_billed"]) != b {
			continue
		}
		sel = append(sel, it)
	}
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 || per > f.maxPage {
		per = f.maxPage
	}
	page, _ := strconv.Atoi(q.Get("page"))
	if page <= 0 {
		page = 1
	}
	if name == "time_entries" && f.onPage != nil {
		f.onPage(page)
	}
	if name == "time_entries" && page == f.failPage {
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	pages := max((len(sel)+per-1)/per, 1)
	lo, hi := min((page-1)*per, len(sel)), min(page*per, len(sel))
	link := func(p int) any {
		if p < 1 || p > pages {
			return nil
		}
		v := r.URL.Query()
		v.Set("page", strconv.Itoa(p))
		return "http://" + r.Host + r.URL.Path + "?" + v.Encode()
	}
	nextPage := any(nil)
	if page < pages {
		nextPage = page + 1
	}
	body := map[string]any{name: sel[lo:hi], "per_page": per, "total_pages": pages, "total_entries": len(sel),
		"next_page": nextPage, "previous_page": nil, "page": page,
		"links": map[string]any{"first": link(1), "next": link(page + 1), "previous": link(page - 1), "last": link(pages)}}
	json.NewEncoder(w).Encode(body)
}

// edit sets fields of entry id and stamps its updated_at now.
func (f *fakeHarvest) edit(id float64, fields map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, e := range f.entries {
		if e["id"] == id {
			for k, v := range fields {
				e[k] = v
			}
			e["updated_at"] = time.Now().UTC().Format(time.RFC3339)
			return
		}
	}
	f.t.Fatalf("no entry %v", id)
}

// editInvoice changes invoice id (change gets it whole) and stamps its
// updated_at now, as an edit in Harvest does.
func (f *fakeHarvest) editInvoice(id float64, change func(inv map[string]any)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, inv := range f.lists["invoices"] {
		if inv["id"] == id {
			change(inv)
			inv["updated_at"] = time.Now().UTC().Format(time.RFC3339)
			return
		}
	}
	f.t.Fatalf("no invoice %v", id)
}

// removeInvoice deletes invoice id, which Harvest then no longer lists.
func (f *fakeHarvest) removeInvoice(id float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lists["invoices"] = slices.DeleteFunc(f.lists["invoices"], func(inv map[string]any) bool { return inv["id"] == id })
}

// remove deletes entry id, which Harvest then no longer lists.
func (f *fakeHarvest) remove(id float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.entries = slices.DeleteFunc(f.entries, func(e map[string]any) bool { return e["id"] == id })
}

func (f *fakeHarvest) set(change func(f *fakeHarvest)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// gate is what every fake tool but Harvest answers before its own routes:
// a 401 with the tool's own refusal body, and on demand 429s with
// Retry-After. Its fields are set under the fake's lock (set).
type gate struct {
	tooMany int    // answer this many next requests with 429
	after   string // their Retry-After
	refuse  bool   // answer 401
}

// pass sets the JSON content type and answers w itself, returning false,
// when g refuses the request (refuse, or authorized false: not the fake's
// credential) or a 429 is due; true lets the fake answer.
func (g *gate) pass(w http.ResponseWriter, authorized bool, refusal string) bool {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case g.refuse || !authorized:
		w.WriteHeader(http.StatusUnauthorized)
		fmt.Fprint(w, refusal)
		return false
	case g.tooMany > 0:
		g.tooMany--
		w.Header().Set("Retry-After", g.after)
		w.WriteHeader(http.StatusTooManyRequests)
		return false
	}
	return true
}

// shiftDates moves the YYYY-MM-DD fields keys of items (those not null) from the week of
// floatAnchor, around which the bookings' testdata is written, to this
// week, so that they lie in the window a sync re-lists.
func shiftDates(items []map[string]any, keys ...string) {
	shift := int(thisMonday().Sub(floatAnchor).Hours() / 24)
	for _, it := range items {
		for _, k := range keys {
			s, ok := it[k].(string)
			if !ok {
				continue
			}
			d, _ := time.Parse(time.DateOnly, s)
			it[k] = d.AddDate(0, 0, shift).Format(time.DateOnly)
		}
	}
}
