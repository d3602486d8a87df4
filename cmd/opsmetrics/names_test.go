package main

import (
	"encoding/csv"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// namesOrg is the org of the names tests: two clients whose names differ
// only in capitals (Twin, TWIN), two projects named Website of two clients,
// a role and a team spelt as identifiers (creative_director, brand_studio)
// and a role and a team spelt as words (Developer, Web).
const namesOrg = "names-cli"

// namesWant is what each grouping's ids are called: the id, its name and,
// for a project, its client's id and name.
var namesWant = map[string][][]string{
	"person":  {{"p-ana", "Ana Lind"}, {"p-ben", "Ben Ode"}},
	"client":  {{"c-nord", "Nordlicht GmbH"}, {"c-t1", "Twin"}, {"c-t2", "TWIN"}},
	"project": {{"pr-web", "Website", "c-nord", "Nordlicht GmbH"}, {"pr-web2", "Website", "c-t1", "Twin"}},
	"team":    {{"brand_studio", "Brand studio"}, {"Web", "Web"}},
	"role":    {{"creative_director", "Creative director"}, {"Developer", "Developer"}},
}

// writeNamesOrg imports namesOrg's clients, projects, people, time entries
// and a booking, and returns the CLI over it and its env.
func writeNamesOrg(t *testing.T) (func(args ...string) (int, string, string), map[string]string) {
	t.Helper()
	env := testEnv(t)
	dir := t.TempDir()
	files := map[string]string{
		"clients.ndjson": `{"external_id":"c-nord","name":"Nordlicht GmbH"}
{"external_id":"c-t1","name":"Twin"}
{"external_id":"c-t2","name":"TWIN"}
`,
		"projects.ndjson": `{"external_id":"pr-web","name":"Website","client":"c-nord","kind":"time_and_materials"}
{"external_id":"pr-web2","name":"Website","client":"c-t1","kind":"time_and_materials"}
`,
		"people.ndjson": `{"external_id":"p-ana","valid_from":"2026-01-01","name":"Ana Lind","role":"creative_director","team":"brand_studio","weekly_capacity_hours":40,"start_date":"2026-01-01"}
{"external_id":"p-ben","valid_from":"2026-01-01","name":"Ben Ode","role":"Developer","team":"Web","weekly_capacity_hours":40,"start_date":"2026-01-01"}
`,
		"time_entries.ndjson": `{"external_id":"e1","person":"p-ana","date":"2026-04-01","hours":3,"billable":true,"client":"c-nord","project":"pr-web"}
{"external_id":"e2","person":"p-ben","date":"2026-04-02","hours":2,"billable":true,"client":"c-t1","project":"pr-web2"}
{"external_id":"e3","person":"p-ben","date":"2026-04-03","hours":1,"billable":false,"client":"c-t2"}
`,
	}
	var paths []string
	for _, name := range []string{"clients.ndjson", "projects.ndjson", "people.ndjson", "time_entries.ndjson"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(files[name]), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	cli := cliWith(t, env)
	if code, out, errs := cli(append(append([]string{"import"}, paths...), "--org", namesOrg)...); code != 0 {
		t.Fatalf("import: %d\n%s\n%s", code, out, errs)
	}
	return cli, env
}

// checkNamedCSV fails when a row of a CSV grouped by dim has an id of
// namesWant without its name in the column beside it (and, for a project,
// without its client and the client's name after that).
func checkNamedCSV(t *testing.T, what, dim, body string) {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || len(rows) < 2 {
		t.Fatalf("%s: %v\n%s", what, err, body)
	}
	head := []string{dim, "name"}
	if dim == "project" {
		head = append(head, "client", "client_name")
	}
	if !slices.Equal(rows[0][:len(head)], head) {
		t.Errorf("%s: header %v, want it to start %v", what, rows[0], head)
	}
	seen := 0
	for _, row := range rows[1:] {
		for _, want := range namesWant[dim] {
			if row[0] == want[0] {
				seen++
				if !slices.Equal(row[1:len(want)], want[1:]) {
					t.Errorf("%s: %s is %v beside it, want %v", what, want[0], row[1:len(want)], want[1:])
				}
			}
		}
	}
	if seen != len(namesWant[dim]) {
		t.Errorf("%s: %d of the %d ids of %s:\n%s", what, seen, len(namesWant[dim]), dim, body)
	}
}

// TestNamesBesideIDs: grouped by person, client, project, team or role, a
// KPI names every id beside it in the CLI's table, JSON and CSV and the
// API's JSON and CSV; a project also its client; a role or a team spelt as
// an identifier reads as words. The capacity grid by person and the hook
// list do the same.
func TestNamesBesideIDs(t *testing.T) {
	cli, env := writeNamesOrg(t)
	kpi := func(dim string, more ...string) []string {
		return append([]string{"kpi", "logged_hours", "--org", namesOrg, "--from", "2026-04-01", "--to", "2026-05-01", "--by", dim}, more...)
	}
	for dim := range namesWant {
		code, out, errs := cli(kpi(dim, "--format", "csv")...)
		if code != 0 {
			t.Fatalf("kpi --by %s csv: %d %s", dim, code, errs)
		}
		checkNamedCSV(t, "kpi --by "+dim+" csv", dim, out)

		code, out, errs = cli(kpi(dim)...)
		if code != 0 {
			t.Fatalf("kpi --by %s: %d %s", dim, code, errs)
		}
		for _, want := range namesWant[dim] {
			line := ""
			for l := range strings.Lines(out) {
				if strings.HasPrefix(l, want[0]+" ") {
					line = l
				}
			}
			for _, s := range want[1:] {
				if !strings.Contains(line, s) {
					t.Errorf("kpi --by %s table: the line of %s lacks %q:\n%s", dim, want[0], s, out)
				}
			}
		}
	}

	code, out, errs := cli("capacity", "grid", "--org", namesOrg, "--by", "person", "--from", "2027-03-01", "--to", "2027-03-08")
	if code != 0 || !strings.Contains(out, "NAME") || !strings.Contains(out, "p-ana   Ana Lind") && !strings.Contains(out, "p-ana  Ana Lind") {
		t.Errorf("capacity grid --by person: %d %s\n%s", code, errs, out)
	}
	code, out, errs = cli("capacity", "grid", "--org", namesOrg, "--by", "role", "--from", "2027-03-01", "--to", "2027-03-08", "--format", "csv")
	if code != 0 || !strings.Contains(out, "\ncreative_director,Creative director,2027-03-01,") {
		t.Errorf("capacity grid --by role csv: %d %s\n%s", code, errs, out)
	}

	// A hook's client and project by name, in the table, CSV and JSON.
	if code, out, errs := cli("hook", "add", "--org", namesOrg, "--tool", "github", "--client", "nordlicht gmbh", "--project", "website"); code != 0 {
		t.Fatalf("hook add by name: %d %s %s", code, out, errs)
	}
	if code, out, _ := cli("hook", "list", "--org", namesOrg); code != 0 || !strings.Contains(out, "Nordlicht GmbH (c-nord)") || !strings.Contains(out, "Website (pr-web)") {
		t.Errorf("hook list: %d, want the client and project named with their ids:\n%s", code, out)
	}
	if code, out, _ := cli("hook", "list", "--org", namesOrg, "--format", "csv"); code != 0 ||
		!strings.HasPrefix(out, "ID,TOOL,CLIENT,CLIENT_NAME,PROJECT,PROJECT_NAME,") || !strings.Contains(out, ",c-nord,Nordlicht GmbH,pr-web,Website,") {
		t.Errorf("hook list csv: %d\n%s", code, out)
	}
	var hooks []map[string]any
	if code, out, _ := cli("hook", "list", "--org", namesOrg, "--format", "json"); code != 0 || json.Unmarshal([]byte(out), &hooks) != nil ||
		len(hooks) != 1 || hooks[0]["client_name"] != "Nordlicht GmbH" || hooks[0]["project_name"] != "Website" {
		t.Errorf("hook list json: %d\n%s", code, out)
	}
	// Twin and TWIN are one name in two spellings: which is meant is the id's to say.
	if code, _, errs := cli("hook", "add", "--org", namesOrg, "--tool", "github", "--client", "twin"); code != 2 ||
		!strings.Contains(errs, `client "twin" names 2 clients in org names-cli: Twin (c-t1), TWIN (c-t2); give the id`) {
		t.Errorf("hook add --client twin: exit %d %s", code, errs)
	}

	read := createToken(t, env, namesOrg, "read")
	base, stop := serveInProcess(t, env)
	defer stop()
	for dim := range namesWant {
		u := base + "/api/v1/kpis/logged_hours?from=2026-04-01&to=2026-05-01&group_by=" + dim
		code, _, body := apptest.Get(t, u, read, "")
		var res struct{ Rows []map[string]any }
		if err := json.Unmarshal([]byte(body), &res); code != 200 || err != nil {
			t.Fatalf("GET %s: %d %v\n%s", u, code, err, body)
		}
		for _, want := range namesWant[dim] {
			i := slices.IndexFunc(res.Rows, func(r map[string]any) bool { return r[dim] == want[0] })
			if i < 0 {
				t.Errorf("GET %s: no row of %s", u, want[0])
				continue
			}
			got := []any{res.Rows[i]["name"]}
			if dim == "project" {
				got = append(got, res.Rows[i]["client"], res.Rows[i]["client_name"])
			}
			for j, w := range want[1:] {
				if got[j] != w {
					t.Errorf("GET %s: row of %s has %v, want %v", u, want[0], got, want[1:])
					break
				}
			}
		}
		code, _, body = apptest.Get(t, u, read, "text/csv")
		if code != 200 {
			t.Fatalf("GET %s csv: %d %s", u, code, body)
		}
		checkNamedCSV(t, "GET group_by="+dim+" csv", dim, body)
	}
	// The capacity grid by person, as JSON and CSV.
	code, _, body := apptest.Get(t, base+"/api/v1/capacity?by=person&from=2027-03-01&to=2027-03-08", read, "")
	var grid struct{ Cells []map[string]any }
	if err := json.Unmarshal([]byte(body), &grid); code != 200 || err != nil || len(grid.Cells) != 2 {
		t.Fatalf("GET capacity: %d %v\n%s", code, err, body)
	}
	for _, c := range grid.Cells {
		want := map[any]string{"p-ana": "Ana Lind", "p-ben": "Ben Ode"}[c["key"]]
		if c["name"] != want {
			t.Errorf("capacity cell %v: name %v, want %q", c["key"], c["name"], want)
		}
	}
	code, _, body = apptest.Get(t, base+"/api/v1/capacity?by=person&from=2027-03-01&to=2027-03-08", read, "text/csv")
	if want := "person,name,week,available,booked,tentative,free,assumed_hours\np-ana,Ana Lind,"; code != 200 || !strings.HasPrefix(body, want) {
		t.Errorf("GET capacity csv: %d\n%s\nwant it to start\n%s", code, body, want)
	}
}

// TestNameFilters: every filter takes an id or a name, in any capitals, on
// the CLI and the API, with the same answer; a name of two things is an
// error listing them with their ids, and one of nothing an error naming it
// (exit 2, 400), never an empty answer.
func TestNameFilters(t *testing.T) {
	cli, env := writeNamesOrg(t)
	value := func(args ...string) (int, string, string) {
		code, out, errs := cli(append([]string{"kpi", "logged_hours", "--org", namesOrg, "--from", "2026-04-01", "--to", "2026-05-01",
			"--format", "csv"}, args...)...)
		return code, strings.TrimSpace(out), errs
	}
	// e1 3 h is Ana's (Nordlicht GmbH, Website pr-web, creative_director,
	// brand_studio); e2 2 h and e3 1 h are Ben's (Developer, Web): e2 for
	// Twin's Website pr-web2, e3 for TWIN.
	for _, c := range []struct {
		flag string
		as   []string // id, name, the name in other capitals and spacing
		want string   // value,billable_hours,non_billable_hours,entries
	}{
		{"client", []string{"c-nord", "Nordlicht GmbH", "  NORDLICHT gmbh"}, "3,3,0,1"},
		{"person", []string{"p-ben", "Ben Ode", "ben ode"}, "3,2,1,2"},
		{"project", []string{"pr-web2", "pr-web2", "PR-WEB2"}, "2,2,0,1"},
		{"team", []string{"brand_studio", "Brand studio", "brand STUDIO"}, "3,3,0,1"},
		{"role", []string{"creative_director", "Creative director", "CREATIVE DIRECTOR"}, "3,3,0,1"},
		{"role", []string{"Developer", "Developer", "developer"}, "3,2,1,2"},
	} {
		for _, as := range c.as {
			code, out, errs := value("--"+c.flag, as)
			if want := "value,billable_hours,non_billable_hours,entries\n" + c.want; code != 0 || out != want {
				t.Errorf("--%s %q: exit %d %q %s, want %q", c.flag, as, code, out, errs, want)
			}
		}
	}
	refused := []struct {
		flag, value, says string
	}{
		{"client", "twin", `client "twin" is ambiguous in org names-cli: it names Twin (c-t1), TWIN (c-t2); give the id`},
		{"project", "website", `project "website" is ambiguous in org names-cli: it names Website (pr-web) of Nordlicht GmbH (c-nord), Website (pr-web2) of Twin (c-t1); give the id`},
		{"client", "Nordlict", `client "Nordlict" not found in org names-cli; close matches: Nordlicht GmbH (c-nord)`},
		{"person", "Cleo", `person "Cleo" not found in org names-cli`},
		{"team", "design", `team "design" not found in org names-cli`},
		{"role", "painter", `role "painter" not found in org names-cli`},
	}
	for _, c := range refused {
		code, out, errs := value("--"+c.flag, c.value)
		if code != 2 || out != "" || !strings.Contains(errs, c.says) {
			t.Errorf("--%s %q: exit %d %q %q, want exit 2 saying %q", c.flag, c.value, code, out, errs, c.says)
		}
	}
	// The earliest start's role by its name as words.
	if code, out, errs := cli("capacity", "earliest-start", "--org", namesOrg, "--need", "creative director=10", "--weeks", "1",
		"--not-before", "2027-03-01"); code != 0 || !strings.Contains(out, "Creative director: the tightest week") {
		t.Errorf("earliest-start --need \"creative director=10\": exit %d %s\n%s", code, errs, out)
	}

	read := createToken(t, env, namesOrg, "read")
	base, stop := serveInProcess(t, env)
	defer stop()
	get := func(filter, v string) (int, string) {
		code, _, body := apptest.Get(t, base+"/api/v1/kpis/logged_hours?from=2026-04-01&to=2026-05-01&format=csv&"+filter+"="+url.QueryEscape(v), read, "")
		return code, body
	}
	if code, body := get("client", "nordlicht GMBH"); code != 200 || body != "value,billable_hours,non_billable_hours,entries\n3,3,0,1\n" {
		t.Errorf("?client=nordlicht GMBH: %d %s", code, body)
	}
	if code, body := get("role", "creative director"); code != 200 || body != "value,billable_hours,non_billable_hours,entries\n3,3,0,1\n" {
		t.Errorf("?role=creative director: %d %s", code, body)
	}
	for _, c := range refused {
		if code, body := get(c.flag, c.value); code != 400 || !strings.Contains(body, strings.ReplaceAll(c.says, `"`, `\"`)) {
			t.Errorf("?%s=%s: %d %s, want 400 saying %s", c.flag, c.value, code, body, c.says)
		}
	}
}
