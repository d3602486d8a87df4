package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/app/apptest"
	"github.com/opsmetrics/opsmetrics/ingest/hook/hooktest"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
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
	if code, _, errb := cli("hook", "add", "--org", "nobody", "--tool", "jira"); code != 2 || !strings.Contains(errb, `org "nobody" not found`) {
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
	checkAudit(t, env, "acme", secret, []string{
		`cli hook ` + id + ` jira hook before={"tool":"jira","secret":"set"} after=`,
		`cli hook ` + id + ` jira hook before= after={"tool":"jira","secret":"set"}`,
	})
}

// checkAudit opens the CLI's store and compares org's audit trail, newest
// first, as "who kind subject name before=... after=...", and checks that
// secret is nowhere in it.
func checkAudit(t *testing.T, env map[string]string, orgID, secret string, want []string) {
	t.Helper()
	s, err := chdb.Open(chdb.Config{LibPath: env["CHDB_LIB_PATH"], DataDir: env["OPSMETRICS_DATA_DIR"], Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log, err := org.AuditLog(t.Context(), s, orgID, "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range log {
		line := c.Who + " " + c.Kind + " " + c.Subject + " " + c.Name + " before=" + c.Before + " after=" + c.After
		if secret != "" && strings.Contains(line, secret) {
			t.Errorf("the audit trail holds the secret: %s", line)
		}
		if c.Kind == "source" || c.Kind == "hook" {
			got = append(got, line)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit trail:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
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
	// GitHub's documented issues event, closed (octokit/webhooks
	// payload-examples; ingest/hook/testdata/github).
	body, err := os.ReadFile(filepath.Join("..", "..", "ingest", "hook", "testdata", "github", "closed.json"))
	if err != nil {
		t.Fatal(err)
	}
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
	// Issue #2 closed: open → closed is delivered and a status change,
	// plus the deliverable: 3 records, written once.
	if d := l[0]; d.Status != "applied" || d.Records != 3 {
		t.Errorf("recorded %+v, want applied with 3 records", d)
	}
	const id = "github:kill-9-delivery"
	if got := storedTaskEvents(t, env, "acme"); strings.Join(got, " ") != id+":delivered "+id+":status" {
		t.Errorf("task events %v, want %s's delivered and status once", got, id)
	}
}

// storedTaskEvents opens a stopped serve's store and lists org's live task
// events' external ids, one per key (FINAL).
func storedTaskEvents(t *testing.T, env map[string]string, org string) []string {
	t.Helper()
	s, err := chdb.Open(chdb.Config{LibPath: env["CHDB_LIB_PATH"], DataDir: env["OPSMETRICS_DATA_DIR"], Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.Query(t.Context(), "SELECT external_id FROM ops.task_events FINAL WHERE org_id = {org:String} AND deleted = 0 ORDER BY external_id",
		store.Params{"org": org})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, rows.Len())
	for i := range out {
		if err := rows.Scan(i, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestHookToken: a ClickUp hook added with --token-file and --base-url
// fetches each task it hears of from the tool's API with that token, so
// its deliveries write the task's deliverable too; once the tool refuses
// the token (401), the delivery fails saying so, hook list shows the hook
// needs a token without showing the token. hook reconcile runs in the
// foreground and names what it refuses (exit 2).
//
// ClickUp's API: GET /api/v2/task/{id} with "Authorization: {token}"
// (developer.clickup.com/reference/gettask), answered with
// ingest/hook/testdata/clickup/task_1vj38vv.api.json.
func TestHookToken(t *testing.T) {
	env := testEnv(t)
	cli := cliWith(t, env)
	if code, _, errb := cli("org", "set", "--org", "acme", "--time-zone", "Europe/Berlin"); code != 0 {
		t.Fatalf("org set: %d %s", code, errb)
	}
	task, err := os.ReadFile(filepath.Join("..", "..", "ingest", "hook", "testdata", "clickup", "task_1vj38vv.api.json"))
	if err != nil {
		t.Fatal(err)
	}
	const token = "pk_4753994_TOKENSECRET"
	var refuse atomic.Bool
	var fetched atomic.Int32
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if got := r.Header.Get("Authorization"); got != token {
			t.Errorf("Authorization %q", got)
		}
		if refuse.Load() {
			http.Error(w, `{"err":"Token invalid","ECODE":"OAUTH_025"}`, http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/api/v2/task/1vj38vv" {
			http.NotFound(w, r)
			return
		}
		fetched.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write(task)
	}))
	defer fake.Close()
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "token")
	os.WriteFile(tokenFile, []byte(token+"\n"), 0o600)
	code, out, errb := cli("hook", "add", "--org", "acme", "--tool", "clickup", "--token-file", tokenFile, "--base-url", fake.URL+"/api/v2",
		"--format", "json")
	if code != 0 {
		t.Fatalf("add: %d %s", code, errb)
	}
	var h struct{ ID, Secret string }
	if err := json.Unmarshal([]byte(out), &h); err != nil || h.Secret == "" {
		t.Fatalf("add: %v %s", err, out)
	}
	admin := createToken(t, env, "acme", "admin")
	post := func(base, file string) {
		t.Helper()
		body, err := os.ReadFile(filepath.Join("..", "..", "ingest", "hook", "testdata", "clickup", file))
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest(http.MethodPost, base+"/hooks/"+h.ID, strings.NewReader(string(body)))
		hooktest.Sign(req.Header, "clickup", h.Secret, "", body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", file, resp.StatusCode)
		}
	}
	waitRecorded := func(base string, n int) []listedDelivery {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			code, _, reply := apptest.Send(t, http.MethodGet, base+"/api/v1/hooks/"+h.ID+"/deliveries", admin, "")
			var l struct{ Deliveries []listedDelivery }
			json.Unmarshal([]byte(reply), &l)
			if code == 200 && len(l.Deliveries) == n && !strings.Contains(reply, `"pending"`) {
				return l.Deliveries
			}
			if time.Now().After(deadline) {
				t.Fatalf("not %d deliveries recorded within 30 s: %d %s", n, code, reply)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	serve, base := startServe(t, env)
	post(base, "taskStatusUpdated.json")
	// to do → in progress: one status event, and the fetched task's deliverable.
	if l := waitRecorded(base, 1); l[0].Status != "applied" || l[0].Records != 2 || fetched.Load() != 1 {
		t.Errorf("with the token: %+v, %d fetches; want applied with 2 records, 1 fetch", l, fetched.Load())
	}
	refuse.Store(true)
	post(base, "taskDueDateUpdated.json")
	l := waitRecorded(base, 2)
	if l[0].Status != "failed" || !strings.Contains(l[0].Reason, "token") || strings.Contains(l[0].Reason, "TOKENSECRET") {
		t.Errorf("refused: %+v; want failed, saying the token was refused, without it", l[0])
	}
	serve.Process.Signal(syscall.SIGTERM)
	serve.Wait()

	code, out, errb = cli("hook", "list", "--org", "acme", "--format", "csv")
	if code != 0 || !strings.Contains(out, "needs-token") || strings.Contains(out, "TOKENSECRET") {
		t.Errorf("list after a 401: %d %s %s", code, out, errb)
	}
	// Made a moment ago: what changed since is left to the webhooks for the
	// settle time (10 min), so the run reads nothing and asks nothing.
	if code, out, errb := cli("hook", "reconcile", h.ID, "--org", "acme"); code != 0 || !strings.Contains(errb, "reconciling hook "+h.ID) ||
		!strings.Contains(out, h.ID+": 0 records read") {
		t.Errorf("reconcile a new hook: %d %s %s", code, out, errb)
	}
	if code, _, errb := cli("hook", "reconcile", "hk_nope", "--org", "acme"); code != 2 || !strings.Contains(errb, `"hk_nope"`) {
		t.Errorf("reconcile an unknown hook: %d %s", code, errb)
	}
	code, out, _ = cli("hook", "add", "--org", "acme", "--tool", "github")
	if code != 0 {
		t.Fatalf("add github: %d", code)
	}
	gh := strings.TrimSpace(out)
	if code, _, errb := cli("hook", "reconcile", gh, "--org", "acme"); code != 2 || !strings.Contains(errb, "github has no reconciler") {
		t.Errorf("reconcile a GitHub hook: %d %s", code, errb)
	}
}
