package dashboards

import (
	"bytes"
	"encoding/json"
	"errors"
	"image/png"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/labstack/echo/v4"
	"github.com/shopspring/decimal"

	"github.com/opsmetrics/opsmetrics/auth"
	"github.com/opsmetrics/opsmetrics/ingest"
	"github.com/opsmetrics/opsmetrics/metrics"
	"github.com/opsmetrics/opsmetrics/sql/chdb/chdbtest"
)

// The report's PDF, printed by the real Chromium and read back by the real
// poppler (pdftoppm, pdftotext), over one client-month of its own org.

const (
	pdfOrg        = "pdf-report"
	pdfClient     = "c-bright"
	pdfClientName = "Brightside & Co <Ltd>" // an ampersand and markup: escaped in the page, the footer and the file name
	pdfCommentary = "Launch moved to week 48; the retainer ran six hours over."
	pdfInternal   = "Margin is thin on this account: renegotiate the rate."
	pdfAction     = "Agree the December scope with the client"
)

var (
	pdfMonth   = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	pdfNow     = time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	pdfOnce    sync.Once
	pdfFacts   *metrics.Facts
	pdfErr     error
	pdfPrinter *Printer
)

// reportPDFWants is what the PDF of the test's report must say, as
// pdftotext reads it: the client, the month, the commentary, the actions
// with their owners, and the numbers the page shows. The report page is
// built by another part of issue 18: extend this list with its KPIs.
func reportPDFWants() []string {
	return []string{
		pdfClientName,
		"November 2026",
		pdfCommentary,
		pdfAction, "Ada Lovelace", "10 Dec 2026",
		"page 1 of", // the footer
	}
}

// pdfNeeds finds a tool the tests run, failing (never skipping) without it.
func pdfNeeds(t *testing.T, tool, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(tool)
	if err != nil {
		t.Fatalf("%s not found: install Debian's %s (make test-deps does)", tool, pkg)
	}
	return path
}

// pdfServer loads the test's org once and returns the pages with a real
// Printer, served as the role X-Test-Role names, or as an API token with
// the scopes X-Test-Scopes names.
func pdfServer(t testing.TB) *echo.Echo {
	t.Helper()
	s := chdbtest.Shared(t)
	pdfOnce.Do(func() {
		log := slog.New(slog.DiscardHandler)
		if pdfFacts, pdfErr = metrics.NewFacts(metrics.FactsConfig{Store: s, Logger: log}); pdfErr != nil {
			return
		}
		if pdfPrinter, pdfErr = NewPrinter(PrinterConfig{Logger: log, LinkBase: "https://ops.example.com"}); pdfErr != nil {
			return
		}
		pdfErr = pdfData(t, s)
	})
	if pdfErr != nil {
		t.Fatal(pdfErr)
	}
	if _, err := pdfPrinter.findChromium(); err != nil {
		t.Fatal(err) // says what was looked for and how to install it
	}
	return pdfEcho(t, pdfPrinter)
}

func pdfEcho(t testing.TB, p *Printer) *echo.Echo {
	t.Helper()
	e := echo.New()
	who := func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if r := c.Request().Header.Get("X-Test-Role"); r != "" {
				auth.WithPrincipal(c, auth.Principal{Org: pdfOrg, UserID: "u-" + r, Email: r + "@example.com", Role: r})
			}
			if sc := c.Request().Header.Get("X-Test-Scopes"); sc != "" {
				auth.WithPrincipal(c, auth.Principal{Org: pdfOrg, TokenID: "tk-test", Scopes: strings.Split(sc, ",")})
			}
			return next(c)
		}
	}
	s := chdbtest.Shared(t)
	if err := Register(e.Group(""), Config{Store: s, Facts: pdfFacts, Logger: slog.New(slog.DiscardHandler), Reports: s, Printer: p,
		Org: func(echo.Context) (string, bool) { return pdfOrg, true }, Now: func() time.Time { return pdfNow }}, who); err != nil {
		t.Fatal(err)
	}
	return e
}

// pdfData writes the org: one person, the client with a project, a few
// hours in November, the month's commentary and internal note, and an
// action.
func pdfData(t testing.TB, s metrics.RecordStore) error {
	ctx := t.Context()
	w, err := ingest.NewWriter(ingest.WriterConfig{Store: s, Logger: slog.New(slog.DiscardHandler), Changed: pdfFacts.Changed})
	if err != nil {
		return err
	}
	meta := func(id string) ingest.Meta { return ingest.Meta{Org: pdfOrg, Source: "test", ExternalID: id} }
	for _, recs := range []any{
		[]ingest.Person{{Meta: meta("p-ada"), Name: "Ada Lovelace"}},
		[]ingest.Client{{Meta: meta(pdfClient), Name: pdfClientName}},
		[]ingest.Project{{Meta: meta("pr-care"), Name: "Care plan", ClientID: pdfClient, Kind: "retainer"}},
		[]ingest.TimeEntry{
			{Meta: meta("te1"), PersonID: "p-ada", Date: pdfMonth.AddDate(0, 0, 2), Hours: decimal.NewFromInt(6), ProjectID: "pr-care", Billable: true},
			{Meta: meta("te2"), PersonID: "p-ada", Date: pdfMonth.AddDate(0, 0, 9), Hours: decimal.NewFromInt(4), ProjectID: "pr-care", Billable: true},
		},
	} {
		if _, err := w.Write(ctx, "test", recs); err != nil {
			return err
		}
	}
	for field, body := range map[string]string{metrics.NoteCommentary: pdfCommentary, metrics.NoteInternal: pdfInternal} {
		if _, err := metrics.SaveNote(ctx, s, pdfOrg, metrics.Note{Client: pdfClient, Period: pdfMonth, Field: field, Body: body, Author: "ann@example.com"}, pdfNow); err != nil {
			return err
		}
	}
	_, err = metrics.AddAction(ctx, s, pdfOrg, "ann@example.com", metrics.Action{Client: pdfClient, Period: pdfMonth, Title: pdfAction,
		Owner: "p-ada", Due: time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)}, pdfNow)
	return err
}

func pdfGet(e *echo.Echo, path string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// pdfArtifacts is where the test's PDFs and page images are kept:
// $OPSMETRICS_TEST_ARTIFACTS/pdf, else test-artifacts/pdf at the top of the
// repository.
func pdfArtifacts(t *testing.T) string {
	dir := os.Getenv("OPSMETRICS_TEST_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "test-artifacts")
	}
	dir = filepath.Join(dir, "pdf")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// checkPDF keeps pdf as name.pdf, renders each page to PNG with pdftoppm
// (one PNG a page, none blank) and returns its text as pdftotext -layout
// reads it.
func checkPDF(t *testing.T, pdf []byte, name string) string {
	t.Helper()
	pdftoppm, pdftotext := pdfNeeds(t, "pdftoppm", "poppler-utils"), pdfNeeds(t, "pdftotext", "poppler-utils")
	if !isPDF(pdf) {
		t.Fatalf("%s: not a PDF: %.40q", name, pdf)
	}
	dir := pdfArtifacts(t)
	file := filepath.Join(dir, name+".pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	pages := PDFPages(pdf)
	prefix := filepath.Join(dir, name+"-page")
	if out, err := exec.Command(pdftoppm, "-png", "-r", "60", file, prefix).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm %s: %v\n%s", file, err, out)
	}
	pngs, _ := filepath.Glob(prefix + "-*.png")
	if len(pngs) != pages || pages == 0 {
		t.Fatalf("%s: pdftoppm made %d images of a PDF of %d pages", name, len(pngs), pages)
	}
	for _, p := range pngs {
		if ink := inkOf(t, p); ink < 2000 {
			t.Errorf("%s: %s is blank (%d pixels not white)", name, p, ink)
		}
	}
	out, err := exec.Command(pdftotext, "-layout", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", file, err)
	}
	t.Logf("%s: %d pages, %d bytes, kept at %s", name, pages, len(pdf), file)
	return string(out)
}

// inkOf counts the pixels of a PNG that are not (nearly) white.
func inkOf(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	n := 0
	r := img.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			if cr < 0xf000 || cg < 0xf000 || cb < 0xf000 {
				n++
			}
		}
	}
	return n
}

// oneLine is pdftotext's text with its layout's runs of spaces and line
// breaks made one space, so a phrase wrapped or spread by the layout is
// found whole.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// TestReportPDF downloads a client's report as a partner, in the internal
// and the client view, and reads the PDFs back page by page: valid, one
// image per page and none blank, the client, month, commentary and actions
// in the text, the internal note only in the internal view.
func TestReportPDF(t *testing.T) {
	e := pdfServer(t)
	for _, c := range []struct {
		view, file string
		internal   bool
	}{
		{"internal", "Brightside-Co-Ltd-2026-11-internal-report.pdf", true},
		{"client", "Brightside-Co-Ltd-2026-11-report.pdf", false},
	} {
		t.Run(c.view, func(t *testing.T) {
			start := time.Now()
			rec := pdfGet(e, "/clients/"+pdfClient+"/report.pdf?month=2026-11&view="+c.view, "X-Test-Role", auth.RolePartner)
			if rec.Code != http.StatusOK {
				t.Fatalf("%d %s", rec.Code, rec.Body.String())
			}
			t.Logf("printed in %s", time.Since(start).Round(time.Millisecond))
			h := rec.Header()
			for k, want := range map[string]string{"Content-Type": "application/pdf",
				"Content-Disposition": `attachment; filename=` + c.file, "Cache-Control": "private, no-store"} {
				if got := h.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			text := oneLine(checkPDF(t, rec.Body.Bytes(), "report-"+c.view))
			for _, want := range reportPDFWants() {
				if !strings.Contains(text, want) {
					t.Errorf("the %s PDF does not say %q; its text:\n%s", c.view, want, text)
				}
			}
			if got := strings.Contains(text, pdfInternal); got != c.internal {
				t.Errorf("the %s PDF holds the internal note: %v, want %v", c.view, got, c.internal)
			}
			if c.internal && !strings.Contains(text, "internal") {
				t.Errorf("the internal PDF's footer does not say it is internal")
			}
		})
	}
}

// TestReportPDFRequests: the download's refusals name what they refuse,
// and a client's name works as its id.
func TestReportPDFRequests(t *testing.T) {
	e := pdfServer(t)
	for _, c := range []struct {
		path, who string
		code      int
		says      string
	}{
		{"/clients/nosuch/report.pdf?month=2026-11", auth.RoleViewer, 404, `client "nosuch"`},
		{"/clients/" + pdfClient + "/report.pdf?month=2026-13", auth.RoleViewer, 400, `month "2026-13"`},
		{"/clients/" + pdfClient + "/report.pdf?month=2026-11&view=partner", auth.RoleViewer, 400, `view "partner": client or internal`},
		{"/clients/" + pdfClient + "/report.pdf?month=2026-11&paper=a3", auth.RoleViewer, 400, `paper "a3": a4 or letter`},
		{"/clients/" + pdfClient + "/report.pdf?month=2026-11", "scopes:ingest", 403, ""},
	} {
		hdr := []string{"X-Test-Role", c.who}
		if s, ok := strings.CutPrefix(c.who, "scopes:"); ok {
			hdr = []string{"X-Test-Scopes", s}
		}
		rec := pdfGet(e, c.path, hdr...)
		body := rec.Body.String()
		var msg struct{ Message string }
		if json.Unmarshal(rec.Body.Bytes(), &msg) == nil {
			body = msg.Message
		}
		if rec.Code != c.code || !strings.Contains(body, c.says) {
			t.Errorf("%s as %s: %d %s; want %d saying %q", c.path, c.who, rec.Code, rec.Body.String(), c.code, c.says)
		}
		if ct := rec.Header().Get("Content-Type"); ct == "application/pdf" {
			t.Errorf("%s as %s: a refusal sent as a PDF", c.path, c.who)
		}
	}
	// A viewer gets the PDF too, on Letter paper, the client named by name.
	rec := pdfGet(e, "/clients/Brightside%20%26%20Co%20%3CLtd%3E/report.pdf?month=2026-11&view=client&paper=letter", "X-Test-Role", auth.RoleViewer)
	if rec.Code != http.StatusOK || !isPDF(rec.Body.Bytes()) {
		t.Fatalf("by name, as a viewer: %d %.200s", rec.Code, rec.Body.String())
	}
	// Letter is 612 points wide, A4 595.
	if !bytes.Contains(rec.Body.Bytes(), []byte("/MediaBox [0 0 612 792]")) {
		t.Errorf("paper=letter: no Letter-sized page in the PDF")
	}
}

// TestReportPDFWithoutChromium: a Chromium that is not there is a 503
// naming the path looked for and how to install it, not a 500.
func TestReportPDFWithoutChromium(t *testing.T) {
	pdfServer(t)
	missing := filepath.Join(t.TempDir(), "no-chromium-here")
	p, err := NewPrinter(PrinterConfig{Chromium: missing, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	rec := pdfGet(pdfEcho(t, p), "/clients/"+pdfClient+"/report.pdf?month=2026-11", "X-Test-Role", auth.RolePartner)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), missing) || !strings.Contains(rec.Body.String(), "apt install chromium") {
		t.Errorf("%d %s; want 503 naming %s and how to install Chromium", rec.Code, rec.Body.String(), missing)
	}
	// None on PATH: the names looked for.
	t.Setenv("PATH", t.TempDir())
	p2, _ := NewPrinter(PrinterConfig{Logger: slog.New(slog.DiscardHandler)})
	_, err = p2.Print(t.Context(), PrintJob{HTML: []byte("<p>x</p>")})
	var nc *NoChromiumError
	if !errors.As(err, &nc) || !strings.Contains(err.Error(), "chromium, chromium-browser, google-chrome, google-chrome-stable") {
		t.Errorf("no chromium on PATH: %v", err)
	}
}

// TestPrinterReusesAndRestartsBrowser: PDFs share one browser process; one
// that died is started again for the next PDF; a closed Printer refuses.
func TestPrinterReusesAndRestartsBrowser(t *testing.T) {
	pdfServer(t) // fails clearly without Chromium
	p, err := NewPrinter(PrinterConfig{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	page := []byte(`<!doctype html><html><head><title>t</title><script src="/assets/app.js"></script></head><body><h1>Hello printer</h1></body></html>`)
	for i := range 2 {
		pdf, err := p.Print(t.Context(), PrintJob{HTML: page, Footer: "x"})
		if err != nil || !isPDF(pdf) {
			t.Fatalf("print %d: %v", i, err)
		}
	}
	if p.Starts() != 1 {
		t.Errorf("two PDFs started %d browsers, want 1", p.Starts())
	}
	p.mu.Lock()
	proc := chromedp.FromContext(p.browser).Browser.Process()
	p.mu.Unlock()
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	_, _ = proc.Wait()
	pdf, err := p.Print(t.Context(), PrintJob{HTML: page, Footer: "x"})
	if err != nil || !isPDF(pdf) {
		t.Fatalf("print after the browser died: %v", err)
	}
	if p.Starts() != 2 {
		t.Errorf("after the browser died: %d starts, want 2", p.Starts())
	}
	p.Close()
	if _, err := p.Print(t.Context(), PrintJob{HTML: page}); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("print after Close: %v", err)
	}
}

func TestFileName(t *testing.T) {
	for _, c := range []struct{ name, id, want string }{
		{"Acme Corp", "c1", "Acme-Corp"},
		{"Brightside & Co <Ltd>", "c1", "Brightside-Co-Ltd"},
		{"Südwind AG", "c1", "Südwind-AG"},
		{"../../etc/passwd", "c1", "etc-passwd"},
		{"<>&", "c-9", "c-9"},
		{"", "", "client"},
	} {
		if got := fileName(c.name, c.id); got != c.want {
			t.Errorf("fileName(%q, %q) = %q, want %q", c.name, c.id, got, c.want)
		}
	}
}

func TestFooterEscapes(t *testing.T) {
	got := footerHTML(`A <b>&</b> "x"`)
	if !strings.Contains(got, `A &lt;b&gt;&amp;&lt;/b&gt; &#34;x&#34;`) {
		t.Errorf("footer %s", got)
	}
}
