package app_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app/apptest"
	"github.com/opsmetrics/opsmetrics/ingest/hook"
	"github.com/opsmetrics/opsmetrics/metrics"
)

// TestHookMappingAPI: an admin token reads its org's mapping of a tool
// (the defaults), changes it with a patch that names clients and projects
// by name, removes overrides with null; a read token cannot; every bad
// request is a 400 that names the field and value and changes nothing.
func TestHookMappingAPI(t *testing.T) {
	svc := apptest.New(t)
	admin, reader := svc.Token("acme", "admin"), svc.Token("acme", "read")
	ingestTok := svc.Token("acme", "ingest")
	base, stop := svc.Serve(nil)
	defer stop()
	for entity, body := range map[string]string{
		"clients":  `{"external_id":"c-1","name":"Nordlicht GmbH"}` + "\n",
		"projects": `{"external_id":"p-1","client":"c-1","name":"Website","kind":"retainer"}` + "\n",
	} {
		if code, r := apptest.Post(t, base+"/api/v1/"+entity, ingestTok, "application/x-ndjson", strings.NewReader(body)); code != 200 {
			t.Fatalf("post %s: %d %+v", entity, code, r)
		}
	}
	url := base + "/api/v1/hooks/mappings/"
	send := func(method, tool, token, body string, want int) string {
		t.Helper()
		code, reply := call(t, method, url+tool, token, body)
		if code != want {
			t.Fatalf("%s %s %s: %d %s, want %d", method, tool, body, code, reply, want)
		}
		return reply
	}
	send("GET", "jira", reader, "", 403)
	before := send("GET", "jira", admin, "", 200)
	for _, want := range []string{`"org":"acme"`, `"tool":"jira"`, `{"status":"client review","phase":"client_review","set":"default"}`, `"targets":[]`} {
		if !strings.Contains(before, want) {
			t.Errorf("GET jira lacks %s: %s", want, before)
		}
	}
	after := send("PUT", "jira", admin, `{"phases":{"Blocked":"production","Done":"reported"},"outcomes":{"Approved":"approved"},
		"targets":{"WEB":{"client":"nordlicht gmbh","project":"Website"}}}`, 200)
	for _, want := range []string{
		`{"status":"blocked","phase":"production","set":"org"}`,
		`{"status":"done","phase":"reported","set":"org"}`,
		`{"status":"approved","outcome":"approved","set":"org"}`,
		`"targets":[{"container":"WEB","client":"c-1","client_name":"Nordlicht GmbH","project":"p-1","project_name":"Website"}]`,
	} {
		if !strings.Contains(after, want) {
			t.Errorf("PUT answer lacks %s: %s", want, after)
		}
	}
	if got := send("GET", "jira", admin, "", 200); got != after {
		t.Errorf("GET after PUT differs from the PUT's answer:\n%s\n%s", got, after)
	}
	if got := send("GET", "trello", admin, "", 200); got != strings.Replace(before, `"tool":"jira"`, `"tool":"trello"`, 1) {
		t.Errorf("trello changed with jira: %s", got)
	}
	for _, bad := range []struct{ tool, body, says string }{
		{"jra", `{"phases":{"Blocked":"production"}}`, `tool \"jra\": not a task tool; one of jira, clickup, asana, trello, github`},
		{"jira", `{"phases":{"Blocked":"testing"}}`, `phase \"testing\": not a phase of status \"Blocked\"`},
		{"jira", `{"outcomes":{"Done":"accepted"}}`, `outcome \"accepted\"`},
		{"jira", `{"phases":{"QA":"brief"},"targets":{"APP":{"client":"Nobody"}}}`, `client \"Nobody\": no such client in org acme`},
		{"jira", `{"targets":{"APP":{"client":"c-1","project":"Intranet"}}}`, `project \"Intranet\": no such project in org acme`},
		{"jira", `{"phase":{"QA":"brief"}}`, `body: json: unknown field \"phase\"`},
		{"jira", `{"phases":{"QA":3}}`, "body: json: cannot unmarshal number"},
		{"jira", `null`, "body: want one JSON object"},
		{"jira", `[]`, "body: json: cannot unmarshal array"},
		{"jira", `{"phases":{"QA":"brief"}} {}`, "body: a second value after the object"},
		{"jira", `{}`, `patch \"{}\": changes nothing`},
	} {
		if r := send("PUT", bad.tool, admin, bad.body, 400); !strings.Contains(r, bad.says) {
			t.Errorf("PUT %s %s: %s, want it to say %s", bad.tool, bad.body, r, bad.says)
		}
	}
	send("PUT", "jira", reader, `{"phases":{"QA":"brief"}}`, 403)
	if got := send("GET", "jira", admin, "", 200); got != after {
		t.Errorf("a refused PUT changed the mapping:\n%s\n%s", got, after)
	}
	// null removes the org's rules: the defaults are back.
	send("PUT", "jira", admin, `{"phases":{"Blocked":null,"Done":null},"outcomes":{"Approved":null},"targets":{"WEB":null}}`, 200)
	if got := send("GET", "jira", admin, "", 200); got != before {
		t.Errorf("after removing every override:\n%s\nwant the defaults:\n%s", got, before)
	}
}

// TestHookToolsAgree: metrics names the task tools `hook map` maps without
// importing ingest; it must name ingest/hook's.
func TestHookToolsAgree(t *testing.T) {
	if !slices.Equal(metrics.HookTools, hook.Tools) {
		t.Errorf("metrics.HookTools %v, hook.Tools %v", metrics.HookTools, hook.Tools)
	}
}
