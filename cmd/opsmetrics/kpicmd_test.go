package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
