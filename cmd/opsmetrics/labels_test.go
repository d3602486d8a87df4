package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app/apptest"
	"github.com/opsmetrics/opsmetrics/metrics"
)

// harvestFirstSight imports a Harvest export whose one person, Ana García
// (role Designer), the org does not know: the import creates her on first
// sight with an assumed 40 h week. It returns a CLI runner over that data.
func harvestFirstSight(t *testing.T) func(args ...string) (int, string, string) {
	t.Helper()
	env := testEnv(t)
	file := filepath.Join(t.TempDir(), "harvest.csv")
	os.WriteFile(file, []byte("Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,First Name,Last Name,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency\n"+
		"2026-01-05,Acme Corp,Website,ACME,Design,Logo,2,Yes,No,Ana,García,Designer,Yes,150,300,60,120,United States Dollar - USD\n"+
		"2026-01-07,Acme Corp,Website,ACME,Design,Icons,1.5,Yes,No,Ana,García,Designer,Yes,150,225,60,90,United States Dollar - USD\n"), 0o644)
	cli := cliWith(t, env)
	if code, out, errs := cli("import", file, "--org", "acme"); code != 0 {
		t.Fatalf("import: %d\n%s\n%s", code, out, errs)
	}
	return cli
}

// TestKPIHeaderCurrency: the table's header names the currency only for a
// KPI with money columns (the catalog's rule, as the API's currency note);
// hours and ratios are not in dollars.
func TestKPIHeaderCurrency(t *testing.T) {
	cli := harvestFirstSight(t)
	for _, c := range []struct {
		kpi   string
		money bool
	}{{"logged_hours", false}, {"billable_utilization", false}, {"revenue", true}, {"margin", true}} {
		code, out, errs := cli("kpi", c.kpi, "--org", "acme", "--from", "2026-01-01", "--to", "2026-02-01")
		if code != 0 {
			t.Fatalf("kpi %s: exit %d\n%s", c.kpi, code, errs)
		}
		header, _, _ := strings.Cut(out, "\n")
		if got := strings.Contains(header, "USD"); got != c.money {
			t.Errorf("kpi %s: header %q names USD: %v, want %v", c.kpi, header, got, c.money)
		}
		if !strings.Contains(header, "definition v") {
			t.Errorf("kpi %s: header %q has no definition version", c.kpi, header)
		}
	}
}

// TestThresholdsHelpKPIs: the help of `alerts thresholds set` says where
// each KPI it takes is described: a KPI of the catalog is in `opsmetrics kpi
// list`, and the counts only alerts watch (overdue_deliverables,
// stuck_reviews) are said to be alert-only, not sent to a list that lacks them.
func TestThresholdsHelpKPIs(t *testing.T) {
	var out, errb strings.Builder
	run(t.Context(), []string{"alerts", "thresholds", "set", "--help"}, getenvFrom(testEnv(t)), &out, &errb)
	help := out.String() + errb.String()
	var alertOnly []string
	for name := range metrics.ThresholdKPIs {
		if _, ok := metrics.Lookup(name); !ok {
			alertOnly = append(alertOnly, name)
		}
	}
	if len(alertOnly) == 0 {
		t.Fatal("every threshold KPI is in the catalog: this test checks nothing")
	}
	slices.Sort(alertOnly)
	want := strings.Join(alertOnly, " and ") + " are alert-only counts"
	if !strings.Contains(help, want) {
		t.Errorf("help does not say %q:\n%s", want, help)
	}
	if strings.Contains(help, "by its name in opsmetrics kpi list") {
		t.Errorf("help sends every KPI to opsmetrics kpi list, which lacks %v:\n%s", alertOnly, help)
	}
}

// TestCapacityAssumedWeek: Ana García, created on first sight by a Harvest
// import, has an assumed 40 h week, and the capacity answers say so: the
// grid's cells (JSON, CSV, table) carry assumed_hours and capacity_assumed,
// and earliest-start a capacity_assumed entry and a reason that names her.
func TestCapacityAssumedWeek(t *testing.T) {
	cli := harvestFirstSight(t)
	// Two weeks of Designer, both Ana's assumed 40 h (8 h × 5 days): 80 h
	// available over the job, all 80 assumed.
	code, out, errs := cli("capacity", "earliest-start", "--org", "acme", "--need", "designer=20", "--weeks", "2",
		"--not-before", "2027-03-01", "--format", "json")
	if code != 0 {
		t.Fatalf("earliest-start: exit %d\n%s", code, errs)
	}
	var a struct {
		Feasible        bool
		CapacityAssumed []struct {
			Role           string
			Weeks          int
			AvailableHours float64 `json:"available_hours"`
			AssumedHours   float64 `json:"assumed_hours"`
			People         []struct{ ID, Name string }
		} `json:"capacity_assumed"`
		Reasons []string
	}
	if err := json.Unmarshal([]byte(out), &a); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(a.CapacityAssumed) != 1 || a.CapacityAssumed[0].Role != "Designer" || a.CapacityAssumed[0].AvailableHours != 80 ||
		a.CapacityAssumed[0].AssumedHours != 80 || len(a.CapacityAssumed[0].People) != 1 || a.CapacityAssumed[0].People[0].Name != "Ana García" {
		t.Errorf("capacity_assumed = %+v, want Designer 80 of 80 h, Ana García\n%s", a.CapacityAssumed, out)
	}
	want := "Designer: 80.0 of 80.0 available hours in the job's 2 weeks from 2027-03-01 rest on an assumed 40 h week (people created on first sight: Ana García)"
	if !slices.ContainsFunc(a.Reasons, func(r string) bool { return strings.HasPrefix(r, want) }) {
		t.Errorf("no reason %q in %q", want, a.Reasons)
	}
	if code, out, errs := cli("capacity", "earliest-start", "--org", "acme", "--need", "designer=20", "--weeks", "2",
		"--not-before", "2027-03-01"); code != 0 || !strings.Contains(out, want) {
		t.Errorf("earliest-start text: exit %d, does not say %q:\n%s%s", code, want, out, errs)
	}

	grid := []string{"capacity", "grid", "--org", "acme", "--by", "role", "--from", "2027-03-01", "--to", "2027-03-08"}
	code, out, errs = cli(append(grid, "--format", "json")...)
	var g struct{ Cells []map[string]any }
	if err := json.Unmarshal([]byte(out), &g); code != 0 || err != nil || len(g.Cells) != 1 {
		t.Fatalf("grid json: exit %d, %v\n%s%s", code, err, out, errs)
	}
	if c := g.Cells[0]; c["capacity_assumed"] != true || c["assumed_hours"] != float64(40) || c["available"] != float64(40) {
		t.Errorf("grid cell %v: want capacity_assumed true, 40 of 40 h assumed", c)
	}
	if code, out, _ := cli(append(grid, "--format", "csv")...); code != 0 ||
		out != "role,name,week,available,booked,tentative,free,assumed_hours\nDesigner,Designer,2027-03-01,40,0,0,40,40\n" {
		t.Errorf("grid csv: exit %d\n%s", code, out)
	}
	if code, out, _ := cli(grid...); code != 0 || !strings.Contains(out, "ASSUMED") || !strings.Contains(out, "assumed 40 h week") {
		t.Errorf("grid table: exit %d, no ASSUMED column or note:\n%s", code, out)
	}
}

// TestKPINamesBesideIDs: a KPI grouped by client, person or project shows
// each group's name beside its id (a NAME column in the CLI table and CSV,
// a name field in the API's JSON rows and a name column in its CSV), and
// alerts thresholds list names a threshold's client. Ids stay.
func TestKPINamesBesideIDs(t *testing.T) {
	env := testEnv(t)
	dir := t.TempDir()
	clients, entries := filepath.Join(dir, "clients.ndjson"), filepath.Join(dir, "time_entries.ndjson")
	os.WriteFile(clients, []byte(`{"external_id":"cl-003","name":"Nordlicht GmbH"}`+"\n"), 0o644)
	os.WriteFile(entries, []byte(
		`{"external_id":"e1","person":"p1","date":"2026-04-01","hours":3,"billable":true,"client":"cl-003"}`+"\n"+
			`{"external_id":"e2","person":"p1","date":"2026-04-02","hours":1.5,"billable":false,"client":"cl-003"}`+"\n"+
			`{"external_id":"e3","person":"p1","date":"2026-04-02","hours":2,"billable":true,"client":"cl-404"}`+"\n"), 0o644)
	cli := cliWith(t, env)
	if code, out, errs := cli("import", clients, entries, "--org", "nord"); code != 0 {
		t.Fatalf("import: %d\n%s\n%s", code, out, errs)
	}
	kpi := []string{"kpi", "logged_hours", "--org", "nord", "--from", "2026-04-01", "--to", "2026-05-01", "--by", "client"}
	// cl-003: e1 3 h + e2 1.5 h = 4.5 h, 3 billable, 2 entries; cl-404 (no
	// client record, so no name): 2 h in 1 entry.
	want := "client,name,value,billable_hours,non_billable_hours,entries\ncl-003,Nordlicht GmbH,4.5,3,1.5,2\ncl-404,,2,2,0,1\n"
	if code, out, errs := cli(append(kpi, "--format", "csv")...); code != 0 || out != want {
		t.Errorf("csv: exit %d\n%s%s\nwant\n%s", code, out, errs, want)
	}
	if code, out, _ := cli(kpi...); code != 0 || !strings.Contains(out, "CLIENT  NAME") || !strings.Contains(out, "cl-003  Nordlicht GmbH") {
		t.Errorf("table: exit %d, no NAME beside CLIENT:\n%s", code, out)
	}
	if code, out, _ := cli("alerts", "thresholds", "set", "--org", "nord", "--kpi", "write_off_rate", "--value", "8%", "--client", "Nordlicht GmbH"); code != 0 {
		t.Fatalf("thresholds set: exit %d\n%s", code, out)
	}
	if code, out, _ := cli("alerts", "thresholds", "list", "--org", "nord"); code != 0 || !strings.Contains(out, "client cl-003 (Nordlicht GmbH)") {
		t.Errorf("thresholds list: exit %d, does not name the client:\n%s", code, out)
	}

	read := createToken(t, env, "nord", "read")
	base, stop := serveInProcess(t, env)
	defer stop()
	url := base + "/api/v1/kpis/logged_hours?from=2026-04-01&to=2026-05-01&group_by=client"
	code, _, body := apptest.Get(t, url, read, "")
	var res struct{ Rows []map[string]any }
	if err := json.Unmarshal([]byte(body), &res); code != 200 || err != nil || len(res.Rows) != 2 {
		t.Fatalf("GET %s: %d %v\n%s", url, code, err, body)
	}
	if r := res.Rows[0]; r["client"] != "cl-003" || r["name"] != "Nordlicht GmbH" {
		t.Errorf("row %v: want client cl-003 with name Nordlicht GmbH", r)
	}
	if r := res.Rows[1]; r["client"] != "cl-404" || r["name"] != nil {
		t.Errorf("row %v: want client cl-404 with name null (no client record)", r)
	}
	if code, _, body := apptest.Get(t, url, read, "text/csv"); code != 200 || body != want {
		t.Errorf("GET csv: %d\n%s\nwant\n%s", code, body, want)
	}
}
