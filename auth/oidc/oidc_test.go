package oidc_test

import (
	"context"
	"html"
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
	"time"

	"github.com/labstack/echo/v4"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/auth/oidc"
	"github.com/opsmetrics/opsmetrics/auth/oidc/oidctest"
)

// fakeUsers are the users by email.
type fakeUsers map[string][]auth.User

func (u fakeUsers) ByEmail(_ context.Context, email string) ([]auth.User, error) {
	return u[email], nil
}

// fakeSessions starts a session by setting a cookie naming the user, and
// records every start.
type fakeSessions struct {
	mu      sync.Mutex
	started []auth.User
}

func (s *fakeSessions) Start(c echo.Context, u auth.User) error {
	s.mu.Lock()
	s.started = append(s.started, u)
	s.mu.Unlock()
	c.SetCookie(&http.Cookie{Name: "test_session", Value: u.Org + "." + u.ID, Path: "/"})
	return nil
}

func (s *fakeSessions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.started)
}

// app is opsmetrics' side: the flow's routes under CSRF, and a page that
// says who is signed in.
type app struct {
	srv      *httptest.Server
	sessions *fakeSessions
	client   *http.Client

	refreshedAt string
}

func newApp(t *testing.T, p *oidctest.Provider, users fakeUsers, mutate func(*oidc.Config)) *app {
	a := &app{sessions: &fakeSessions{}}
	e := echo.New()
	a.srv = httptest.NewServer(e)
	t.Cleanup(a.srv.Close)
	cfg := oidc.Config{Issuer: p.URL, ClientID: oidctest.ClientID, ClientSecret: oidctest.ClientSecret,
		RedirectURL: a.srv.URL + oidc.CallbackPath, Users: users, Sessions: a.sessions,
		OrgName: func(_ context.Context, id string) string { return strings.ToUpper(id) },
		Logger:  slog.New(slog.NewTextHandler(io.Discard, nil))}
	if mutate != nil {
		mutate(&cfg)
	}
	h, err := oidc.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.Register(e.Group(""), auth.CSRF(false))
	e.GET("/margin", func(c echo.Context) error {
		ck, err := c.Cookie("test_session")
		if err != nil {
			return c.String(http.StatusUnauthorized, "not signed in")
		}
		return c.String(http.StatusOK, "signed in as "+ck.Value)
	})
	jar, _ := cookiejar.New(nil)
	a.client = &http.Client{Jar: jar, Timeout: 10 * time.Second}
	return a
}

// refresh is the signed-in page's move on, which a browser follows.
var refresh = regexp.MustCompile(`<meta http-equiv="refresh" content="0;url=([^"]+)">`)

// get follows redirects and, as a browser does, a refresh; refreshedAt is
// the page that refreshed ("" when none did).
func (a *app) get(t *testing.T, path string) (int, string, *url.URL) {
	t.Helper()
	a.refreshedAt = ""
	res, err := a.client.Get(a.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if m := refresh.FindStringSubmatch(string(b)); m != nil {
		a.refreshedAt = res.Request.URL.Path
		if res, err = a.client.Get(a.srv.URL + html.UnescapeString(m[1])); err != nil {
			t.Fatal(err)
		}
		b, _ = io.ReadAll(res.Body)
		res.Body.Close()
	}
	return res.StatusCode, string(b), res.Request.URL
}

var google = map[string]any{"email": "ana@example.com", "email_verified": true, "name": "Ana", "hd": "example.com"}

var ana = auth.User{Org: "acme", ID: "u1", Email: "ana@example.com", Name: "Ana", Role: auth.RolePartner}

func TestSignInLandsSignedIn(t *testing.T) {
	p := oidctest.New(t)
	p.Set(google, nil)
	a := newApp(t, p, fakeUsers{"ana@example.com": {ana}}, func(c *oidc.Config) { c.Domains = []string{"example.com"} })
	status, body, at := a.get(t, oidc.LoginPath+"?next="+url.QueryEscape("/margin?range=2026-11"))
	if status != http.StatusOK || body != "signed in as acme.u1" || at.Path != "/margin" || at.Query().Get("range") != "2026-11" {
		t.Fatalf("got %d %q at %s, want signed in at /margin?range=2026-11", status, body, at)
	}
	if a.refreshedAt != oidc.CallbackPath {
		t.Errorf("the callback redirected to next (a SameSite=Strict session cookie would not come with it); want a page that moves on (refreshed at %q)", a.refreshedAt)
	}
	q := p.LastAuthorize()
	if q.Get("scope") != "openid email profile" || q.Get("nonce") == "" || q.Get("code_challenge") == "" || q.Get("hd") != "" {
		t.Errorf("authorize request %v: want scopes openid email profile, a nonce and a PKCE challenge (no hd for a non-Google issuer)", q)
	}
	if a.sessions.count() != 1 {
		t.Errorf("%d sessions started, want 1", a.sessions.count())
	}
	// The flow cookie is gone: the same callback again is refused.
	code := "code-" + q.Get("state")[:8]
	status, body, _ = a.get(t, oidc.CallbackPath+"?code="+code+"&state="+url.QueryEscape(q.Get("state")))
	if status != http.StatusBadRequest || !strings.Contains(body, "Start again") {
		t.Errorf("replayed callback: %d %q, want 400", status, body)
	}
}

func TestSignInNextOffSite(t *testing.T) {
	p := oidctest.New(t)
	p.Set(google, nil)
	a := newApp(t, p, fakeUsers{"ana@example.com": {ana}}, nil)
	_, _, at := a.get(t, oidc.LoginPath+"?next="+url.QueryEscape("//evil.example/x"))
	if at.Host != strings.TrimPrefix(a.srv.URL, "http://") || at.Path != "/" {
		t.Errorf("landed at %s, want / on this site", at)
	}
}

func TestSignInRefused(t *testing.T) {
	cases := []struct {
		name   string
		claims map[string]any
		tweak  func(map[string]any)
		state  string
		users  fakeUsers
		want   int
		says   string
	}{
		{name: "wrong state", claims: google, state: "forged-state-0123456789", want: http.StatusBadRequest, says: "the state differs"},
		{name: "wrong nonce", claims: google, tweak: func(m map[string]any) { m["nonce"] = "another" }, want: http.StatusUnauthorized, says: "the nonce differs"},
		{name: "no nonce", claims: google, tweak: func(m map[string]any) { delete(m, "nonce") }, want: http.StatusUnauthorized, says: "the nonce differs"},
		{name: "wrong audience", claims: google, tweak: func(m map[string]any) { m["aud"] = "another-client" }, want: http.StatusUnauthorized, says: "did not check out"},
		{name: "wrong issuer", claims: google, tweak: func(m map[string]any) { m["iss"] = "https://evil.example" }, want: http.StatusUnauthorized, says: "did not check out"},
		{name: "expired", claims: google, tweak: func(m map[string]any) { m["exp"] = time.Now().Add(-time.Hour).Unix() }, want: http.StatusUnauthorized, says: "had expired"},
		{name: "unverified email", claims: map[string]any{"email": "ana@example.com", "email_verified": false}, want: http.StatusForbidden, says: "ana@example.com is not verified"},
		{name: "no email_verified outside Entra", claims: map[string]any{"email": "ana@example.com"}, want: http.StatusForbidden, says: "no email_verified claim"},
		{name: "domain not allowed", claims: map[string]any{"email": "ana@gmail.com", "email_verified": true}, users: fakeUsers{"ana@gmail.com": {ana}},
			want: http.StatusForbidden, says: "ana@gmail.com is not one"},
		{name: "unknown email", claims: map[string]any{"email": "bo@example.com", "email_verified": true}, want: http.StatusForbidden,
			says: "bo@example.com has no opsmetrics account. Ask an admin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := oidctest.New(t)
			p.Set(tc.claims, tc.tweak)
			p.SetState(tc.state)
			users := tc.users
			if users == nil {
				users = fakeUsers{"ana@example.com": {ana}}
			}
			a := newApp(t, p, users, func(c *oidc.Config) { c.Domains = []string{"example.com", "example.org"} })
			status, body, at := a.get(t, oidc.LoginPath+"?next=/margin")
			if status != tc.want || !strings.Contains(body, tc.says) {
				t.Errorf("got %d at %s: %s\nwant %d saying %q", status, at.Path, body, tc.want, tc.says)
			}
			if at.Path != oidc.CallbackPath {
				t.Errorf("ended at %s, want the refusal at %s", at.Path, oidc.CallbackPath)
			}
			if n := a.sessions.count(); n != 0 {
				t.Errorf("%d sessions started, want none", n)
			}
			if strings.Contains(body, oidctest.ClientSecret) {
				t.Error("the page shows the client secret")
			}
			if status, _, _ := a.get(t, "/margin"); status != http.StatusUnauthorized {
				t.Errorf("/margin after a refusal: %d, want 401", status)
			}
		})
	}
}

// Entra sends no email_verified; its tokens carry tid, and the email may
// be only in preferred_username.
func TestSignInEntra(t *testing.T) {
	for _, tc := range []struct {
		name   string
		claims map[string]any
		want   string
	}{
		{"preferred_username", map[string]any{"tid": "9188040d-6c67-4c5b-b112-36a304b66dad", "preferred_username": "Ana@Example.com", "name": "Ana"}, "signed in as acme.u1"},
		{"email", map[string]any{"tid": "9188040d", "email": "ana@example.com", "preferred_username": "someone-else@example.com"}, "signed in as acme.u1"},
		{"upn", map[string]any{"tid": "9188040d", "preferred_username": "not an email", "upn": "ana@example.com"}, "signed in as acme.u1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := oidctest.New(t)
			p.Set(tc.claims, nil)
			a := newApp(t, p, fakeUsers{"ana@example.com": {ana}}, nil)
			status, body, _ := a.get(t, oidc.LoginPath+"?next=/margin")
			if status != http.StatusOK || body != tc.want {
				t.Errorf("got %d %q, want %q", status, body, tc.want)
			}
		})
	}
	p := oidctest.New(t)
	p.Set(map[string]any{"tid": "9188040d", "preferred_username": "ana"}, nil)
	a := newApp(t, p, fakeUsers{"ana@example.com": {ana}}, nil)
	if status, body, _ := a.get(t, oidc.LoginPath); status != http.StatusForbidden || !strings.Contains(body, "has no email") {
		t.Errorf("Entra without an email: %d %q, want 403 saying so", status, body)
	}
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func TestSignInChoosesOrg(t *testing.T) {
	p := oidctest.New(t)
	p.Set(google, nil)
	studio := auth.User{Org: "studio", ID: "u7", Email: "ana@example.com", Name: "Ana", Role: auth.RoleViewer}
	a := newApp(t, p, fakeUsers{"ana@example.com": {ana, studio}}, nil)
	status, body, _ := a.get(t, oidc.LoginPath+"?next=/margin")
	if status != http.StatusOK || !strings.Contains(body, "ACME (acme), partner") || !strings.Contains(body, "STUDIO (studio), viewer") {
		t.Fatalf("got %d %s, want the choice of ACME and STUDIO", status, body)
	}
	if a.sessions.count() != 0 {
		t.Fatal("a session started before the choice")
	}
	m := csrfField.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field in %s", body)
	}
	post := func(form url.Values) (int, string) {
		res, err := a.client.PostForm(a.srv.URL+oidc.ChoosePath, form)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	if status, _ := post(url.Values{"org": {"studio"}}); status != http.StatusBadRequest {
		t.Errorf("choice without the CSRF token: %d, want 400 (echo's CSRF middleware)", status)
	}
	if status, body := post(url.Values{"org": {"other"}, "_csrf": {m[1]}}); status != http.StatusForbidden || !strings.Contains(body, "not a user of the organization other") {
		t.Errorf("choice of an org she is not in: %d %s", status, body)
	}
	if status, body := post(url.Values{"org": {"studio"}, "_csrf": {m[1]}}); status != http.StatusOK || body != "signed in as studio.u7" {
		t.Errorf("choice of studio: %d %q, want signed in as studio.u7", status, body)
	}
	// The choice is used up.
	if status, _ := post(url.Values{"org": {"acme"}, "_csrf": {m[1]}}); status != http.StatusBadRequest {
		t.Errorf("a second choice: %d, want 400", status)
	}
	if a.sessions.count() != 1 {
		t.Errorf("%d sessions started, want 1", a.sessions.count())
	}
}

func TestConfigValidate(t *testing.T) {
	ok := oidc.Config{Issuer: "https://accounts.google.com", ClientID: "id", ClientSecret: "client-secret-xyz",
		RedirectURL: "https://ops.example.com/login/oidc/callback", Users: fakeUsers{}, Sessions: &fakeSessions{},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, tc := range []struct {
		mutate func(*oidc.Config)
		want   string
	}{
		{func(c *oidc.Config) {}, ""},
		{func(c *oidc.Config) { c.Issuer = "" }, "--oidc-issuer: missing"},
		{func(c *oidc.Config) { c.Issuer = "http://idp.example.com" }, `--oidc-issuer "http://idp.example.com": want an https URL`},
		{func(c *oidc.Config) { c.Issuer = "https://login.microsoftonline.com/common/v2.0" }, "use the tenant's own issuer"},
		{func(c *oidc.Config) { c.ClientID = "" }, "--oidc-client-id: missing"},
		{func(c *oidc.Config) { c.ClientSecret = "" }, "--oidc-client-secret-file"},
		{func(c *oidc.Config) { c.RedirectURL = "" }, "set --public-url"},
		{func(c *oidc.Config) { c.Domains = []string{"Example.com"} }, `--oidc-domains: "Example.com" is not a lower-case domain`},
	} {
		c := ok
		tc.mutate(&c)
		err := c.Validate()
		if (err == nil) != (tc.want == "") || (err != nil && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", c.LogValue(), err, tc.want)
		}
	}
	if !strings.Contains(slogText(ok), "accounts.google.com") || strings.Contains(slogText(ok), ok.ClientSecret) {
		t.Error("the log value holds the client secret")
	}
	if got := oidc.DefaultName("https://login.microsoftonline.com/9188040d/v2.0"); got != "Microsoft" {
		t.Errorf("DefaultName(Entra) = %q", got)
	}
}

func slogText(c oidc.Config) string {
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "oidc", c)
	return b.String()
}
