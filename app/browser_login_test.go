package app_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// TestSignInInBrowser: in Chromium at 1440 px, a viewer opens the
// invitation link, sets a password and is signed in; signs out with the
// top bar's button; signs in again with email and password; sees no Margin
// link, and gets the 403 page on /margin.
func TestSignInInBrowser(t *testing.T) {
	chrome := chromium(t)
	svc := apptest.New(t)
	svc.Demo(2)
	link := svc.Invite("acme", "vera@example.com", "viewer")
	base, stop := svc.Serve(nil)
	defer stop()

	log := &browserLog{}
	ctx := browser(t, chrome, log)
	shots := artifacts(t)
	const password = "Vera's long password"
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1440, 1000), chromedp.Navigate(base+"/invite/"+link),
		chromedp.WaitVisible(chromedp.CSS(`#invite input[name=password]`)),
		chromedp.SetValue(chromedp.CSS(`#invite input[name=name]`), "Vera Viewer"),
		chromedp.SetValue(chromedp.CSS(`#invite input[name=password]`), password),
		chromedp.Click(chromedp.CSS(`#invite button`)),
		waitFor(`location.pathname === '/' && document.readyState === 'complete' && !!document.querySelector('header.top nav')`)); err != nil {
		t.Fatalf("accept the invitation: %v", err)
	}
	who, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('header.top .account').textContent`))
	if err != nil || who != "Vera Viewer" {
		t.Errorf("the top bar names %q (%v), want Vera Viewer", who, err)
	}
	// Sign out with the top bar's form, then in with email and password.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`form.signout button`)),
		waitFor(`location.pathname === '/login' && !!document.querySelector('#password-login')`)); err != nil {
		t.Fatalf("sign out: %v", err)
	}
	if code, _ := chromedp.Run(ctx, chromedp.NavigateResponse(base+"/utilization")); code == nil || !strings.HasSuffix(code.URL, "/login?next=%2Futilization") {
		t.Errorf("after signing out, /utilization went to %v, want the sign-in page", code)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`#email`), "vera@example.com"),
		chromedp.SetValue(chromedp.CSS(`#password`), password),
		chromedp.Click(chromedp.CSS(`#password-login button`)),
		waitFor(`location.pathname === '/utilization' && !!document.querySelector('header.top nav')`)); err != nil {
		t.Fatalf("sign in with email and password: %v", err)
	}
	nav, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('header.top nav a')].map(a => a.textContent).join(',')`))
	if err != nil || strings.Contains(nav, "Margin") || !strings.Contains(nav, "Utilization") {
		t.Errorf("a viewer's navigation: %q (%v), want no Margin", nav, err)
	}
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(base+"/margin"))
	if err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil {
		t.Fatal(err)
	}
	if resp.Status != http.StatusForbidden || !strings.Contains(text, "Margin is for partners and admins; ask an admin") {
		t.Errorf("a viewer on /margin: %d %q, want the 403 page", resp.Status, text)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(shots, "margin-403-viewer.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	for _, e := range log.errors {
		t.Errorf("browser console: %s", e)
	}
}
