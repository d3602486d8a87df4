package auth

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestSafeNext: a sign-in's next= stays on this site after everything a
// browser does to a Location header (drop tabs and newlines, trim control
// characters and spaces, read a backslash as a slash), and after one more
// percent-decoding by whatever sits in between.
func TestSafeNext(t *testing.T) {
	for _, next := range []string{
		"", "evil.example", "//evil.example", "///evil.example", "/\\evil.example", "\\\\evil.example", "\\/evil.example",
		"/\t/evil.example/", "/\n/evil.example", "/\r\n/evil.example", "\t//evil.example", " //evil.example",
		"\x00//evil.example", "\x1f/\x1f/evil.example", "/%09/evil.example/", "/%2F%2Fevil.example", "/%2f/evil.example",
		"%2F%2Fevil.example", "/%5Cevil.example", "/%5C%5Cevil.example", "https://evil.example", "http:/evil.example",
		"HTTPS://evil.example/", "javascript:alert(1)", " javascript:alert(1)", "java\tscript:alert(1)",
		"data:text/html,<script>alert(1)</script>", "/%zz", "/\\\t\\evil.example",
	} {
		if got := SafeNext(next); got != "/" {
			t.Errorf("SafeNext(%q) = %q, want /", next, got)
		}
	}
	for next, want := range map[string]string{
		"/":                                  "/",
		"/margin":                            "/margin",
		"/margin?from=2026-01-01&client=c-1": "/margin?from=2026-01-01&client=c-1",
		"/utilization?team=Brand%20%26%20Co": "/utilization?team=Brand%20%26%20Co",
		"/delivery#late":                     "/delivery#late",
		"/capacity\n":                        "/capacity",
		" /approvals ":                       "/approvals",
	} {
		if got := SafeNext(next); got != want {
			t.Errorf("SafeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

// TestLoginRedirectStaysOnSite posts a sign-in whose next= would leave the
// site once a browser drops its tab, and checks the redirect goes home.
func TestLoginRedirectStaysOnSite(t *testing.T) {
	s := openStore(t)
	tokens := New(s, nil)
	plain, _, err := tokens.Create(t.Context(), "acme", "browser", []string{ScopeRead}, 0)
	if err != nil {
		t.Fatal(err)
	}
	e := echo.New()
	login, _, _ := newLogin(t, s, tokens, nil)
	login.Register(e.Group(""))
	for next, want := range map[string]string{"/\t/evil.example/": "/", "/margin?client=c-1": "/margin?client=c-1"} {
		form := url.Values{"token": {plain}, "next": {next}}
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != want {
			t.Errorf("next %q: %d to %q, want 303 to %q", next, rec.Code, rec.Header().Get("Location"), want)
		}
	}
}
