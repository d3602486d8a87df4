package dashboards

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest"
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

func (f *fakeSyncer) Sync(_ context.Context, orgID, id string, _ bool) (SyncResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.synced = append(f.synced, orgID+"/"+id)
	return SyncResult{Read: 7, Added: 5, Updated: 2}, nil
}

// fakeSources keeps sources in memory, with harvest's own check (an
// account id) as app's adapter of ingest's sources refuses it, and
// records what it is told to audit. The real store's Add, Remove and audit
// trail are tested through the app (app/settings_adapters_test.go).
type fakeSources struct {
	mu      sync.Mutex
	n       int
	list    []SourceView
	tokens  map[string]string // id -> the token it was added with
	audited []string          // who, then before -> after by name
}

var _ SourceAdmin = (*fakeSources)(nil)

func (f *fakeSources) Kinds() []string { return []string{"clockify", "harvest", "toggl"} }

func (f *fakeSources) MinEvery() time.Duration { return time.Minute }

func (f *fakeSources) List(_ context.Context, orgID string) ([]SourceView, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []SourceView
	for _, s := range f.list {
		if s.Org == orgID {
			out = append(out, s)
		}
	}
	return out, nil
}

func (f *fakeSources) Get(ctx context.Context, orgID, id string) (SourceView, error) {
	list, _ := f.List(ctx, orgID)
	for _, s := range list {
		if s.ID == id {
			return s, nil
		}
	}
	return SourceView{}, fmt.Errorf("%w: no such source %q", ErrNotFound, id)
}

func (f *fakeSources) Add(_ context.Context, in SourceInput) (SourceView, error) {
	if in.Kind == "harvest" && in.AccountID == "" {
		return SourceView{}, &FieldError{Field: "account_id", Reason: "harvest needs --account-id (Harvest: Developers > Personal access tokens lists the account id beside the token)"}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	v := SourceView{Org: in.Org, ID: fmt.Sprintf("src_%d", f.n), Kind: in.Kind, AccountID: in.AccountID, Workspace: in.Workspace,
		Account: cmp.Or(in.AccountID, in.Workspace), BaseURL: in.BaseURL, Since: in.Since, Every: cmp.Or(in.Every, 15*time.Minute)}
	v.Name = strings.TrimSpace(v.Kind + " " + v.Account)
	if f.tokens == nil {
		f.tokens = map[string]string{}
	}
	f.tokens[v.ID] = in.Token
	f.list = append(f.list, v)
	return v, nil
}

func (f *fakeSources) Remove(_ context.Context, orgID, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.list)
	f.list = slices.DeleteFunc(f.list, func(s SourceView) bool { return s.Org == orgID && s.ID == id })
	if len(f.list) == n {
		return fmt.Errorf("%w: no such source %q", ErrNotFound, id)
	}
	return nil
}

func (f *fakeSources) Audit(_ context.Context, who string, before, after *SourceView) error {
	name := func(v *SourceView) string {
		if v == nil {
			return ""
		}
		return v.ID + " " + v.Name + " every " + v.Every.String()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.audited = append(f.audited, who+": "+name(before)+" -> "+name(after))
	return nil
}

func TestSettingsSources(t *testing.T) {
	const orgID, token = "settings-sources-oidc", "hvpat-FORM-0123456789-secret"
	sources := &fakeSources{}
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
		form  url.Values
		errID string // the span beside the field that names the refusal
		says  string
	}{
		{with("kind", "harvst"), "kind-err", `Kind &#34;harvst&#34;: want one of clockify, harvest, toggl.`},
		{with("token", ""), "token-err", `Token: empty; paste the tool&#39;s API token.`},
		{with("base_url", "ftp://files.example.com"), "base-err", `Base URL &#34;ftp://files.example.com&#34;: want an http(s) URL`},
		{with("every", "soon"), "every-err", `Every &#34;soon&#34;: want a duration`},
		{with("every", "10s"), "every-err", `Every &#34;10s&#34;: want a duration of at least 1m0s`},
		{with("since", "1 Jan"), "since-err", `Since &#34;1 Jan&#34;: want a date`},
		{with("account_id", ""), "account-err", `Harvest needs an account id (Harvest: Developers`}, // the tool's own check, from the SourceAdmin
	} {
		code, body := r.post("/settings/sources", "/settings/sources", tc.form)
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, tc.says) {
			t.Errorf("add %v: %d, want 422 saying %s:\n%s", tc.form, code, tc.says, body)
		}
		if !strings.Contains(body, `id="`+tc.errID+`" class="field-err"`) {
			t.Errorf("add %v: no %s beside the field refused:\n%s", tc.form, tc.errID, body)
		}
		if tc.form.Get("account_id") != "" && !strings.Contains(body, `value="123456"`) {
			t.Errorf("add %v: the refused form lost the account id typed", tc.form)
		}
	}
	if list, _ := sources.List(t.Context(), orgID); len(list) != 0 {
		t.Fatalf("refused forms added %d sources", len(list))
	}

	code, body := r.post("/settings/sources", "/settings/sources", good)
	if code != http.StatusOK || !strings.Contains(body, "Added harvest 123456; it syncs every 30m0s") || !strings.Contains(body, "not synced yet") {
		t.Fatalf("add: %d %s", code, body)
	}
	list, err := sources.List(t.Context(), orgID)
	if err != nil || len(list) != 1 || list[0].Every != 30*time.Minute || list[0].AccountID != "123456" ||
		!list[0].Since.Equal(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) || sources.tokens[list[0].ID] != token {
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
	if code, _ := r.post("/settings/sources", "/settings/sources/src_nope/sync", url.Values{}); code != http.StatusNotFound {
		t.Errorf("sync an unknown source: %d", code)
	}

	want := []string{
		"ana@example.com:  -> " + id + " harvest 123456 every 30m0s",
		"ana@example.com: " + id + " harvest 123456 every 30m0s -> ",
	}
	if !slices.Equal(sources.audited, want) {
		t.Errorf("audited:\n%s\nwant:\n%s", strings.Join(sources.audited, "\n"), strings.Join(want, "\n"))
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
