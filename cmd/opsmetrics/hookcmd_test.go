package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/app/apptest"
	"github.com/opsmetrics/opsmetrics/ingest/hook/hooktest"
)

type listedDelivery struct {
	ID, Status, Reason string
	Records            int
}

// TestHookCLI: hook add names what it refuses and exits 2; a hook is
// listed without its secret; an unknown hook is exit 2 naming it; an
// empty deliveries list says what to do.
func TestHookCLI(t *testing.T) {
	env := testEnv(t)
	cli := cliWith(t, env)
	if code, _, errb := cli("org", "set", "--org", "acme", "--time-zone", "UTC"); code != 0 {
		t.Fatalf("org set: %d %s", code, errb)
	}
	if code, _, errb := cli("hook", "add", "--org", "acme", "--tool", "gitlab"); code != 2 || !strings.Contains(errb, `unknown tool "gitlab"`) {
		t.Errorf("unknown tool: %d %s", code, errb)
	}
	if code, _, errb := cli("hook", "add", "--org", "nobody", "--tool", "jira"); code != 2 || !strings.Contains(errb, `no org "nobody"`) {
		t.Errorf("unknown org: %d %s", code, errb)
	}
	code, out, errb := cli("hook", "add", "--org", "acme", "--tool", "jira", "--public-url", "https://ops.example.com")
	if code != 0 {
		t.Fatalf("add: %d %s", code, errb)
	}
	id := strings.TrimSpace(out)
	secret := ""
	for _, line := range strings.Split(errb, "\n") {
		if _, s, ok := strings.Cut(line, "secret (shown this once; paste it into jira): "); ok {
			secret = s
		}
	}
	if secret == "" || !strings.Contains(errb, "https://ops.example.com/hooks/"+id) {
		t.Errorf("add said:\n%s", errb)
	}
	if code, out, _ := cli("hook", "list", "--org", "acme", "--format", "csv"); code != 0 || !strings.Contains(out, id) || strings.Contains(out, secret) {
		t.Errorf("list: %d %s", code, out)
	}
	if code, _, errb := cli("hook", "deliveries", "hk_nope", "--org", "acme"); code != 2 || !strings.Contains(errb, `"hk_nope"`) {
		t.Errorf("unknown hook: %d %s", code, errb)
	}
	if code, _, errb := cli("hook", "deliveries", id, "--org", "acme"); code != 0 || !strings.Contains(errb, "no deliveries yet") {
		t.Errorf("empty: %d %s", code, errb)
	}
	if code, out, errb := cli("hook", "remove", id, "--org", "acme"); code != 0 || !strings.Contains(out, "removed "+id) {
		t.Errorf("remove: %d %s %s", code, out, errb)
	}
}

// TestHookDeliverySurvivesKill9: serve is killed (SIGKILL) straight after
// answering a delivery 200, before its worker applies it: the delivery is
// pending in the spool, and once serve runs again it is applied, and
// recorded, exactly once.
func TestHookDeliverySurvivesKill9(t *testing.T) {
	env := testEnv(t)
	cli := cliWith(t, env)
	if code, _, errb := cli("org", "set", "--org", "acme", "--time-zone", "UTC"); code != 0 {
		t.Fatalf("org set: %d %s", code, errb)
	}
	code, out, errb := cli("hook", "add", "--org", "acme", "--tool", "github", "--format", "json")
	if code != 0 {
		t.Fatalf("add: %d %s", code, errb)
	}
	var h struct{ ID, Secret string }
	if err := json.Unmarshal([]byte(out), &h); err != nil || h.Secret == "" {
		t.Fatalf("add: %v %s", err, out)
	}
	admin := createToken(t, env, "acme", "admin")
	deliveries := func() []listedDelivery {
		t.Helper()
		code, out, errb := cli("hook", "deliveries", h.ID, "--org", "acme", "--format", "json")
		if code != 0 {
			t.Fatalf("deliveries: %d %s", code, errb)
		}
		var l []listedDelivery
		json.Unmarshal([]byte(out), &l)
		return l
	}

	serve, base := startServe(t, env)
	body := []byte(`{"action":"closed","issue":{"number":1347,"state":"closed"},"repository":{"full_name":"octocat/Hello-World"}}`)
	req, _ := http.NewRequest(http.MethodPost, base+"/hooks/"+h.ID, strings.NewReader(string(body)))
	req.Header.Set("X-GitHub-Event", "issues")
	req.Header.Set("X-GitHub-Delivery", "kill-9-delivery")
	hooktest.Sign(req.Header, "github", h.Secret, "", body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	serve.Process.Kill() // SIGKILL straight after the answer; the worker waits 200 ms for a batch to gather
	serve.Wait()
	if resp.StatusCode != 200 {
		t.Fatalf("delivery: %d", resp.StatusCode)
	}
	if l := deliveries(); len(l) != 1 || l[0].ID != "kill-9-delivery" || l[0].Status != "pending" {
		t.Fatalf("after kill -9: %+v, want the delivery pending in the spool", l)
	}

	serve, base = startServe(t, env)
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, _, reply := apptest.Send(t, http.MethodGet, base+"/api/v1/hooks/"+h.ID+"/deliveries", admin, "")
		if code == 200 && !strings.Contains(reply, `"pending"`) && strings.Contains(reply, "kill-9-delivery") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not applied within 30 s of the restart: %d %s", code, reply)
		}
		time.Sleep(100 * time.Millisecond)
	}
	serve.Process.Signal(syscall.SIGTERM)
	serve.Wait()
	l := deliveries()
	if len(l) != 1 || l[0].ID != "kill-9-delivery" {
		t.Fatalf("after the restart: %+v, want the one delivery recorded once", l)
	}
	// serve has no GitHub mapper of its own until the tools' mappers are
	// wired (ingest/hook/github.go): then the delivery is applied; until
	// then it is recorded as failed, naming the missing mapper. Either
	// way it is recorded once.
	switch d := l[0]; {
	case d.Status == "applied" && d.Records >= 1:
	case d.Status == "failed" && d.Reason == `no mapper for tool "github"`:
	default:
		t.Errorf("recorded %+v, want applied, or failed for want of a mapper", d)
	}
}
