package app_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/opsmetrics/opsmetrics/app/apptest"
)

// TestSettingsInBrowser: in headless Chromium, signed in with an email and
// password, an admin changes the grace days
// through the Organization form and adds an alert threshold as the page
// shows the KPI (8 %); the org API and the thresholds API then answer the
// new values, and the Change log lists both changes. Screenshots of the
// three sections are kept.
func TestSettingsInBrowser(t *testing.T) {
	chrome := chromium(t)
	svc := apptest.New(t)
	admin := svc.Token("browser-settings", "admin") // the API's reader
	svc.User("browser-settings", "olga@example.com", "Olga Owner", "admin", "olga's long password")
	base, stop := svc.Serve(nil)
	defer stop()
	log := &browserLog{}
	ctx := browser(t, chrome, log)
	shots := artifacts(t)
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	if err := signInWithPassword(ctx, base, "olga@example.com", "olga's long password"); err != nil {
		t.Fatalf("sign in with a password: %v", err)
	}
	// Grace days through the form.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/settings"), waitFor(`!!document.querySelector('input[name=grace_days]')`),
		chromedp.SetValue(chromedp.CSS(`input[name=grace_days]`), "5"),
		chromedp.Click(chromedp.CSS(`form.settings-form button[type=submit]`)),
		waitFor(`location.search === '?saved=1' && !!document.querySelector('.flash')`)); err != nil {
		t.Fatalf("save the grace days: %v", err)
	}
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('input[name=grace_days]').value`)); err != nil || v != "5" {
		t.Errorf("after saving, the form holds grace days %q (%v), want 5", v, err)
	}
	shot("settings-organization")
	code, _, body := apptest.Get(t, base+"/api/v1/org", admin, "")
	var o struct {
		GraceDays int `json:"grace_days"`
	}
	if code != 200 || json.Unmarshal([]byte(body), &o) != nil || o.GraceDays != 5 {
		t.Errorf("GET /api/v1/org after the form: %d %s, want grace_days 5", code, body)
	}

	// A threshold as the page shows the KPI.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/settings/alerts"), waitFor(`!!document.querySelector('input[name=value]')`),
		chromedp.SetValue(chromedp.CSS(`select[name=kpi]`), "write_off_rate"),
		chromedp.SetValue(chromedp.CSS(`input[name=value]`), "8 %"),
		chromedp.Click(chromedp.CSS(`form.settings-form button[type=submit]`)),
		waitFor(`location.search === '?saved=1' && document.body.innerText.includes('above 8 %')`)); err != nil {
		t.Fatalf("add a threshold: %v", err)
	}
	shot("settings-alerts")
	code, _, body = apptest.Get(t, base+"/api/v1/alerts/thresholds", admin, "")
	if code != 200 || !strings.Contains(body, `"kpi":"write_off_rate"`) || !strings.Contains(body, `"value":0.08`) {
		t.Errorf("GET thresholds after the form: %d %s, want write_off_rate at 0.08", code, body)
	}

	// Both in the Change log.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/settings/audit"), waitFor(`!!document.querySelector('table.audit')`)); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('table.audit').innerText`))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"grace_days: 0 → 5", "value: 8%", "Write-off rate, org", "olga@example.com"} {
		if !strings.Contains(text, want) {
			t.Errorf("the Change log lacks %q:\n%s", want, text)
		}
	}
	shot("settings-audit")

	log.mu.Lock()
	defer log.mu.Unlock()
	for _, e := range log.errors {
		t.Errorf("browser console: %s", e)
	}
	for _, d := range log.dialogs {
		t.Errorf("a page opened a dialog: %s", d)
	}
}
