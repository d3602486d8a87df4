package app_test

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/app/apptest"
	"github.com/opsmetrics/opsmetrics/ingest/hook/hooktest"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
	"github.com/opsmetrics/opsmetrics/sql/chdb"
)

// issueClosed is shaped like GitHub's documented `issues` event (docs.github.com
// webhooks-and-events "issues", action closed), cut to the fields read.
const issueClosed = `{"action":"closed","issue":{"number":1347,"state":"closed","milestone":{"due_on":"2026-05-01T07:00:00Z"}},` +
	`"repository":{"full_name":"octocat/Hello-World"}}`

// postHook sends body to a hook's URL with header pairs.
func postHook(t *testing.T, url string, body []byte, header http.Header) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(string(body)))
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	for _, k := range []string{"X-Hook-Secret"} {
		if v := resp.Header.Get(k); v != "" {
			b.WriteString("\n" + k + ": " + v)
		}
	}
	return resp.StatusCode, b.String()
}

type deliveryList struct {
	Deliveries []struct {
		ID, Event, Status, Reason string
		Records                   int
		Wrote                     []string
	}
}

// TestHooks: through the real server, a hook is made by the API; a signed
// GitHub delivery is answered 200 and becomes applied with its task
// event; the same delivery again is ignored as a duplicate and writes no
// second row; a wrong or missing signature is 401 and leaves nothing; an
// unknown hook is 404, a body over 1 MiB 413; Trello's HEAD check is 200;
// Asana's handshake is echoed and its secret then verifies deliveries.
func TestHooks(t *testing.T) {
	svc := apptest.New(t)
	b := make([]byte, 4)
	rand.Read(b)
	orgID := "hooks-" + hex.EncodeToString(b)
	admin, ingestTok := svc.Token(orgID, "admin"), svc.Token(orgID, "ingest")
	key := make([]byte, 32)
	rand.Read(key)
	mapper := &hooktest.IssuesMapper{}
	spoolDir := filepath.Join(t.TempDir(), "spool")
	base, stop := svc.Serve(func(o *app.Options) {
		o.SecretKey, o.SpoolDir, o.HookMappers, o.PublicURL = key, spoolDir, mapper.Mappers, "https://ops.example.com"
	})
	defer stop()
	if code, r := apptest.Post(t, base+"/api/v1/clients", ingestTok, "application/x-ndjson",
		strings.NewReader(`{"external_id":"c-1","name":"Nordlicht GmbH"}`+"\n")); code != 200 {
		t.Fatalf("post client: %d %+v", code, r)
	}
	add := func(tool string) (id, secret, url string) {
		t.Helper()
		hc := addHook(t, base, admin, tool)
		return hc.id, hc.secret, hc.callback
	}
	if code, reply := call(t, "POST", base+"/api/v1/hooks", admin, `{"tool":"gitlab"}`); code != 400 || !strings.Contains(reply, `unknown tool \"gitlab\"`) {
		t.Errorf("unknown tool: %d %s", code, reply)
	}
	id, secret, url := add("github")
	if url != "https://ops.example.com/hooks/"+id || secret == "" {
		t.Fatalf("url %q, secret %q", url, secret)
	}
	if code, reply := call(t, "GET", base+"/api/v1/hooks", admin, ""); code != 200 || strings.Contains(reply, secret) || !strings.Contains(reply, id) {
		t.Errorf("list: %d %s", code, reply)
	}
	hookURL := base + "/hooks/" + id
	signed := func(delivery string, body []byte) http.Header {
		h := http.Header{"X-Github-Event": {"issues"}, "X-Github-Delivery": {delivery}}
		hooktest.Sign(h, "github", secret, "", body)
		return h
	}
	deliveries := func() deliveryList {
		t.Helper()
		code, reply := call(t, "GET", base+"/api/v1/hooks/"+id+"/deliveries", admin, "")
		if code != 200 {
			t.Fatalf("deliveries: %d %s", code, reply)
		}
		var l deliveryList
		json.Unmarshal([]byte(reply), &l)
		return l
	}
	body := []byte(issueClosed)

	// Wrong and missing signatures: 401, nothing kept.
	bad := signed("d-bad", body)
	hooktest.Sign(bad, "github", "not-the-secret", "", body)
	if code, reply := postHook(t, hookURL, body, bad); code != 401 {
		t.Errorf("wrong signature: %d %s", code, reply)
	}
	if code, reply := postHook(t, hookURL, body, http.Header{"X-Github-Event": {"issues"}}); code != 401 {
		t.Errorf("no signature: %d %s", code, reply)
	}
	if code, _ := postHook(t, base+"/hooks/hk_nope", body, signed("d-x", body)); code != 404 {
		t.Errorf("unknown hook: %d", code)
	}
	big := make([]byte, 1<<20+1)
	if code, _ := postHook(t, hookURL, big, signed("d-big", big)); code != 413 {
		t.Errorf("1 MiB + 1: %d, want 413", code)
	}
	if l := deliveries(); len(l.Deliveries) != 0 {
		t.Errorf("after refused deliveries: %+v, want none", l)
	}

	// A signed delivery, then the same again.
	if code, reply := postHook(t, hookURL, body, signed("d-1", body)); code != 200 {
		t.Fatalf("signed: %d %s", code, reply)
	}
	eventually(t, "d-1 applied", func() bool {
		l := deliveries()
		if len(l.Deliveries) == 1 && l.Deliveries[0].Status == "failed" {
			t.Fatalf("d-1 failed: %+v", l.Deliveries[0])
		}
		return len(l.Deliveries) == 1 && l.Deliveries[0].Status == "applied"
	})
	if code, _ := postHook(t, hookURL, body, signed("d-1", body)); code != 200 {
		t.Fatalf("again: %d", code)
	}
	eventually(t, "the second d-1 ignored", func() bool {
		l := deliveries()
		return len(l.Deliveries) == 2 && l.Deliveries[0].Status == "ignored" && strings.HasPrefix(l.Deliveries[0].Reason, "duplicate of ")
	})
	if l := deliveries(); l.Deliveries[1].Records != 1 || l.Deliveries[1].Event != "issues.closed" {
		t.Errorf("applied: %+v", l.Deliveries[1])
	}

	// Trello's HEAD check, Asana's handshake.
	trello, _, _ := add("trello")
	if code, _, _ := apptest.Send(t, http.MethodHead, base+"/hooks/"+trello, "", ""); code != 200 {
		t.Errorf("trello HEAD: %d", code)
	}
	asana, none, _ := add("asana")
	if none != "" {
		t.Errorf("asana secret made: %q", none)
	}
	if code, _ := postHook(t, base+"/hooks/"+asana, []byte(`{"events":[]}`), http.Header{}); code != 401 {
		t.Errorf("asana before its handshake: %d, want 401", code)
	}
	code, reply := postHook(t, base+"/hooks/"+asana, nil, http.Header{"X-Hook-Secret": {"asana-handshake-secret"}})
	if code != 200 || !strings.Contains(reply, "X-Hook-Secret: asana-handshake-secret") {
		t.Errorf("handshake: %d %q", code, reply)
	}
	ev := []byte(`{"events":[]}`)
	h := http.Header{}
	hooktest.Sign(h, "asana", "asana-handshake-secret", "", ev)
	if code, reply := postHook(t, base+"/hooks/"+asana, ev, h); code != 200 {
		t.Errorf("asana delivery: %d %s", code, reply)
	}
	if code, _ := postHook(t, base+"/hooks/"+asana, nil, http.Header{"X-Hook-Secret": {"another"}}); code != 401 {
		t.Errorf("a second handshake: %d, want 401", code)
	}
	if code, _ := call(t, "DELETE", base+"/api/v1/hooks/"+trello, admin, ""); code != 204 {
		t.Errorf("remove: %d", code)
	}
	if code, _, _ := apptest.Send(t, http.MethodHead, base+"/hooks/"+trello, "", ""); code != 404 {
		t.Errorf("removed hook HEAD: %d, want 404", code)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if n := taskEvents(t, svc, orgID); n != 1 {
		t.Errorf("task events stored: %d, want 1 (d-1 once)", n)
	}
	// The removal is in the audit trail, by the admin token, after the add.
	s, err := chdb.Open(chdb.Config{LibPath: svc.LibPath, DataDir: svc.DataDir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	log, err := org.AuditLog(t.Context(), s, orgID, org.AuditHook, trello, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || !strings.HasPrefix(log[0].Who, "token ") || log[0].Name != "trello hook" || log[0].After != "" || log[1].Before != "" ||
		!strings.Contains(log[0].Before, `"tool":"trello"`) {
		t.Errorf("audit trail of %s: %+v", trello, log)
	}
}

// taskEvents counts org's task events in a stopped service's store.
func taskEvents(t *testing.T, svc *apptest.Service, orgID string) int {
	t.Helper()
	s, err := chdb.Open(chdb.Config{LibPath: svc.LibPath, DataDir: svc.DataDir, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rows, err := s.Query(t.Context(), "SELECT count() FROM ops.task_events FINAL WHERE org_id = {org:String} AND deleted = 0", store.Params{"org": orgID})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := rows.Scan(0, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 20 s: %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
