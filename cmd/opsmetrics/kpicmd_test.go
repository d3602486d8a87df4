package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestKPICommandFilters: a filter takes a client's name as well as its id,
// with the same numbers; a filter or an org that does not exist is an error
// that names it, not an empty answer.
func TestKPICommandFilters(t *testing.T) {
	env := testEnv(t)
	dir := t.TempDir()
	clients, entries := filepath.Join(dir, "clients.ndjson"), filepath.Join(dir, "time_entries.ndjson")
	os.WriteFile(clients, []byte(`{"external_id":"c-0003","name":"Nordlicht GmbH"}`+"\n"+`{"external_id":"c-0004","name":"Südwind AG"}`+"\n"), 0o644)
	os.WriteFile(entries, []byte(
		`{"external_id":"e1","person":"p1","date":"2026-04-01","hours":3,"billable":true,"client":"c-0003"}`+"\n"+
			`{"external_id":"e2","person":"p1","date":"2026-04-02","hours":1.5,"billable":false,"client":"c-0003"}`+"\n"+
			`{"external_id":"e3","person":"p1","date":"2026-04-02","hours":4,"billable":true,"client":"c-0004"}`+"\n"), 0o644)
	cli := cliWith(t, env)
	if code, out, errs := cli("import", clients, entries, "--org", "nord"); code != 0 {
		t.Fatalf("import: %d\n%s\n%s", code, out, errs)
	}
	kpi := []string{"kpi", "logged_hours", "--org", "nord", "--from", "2026-04-01", "--to", "2026-05-01", "--format", "csv"}
	// Nordlicht GmbH: e1 3 h + e2 1.5 h = 4.5 h, 3 of them billable, in 2 entries.
	want := "value,billable_hours,non_billable_hours,entries\n4.5,3,1.5,2\n"
	for _, client := range []string{"c-0003", "Nordlicht GmbH", "nordlicht gmbh"} {
		if code, out, errs := cli(append(kpi, "--client", client)...); code != 0 || out != want {
			t.Errorf("--client %q: exit %d, %q %s, want %q", client, code, out, errs, want)
		}
	}
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"--client", "nosuch"}, `client "nosuch" not found in org nord`},
		{[]string{"--client", "Nordlict"}, `close matches: Nordlicht GmbH (c-0003)`},
		{[]string{"--org", "nosuchorg"}, `--org: org "nosuchorg" not found`},
		{[]string{"--org", "nrod"}, `org "nrod" not found; close matches: nord`},
	} {
		code, out, errs := cli(append(kpi, c.args...)...)
		if code != 2 || out != "" || !strings.Contains(errs, c.says) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 saying %q", c.args, code, out, errs, c.says)
		}
	}
}

// TestKPICommandDefaultRange: without --from and --to, kpi answers for the
// current month to date in the org's time zone (Kiritimati is UTC+14, so
// its today is often not UTC's), to tomorrow, not to the first of next
// month; its help says so.
func TestKPICommandDefaultRange(t *testing.T) {
	env := testEnv(t)
	cli := cliWith(t, env)
	entries := filepath.Join(t.TempDir(), "time_entries.ndjson")
	os.WriteFile(entries, []byte(`{"external_id":"e1","person":"p1","date":"2026-04-01","hours":3,"billable":true}`+"\n"), 0o644)
	if code, out, errs := cli("import", entries, "--org", "kiri"); code != 0 {
		t.Fatalf("import: %d\n%s\n%s", code, out, errs)
	}
	if code, out, errs := cli("org", "set", "--org", "kiri", "--time-zone", "Pacific/Kiritimati"); code != 0 {
		t.Fatalf("org set: %d\n%s\n%s", code, out, errs)
	}
	loc, err := time.LoadLocation("Pacific/Kiritimati")
	if err != nil {
		t.Fatal(err)
	}
	monthToDate := func() [2]string {
		y, m, d := time.Now().In(loc).Date()
		return [2]string{time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly),
			time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)}
	}
	before := monthToDate()
	code, out, errs := cli("kpi", "logged_hours", "--org", "kiri", "--format", "json")
	after := monthToDate() // the same unless the test ran over midnight there
	var got struct{ From, To string }
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
		t.Fatalf("kpi: %d\n%s\n%s", code, out, errs)
	}
	if r := [2]string{got.From, got.To}; r != before && r != after {
		t.Errorf("default range %s to %s, want %s to %s", got.From, got.To, after[0], after[1])
	}
	_, help, _ := cli("kpi", "--help")
	for _, want := range []string{"current month to date in the org's time", "default: tomorrow with no --from"} {
		if !strings.Contains(help, want) {
			t.Errorf("kpi --help lacks %q:\n%s", want, help)
		}
	}
}
