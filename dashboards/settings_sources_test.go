package dashboards

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/ingest/collect"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/org"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// settingsRig serves the dashboards with a principal the test chooses
// and CSRF, as app does, to a client with a cookie jar.
type settingsRig struct {
	t      *testing.T
	srv    *httptest.Server
	client *http.Client
	mu     sync.Mutex
	who    auth.Principal
	pages  []string // every body answered, for the secrets check
	token  string   // the last CSRF token seen
}

func newSettingsRig(t *testing.T, orgID string, edit func(*Config)) *settingsRig {
	s := chdbtest.Shared(t)
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	orgs, err := org.NewCache(org.Config{Store: s, Writer: w})
	if err != nil {
		t.Fatal(err)
	}
	name := "Settings " + orgID
	if _, err := orgs.Update(t.Context(), orgID, org.Patch{Name: &name}); err != nil {
		t.Fatal(err)
	}
	facts, err := metrics.NewFacts(metrics.FactsConfig{Store: s, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	r := &settingsRig{t: t}
	cfg := Config{Store: s, Facts: facts, Logger: slog.New(slog.DiscardHandler), Settings: orgs,
		Org: func(echo.Context) (string, bool) { return orgID, true }}
	edit(&cfg)
	e := echo.New()
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		if he, ok := err.(*echo.HTTPError); ok {
			c.String(he.Code, fmt.Sprint(he.Message))
			return
		}
		t.Errorf("%s %s: %v", c.Request().Method, c.Request().URL, err)
		c.String(http.StatusInternalServerError, err.Error())
	}
	asPrincipal := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			r.mu.Lock()
			p := r.who
			r.mu.Unlock()
			auth.WithPrincipal(c, p)
			return next(c)
		}
	}
	if err := Register(e.Group(""), cfg, asPrincipal, auth.CSRF(false)); err != nil {
		t.Fatal(err)
	}
	r.srv = httptest.NewServer(e)
	t.Cleanup(r.srv.Close)
	jar, _ := cookiejar.New(nil)
	r.client = &http.Client{Jar: jar}
	return r
}

func (r *settingsRig) as(p auth.Principal) {
	r.mu.Lock()
	r.who = p
	r.mu.Unlock()
}

func (r *settingsRig) do(req *http.Request) (int, string) {
	r.t.Helper()
	res, err := r.client.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	r.pages = append(r.pages, string(b))
	return res.StatusCode, string(b)
}

func (r *settingsRig) get(path string) (int, string) {
	req, _ := http.NewRequestWithContext(r.t.Context(), http.MethodGet, r.srv.URL+path, nil)
	return r.do(req)
}

var csrfValue = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// post sends form from the page at from, with that page's CSRF token (or
// the last one seen, when the principal may not open it).
func (r *settingsRig) post(from, path string, form url.Values) (int, string) {
	r.t.Helper()
	_, page := r.get(from)
	if m := csrfValue.FindStringSubmatch(page); m != nil {
		r.token = m[1]
	}
	if r.token == "" {
		r.t.Fatalf("no CSRF field on %s: %s", from, page)
	}
	form.Set(auth.CSRFField, r.token)
	req, _ := http.NewRequestWithContext(r.t.Context(), http.MethodPost, r.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r.do(req)
}

// fakeSyncer counts syncs.
type fakeSyncer struct {
	mu     sync.Mutex
	synced []string
}

func (f *fakeSyncer) Sync(_ context.Context, orgID, id string, _ bool) (collect.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.synced = append(f.synced, orgID+"/"+id)
	return collect.Result{Source: id, Read: 7, Added: 5, Updated: 2}, nil
}

func testSealer(t *testing.T) *auth.Sealer {
	key := make([]byte, auth.KeySize)
	rand.Read(key)
	sealer, err := auth.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	return sealer
}

func TestSettingsSources(t *testing.T) {
	const orgID, token = "settings-sources-oidc", "hvpat-FORM-0123456789-secret"
	s := chdbtest.Shared(t)
	sources, err := collect.NewSources(collect.SourcesConfig{Store: s, Sealer: testSealer(t)})
	if err != nil {
		t.Fatal(err)
	}
	syncer := &fakeSyncer{}
	r := newSettingsRig(t, orgID, func(c *Config) { c.Sources, c.SyncSource = sources, syncer })
	ana := auth.User{Org: orgID, ID: "u1", Email: "ana@example.com", Name: "Ana", Role: auth.RoleOps}.Principal()
	viewer := auth.User{Org: orgID, ID: "u2", Email: "vic@example.com", Name: "Vic", Role: auth.RoleViewer}.Principal()

	r.as(viewer)
	if code, body := r.get("/settings/sources"); code != http.StatusForbidden {
		t.Errorf("a viewer opens the sources: %d %s", code, body)
	}
	r.as(ana)
	if code, body := r.get("/settings/sources"); code != http.StatusOK || !strings.Contains(body, "No source is connected yet") {
		t.Fatalf("empty sources: %d %s", code, body)
	}
	good := url.Values{"kind": {"harvest"}, "token": {token}, "account_id": {"123456"}, "since": {"2026-01-01"}, "every": {"30m"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vs := range good {
			f[key] = vs
		}
		f.Set(k, v)
		return f
	}
	for _, tc := range []struct {
		form url.Values
		says string
	}{
		{with("kind", "harvst"), `Kind &#34;harvst&#34;: want one of`},
		{with("base_url", "ftp://files.example.com"), `Base URL &#34;ftp://files.example.com&#34;: want an http(s) URL`},
		{with("every", "soon"), `Every &#34;soon&#34;: want a duration`},
		{with("every", "10s"), `Every &#34;10s&#34;: want a duration of at least 1m0s`},
		{with("since", "1 Jan"), `Since &#34;1 Jan&#34;: want a date`},
		{with("account_id", ""), `Harvest needs an account id (Harvest: Developers`}, // the tool's own check: Harvest needs its account id
	} {
		code, body := r.post("/settings/sources", "/settings/sources", tc.form)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, tc.says) {
			t.Errorf("add %v: %d, want 422 saying %s:\n%s", tc.form, code, tc.says, body)
		}
		if tc.form.Get("account_id") != "" && !strings.Contains(body, `value="123456"`) {
			t.Errorf("add %v: the refused form lost the account id typed", tc.form)
		}
	}
	if list, _ := sources.List(t.Context(), orgID); len(list) != 0 {
		t.Fatalf("refused forms added %d sources", len(list))
	}

	code, body := r.post("/settings/sources", "/settings/sources", good)
	if code != http.StatusOK || !strings.Contains(body, "Added harvest 123456") || !strings.Contains(body, "not synced yet") {
		t.Fatalf("add: %d %s", code, body)
	}
	list, err := sources.List(t.Context(), orgID)
	if err != nil || len(list) != 1 || list[0].Every.String() != "30m0s" || list[0].AccountID != "123456" {
		t.Fatalf("after add: %v %+v", err, list)
	}
	id := list[0].ID

	r.as(viewer)
	if code, _ := r.post("/settings/sources", "/settings/sources/"+id+"/remove", url.Values{"confirm": {"yes"}}); code != http.StatusForbidden {
		t.Errorf("a viewer removes a source: %d", code)
	}
	r.as(ana)
	if code, body := r.post("/settings/sources", "/settings/sources/"+id+"/sync", url.Values{}); code != http.StatusOK || !strings.Contains(body, "Synced harvest 123456: 7 read, 5 added, 2 updated") {
		t.Errorf("sync now: %d %s", code, body)
	}
	if len(syncer.synced) != 1 || syncer.synced[0] != orgID+"/"+id {
		t.Errorf("synced %v", syncer.synced)
	}
	code, body = r.post("/settings/sources", "/settings/sources/"+id+"/remove", url.Values{})
	if code != http.StatusOK || !strings.Contains(body, "Remove harvest 123456?") {
		t.Fatalf("remove asks to confirm: %d %s", code, body)
	}
	if list, _ := sources.List(t.Context(), orgID); len(list) != 1 {
		t.Fatal("removed before the confirmation")
	}
	code, body = r.post("/settings/sources", "/settings/sources/"+id+"/remove", url.Values{"confirm": {"yes"}})
	if code != http.StatusOK || !strings.Contains(body, "Removed harvest 123456") || !strings.Contains(body, "No source is connected yet") {
		t.Fatalf("remove: %d %s", code, body)
	}
	if code, _ := r.post("/settings/sources", "/settings/sources/src_nope/remove", url.Values{"confirm": {"yes"}}); code != http.StatusNotFound {
		t.Errorf("remove an unknown source: %d", code)
	}

	log, err := org.AuditLog(t.Context(), s, orgID, org.AuditSource, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(log) != 2 || log[0].After != "" || log[1].Before != "" || log[0].Who != "ana@example.com" || log[1].Name != "harvest 123456" ||
		!strings.Contains(log[1].After, `"token":"set"`) || !strings.Contains(log[1].After, `"every":"30m0s"`) {
		t.Errorf("audit trail: %+v", log)
	}
	for _, c := range log {
		if strings.Contains(c.Before+c.After, token) {
			t.Errorf("the audit trail holds the token: %+v", c)
		}
	}
	for _, p := range r.pages {
		if strings.Contains(p, token) {
			t.Fatalf("a page shows the token:\n%s", p)
		}
	}
}

func TestSettingsSourcesUnavailable(t *testing.T) {
	r := newSettingsRig(t, "settings-nosources-oidc", func(*Config) {})
	r.as(auth.User{Org: "settings-nosources-oidc", ID: "u1", Email: "ana@example.com", Role: auth.RoleAdmin}.Principal())
	if code, body := r.get("/settings/sources"); code != http.StatusOK || !strings.Contains(body, "Sources are not available on this server") {
		t.Errorf("without sources: %d %s", code, body)
	}
}
