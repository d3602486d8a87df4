package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestActionCommand adds, lists (table, csv, json), closes, reopens and
// removes an action from the CLI, as "cli"; unknown owners, clients, ids
// and bad dates are named in the error.
func TestActionCommand(t *testing.T) {
	env := testEnv(t)
	cli := cliWith(t, env)
	dir := t.TempDir()
	for file, body := range map[string]string{
		"clients.ndjson": `{"external_id":"c-3","name":"Nordlicht GmbH"}` + "\n",
		"people.ndjson":  `{"external_id":"p-ana","valid_from":"2026-01-01","name":"Ana Lind","role":"designer","team":"brand","weekly_capacity_hours":40,"start_date":"2026-01-01"}` + "\n",
	} {
		path := filepath.Join(dir, file)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if code, out, errs := cli("import", path, "--org", "acme"); code != 0 {
			t.Fatalf("import %s: %d %s %s", file, code, out, errs)
		}
	}
	add := func(args ...string) (int, string, string) {
		return cli(append([]string{"action", "add", "--org", "acme"}, args...)...)
	}
	code, out, errs := add("--client", "Nordlicht GmbH", "--month", "2026-11", "--title", "Move the review to Tuesdays", "--owner", "ana lind",
		"--due", "2020-12-15", "--kind", "decision")
	m := regexp.MustCompile(`^added decision (ac_[0-9a-f]{12}): "Move the review to Tuesdays", owned by p-ana \(Ana Lind\), due 2020-12-15, in report 2026-11\n$`).FindStringSubmatch(out)
	if code != 0 || m == nil {
		t.Fatalf("add: %d %q %q", code, out, errs)
	}
	id := m[1]
	for _, bad := range []struct {
		args []string
		says string
	}{
		{[]string{"--client", "c-3", "--month", "2026-11", "--title", "x", "--owner", "Bob", "--due", "2026-12-15"}, `person "Bob" not found in org acme`},
		{[]string{"--client", "Initech", "--month", "2026-11", "--title", "x", "--owner", "p-ana", "--due", "2026-12-15"}, `client "Initech" not found`},
		{[]string{"--client", "c-3", "--month", "2026-11", "--title", "x", "--owner", "p-ana", "--due", "15/12/2026"}, `due "15/12/2026": not a date as YYYY-MM-DD`},
		{[]string{"--client", "c-3", "--month", "11-2026", "--title", "x", "--owner", "p-ana", "--due", "2026-12-15"}, `month "11-2026"`},
		{[]string{"--client", "c-3", "--month", "2026-11", "--title", " ", "--owner", "p-ana", "--due", "2026-12-15"}, "title: empty"},
	} {
		if code, out, errs := add(bad.args...); code != 2 || out != "" || !strings.Contains(errs, "opsmetrics action add: "+bad.says) {
			t.Errorf("add %v: %d %q %q, want 2 saying %q", bad.args, code, out, errs, bad.says)
		}
	}

	// due 2020-12-15, long past: open and overdue
	code, out, _ = cli("action", "list", "--org", "acme", "--client", "Nordlicht GmbH", "--open")
	if code != 0 || !regexp.MustCompile(id+`\s+decision\s+Move the review to Tuesdays\s+c-3 \(Nordlicht GmbH\)\s+p-ana \(Ana Lind\)\s+2020-12-15\s+open, overdue\s+report 2026-11`).MatchString(out) {
		t.Errorf("list: %d\n%s", code, out)
	}
	code, out, _ = cli("action", "list", "--org", "acme", "--format", "csv")
	if code != 0 || !strings.HasPrefix(out, "ID,KIND,TITLE,CLIENT,OWNER,DUE,STATUS,FROM\n"+id+",decision,Move the review to Tuesdays,c-3 (Nordlicht GmbH),p-ana (Ana Lind),2020-12-15,\"open, overdue\",report 2026-11\n") {
		t.Errorf("list csv: %d\n%s", code, out)
	}
	if code, out, errs := cli("action", "close", "--org", "acme", "--id", id); code != 0 || out != "closed "+id+": \"Move the review to Tuesdays\" is closed\n" {
		t.Errorf("close: %d %q %q", code, out, errs)
	}
	code, out, _ = cli("action", "list", "--org", "acme", "--format", "json")
	var list struct {
		Actions []struct {
			ID, Status string
			ClosedBy   string `json:"closed_by"`
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list.Actions) != 1 || list.Actions[0].Status != "closed" || list.Actions[0].ClosedBy != "cli" {
		t.Errorf("list json after close: %d %s", code, out)
	}
	if code, out, _ := cli("action", "list", "--org", "acme", "--open"); code != 0 || !strings.Contains(out, "no actions in org acme match") {
		t.Errorf("open after close: %d %s", code, out)
	}
	if code, out, _ := cli("action", "reopen", "--org", "acme", "--id", id); code != 0 || !strings.Contains(out, "is open") {
		t.Errorf("reopen: %d %s", code, out)
	}
	if code, out, _ := cli("action", "remove", "--org", "acme", "--id", id); code != 0 || out != "removed "+id+"\n" {
		t.Errorf("remove: %d %s", code, out)
	}
	if code, _, errs := cli("action", "close", "--org", "acme", "--id", id); code != 1 || !strings.Contains(errs, `org acme has no action "`+id+`"`) {
		t.Errorf("close a removed action: %d %s", code, errs)
	}
	for _, c := range []struct {
		args []string
		code int
		says string
	}{
		{[]string{"action", "close", "--org", "acme"}, 2, "--id is required"},
		{[]string{"action", "list"}, 2, "--org is required"},
		{[]string{"action", "list", "--org", "acme", "--format", "xml"}, 2, `--format "xml"`},
		{[]string{"action", "list", "--org", "acme", "--client", "Initech"}, 2, `--client: client "Initech" not found`},
		{[]string{"action", "list", "--org", "nosuch"}, 2, "--org"},
	} {
		if code, out, errs := cli(c.args...); code != c.code || !strings.Contains(out+errs, c.says) {
			t.Errorf("%v: %d %q, want %d saying %q", c.args, code, out+errs, c.code, c.says)
		}
	}
}
