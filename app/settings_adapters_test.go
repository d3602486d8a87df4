package app_test

import (
	"crypto/rand"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/app/apptest"
	"github.com/opsmetrics/opsmetrics/dashboards"
	"github.com/opsmetrics/opsmetrics/ingest/hook"
	"github.com/opsmetrics/opsmetrics/ingest/hook/hooktest"
	"github.com/opsmetrics/opsmetrics/org"
	store "github.com/opsmetrics/opsmetrics/sql"
)

// TestSourcesSettingsForm: the Sources section on the real server, through
// app's adapters of ingest's sources and collector: the form offers
// collect's kinds; harvest's own check (an account id) is a 422 beside
// the account id; a source is added with its token sealed, synced now
// (and a refused token is a 502 that says so), and removed; the add and
// the removal are in the audit trail with the token as "set"; no page
// shows the token.
func TestSourcesSettingsForm(t *testing.T) {
	const orgID = "sources-form"
	svc := apptest.New(t)
	admin, ingestTok := svc.Token(orgID, "admin"), svc.Token(orgID, "ingest")
	key := make([]byte, 32)
	rand.Read(key)
	var st store.Store
	base, stop := svc.Serve(func(o *app.Options) { o.SecretKey, st = key, o.Store })
	defer stop()
	if code, r := apptest.Post(t, base+"/api/v1/clients", ingestTok, "application/x-ndjson",
		strings.NewReader(`{"external_id":"c-1","name":"Nordlicht GmbH"}`+"\n")); code != 200 {
		t.Fatalf("post client: %d %+v", code, r)
	}
	fake := harvestPages(t)
	s := newFormSession(t, base, admin)
	var pages []string
	get := func(query string) string {
		t.Helper()
		code, body := s.get("/settings/sources" + query)
		if code != http.StatusOK {
			t.Fatalf("GET /settings/sources: %d %s", code, body)
		}
		pages = append(pages, body)
		return body
	}
	post := func(path string, form url.Values) (int, string) {
		t.Helper()
		code, _, body := s.post(path, form)
		pages = append(pages, body)
		return code, body
	}
	if body := get(""); !strings.Contains(body, "No source is connected yet") || !strings.Contains(body, `<option value="harvest"`) ||
		!strings.Contains(body, `<option value="toggl"`) {
		t.Fatalf("empty sources:\n%s", body)
	}
	form := func(account, token, every string) url.Values {
		return url.Values{"kind": {"harvest"}, "token": {token}, "account_id": {account}, "base_url": {fake.URL}, "since": {"2017-01-01"}, "every": {every}}
	}
	if code, body := post("/settings/sources", form("", harvestToken, "30m")); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "Harvest needs an account id (Harvest: Developers") || !strings.Contains(body, `id="account-err" class="field-err"`) {
		t.Errorf("no account id: %d\n%s", code, body)
	}
	if code, body := post("/settings/sources", form("123456", harvestToken, "30s")); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "want a duration of at least 1m0s") {
		t.Errorf("every 30s: %d\n%s", code, body)
	}
	if code, _ := post("/settings/sources", form("123456", harvestToken, "30m")); code != http.StatusSeeOther {
		t.Fatalf("add: %d", code)
	}
	if code, _ := post("/settings/sources", form("654321", "hvpat-wrong", "")); code != http.StatusSeeOther {
		t.Fatalf("add with a wrong token: %d", code)
	}
	body := get("?saved=note") // the flash of the last add
	ids := regexp.MustCompile(`action="/settings/sources/(src_[0-9a-f]+)/sync"`).FindAllStringSubmatch(body, -1)
	if len(ids) != 2 || !strings.Contains(body, "Added harvest 654321; it syncs every 15m0s") {
		t.Fatalf("after the adds:\n%s", body)
	}
	good, wrong := ids[0][1], ids[1][1]
	// 15 added: the documented example pages' 11 records and the 4 line
	// items of their 2 invoices (as TestSourcesAPI).
	if code, body := post("/settings/sources/"+good+"/sync", url.Values{}); code != http.StatusOK || !strings.Contains(body, "Synced harvest 123456:") ||
		!strings.Contains(body, " 15 added,") {
		t.Errorf("sync now: %d\n%s", code, body)
	}
	if code, body := post("/settings/sources/"+wrong+"/sync", url.Values{}); code != http.StatusBadGateway ||
		!strings.Contains(body, "The sync of harvest 654321 failed: ") || !strings.Contains(body, "needs a new token") {
		t.Errorf("sync with a refused token: %d\n%s", code, body)
	}
	if code, _ := post("/settings/sources/src_nope/remove", url.Values{"confirm": {"yes"}}); code != http.StatusNotFound {
		t.Errorf("remove an unknown source: %d", code)
	}
	if code, body := post("/settings/sources/"+good+"/remove", url.Values{}); code != http.StatusOK || !strings.Contains(body, "Remove harvest 123456?") {
		t.Errorf("remove asks: %d\n%s", code, body)
	}
	if code, _ := post("/settings/sources/"+good+"/remove", url.Values{"confirm": {"yes"}}); code != http.StatusSeeOther {
		t.Errorf("remove: %d", code)
	}
	if body := get("?saved=note"); !strings.Contains(body, "Removed harvest 123456; what it imported stays.") || strings.Contains(body, good) {
		t.Errorf("after the removal:\n%s", body)
	}
	log, err := org.AuditLog(t.Context(), st, orgID, org.AuditSource, good, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || !strings.HasPrefix(log[0].Who, "token ") || log[0].Who != log[1].Who || log[0].After != "" || log[1].Before != "" ||
		log[1].Name != "harvest 123456" || !strings.Contains(log[1].After, `"token":"set"`) || !strings.Contains(log[1].After, `"every":"30m0s"`) ||
		log[0].Before != log[1].After {
		t.Errorf("audit trail: %+v", log)
	}
	for _, c := range log {
		if strings.Contains(c.Before+c.After, harvestToken) {
			t.Errorf("the audit trail holds the token: %+v", c)
		}
	}
	for _, p := range pages {
		if strings.Contains(p, harvestToken) {
			t.Fatalf("a page shows the token:\n%s", p)
		}
	}
}

// TestHooksSettingsForm: the Hooks section on the real server, through
// app's adapters of ingest's hooks, worker and mappings: the form offers
// hook's tools; a hook added with a secret typed shows its URL and not the
// secret; a signed delivery to it is counted as applied, with the tool's
// default status mapping listed; the removal is in the audit trail with
// the secret as "set".
func TestHooksSettingsForm(t *testing.T) {
	base, admin, orgID, st := served(t)
	const typed = "typed-secret-0123456789"
	s := newFormSession(t, base, admin)
	var pages []string
	get := func(query string) string {
		t.Helper()
		code, body := s.get("/settings/hooks" + query)
		if code != http.StatusOK {
			t.Fatalf("GET /settings/hooks: %d %s", code, body)
		}
		pages = append(pages, body)
		return body
	}
	if body := get(""); !strings.Contains(body, "No hook yet") || !strings.Contains(body, `<option value="github"`) {
		t.Fatalf("no hooks:\n%s", body)
	}
	code, _, body := s.post("/settings/hooks", url.Values{"tool": {"github"}, "secret": {typed}, "client": {"c-1"}})
	pages = append(pages, body)
	m := regexp.MustCompile(`https://ops\.example\.com/hooks/(hk_[A-Za-z0-9_-]+)`).FindStringSubmatch(body)
	if code != http.StatusCreated || m == nil || !strings.Contains(body, "The secret is the one you typed") {
		t.Fatalf("add github: %d\n%s", code, body)
	}
	hc := &hookClient{t: t, base: base, admin: admin, id: m[1], secret: typed, callback: m[0]}
	delivery, err := os.ReadFile(filepath.Join("..", "ingest", "hook", "testdata", "github", "closed.json"))
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"X-Github-Event": {"issues"}, "X-Github-Delivery": {"form-1"}}
	hooktest.Sign(h, "github", typed, hc.callback, delivery)
	if code, reply := postHook(t, base+"/hooks/"+hc.id, delivery, h); code != http.StatusOK {
		t.Fatalf("delivery: %d %s", code, reply)
	}
	hc.wait(1)
	body = get("")
	for _, want := range []string{hc.callback, `<span class="badge applied">1 applied</span>`, "Recent deliveries of the github hook",
		"How github's statuses count", "opsmetrics' default", "client c-1"} {
		if !strings.Contains(body, want) {
			t.Errorf("the list lacks %q:\n%s", want, body)
		}
	}
	if code, _, _ := s.post("/settings/hooks/hk_nope/remove", url.Values{"confirm": {"yes"}}); code != http.StatusNotFound {
		t.Errorf("remove an unknown hook: %d", code)
	}
	if code, _, _ := s.post("/settings/hooks/"+hc.id+"/remove", url.Values{"confirm": {"yes"}}); code != http.StatusSeeOther {
		t.Errorf("remove: %d", code)
	}
	if body := get("?saved=note"); !strings.Contains(body, "Removed the github hook") || !strings.Contains(body, "No hook yet") {
		t.Errorf("after the removal:\n%s", body)
	}
	log, err := org.AuditLog(t.Context(), st, orgID, org.AuditHook, hc.id, 0)
	if err != nil {
		t.Fatal(err)
	}
	const shown = `{"tool":"github","client":"c-1","secret":"set"}`
	if len(log) != 2 || !strings.HasPrefix(log[0].Who, "token ") || log[0].Name != "github hook" || log[0].Before != shown || log[1].After != shown {
		t.Errorf("audit trail: %+v", log)
	}
	for _, p := range pages {
		if strings.Contains(p, typed) {
			t.Fatalf("a page shows the typed secret:\n%s", p)
		}
	}
}

// TestHookStatusesAgree: dashboards counts deliveries by the statuses it
// names without importing ingest; they must be ingest/hook's.
func TestHookStatusesAgree(t *testing.T) {
	want := []string{hook.StatusApplied, hook.StatusIgnored, hook.StatusFailed, hook.StatusPending}
	if !slices.Equal(dashboards.DeliveryStatuses, want) {
		t.Errorf("dashboards.DeliveryStatuses %v, ingest/hook's %v", dashboards.DeliveryStatuses, want)
	}
}
