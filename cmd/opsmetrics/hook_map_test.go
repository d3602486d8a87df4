package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/ingest/hook"
)

// hookMapCLI runs `hook map` through the CLI's root, as a user types it
// (`opsmetrics hook map ...`): the exit code, stdout and stderr.
func hookMapCLI(t *testing.T, vars map[string]string) func(args ...string) (int, string, string) {
	cli := cliWith(t, vars)
	return func(args ...string) (int, string, string) {
		return cli(append([]string{"hook", "map"}, args...)...)
	}
}

// TestHookMapCommand lists, sets and resets an org's mapping of a tool
// from the CLI: names beside ids, table, JSON and CSV, usage errors (2)
// that name the flag and value and change nothing.
func TestHookMapCommand(t *testing.T) {
	vars := testEnv(t)
	cli := cliWith(t, vars)
	hm := hookMapCLI(t, vars)
	do := func(want int, args ...string) (string, string) {
		t.Helper()
		code, out, errs := hm(args...)
		if code != want {
			t.Fatalf("hook map %s: exit %d, want %d\n%s\n%s", strings.Join(args, " "), code, want, out, errs)
		}
		return out, errs
	}
	if _, errs := do(2, "--org", "acme", "--tool", "jira"); !strings.Contains(errs, `org "acme": no such org`) {
		t.Errorf("unknown org: %s", errs)
	}
	dir := t.TempDir()
	clients, projects := filepath.Join(dir, "clients.ndjson"), filepath.Join(dir, "projects.ndjson")
	os.WriteFile(clients, []byte(`{"external_id":"c-1","name":"Nordlicht GmbH"}`+"\n"+`{"external_id":"c-2","name":"Globex"}`+"\n"), 0o644)
	os.WriteFile(projects, []byte(`{"external_id":"p-1","client":"c-1","name":"Website","kind":"retainer"}`+"\n"), 0o644)
	for _, args := range [][]string{{"org", "set", "--org", "acme", "--name", "Acme"}, {"import", clients, "--org", "acme"}, {"import", projects, "--org", "acme"}} {
		if code, out, errs := cli(args...); code != 0 {
			t.Fatalf("%v: %d %s %s", args, code, out, errs)
		}
	}
	list := []string{"--org", "acme", "--tool", "jira"}
	out, _ := do(0, list...)
	for _, re := range []string{`(?m)^client review\s+client_review\s+default$`, `(?m)^to do\s+intake\s+default$`,
		`No jira containers mapped: their tasks go to each hook's default client`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("defaults lack %s:\n%s", re, out)
		}
	}
	// The loop's order: intake statuses before delivered ones.
	if strings.Index(out, "to do") > strings.Index(out, "done") {
		t.Errorf("not in the loop's order:\n%s", out)
	}
	defaults := out

	if out, _ := do(0, append(list, "--status", "Signed  Off", "--phase", "delivered", "--outcome", "approved")...); out != `jira status "signed off" → delivered [approved] (org)`+"\n" {
		t.Errorf("set status: %q", out)
	}
	if out, _ := do(0, append(list, "--container", "WEB", "--client", "nordlicht gmbh", "--project", "Website")...); out != "jira container WEB → client c-1 (Nordlicht GmbH), project p-1 (Website)\n" {
		t.Errorf("set container: %q", out)
	}
	do(0, append(list, "--container", "OPS", "--client", "c-2")...)
	out, _ = do(0, list...)
	for _, re := range []string{`(?m)^signed off\s+delivered \[approved\]\s+org$`, `(?m)^WEB\s+c-1 \(Nordlicht GmbH\)\s+p-1 \(Website\)$`,
		`(?m)^OPS\s+c-2 \(Globex\)\s*$`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("list lacks %s:\n%s", re, out)
		}
	}
	jsonOut, _ := do(0, append(list, "--format", "json")...)
	var got hook.MappingList
	if err := json.Unmarshal([]byte(jsonOut), &got); err != nil || len(got.Targets) != 2 || got.Targets[1] !=
		(hook.TargetRule{Container: "WEB", Client: "c-1", ClientName: "Nordlicht GmbH", Project: "p-1", ProjectName: "Website"}) {
		t.Errorf("json: %v %s", err, jsonOut)
	}
	csvOut, _ := do(0, append(list, "--format", "csv")...)
	for _, want := range []string{"kind,key,phase,outcome,set,client,client_name,project,project_name\n",
		"status,signed off,delivered,approved,org,,,,\n", "container,WEB,,,org,c-1,Nordlicht GmbH,p-1,Website\n"} {
		if !strings.Contains(csvOut, want) {
			t.Errorf("csv lacks %q:\n%s", want, csvOut)
		}
	}

	for _, bad := range []struct {
		args []string
		says string
	}{
		{[]string{"--status", "QA", "--phase", "testing"}, `phase "testing": not a phase of status "QA"; one of intake, brief`},
		{[]string{"--status", "QA", "--outcome", "ok"}, `outcome "ok"`},
		{[]string{"--container", "APP", "--client", "Nobody"}, `client "Nobody": no such client in org acme`},
		{[]string{"--container", "APP", "--client", "c-2", "--project", "Website"}, `project "Website": belongs to client c-1 (Nordlicht GmbH), not to c-2 (Globex)`},
		{[]string{"--status", "QA"}, `--status "QA": give --phase, --outcome or --reset`},
		{[]string{"--container", "APP"}, `--container "APP": give --client (and --project) or --reset`},
		{[]string{"--status", "QA", "--container", "APP", "--client", "c-1"}, "give --status or --container, not both"},
		{[]string{"--phase", "brief"}, "say which --status or --container to change"},
		{[]string{"--status", "QA", "--reset", "--phase", "brief"}, "--reset takes no --phase"},
		{[]string{"--format", "xml"}, `--format "xml": want table, json or csv`},
	} {
		if _, errs := do(2, append(list, bad.args...)...); !strings.Contains(errs, bad.says) {
			t.Errorf("%v: %s, want it to say %s", bad.args, errs, bad.says)
		}
	}
	if _, errs := do(2, "--org", "acme", "--tool", "jra"); !strings.Contains(errs, `tool "jra": not a task tool; one of jira, clickup, asana, trello, github`) {
		t.Errorf("unknown tool: %s", errs)
	}
	if _, errs := do(2, "--tool", "jira"); !strings.Contains(errs, "--org and --tool are required") {
		t.Errorf("no org: %s", errs)
	}
	if again, _ := do(0, list...); again != out {
		t.Errorf("a refused change changed the list:\n%s\nwas:\n%s", again, out)
	}

	if out, _ := do(0, append(list, "--status", "signed off", "--reset")...); out != `jira status "signed off" → unmapped: kept raw and listed on the data-quality score`+"\n" {
		t.Errorf("reset status: %q", out)
	}
	if out, _ := do(0, append(list, "--container", "WEB", "--reset")...); out != "jira container WEB → the hook's default client\n" {
		t.Errorf("reset container: %q", out)
	}
	do(0, append(list, "--container", "OPS", "--reset")...)
	if out, _ := do(0, list...); out != defaults {
		t.Errorf("after the resets:\n%s\nwant the defaults:\n%s", out, defaults)
	}
	if out, _ := do(0, "--help"); !strings.Contains(out, "Phases: intake, brief, production, internal_review, client_review, delivered, reported") ||
		!strings.Contains(out, "--container") {
		t.Errorf("help: %s", out)
	}
	var help strings.Builder
	if code, out := run(t.Context(), []string{"hook", "--help"}, getenvFrom(vars), &help, &help), help.String(); code != 0 || !regexp.MustCompile(`(?m)^\s+map\s+list or change what a task tool's statuses mean`).MatchString(out) {
		t.Errorf("hook --help does not list map: %d\n%s", code, out)
	}
}
