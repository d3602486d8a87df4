package app_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// TestStatusShowsOnlyTheCallersOrg: /status shows engine health to anyone,
// and row counts only to a signed-in session or an admin token, and then
// only for that token's org.
func TestStatusShowsOnlyTheCallersOrg(t *testing.T) {
	svc := apptest.New(t)
	acmeIn, acmeRead := svc.Token("st-acme", "ingest"), svc.Token("st-acme", "read")
	globexIn, globexAdmin := svc.Token("st-globex", "ingest"), svc.Token("st-globex", "admin")
	base, stop := svc.Serve(nil)
	defer stop()
	// acme logs 2 time entries, globex 3.
	if code, r := apptest.Post(t, base+"/api/v1/time_entries", acmeIn, "application/x-ndjson", strings.NewReader(apptest.NDJSONEntries("a1", "a2"))); code != 200 {
		t.Fatalf("post acme: %d %+v", code, r)
	}
	if code, r := apptest.Post(t, base+"/api/v1/time_entries", globexIn, "application/x-ndjson", strings.NewReader(apptest.NDJSONEntries("g1", "g2", "g3"))); code != 200 {
		t.Fatalf("post globex: %d %+v", code, r)
	}
	status := func(cookie, bearer string) string {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+"/status", nil)
		if cookie != "" {
			req.AddCookie(&http.Cookie{Name: "opsmetrics_session", Value: cookie})
		}
		if bearer != "" {
			req.Header.Set("Authorization", "Bearer "+bearer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("/status: %d %s", resp.StatusCode, b)
		}
		return string(b)
	}
	entries := regexp.MustCompile(`<td>time_entries</td><td class="n">(\d+)</td>`)
	counted := func(page string) string {
		if m := entries.FindStringSubmatch(page); m != nil {
			return m[1]
		}
		return "none"
	}

	for name, page := range map[string]string{
		"anonymous":                status("", ""),
		"a made-up session":        status("om_nope", ""),
		"a read token as a bearer": status("", acmeRead), // bearer access to the counts needs admin
	} {
		if got := counted(page); got != "none" || strings.Contains(page, "st-acme") || strings.Contains(page, "st-globex") ||
			!strings.Contains(page, "Running on chdb") || !strings.Contains(page, "Sign in") {
			t.Errorf("%s: time entries %s; want engine health and a sign-in link only:\n%s", name, got, page)
		}
	}
	if page := status(apptest.SignInToken(t, base, acmeRead).Value, ""); counted(page) != "2" || !strings.Contains(page, "st-acme") || strings.Contains(page, "st-globex") {
		t.Errorf("acme's session: time entries %s, want acme's 2 only:\n%s", counted(page), page)
	}
	if page := status("", globexAdmin); counted(page) != "3" || !strings.Contains(page, "st-globex") || strings.Contains(page, "st-acme") {
		t.Errorf("globex's admin token: time entries %s, want globex's 3 only:\n%s", counted(page), page)
	}
}
