package apptest

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/auth"
)

// User makes email a user of org with role and password, as accepting an
// invitation does, and returns the user. It must be called before Serve.
func (s *Service) User(org, email, name, role, password string) auth.User {
	s.t.Helper()
	users, err := auth.NewUsers(auth.UsersConfig{Store: s.unserved()})
	if err != nil {
		s.t.Fatal(err)
	}
	link, _, err := users.Invite(s.t.Context(), org, email, name, role, "cli")
	if err != nil {
		s.t.Fatalf("invite %s: %v", email, err)
	}
	u, err := users.Accept(s.t.Context(), link, name, password)
	if err != nil {
		s.t.Fatalf("accept the invitation of %s: %v", email, err)
	}
	return u
}

// Invite invites email to org with role and returns the invitation link's
// token (the part after /invite/). It must be called before Serve.
func (s *Service) Invite(org, email, role string) string {
	s.t.Helper()
	users, err := auth.NewUsers(auth.UsersConfig{Store: s.unserved()})
	if err != nil {
		s.t.Fatal(err)
	}
	link, _, err := users.Invite(s.t.Context(), org, email, "", role, "cli")
	if err != nil {
		s.t.Fatalf("invite %s: %v", email, err)
	}
	return link
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// CSRF GETs the page at url and returns its CSRF cookie and the token its
// forms carry.
func CSRF(t testing.TB, url string, cookies ...*http.Cookie) (*http.Cookie, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	m := csrfField.FindSubmatch(body)
	for _, c := range resp.Cookies() {
		if c.Name == "opsmetrics_csrf" && m != nil {
			return c, string(m[1])
		}
	}
	for _, c := range cookies {
		if c.Name == "opsmetrics_csrf" && m != nil {
			return c, string(m[1])
		}
	}
	t.Fatalf("GET %s: %d, no CSRF cookie and form field: %.1000s", url, resp.StatusCode, body)
	return nil, ""
}

// PostForm posts form (with the CSRF token of csrf added as _csrf) to url
// with the cookies, without following a redirect, and returns the status,
// the Location header, the body and the session cookie it set (nil: none).
func PostForm(t testing.TB, url string, form url.Values, csrf string, cookies ...*http.Cookie) (int, string, string, *http.Cookie) {
	t.Helper()
	if csrf != "" {
		form.Set("_csrf", csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, c := range cookies {
		req.AddCookie(c)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == auth.SessionCookie && c.Value != "" {
			session = c
		}
	}
	return resp.StatusCode, resp.Header.Get("Location"), string(body), session
}

// SignIn signs in at base's /login with form (an email and password, or a
// token) and returns the session cookie; the test fails when it does not.
func SignIn(t testing.TB, base string, form url.Values) *http.Cookie {
	t.Helper()
	csrf, tok := CSRF(t, base+"/login")
	code, _, body, session := PostForm(t, base+"/login", form, tok, csrf)
	if code != http.StatusSeeOther || session == nil {
		t.Fatalf("sign in: %d %.500s", code, body)
	}
	return session
}

// SignInToken signs in with an API token, as the /login#<token> link does.
func SignInToken(t testing.TB, base, token string) *http.Cookie {
	t.Helper()
	return SignIn(t, base, url.Values{"token": {token}})
}

// SignInPassword signs in with an email and password.
func SignInPassword(t testing.TB, base, email, password string) *http.Cookie {
	t.Helper()
	return SignIn(t, base, url.Values{"email": {email}, "password": {password}})
}
