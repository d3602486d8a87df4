package app_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// get GETs url with the cookies and returns the status and body.
func getWith(t *testing.T, url string, cookies ...*http.Cookie) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRolesInPages: a viewer signed in with a password gets the 403 page
// on /margin (inside the layout, saying whom to ask), no Margin link and no
// margin tile, and a 403 naming the KPI for every money KPI over the API
// with their session; a partner gets all of them. An admin invites through
// the users section, the link works once, and a form without its CSRF
// token changes nothing. Sign out is a POST; after it the session is gone.
func TestRolesInPages(t *testing.T) {
	svc := apptest.New(t)
	svc.Demo(2)
	svc.User("acme", "vera@example.com", "Vera Viewer", "viewer", "viewer password 1")
	svc.User("acme", "pia@example.com", "Pia Partner", "partner", "partner password 1")
	svc.User("acme", "adam@example.com", "Adam Admin", "admin", "admin password 12")
	base, stop := svc.Serve(nil)
	defer stop()

	viewer := apptest.SignInPassword(t, base, "vera@example.com", "viewer password 1")
	partner := apptest.SignInPassword(t, base, "pia@example.com", "partner password 1")
	code, body := getWith(t, base+"/margin", viewer)
	if code != http.StatusForbidden || !strings.Contains(body, "Margin is for partners and admins; ask an admin") || !strings.Contains(body, `<header class="top">`) {
		t.Errorf("viewer on /margin: %d, want the 403 page in the layout:\n%.1500s", code, body)
	}
	code, body = getWith(t, base+"/", viewer)
	if code != 200 || strings.Contains(body, `href="/margin`) || strings.Contains(body, "margin %") {
		t.Errorf("viewer's overview: %d; it links to /margin or shows the margin tile", code)
	}
	if code, body := getWith(t, base+"/margin", partner); code != 200 || !strings.Contains(body, "Margin") {
		t.Errorf("partner on /margin: %d", code)
	}
	if _, body := getWith(t, base+"/", partner); !strings.Contains(body, "margin %") || !strings.Contains(body, `href="/margin`) {
		t.Error("partner's overview lacks the margin tile or link")
	}
	for _, kpi := range []string{"revenue", "margin", "margin_pct", "labour_cost", "effective_rate", "write_off_value", "unbilled_wip"} {
		code, body := getWith(t, base+"/api/v1/kpis/"+kpi, viewer)
		if code != http.StatusForbidden || !strings.Contains(body, `the KPI \"`+kpi+`\" shows money`) {
			t.Errorf("viewer's session, KPI %s: %d %s", kpi, code, body)
		}
		if code, body := getWith(t, base+"/api/v1/kpis/"+kpi, partner); code != 200 {
			t.Errorf("partner's session, KPI %s: %d %.300s", kpi, code, body)
		}
	}
	if code, body := getWith(t, base+"/api/v1/kpis/logged_hours", viewer); code != 200 {
		t.Errorf("viewer's session, logged_hours: %d %.300s", code, body)
	}
	if code, _ := getWith(t, base+"/settings/users", viewer); code != http.StatusForbidden {
		t.Errorf("viewer on /settings/users: %d", code)
	}

	// The admin invites someone; a post without the CSRF token does nothing.
	admin := apptest.SignInPassword(t, base, "adam@example.com", "admin password 12")
	csrf, tok := apptest.CSRF(t, base+"/settings/users", admin)
	form := url.Values{"email": {"nina@example.com"}, "name": {"Nina"}, "role": {"ops"}}
	if code, _, _, _ := apptest.PostForm(t, base+"/settings/users/invite", form, "", admin, csrf); code == 200 {
		t.Error("an invitation without its CSRF token was made")
	}
	bad := url.Values{"email": {"not-an-email"}, "name": {"Nina"}, "role": {"ops"}}
	if code, _, body, _ := apptest.PostForm(t, base+"/settings/users/invite", bad, tok, admin, csrf); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "email: &#34;not-an-email&#34; is not an email address") || !strings.Contains(body, `value="not-an-email"`) {
		t.Errorf("a bad email: %d, want 422 naming the field and value, the value typed kept:\n%.2000s", code, body)
	}
	code, _, body, _ = apptest.PostForm(t, base+"/settings/users/invite", form, tok, admin, csrf)
	i := strings.Index(body, "/invite/")
	if code != 200 || i < 0 {
		t.Fatalf("invite: %d\n%.2000s", code, body)
	}
	link := body[i : i+len("/invite/")+64]
	icsrf, itok := apptest.CSRF(t, base+link)
	if code, _, body, _ := apptest.PostForm(t, base+link, url.Values{"name": {"Nina"}, "password": {"short"}}, itok, icsrf); code != http.StatusUnprocessableEntity ||
		!strings.Contains(body, "password: 5 characters, at least 12") {
		t.Errorf("a short password: %d %.1000s", code, body)
	}
	code, loc, _, nina := apptest.PostForm(t, base+link, url.Values{"name": {"Nina"}, "password": {"ninas password!"}}, itok, icsrf)
	if code != http.StatusSeeOther || loc != "/" || nina == nil {
		t.Fatalf("accept: %d %q %v", code, loc, nina)
	}
	if code, _ := getWith(t, base+link); code != http.StatusGone {
		t.Errorf("the used link: %d, want 410", code)
	}
	if code, body := getWith(t, base+"/utilization", nina); code != 200 || !strings.Contains(body, "Nina") {
		t.Errorf("Nina's session: %d", code)
	}
	// Sign out: a GET does nothing; the form's POST ends the session.
	getWith(t, base+"/logout", nina)
	if code, _ := getWith(t, base+"/utilization", nina); code != 200 {
		t.Errorf("after GET /logout: %d, want still signed in", code)
	}
	lcsrf, ltok := apptest.CSRF(t, base+"/utilization", nina)
	if code, loc, _, _ := apptest.PostForm(t, base+"/logout", url.Values{}, ltok, nina, lcsrf); code != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
		t.Errorf("sign out: %d %q", code, loc)
	}
	if code, _ := getWith(t, base+"/utilization", nina); code != http.StatusSeeOther {
		t.Errorf("after sign out: %d, want a redirect to /login", code)
	}
}
