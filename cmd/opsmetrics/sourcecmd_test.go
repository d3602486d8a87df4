package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// harvestFake serves the documented example pages of Harvest API v2
// (ingest/collect/testdata/harvest) with the from/to and updated_since
// filters, and lets a test edit and delete entries.
type harvestFake struct {
	mu      sync.Mutex
	entries []map[string]any
	pages   map[string][]map[string]any
}

func newHarvestFake(t *testing.T) (*harvestFake, *httptest.Server) {
	f := &harvestFake{pages: map[string][]map[string]any{}}
	for _, name := range []string{"time_entries", "users", "clients", "projects"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "ingest", "collect", "testdata", "harvest", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var page map[string]json.RawMessage
		var items []map[string]any
		if err := json.Unmarshal(b, &page); err != nil || json.Unmarshal(page[name], &items) != nil {
			t.Fatalf("%s: %v", name, err)
		}
		f.pages[name] = items
	}
	f.entries = f.pages["time_entries"]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+cliToken {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/v2/")
		items := f.pages[name]
		if name == "time_entries" {
			items = f.entries
		}
		q := r.URL.Query()
		var sel []map[string]any
		for _, it := range items {
			if s := q.Get("updated_since"); s != "" && it["updated_at"].(string) < s {
				continue
			}
			if d := q.Get("from"); d != "" && it["spent_date"].(string) < d {
				continue
			}
			if d := q.Get("to"); d != "" && it["spent_date"].(string) > d {
				continue
			}
			sel = append(sel, it)
		}
		json.NewEncoder(w).Encode(map[string]any{name: sel, "per_page": 2000, "total_pages": 1, "total_entries": len(sel),
			"next_page": nil, "previous_page": nil, "page": 1, "links": map[string]any{"next": nil}})
	}))
	t.Cleanup(srv.Close)
	return f, srv
}

const cliToken = "hvpat-CLI-0123456789-do-not-print"

// TestSourceCommands: issue 15's "done when" through the CLI. The
// documented page holds 6.46 h (5.46 billable); after an edit (636708574:
// 1.0 -> 1.5 h) and a deletion (636707831, 2.0 h) `source sync --full`
// ends with 4.96 h (3.46 billable). The token is in no output.
func TestSourceCommands(t *testing.T) {
	env := testEnv(t)
	cli := cliWith(t, env)
	fake, srv := newHarvestFake(t)
	tokenFile := filepath.Join(t.TempDir(), "token")
	os.WriteFile(tokenFile, []byte(cliToken+"\n"), 0o600)
	var outputs []string
	do := func(want int, args ...string) string {
		t.Helper()
		code, out, errs := cli(args...)
		outputs = append(outputs, out, errs)
		if code != want {
			t.Fatalf("opsmetrics %s: exit %d, want %d\n%s\n%s", strings.Join(args, " "), code, want, out, errs)
		}
		return out
	}
	// An unknown org or kind is a usage error (2), as for every command.
	do(2, "source", "add", "--org", "acme", "--kind", "harvest", "--token-file", tokenFile, "--account-id", "123456")
	// Listing or syncing an org the store does not have names it (exit 2),
	// never "no sources" or an empty list with exit 0.
	for _, args := range [][]string{{"source", "list", "--org", "acme"}, {"source", "sync", "--org", "acme"}, {"hook", "list", "--org", "acme"}} {
		if code, _, errs := cli(args...); code != 2 || !strings.Contains(errs, `org "acme" not found`) {
			t.Errorf("%s: exit %d %s", strings.Join(args, " "), code, errs)
		}
	}
	do(0, "org", "set", "--org", "acme", "--name", "Acme")
	do(2, "source", "add", "--org", "acme", "--kind", "harvst", "--token-file", tokenFile, "--account-id", "123456")
	id := strings.TrimSpace(do(0, "source", "add", "--org", "acme", "--kind", "harvest", "--token-file", tokenFile,
		"--account-id", "123456", "--base-url", srv.URL, "--since", "2017-01-01"))
	if !strings.HasPrefix(id, "src_") {
		t.Fatalf("source add printed %q", id)
	}
	kpi := []string{"kpi", "logged_hours", "--org", "acme", "--from", "2017-03-01", "--to", "2017-04-01", "--format", "csv"}
	out := do(0, "source", "sync", "--org", "acme")
	if !strings.Contains(out, "11 added") {
		t.Errorf("first sync: %s", out)
	}
	if out := do(0, kpi...); !strings.Contains(out, "6.46,5.46,1,4") {
		t.Errorf("after the first sync: %s", out)
	}
	// The billable amounts: 2.11 h + 1.35 h + 2.0 h billable at 100.0 = 546.00
	// of revenue (time and materials at standard value, nothing written off).
	revenue := []string{"kpi", "revenue", "--org", "acme", "--from", "2017-03-01", "--to", "2017-04-01", "--format", "json"}
	if out := do(0, revenue...); !strings.Contains(out, "\"value\": 546\n") {
		t.Errorf("revenue after the first sync: %s", out)
	}
	if out := do(0, "source", "sync", "--org", "acme", "--source", id); !strings.Contains(out, "0 added, 0 updated, 0 deleted") {
		t.Errorf("second sync: %s", out)
	}
	fake.mu.Lock()
	for _, e := range fake.entries {
		if e["id"] == float64(636708574) {
			e["hours"], e["updated_at"] = 1.5, time.Now().UTC().Format(time.RFC3339)
		}
	}
	fake.entries = slices.DeleteFunc(fake.entries, func(e map[string]any) bool { return e["id"] == float64(636707831) })
	fake.mu.Unlock()
	do(0, "source", "sync", "--org", "acme", "--full")
	if out := do(0, kpi...); !strings.Contains(out, "4.96,3.46,1.5,3") {
		t.Errorf("after an edit, a deletion and sync --full: %s", out)
	}
	// 2.0 h billable deleted: 546.00 - 200.00 = 346.00; the edited entry is not billable.
	if out := do(0, revenue...); !strings.Contains(out, "\"value\": 346\n") {
		t.Errorf("revenue after an edit, a deletion and sync --full: %s", out)
	}
	list := do(0, "source", "list", "--org", "acme", "--format", "json")
	var got []map[string]any
	if err := json.Unmarshal([]byte(list), &got); err != nil || len(got) != 1 || got[0]["id"] != id {
		t.Fatalf("source list: %v %s", err, list)
	}
	if got[0]["org"] != "acme" || got[0]["org_name"] != "Acme" {
		t.Errorf("source list's JSON: org %v, org_name %v; want acme and Acme", got[0]["org"], got[0]["org_name"])
	}
	table := do(0, "source", "list", "--org", "acme")
	if !strings.Contains(table, " ORG NAME ") || !regexp.MustCompile(`(?m)^`+id+`\s+acme\s+Acme\s+harvest\s`).MatchString(table) {
		t.Errorf("source list does not show the org's name beside its id:\n%s", table)
	}
	do(1, "source", "sync", "--org", "acme", "--source", "src_nope")
	do(0, "source", "remove", id, "--org", "acme")
	src := `{"kind":"harvest","account_id":"123456","base_url":"` + srv.URL + `","since":"2017-01-01","every":"15m0s","token":"set"}`
	checkAudit(t, env, "acme", cliToken, []string{
		"cli source " + id + " harvest 123456 before=" + src + " after=",
		"cli source " + id + " harvest 123456 before= after=" + src,
	})
	for _, o := range outputs {
		if strings.Contains(o, cliToken) {
			t.Fatalf("the token was printed: %s", o)
		}
	}
}
