package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/opsmetrics/opsmetrics/app/apptest"
	"github.com/opsmetrics/opsmetrics/dashboards"
)

// Names that would run script in a partner's browser if the dashboards
// wrote chart options the way go-echarts' renderer does.
const (
	xssScript   = "</script><script>alert(1)</script>"
	xssFunction = "__f__alert(1)__f__"
)

// chromium finds the browser `make test` installs (Debian's chromium), or
// the one CHROMIUM names. A missing browser fails the test: it never skips.
func chromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatal("chromium not found: install Debian's chromium (make test-deps does) or set CHROMIUM")
	return ""
}

// artifacts is where screenshots go: $OPSMETRICS_TEST_ARTIFACTS, else
// test-artifacts/ at the top of the repository.
func artifacts(t *testing.T) string {
	dir := os.Getenv("OPSMETRICS_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "test-artifacts")
	}
	dir = filepath.Join(dir, "browser")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browserLog collects what the browser reports while pages load.
type browserLog struct {
	mu      sync.Mutex
	errors  []string
	dialogs []string
}

func (l *browserLog) add(list *[]string, s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	*list = append(*list, s)
}

// TestDashboardsInBrowser loads every dashboard of the demo agency in
// headless Chromium, with two clients whose names are script injections:
// every page answers 200, draws every chart onto a non-empty canvas, logs
// no console error and opens no dialog; a filter changes the numbers; and a
// screenshot of each page is kept.
func TestDashboardsInBrowser(t *testing.T) {
	chrome := chromium(t)
	svc := apptest.New(t)
	svc.Demo(6)
	ingestTok := svc.Token("acme", "ingest")
	readTok := svc.Token("acme", "read")
	base, stop := svc.Serve(nil)
	defer stop()

	// Two clients named as script, with billable work last month (the
	// pages' default range), so their names reach charts, tables and filters.
	now := time.Now().UTC()
	last := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -1, 0)
	for _, p := range []struct{ path, body string }{
		{"/api/v1/clients", fmt.Sprintf(`{"external_id":"c-xss-1","name":%q}`+"\n"+`{"external_id":"c-xss-2","name":%q}`+"\n", xssScript, xssFunction)},
		{"/api/v1/projects", `{"external_id":"pr-xss-1","name":"Injected","client":"c-xss-1","kind":"time_and_materials","bill_rate":100}` + "\n" +
			`{"external_id":"pr-xss-2","name":"Injected too","client":"c-xss-2","kind":"time_and_materials","bill_rate":100}` + "\n"},
		{"/api/v1/people", `{"external_id":"p-xss","valid_from":"2020-01-01","name":"Xavier","role":"designer","team":"design","weekly_capacity_hours":40,"cost_rate":40,"bill_rate":100,"start_date":"2020-01-01"}` + "\n"},
		{"/api/v1/time_entries", fmt.Sprintf(`{"external_id":"te-xss-1","person":"p-xss","date":%q,"hours":5,"project":"pr-xss-1","billable":true}`+"\n"+
			`{"external_id":"te-xss-2","person":"p-xss","date":%q,"hours":3,"project":"pr-xss-2","billable":true}`+"\n",
			last.AddDate(0, 0, 3).Format(time.DateOnly), last.AddDate(0, 0, 4).Format(time.DateOnly))},
	} {
		if code, r := apptest.Post(t, base+p.path, ingestTok, "application/x-ndjson", strings.NewReader(p.body)); code != 200 || r.Rejected != 0 {
			t.Fatalf("POST %s: %d %+v", p.path, code, r)
		}
	}

	log := &browserLog{}
	ctx := browser(t, chrome, log)
	shots := artifacts(t)

	// Sign in through the link `opsmetrics demo` prints: the token after '#'.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/login#"+readTok), waitFor(`location.pathname === '/' && !!document.querySelector('nav')`)); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	for _, p := range dashboards.Pages {
		name := strings.Trim(p.Path, "/")
		if name == "" {
			name = "overview"
		}
		t.Run(name, func(t *testing.T) {
			url := base + p.Path
			resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(url))
			if err != nil {
				t.Fatalf("load %s: %v", url, err)
			}
			if resp.Status != http.StatusOK {
				t.Fatalf("%s answered %d", url, resp.Status)
			}
			if err := chromedp.Do(ctx, waitCharts()); err != nil {
				t.Fatalf("%s: charts not drawn: %v", url, err)
			}
			charts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('.canvas').length`))
			if err != nil {
				t.Fatal(err)
			}
			blank, err := chromedp.Run(ctx, chromedp.Evaluate[int](blankCanvases))
			if err != nil {
				t.Fatal(err)
			}
			// /reports lists the month's reports to review and send: it
			// has no chart of its own (the reports have their tables).
			if charts == 0 && p.Path != "/reports" || blank != 0 {
				t.Errorf("%s: %d of %d charts drew nothing", name, blank, charts)
			}
			png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(shots, name+".png"), png, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d charts drawn, screenshot %s", name, charts, filepath.Join(shots, name+".png"))
		})
	}

	// The injected names are on the pages as text, and ran nothing.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/margin"), waitCharts()); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText + [...document.querySelectorAll('option')].map(o => o.text).join('\n')`))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{xssScript, xssFunction} {
		if !strings.Contains(text, name) {
			t.Errorf("the client named %q is not shown as text on the margin page", name)
		}
	}
	// The page says whose settings its numbers follow.
	if want := "Acme Creative: dates in America/New_York, workdays mon,tue,wed,thu,fri"; !strings.Contains(text, want) {
		t.Errorf("the margin page does not say %q", want)
	}

	// Changing a filter (the client select, then Apply) changes the numbers.
	tiles := chromedp.Evaluate[string](`[...document.querySelectorAll('.tile .value')].map(e => e.textContent).join(' | ')`)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/"), waitCharts()); err != nil {
		t.Fatal(err)
	}
	before, err := chromedp.Run(ctx, tiles)
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.SetValue(chromedp.CSS(`select[name=client]`), "c-xss-1"),
		chromedp.Click(chromedp.CSS(`form.filters button`)),
		waitFor(`!!document.querySelector('select[name=client] option[value="c-xss-1"][selected]')`), waitCharts()); err != nil {
		t.Fatal(err)
	}
	after, err := chromedp.Run(ctx, tiles)
	if err != nil {
		t.Fatal(err)
	}
	if before == after {
		t.Errorf("filtering by client left the overview's numbers as they were: %s", before)
	}
	t.Logf("overview, all clients: %s; one client: %s", before, after)

	log.mu.Lock()
	defer log.mu.Unlock()
	for _, e := range log.errors {
		t.Errorf("browser console: %s", e)
	}
	for _, d := range log.dialogs {
		t.Errorf("a page opened a dialog (script ran): %s", d)
	}
}

// blankCanvases counts the chart canvases without a single drawn pixel.
const blankCanvases = `[...document.querySelectorAll('.canvas canvas')].filter(c => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) return false;
  return true;
}).length`

// waitCharts waits until the page's script has drawn every chart.
func waitCharts() chromedp.Action[chromedp.Void] {
	return waitFor(`document.body && document.body.hasAttribute('data-charts') &&
		document.querySelectorAll('.canvas').length === document.querySelectorAll('.canvas[data-drawn]').length`)
}

// waitFor polls a JavaScript condition for up to 30 s. A navigation ends a
// poll with an error; the poll then starts again on the new page.
func waitFor(cond string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		deadline := time.Now().Add(30 * time.Second)
		for {
			left := time.Until(deadline)
			_, err := chromedp.Poll[bool](cond, chromedp.WithPollingTimeout(left), chromedp.WithPollingInterval(100*time.Millisecond))(ctx, t)
			if err == nil {
				return chromedp.Void{}, nil
			}
			if time.Now().After(deadline) || ctx.Err() != nil {
				return chromedp.Void{}, fmt.Errorf("waiting for %s: %w", cond, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// browser starts headless Chromium with the flags this machine needs
// (../shared/notes/test-servers.md) and records console errors, uncaught
// exceptions and dialogs into log; a dialog is dismissed.
func browser(t *testing.T, chrome string, log *browserLog) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chrome), chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 1000))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	dialogs := make(chan string, 16)
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				log.add(&log.errors, strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			log.add(&log.errors, (&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		case *page.EventJavascriptDialogOpening:
			log.add(&log.dialogs, ev.Message)
			select {
			case dialogs <- ev.Message:
			default:
			}
		}
	})
	if err != nil {
		t.Fatalf("start chromium (%s): %v", chrome, err)
	}
	go func() {
		for range dialogs {
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	return ctx
}

// TestDashboardsFitPhoneWidth loads every dashboard at 390 px, a phone's
// width: the page never scrolls sideways (no card, chart or sentence runs
// past the right edge), and a table wider than the screen scrolls inside its
// card. The two-column sections once asked for 420 px a column, so every
// card, and each sentence in it, was cut at the screen's edge.
func TestDashboardsFitPhoneWidth(t *testing.T) {
	chrome := chromium(t)
	svc := apptest.New(t)
	svc.Demo(2)
	readTok := svc.Token("acme", "read")
	base, stop := svc.Serve(nil)
	defer stop()

	log := &browserLog{}
	ctx := browser(t, chrome, log)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(base+"/login#"+readTok),
		waitFor(`location.pathname === '/' && !!document.querySelector('nav')`)); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	// What sticks out past the viewport's right edge, outside a scrolling box.
	const overflow = `(() => {
  const w = document.documentElement.clientWidth, out = [];
  const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) {
    const s = getComputedStyle(p).overflowX; if (s === 'auto' || s === 'scroll') return true; } return false; };
  for (const e of document.querySelectorAll('main *, header *')) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 1 && !scrolls(e)) out.push(e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' right ' + Math.round(r.right));
  }
  return JSON.stringify({scroll: document.documentElement.scrollWidth, width: w, out: out.slice(0, 5)});
})()`
	for _, p := range dashboards.Pages {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+p.Path), waitCharts()); err != nil {
			t.Fatalf("%s: %v", p.Path, err)
		}
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](overflow))
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			Scroll, Width int
			Out           []string
		}
		if err := json.Unmarshal([]byte(got), &m); err != nil {
			t.Fatal(err)
		}
		if m.Scroll > m.Width || len(m.Out) > 0 {
			t.Errorf("%s at 390 px: the page is %d px wide in a %d px viewport; past the edge: %v", p.Path, m.Scroll, m.Width, m.Out)
		}
	}
}

// signInWithPassword signs in on base's /login page as a person does: email
// and password typed into the form, then the overview.
func signInWithPassword(ctx context.Context, base, email, password string) error {
	return chromedp.Do(ctx, chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SetValue(chromedp.CSS(`#email`), email), chromedp.SetValue(chromedp.CSS(`#password`), password),
		chromedp.Click(chromedp.CSS(`#password-login button`)),
		waitFor(`location.pathname === '/' && !!document.querySelector('header.top nav')`))
}
