package app_test

import (
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opsmetrics/opsmetrics/app"
	"github.com/opsmetrics/opsmetrics/app/apptest"
	"github.com/opsmetrics/opsmetrics/auth/oidc"
	"github.com/opsmetrics/opsmetrics/auth/oidc/oidctest"
)

// TestOIDCSignIn: the served app with a (local, fake) OpenID Connect
// provider: /login offers "Sign in with Google"; the provider's verified
// email of an invited user signs them in through the real users store and
// server-side sessions, with their role (a viewer: no Margin); an email no
// one invited is refused by name, and no session starts.
func TestOIDCSignIn(t *testing.T) {
	p := oidctest.New(t)
	svc := apptest.New(t)
	svc.Demo(1)
	svc.User("acme", "vic@acme.example", "Vic Viewer", "viewer", "vic's long password")
	// The callback URL is registered with the provider before the server
	// listens: a free port, then the server on it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	base, stop := svc.Serve(func(o *app.Options) {
		o.Addr, o.PublicURL = addr, "http://"+addr
		o.OIDC = &oidc.Config{Issuer: p.URL, ClientID: oidctest.ClientID, ClientSecret: oidctest.ClientSecret,
			RedirectURL: "http://" + addr + oidc.CallbackPath, Name: "Google"}
	})
	defer stop()

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	var get func(path string) (int, string)
	get = func(path string) (int, string) {
		t.Helper()
		res, err := browser.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		// The signed-in page moves on by a refresh, as a browser follows it.
		if m := regexp.MustCompile(`<meta http-equiv="refresh" content="0;url=([^"]+)">`).FindStringSubmatch(string(b)); m != nil {
			return get(strings.ReplaceAll(m[1], "&amp;", "&"))
		}
		return res.StatusCode, string(b)
	}
	if _, page := get("/login"); !strings.Contains(page, "Sign in with Google") || !strings.Contains(page, "/login/oidc") {
		t.Fatalf("/login offers no single sign-on:\n%.2000s", page)
	}

	p.Set(map[string]any{"email": "nobody@acme.example", "email_verified": true}, nil)
	if code, page := get("/login/oidc?next=/utilization"); code != http.StatusForbidden || !strings.Contains(page, "nobody@acme.example") {
		t.Errorf("an email no one invited: %d\n%.1500s", code, page)
	}
	if _, page := get("/utilization"); !strings.Contains(page, `id="password-login"`) {
		t.Errorf("after a refused sign-on, /utilization is not the sign-in page")
	}

	p.Set(map[string]any{"email": "Vic@acme.example", "email_verified": true}, nil)
	code, page := get("/login/oidc?next=/utilization")
	if code != http.StatusOK || !strings.Contains(page, "Vic Viewer") || strings.Contains(page, `id="password-login"`) {
		t.Fatalf("sign-on of an invited viewer: %d\n%.2000s", code, page)
	}
	if code, page := get("/margin"); code != http.StatusForbidden || !strings.Contains(page, "partners and admins") {
		t.Errorf("the viewer's /margin: %d, want the 403 page\n%.1000s", code, page)
	}
}
