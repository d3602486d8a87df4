package app_test

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/opsmetrics/opsmetrics/app/apptest"
	"github.com/opsmetrics/opsmetrics/dashboards"
)

// axeVersion is the axe-core `make test-deps` installs (the Makefile's
// AXE_VERSION, integrity-checked) into ~/.cache/opsmetrics.
const axeVersion = "4.14.1"

// axeScript reads axe.min.js: $OPSMETRICS_AXE, else where `make axe` puts
// it. A missing file fails the test: it never skips.
func axeScript(t *testing.T) string {
	t.Helper()
	path := os.Getenv("OPSMETRICS_AXE")
	if path == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			t.Fatal(err)
		}
		path = filepath.Join(home, ".cache", "opsmetrics", "axe-core-"+axeVersion, "axe.min.js")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("axe-core %s not found (%v): run `make axe` (make test-deps does) or set OPSMETRICS_AXE", axeVersion, err)
	}
	return string(b)
}

// pageToCheck is one page of the app the browser checks.
type pageToCheck struct {
	name, path string
}

// everyPage is the six dashboards, the sign-in and status pages and the
// settings area's sections.
func everyPage() []pageToCheck {
	var out []pageToCheck
	for _, p := range dashboards.Pages {
		name := strings.Trim(p.Path, "/")
		if name == "" {
			name = "overview"
		}
		out = append(out, pageToCheck{name: name, path: p.Path})
	}
	out = append(out, pageToCheck{name: "login", path: "/login"}, pageToCheck{name: "status", path: "/status"})
	for _, s := range dashboards.Sections {
		out = append(out, pageToCheck{name: strings.ReplaceAll(strings.Trim(s.Path, "/"), "/", "-"), path: s.Path})
	}
	return out
}

// pageReady holds once the page has loaded and app.js (where the page has
// it) has drawn every chart.
const pageReady = `document.readyState === 'complete' && (!document.querySelector('.canvas') ||
	(document.body.hasAttribute('data-charts') && document.querySelectorAll('.canvas').length === document.querySelectorAll('.canvas[data-drawn]').length))`

// overflowReport says how wide the page is against the viewport, and what
// sticks out past its right edge outside a box that scrolls.
const overflowReport = `(() => {
  const w = window.innerWidth, out = [];
  const scrolls = e => { for (let p = e.parentElement; p; p = p.parentElement) {
    const s = getComputedStyle(p).overflowX; if (s === 'auto' || s === 'scroll' || s === 'hidden') return true; } return false; };
  for (const e of document.querySelectorAll('body *')) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 1 && !scrolls(e)) out.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (typeof e.className === 'string' && e.className ? '.' + e.className : '') + ' right ' + Math.round(r.right));
  }
  return {scroll: document.documentElement.scrollWidth, width: w, out: out.slice(0, 5)};
})()`

// axeRun runs axe-core on the page (injected beforehand) and returns its
// violations.
const axeRun = `axe.run(document, {resultTypes: ['violations']}).then(r => r.violations
  .map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 4).map(n => n.target.join(' '))})))`

type overflow struct {
	Scroll, Width int
	Out           []string
}

type axeViolation struct {
	ID, Impact, Help string
	Targets          []string
}

// printReport checks the page in print media at width w (the printable
// width of the paper): charts that cross the edge, charts' tables that are
// not shown, the filters' line, and anything else past the edge.
const printReport = `((w) => {
  const out = {crossing: [], hiddenTables: [], filters: '', filtersShown: false, wide: []};
  for (const e of document.querySelectorAll('.canvas, .canvas canvas, .canvas svg')) {
    const r = e.getBoundingClientRect();
    if (r.right > w + 0.5) out.crossing.push((e.closest('figure') || e).id + ' ' + e.tagName.toLowerCase() + ' right ' + Math.round(r.right));
  }
  for (const f of document.querySelectorAll('figure.chart')) {
    const t = f.querySelector('table');
    if (t && (!t.checkVisibility() || t.getBoundingClientRect().height === 0)) out.hiddenTables.push(f.id);
  }
  const ft = document.querySelector('.filters-text');
  if (ft) { out.filters = ft.textContent; out.filtersShown = ft.checkVisibility(); }
  for (const e of document.querySelectorAll('main *')) {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > w + 1) out.wide.push(e.tagName.toLowerCase() + (typeof e.className === 'string' && e.className ? '.' + e.className : '') + ' right ' + Math.round(r.right));
  }
  out.wide = out.wide.slice(0, 5);
  return out;
})`

type printCheck struct {
	Crossing, HiddenTables, Wide []string
	Filters                      string
	FiltersShown                 bool
}

// paper is a sheet the pages must print on, with the print stylesheet's
// 12 mm margins.
type paper struct {
	name string
	size chromedp.PaperSize
}

const marginInches = 12 / 25.4

// printableWidth is the paper's width inside its margins, in CSS pixels
// (96 to the inch).
func (p paper) printableWidth() int64 {
	return int64(math.Floor((p.size.Width - 2*marginInches) * 96))
}

// TestPagesPhonesPaperAndAxe opens every page at 1440 and 390 px: no page
// scrolls sideways and axe-core finds no serious or critical violation; a
// screenshot of each is kept as <page>-<width>.png. At 390 px the navigation
// is folded behind the Menu button, which opens it. Then each page is laid
// out for print at the printable width of A4 and of Letter: no chart
// crosses the page's edge, every chart's table is shown, the filters are
// printed as a line of text, and the page prints to a PDF on both papers.
func TestPagesPhonesPaperAndAxe(t *testing.T) {
	chrome := chromium(t)
	axeJS := axeScript(t)
	svc := apptest.New(t)
	svc.Demo(3)
	// An admin, who may open every page and settings section.
	svc.User("acme", "ada@acme.example", "Ada Admin", "admin", "a long admin password")
	base, stop := svc.Serve(nil)
	defer stop()

	log := &browserLog{}
	ctx := browser(t, chrome, log)
	shots := artifacts(t)
	if err := signInWithPassword(ctx, base, "ada@acme.example", "a long admin password"); err != nil {
		t.Fatalf("sign in with a password: %v", err)
	}

	// The check can fail: axe finds an image without a text alternative.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeJS)); err != nil {
		t.Fatalf("inject axe-core: %v", err)
	}
	probe, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`document.querySelector('main').appendChild(document.createElement('img')), `+axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe.run: %v", err)
	}
	if !slices.ContainsFunc(probe, func(v axeViolation) bool { return v.ID == "image-alt" && v.Impact == "critical" }) {
		t.Fatalf("axe-core did not report an image without alt text as critical: %+v", probe)
	}

	// open loads a page.
	open := func(t *testing.T, p pageToCheck) bool {
		t.Helper()
		resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(base+p.path))
		if err != nil {
			t.Fatalf("load %s: %v", p.path, err)
		}
		if resp.Status != http.StatusOK {
			t.Fatalf("%s answered %d", p.path, resp.Status)
		}
		if err := chromedp.Do(ctx, waitFor(pageReady)); err != nil {
			t.Fatalf("%s: %v", p.path, err)
		}
		return true
	}

	// The drill pages of a client, a project and a person, found as a
	// person finds them: the first link to each on the pages that list them.
	pages := everyPage()
	for _, d := range []struct{ name, from, prefix string }{
		{"client", "/margin", "/clients/"}, {"person", "/utilization", "/people/"}, {"project", "", "/projects/"}} {
		from := d.from
		if from == "" { // a project: from its client's page
			from = pages[len(pages)-2].path
		}
		link, err := chromedp.Run(ctx, chromedp.NavigateResponse(base+from))
		if err != nil || link.Status != http.StatusOK {
			t.Fatalf("load %s: %v", from, err)
		}
		path, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('a[href^="`+d.prefix+`"]') || {}).pathname || ''`))
		if err != nil || path == "" {
			t.Fatalf("no link to a %s page on %s (%v)", d.name, from, err)
		}
		pages = append(pages, pageToCheck{name: d.name, path: path})
	}
	// A client's monthly report from its page's link, in both views, and a
	// quarter's retro from the list of retros.
	clientPage := pages[len(pages)-3].path
	for _, d := range []struct{ name, from, sel, query string }{
		{"report", clientPage, `a[href*="/report?"]`, ""}, {"report-client", clientPage, `a[href*="/report?"]`, "?view=client"},
		{"retro", "/retros", `a[href^="/retros/"]`, ""}} {
		if _, err := chromedp.Run(ctx, chromedp.NavigateResponse(base+d.from)); err != nil {
			t.Fatalf("load %s: %v", d.from, err)
		}
		path, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('`+d.sel+`') || {}).pathname || ''`))
		if err != nil || path == "" {
			t.Fatalf("no link to a %s page on %s (%v)", d.name, d.from, err)
		}
		pages = append(pages, pageToCheck{name: d.name, path: path + d.query})
	}

	for _, width := range []int64{1440, 390} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900)); err != nil {
			t.Fatal(err)
		}
		for _, p := range pages {
			t.Run(fmt.Sprintf("%s-%d", p.name, width), func(t *testing.T) {
				if !open(t, p) {
					return
				}
				m, err := chromedp.Run(ctx, chromedp.Evaluate[overflow](overflowReport))
				if err != nil {
					t.Fatal(err)
				}
				if m.Scroll > m.Width || len(m.Out) > 0 {
					t.Errorf("%s at %d px: the page is %d px wide in a %d px viewport; past the edge: %v", p.path, width, m.Scroll, m.Width, m.Out)
				}
				// A phone's legend may scroll; a wide screen's shows every name whole.
				if cut, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](legendReport)); err != nil || (width >= 700 && len(cut) > 0) {
					t.Errorf("%s at %d px: legends %v %v", p.path, width, cut, err)
				}
				if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](axeJS)); err != nil {
					t.Fatalf("inject axe-core: %v", err)
				}
				vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](axeRun, chromedp.EvalAwaitPromise))
				if err != nil {
					t.Fatalf("axe.run: %v", err)
				}
				for _, v := range vs {
					if v.Impact != "serious" && v.Impact != "critical" {
						t.Logf("%s at %d px: axe %s (%s, not failing): %s, at %s", p.path, width, v.ID, v.Impact, v.Help, strings.Join(v.Targets, "; "))
						continue
					}
					t.Errorf("%s at %d px: axe %s (%s): %s, at %s", p.path, width, v.ID, v.Impact, v.Help, strings.Join(v.Targets, "; "))
				}
				if width < 700 && strings.HasPrefix(p.path, "/") && !strings.HasPrefix(p.path, "/login") && p.path != "/status" {
					checkMenu(t, ctx, p.path, filepath.Join(shots, p.name+"-390-menu.png"))
				}
				png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(shots, fmt.Sprintf("%s-%d.png", p.name, width)), png, 0o644); err != nil {
					t.Fatal(err)
				}
			})
		}
	}

	for _, pp := range []paper{{"a4", chromedp.PaperA4}, {"letter", chromedp.PaperLetter}} {
		w := pp.printableWidth()
		for _, p := range pages {
			t.Run(fmt.Sprintf("print-%s-%s", p.name, pp.name), func(t *testing.T) {
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(1440, 900)); err != nil {
					t.Fatal(err)
				}
				if !open(t, p) {
					return
				}
				// Print media at the printable width, as the print layout
				// has it; the charts are drawn again at that width.
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(w, 1100)); err != nil {
					t.Fatal(err)
				}
				if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
					t.Fatal(err)
				}
				defer chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{})
				report := fmt.Sprintf("%s(%d)", printReport, w)
				// Charts redraw after the media change: wait for them to fit.
				_ = chromedp.Do(ctx, waitFor(fmt.Sprintf(`%s.crossing.length === 0`, report)))
				got, err := chromedp.Run(ctx, chromedp.Evaluate[printCheck](report))
				if err != nil {
					t.Fatal(err)
				}
				if len(got.Crossing) > 0 {
					t.Errorf("%s on %s (%d px printable): charts cross the page's edge: %v", p.path, pp.name, w, got.Crossing)
				}
				if len(got.Wide) > 0 {
					t.Errorf("%s on %s (%d px printable): past the page's edge: %v", p.path, pp.name, w, got.Wide)
				}
				if len(got.HiddenTables) > 0 {
					t.Errorf("%s on %s: the tables of charts %v are not printed", p.path, pp.name, got.HiddenTables)
				}
				// /reports is of one month, named in its heading, without
				// the range and filters of the other pages.
				if isDashboard(p.path) && p.path != "/reports" {
					if !got.FiltersShown || !strings.HasPrefix(got.Filters, "Range ") || !strings.Contains(got.Filters, "Client: all") {
						t.Errorf("%s on %s: the filters line is %q (shown: %v), want it printed as \"Range … · Client: all · Team: all\"", p.path, pp.name, got.Filters, got.FiltersShown)
					}
				}
				if pp.name == "a4" {
					png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
					if err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(filepath.Join(shots, p.name+"-print.png"), png, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPaper(pp.size), chromedp.PDFMargin(marginInches)))
				if err != nil {
					t.Fatalf("print %s to PDF on %s: %v", p.path, pp.name, err)
				}
				if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
					t.Fatalf("print %s on %s: not a PDF: %.20q", p.path, pp.name, pdf)
				}
				if err := os.WriteFile(filepath.Join(shots, p.name+"-"+pp.name+".pdf"), pdf, 0o644); err != nil {
					t.Fatal(err)
				}
			})
		}
	}

	log.mu.Lock()
	defer log.mu.Unlock()
	for _, e := range log.errors {
		t.Errorf("browser console: %s", e)
	}
}

func isDashboard(path string) bool {
	for _, p := range dashboards.Pages {
		if p.Path == path {
			return true
		}
	}
	return false
}

// checkMenu checks the phone's navigation: folded behind the Menu button
// (aria-expanded false, the links hidden), and open after a click; a
// screenshot of the open menu goes to shot.
func checkMenu(t *testing.T, ctx context.Context, path, shot string) {
	t.Helper()
	const state = `(() => { const b = document.querySelector('header.top button.menu'), n = document.querySelector('header.top nav');
  return b && n ? b.getAttribute('aria-expanded') + ' ' + (n.checkVisibility() ? 'shown' : 'hidden') + ' ' + (b.checkVisibility() ? 'button' : 'nobutton') : 'missing'; })()`
	before, err := chromedp.Run(ctx, chromedp.Evaluate[string](state))
	if err != nil {
		t.Fatal(err)
	}
	if before != "false hidden button" {
		t.Errorf("%s at phone width: the menu is %q, want the navigation folded behind the Menu button (\"false hidden button\")", path, before)
		return
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`header.top button.menu`))); err != nil {
		t.Fatal(err)
	}
	after, err := chromedp.Run(ctx, chromedp.Evaluate[string](state))
	if err != nil {
		t.Fatal(err)
	}
	if after != "true shown button" {
		t.Errorf("%s at phone width: after a click on Menu the menu is %q, want \"true shown button\"", path, after)
	}
	// Open, the menu still fits the screen.
	m, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if m > 0 {
		t.Errorf("%s at phone width: the open menu makes the page %d px wider than the screen", path, m)
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(shot, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`header.top button.menu`))); err != nil {
		t.Fatal(err)
	}
}

// TestDownloadCSV checks the "Download CSV" of every table: a button above
// each table of a page, a file named for the page, the table and the range,
// and its text: RFC 4180 quoting, header names as the table's, and a cell a
// spreadsheet would run as a formula (a client named "=HYPERLINK(...)")
// neutralized with a leading ', while a negative number stays a number.
func TestDownloadCSV(t *testing.T) {
	chrome := chromium(t)
	svc := apptest.New(t)
	svc.Demo(2)
	ingestTok := svc.Token("acme", "ingest")
	readTok := svc.Token("acme", "read")
	adminTok := svc.Token("acme", "admin")
	base, stop := svc.Serve(nil)
	defer stop()

	const evil = `=HYPERLINK("http://x.example","a, b")`
	day := time.Now().UTC().AddDate(0, 0, -3).Format(time.DateOnly)
	for _, p := range []struct{ path, body string }{
		{"/api/v1/clients", fmt.Sprintf(`{"external_id":"c-csv-1","name":%q}`+"\n", evil)},
		{"/api/v1/projects", `{"external_id":"pr-csv-1","name":"Sheet","client":"c-csv-1","kind":"time_and_materials","bill_rate":100}` + "\n"},
		{"/api/v1/people", `{"external_id":"p-csv","valid_from":"2020-01-01","name":"Cecile","role":"designer","team":"design","weekly_capacity_hours":40,"cost_rate":40,"bill_rate":100,"start_date":"2020-01-01"}` + "\n"},
		{"/api/v1/time_entries", fmt.Sprintf(`{"external_id":"te-csv-1","person":"p-csv","date":%q,"hours":5,"project":"pr-csv-1","billable":true}`+"\n", day)},
	} {
		if code, r := apptest.Post(t, base+p.path, ingestTok, "application/x-ndjson", strings.NewReader(p.body)); code != 200 || r.Rejected != 0 {
			t.Fatalf("POST %s: %d %+v", p.path, code, r)
		}
	}

	log := &browserLog{}
	ctx := browser(t, chrome, log)
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/login#"+readTok), waitFor(`location.pathname === '/' && !!document.querySelector('nav')`)); err != nil {
		t.Fatalf("sign in: %v", err)
	}

	// The pure part: quoting and neutralizing.
	if err := chromedp.Do(ctx, waitFor(pageReady)); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`opsmetrics.csv([
  ["name", "a,b", "say \"hi\"", "two\nlines"],
  ["=1+2", "-3.5", "+cmd", "@SUM(A1)", "-4.6 pts", "12.5%", "\tx", "plain"]])`))
	if err != nil {
		t.Fatal(err)
	}
	want := "\ufeffname,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n'=1+2,-3.5,'+cmd,'@SUM(A1),'-4.6 pts,12.5%,'\tx,plain\r\n"
	if got != want {
		t.Errorf("csv of the sample rows:\n got %q\nwant %q", got, want)
	}

	// A real page: the margin page over the week of the entry.
	from := time.Now().UTC().AddDate(0, 0, -10).Format(time.DateOnly)
	to := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/margin?from="+from+"&to="+to), waitFor(pageReady)); err != nil {
		t.Fatal(err)
	}
	type tableInfo struct {
		File, Header string
		Button       bool
	}
	tables, err := chromedp.Run(ctx, chromedp.Evaluate[[]tableInfo](`[...document.querySelectorAll('main table')].map(t => {
  const d = t.closest('details') || t, b = d.previousElementSibling;
  return {file: t.getAttribute('data-csv-file') || '', header: [...t.querySelectorAll('thead th')].map(th => th.textContent.trim()).join(','),
    button: !!(b && b.matches('p.csv-row') && b.querySelector('button.csv'))};
})`))
	if err != nil {
		t.Fatal(err)
	}
	if len(tables) < 3 {
		t.Fatalf("the margin page has %d tables, want its clients table and its charts' tables", len(tables))
	}
	rangeText := from + "-to-" + time.Now().UTC().Format(time.DateOnly)
	seen := map[string]bool{}
	for _, tb := range tables {
		if !tb.Button {
			t.Errorf("table %q (%s) has no Download CSV button above it", tb.File, tb.Header)
		}
		if !strings.HasPrefix(tb.File, "opsmetrics-margin-") || !strings.HasSuffix(tb.File, "-"+rangeText+".csv") {
			t.Errorf("CSV file %q: want opsmetrics-margin-<table>-%s.csv", tb.File, rangeText)
		}
		if seen[tb.File] {
			t.Errorf("two tables download as %q", tb.File)
		}
		seen[tb.File] = true
	}
	clients := "opsmetrics-margin-clients-" + rangeText + ".csv"
	if !seen[clients] {
		t.Fatalf("no table downloads as %s; files: %v", clients, seen)
	}

	// Click the clients table's button: the file lands in downloads.
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`p.csv-row:has(+ table.clients) button.csv`))); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(downloads, clients)
	var body []byte
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if body, err = os.ReadFile(path); err == nil && len(body) > 0 {
			break
		}
	}
	if len(body) == 0 {
		entries, _ := os.ReadDir(downloads)
		t.Fatalf("no download %s; the download folder holds %v", clients, entries)
	}
	text := strings.TrimPrefix(string(body), "\ufeff")
	lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
	if !strings.HasPrefix(lines[0], "client,revenue (") || !strings.Contains(lines[0], ",margin %,hours,") {
		t.Errorf("the clients CSV's header is %q, want the table's column names", lines[0])
	}
	wantCell := `"'=HYPERLINK(""http://x.example"",""a, b"")"`
	found := false
	for _, l := range lines[1:] {
		if strings.HasPrefix(l, wantCell+",") {
			found = true
		}
	}
	if !found {
		t.Errorf("no row of the clients CSV starts with %s:\n%s", wantCell, text)
	}
	// Numbers are numbers: the page's "243,505.00" is 243505.00 in the file.
	if grouped := regexp.MustCompile(`"[-+]?\d{1,3}(,\d{3})+(\.\d+)?%?"`).FindString(text); grouped != "" {
		t.Errorf("the clients CSV has the number %s with thousands separators:\n%s", grouped, text)
	}
	if !regexp.MustCompile(`,\d{4,}\.\d\d(,|\r)`).MatchString(text) {
		t.Errorf("the clients CSV has no amount of 1000 or more as a plain number:\n%s", text)
	}
	// The settings tables download too, without their buttons' column: an
	// admin's People (Cecile's row) and Change log (the org's change).
	if code, _, body := apptest.Send(t, "PUT", base+"/api/v1/org", adminTok, `{"grace_days":4}`, "Content-Type", "application/json"); code != 200 {
		t.Fatalf("PUT /api/v1/org: %d %s", code, body)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/login#"+adminTok), waitFor(`location.pathname === '/' && !!document.querySelector('nav')`)); err != nil {
		t.Fatalf("sign in as admin: %v", err)
	}
	for _, sp := range []struct{ path, file, header, row string }{
		{"/settings/people", "opsmetrics-settings-people-people.csv", "Name,Email,Role,Team,Capacity (h/week),Cost rate,Bill rate,Target,Start – end,Since",
			"\r\nCecile (p-csv),,designer,design,40,40,100,no target set,2020-01-01 –,2020-01-01\r\n"},
		{"/settings/audit", "opsmetrics-settings-audit-audit.csv", "When,Who,What,Before → after", ",Organization: Acme Creative (acme) changed,grace_days: 0 → 4\r\n"},
	} {
		if err := chromedp.Do(ctx, chromedp.Navigate(base+sp.path), waitFor(pageReady)); err != nil {
			t.Fatal(err)
		}
		tables, err := chromedp.Run(ctx, chromedp.Evaluate[[]tableInfo](`[...document.querySelectorAll('main table')].map(t => {
  const b = t.previousElementSibling;
  return {file: t.getAttribute('data-csv-file') || '', header: '', button: !!(b && b.matches('p.csv-row') && b.querySelector('button.csv'))};
})`))
		if err != nil {
			t.Fatal(err)
		}
		pdf, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!!document.querySelector('main button.pdf[data-print]')`))
		if err != nil || !pdf {
			t.Errorf("%s has no PDF button (%v)", sp.path, err)
		}
		if len(tables) == 0 {
			t.Fatalf("%s has no table", sp.path)
		}
		for _, tb := range tables {
			if !tb.Button {
				t.Errorf("%s: table %q has no Download CSV button above it", sp.path, tb.File)
			}
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`main p.csv-row button.csv`))); err != nil {
			t.Fatal(err)
		}
		var body []byte
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if body, err = os.ReadFile(filepath.Join(downloads, sp.file)); err == nil && len(body) > 0 {
				break
			}
		}
		if len(body) == 0 {
			entries, _ := os.ReadDir(downloads)
			t.Fatalf("%s: no download %s; the download folder holds %v", sp.path, sp.file, entries)
		}
		text := strings.TrimPrefix(string(body), "\ufeff")
		lines := strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n")
		if lines[0] != sp.header || !strings.Contains(text, sp.row) || strings.Contains(text, "Remove") || strings.Contains(text, "Actions") {
			t.Errorf("%s's CSV: want the header %q and the row %q, without the buttons' column:\n%s", sp.path, sp.header, sp.row, text)
		}
	}

	log.mu.Lock()
	defer log.mu.Unlock()
	for _, e := range log.errors {
		t.Errorf("browser console: %s", e)
	}
}
