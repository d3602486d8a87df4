package app_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app/apptest"
	"github.com/opsmetrics/opsmetrics/dashboards"
)

var (
	scriptTag   = regexp.MustCompile(`<script[^>]*>`)
	inlineStyle = regexp.MustCompile(`<style|\sstyle=`)
)

// TestSecurityHeadersOnEveryPage walks every page a browser can be shown
// (the sign-in page and its refusals, the status page, each dashboard, a
// dashboard's error, an unknown path, a JSON error) and checks each carries
// the same security headers: no framing, no sniffing, no inline script or
// style (and none in the pages either), no referrer sent elsewhere.
func TestSecurityHeadersOnEveryPage(t *testing.T) {
	svc := apptest.New(t)
	read := svc.Token("hdr-acme", "read")
	base, stop := svc.Serve(nil)
	defer stop()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	session := apptest.SignInToken(t, base, read)
	csrfCookie, csrf := apptest.CSRF(t, base+"/login")

	type visit struct {
		method, path, form string
		cookie             *http.Cookie
		status             int
	}
	visits := []visit{
		{"GET", "/login", "", nil, 200},
		{"GET", "/login?expired=1&next=/margin", "", nil, 200},
		{"POST", "/login", url.Values{"token": {"om_nope"}, "_csrf": {csrf}}.Encode(), csrfCookie, 401},
		{"POST", "/login", url.Values{"token": {"om_nope"}}.Encode(), csrfCookie, 400}, // no CSRF token
		{"GET", "/status", "", nil, 200},
		{"GET", "/no/such/page", "", nil, 404},
		{"GET", "/margin?from=not-a-date", "", session, 400},
		{"GET", "/api/v1/kpis", "", nil, 401},
		{"GET", "/logout", "", nil, 200}, // asks; only the form's POST signs out
		{"GET", "/margin", "", nil, 303},
	}
	for _, p := range dashboards.Pages {
		visits = append(visits, visit{"GET", p.Path, "", session, 200})
	}
	for _, v := range visits {
		req, err := http.NewRequest(v.method, base+v.path, strings.NewReader(v.form))
		if err != nil {
			t.Fatal(err)
		}
		if v.form != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if v.cookie != nil {
			req.AddCookie(v.cookie)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			// The policy blocks inline script and style: a page that has
			// some would break under it.
			for _, tag := range scriptTag.FindAllString(string(body), -1) {
				if !strings.Contains(tag, " src=") {
					t.Errorf("%s %s: inline script %s, which the policy blocks", v.method, v.path, tag)
				}
			}
			if inlineStyle.Match(body) {
				t.Errorf("%s %s: inline style %s, which the policy blocks", v.method, v.path, inlineStyle.Find(body))
			}
		}
		if resp.StatusCode != v.status {
			t.Errorf("%s %s: %d, want %d", v.method, v.path, resp.StatusCode, v.status)
		}
		h := resp.Header
		for name, want := range map[string]string{
			"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
			"X-Frame-Options":         "DENY",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
		} {
			if got := h.Get(name); got != want {
				t.Errorf("%s %s (%d, %s): %s %q, want %q", v.method, v.path, resp.StatusCode, h.Get("Content-Type"), name, got, want)
			}
		}
	}
}
